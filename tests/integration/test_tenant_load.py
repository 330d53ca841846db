"""Tenants as code: idempotent loading, a diff that tells the truth, and bad files that change nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.accounts.tables import RoleGrant, User
from app.audit.tables import AuditRecord
from app.calendar.tables import CalendarDay
from app.rota.tables import Line
from app.settings import PROJECT_ROOT
from app.setup import as_code
from app.tenancy.tables import Tenant
from tests.helpers import OPERATOR

DANGSHAN = PROJECT_ROOT / "tenants" / "dangshan.toml"
FIXED_USERNAMES = {"admin", "leader", "head", "wangxiaolei", "houweili", "zhuwenjun"}


async def snapshot() -> tuple:
    return (
        await Tenant.select(Tenant.slug, Tenant.name, Tenant.timezone).order_by(Tenant.id),
        await User.select(User.username, User.name, User.phone, User.active).order_by(User.id),
        await RoleGrant.select(RoleGrant.user, RoleGrant.role).order_by(RoleGrant.id),
        await AuditRecord.count(),
    )


async def test_loading_the_demo_county_twice_changes_nothing_the_second_time(any_db):
    spec = as_code.load_file(DANGSHAN)
    first = await as_code.apply(spec, OPERATOR)
    assert first[0].action == "tenant.create"
    assert {c.key for c in first if c.entity == "user"} >= FIXED_USERNAMES
    after_first = await snapshot()
    assert await as_code.apply(as_code.load_file(DANGSHAN), OPERATOR) == []
    assert await as_code.diff(spec) == []
    assert await snapshot() == after_first


async def test_demo_county_holds_the_people_of_the_regulation(any_db):
    await as_code.apply(as_code.load_file(DANGSHAN), OPERATOR)
    names = {u["username"]: u["name"] for u in await User.select(User.username, User.name)}
    assert names["wangxiaolei"] == "王效雷"
    assert names["houweili"] == "侯伟丽"
    assert names["zhuwenjun"] == "朱文君"
    grants = await RoleGrant.select(RoleGrant.user.username, RoleGrant.role)
    roles = {}
    for grant in grants:
        roles.setdefault(grant["user.username"], set()).add(grant["role"])
    assert roles["admin"] >= {"admin"}
    assert roles["leader"] >= {"leader", "evaluator"}
    assert roles["head"] >= {"section_head"}
    assert all("staff" in roles[u] for u in ("wangxiaolei", "houweili", "zhuwenjun"))


async def test_diff_shows_what_a_changed_file_would_do_and_apply_audits_it(any_db, tmp_path):
    await as_code.apply(as_code.load_file(DANGSHAN), OPERATOR)
    changed = DANGSHAN.read_text(encoding="utf-8").replace('phone = "13905571011"', 'phone = "13900000000"')
    changed = changed.replace('roles = ["evaluator"]', 'roles = ["evaluator", "staff"]')
    changed += '\n[[staff]]\nusername = "newcomer"\nname = "新同事"\nroles = ["staff"]\n'
    path = tmp_path / "dangshan.toml"
    path.write_text(changed, encoding="utf-8")
    before = await snapshot()
    planned = await as_code.diff(as_code.load_file(path))
    assert await snapshot() == before  # diff writes nothing
    described = [c.describe() for c in planned]
    assert "~ user wangxiaolei: phone '13905571011' → '13900000000'" in described
    assert any(d.startswith("~ user zhaoming: roles") for d in described)
    assert any(d.startswith("+ user newcomer:") for d in described)
    assert len(planned) == 3
    audit_before = await AuditRecord.count()
    applied = await as_code.apply(as_code.load_file(path), OPERATOR)
    assert [c.describe() for c in applied] == described
    assert await AuditRecord.count() == audit_before + 3
    assert await as_code.diff(as_code.load_file(path)) == []


async def test_calendar_days_in_the_file_are_loaded_once_and_audited(any_db, tmp_path):
    path = tmp_path / "dangshan.toml"
    path.write_text(
        DANGSHAN.read_text(encoding="utf-8")
        + '\n[[calendar]]\nday = 2027-01-01\nworkday = false\nnote = "元旦"\n'
        + "\n[[calendar]]\nday = 2027-02-20\nworkday = true\n",
        encoding="utf-8",
    )
    applied = await as_code.apply(as_code.load_file(path), OPERATOR)
    assert [c.describe() for c in applied if c.entity == "calendar_day"] == [
        "+ calendar_day 2027-01-01: workday=False, note='元旦'",
        "+ calendar_day 2027-02-20: workday=True, note=''",
    ]
    rows = await CalendarDay.select(CalendarDay.day, CalendarDay.workday, CalendarDay.note).order_by(CalendarDay.day)
    assert [(r["day"], r["workday"], r["note"]) for r in rows] == [
        (date(2027, 1, 1), False, "元旦"),
        (date(2027, 2, 20), True, ""),
    ]
    audited = await AuditRecord.select(AuditRecord.entity_id).where(AuditRecord.action == "calendar_day.create")
    assert sorted(a["entity_id"] for a in audited) == ["2027-01-01", "2027-02-20"]
    assert await as_code.apply(as_code.load_file(path), OPERATOR) == []


BROKEN_FILES = {
    "not toml": ("slug = dangshan", "TOML"),
    "missing name": ('slug = "dangshan"', "name"),
    "bad slug": ('slug = "Dang Shan"\nname = "砀山县"', "Dang Shan"),
    "bad timezone": ('slug = "dangshan"\nname = "砀山县"\ntimezone = "Mars/Olympus"', "Mars/Olympus"),
    "unknown field": ('slug = "dangshan"\nname = "砀山县"\ncolour = "red"', "colour"),
    "wrong type": ('slug = "dangshan"\nname = "砀山县"\n[[staff]]\nusername = "a1"\nname = 5', "staff[0].name"),
    "unknown role": (
        'slug = "dangshan"\nname = "砀山县"\n[[staff]]\nusername = "boss"\nname = "老板"\nroles = ["king"]',
        "staff[0].roles",
    ),
    "duplicate username": (
        'slug = "dangshan"\nname = "砀山县"\n' + '[[staff]]\nusername = "a1"\nname = "甲"\n' * 2,
        "staff[1].username",
    ),
    "bad username": (
        'slug = "dangshan"\nname = "砀山县"\n[[staff]]\nusername = "王"\nname = "王"',
        "staff[0].username",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_FILES))
def test_a_broken_file_is_refused_with_the_field_and_the_problem(case):
    text, names = BROKEN_FILES[case]
    with pytest.raises(as_code.TenantFileError) as refused:
        as_code.parse(text, "tenants/broken.toml")
    message = refused.value.localized()
    assert message.startswith("tenants/broken.toml")
    assert names in message


async def test_a_broken_file_leaves_the_database_as_it_was(any_db, tmp_path):
    await as_code.apply(as_code.load_file(DANGSHAN), OPERATOR)
    before = await snapshot()
    path = tmp_path / "dangshan.toml"
    path.write_text(
        DANGSHAN.read_text(encoding="utf-8") + '\n[[staff]]\nusername = "x1"\nname = ""\n', encoding="utf-8"
    )
    with pytest.raises(as_code.TenantFileError):
        await as_code.apply(as_code.load_file(path), OPERATOR)
    assert await snapshot() == before


async def test_a_failure_half_way_rolls_back_every_row(any_db, monkeypatch):
    """One transaction: if the database refuses the fifth change, the first four are undone too."""
    spec = as_code.load_file(DANGSHAN)
    real_apply_user = as_code.APPLY["user"]
    calls = {"n": 0}

    async def failing_apply_user(*args):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("disk full")
        return await real_apply_user(*args)

    monkeypatch.setitem(as_code.APPLY, "user", failing_apply_user)
    with pytest.raises(RuntimeError):
        await as_code.apply(spec, OPERATOR)
    assert await Tenant.count() == 0
    assert await User.count() == 0
    assert await Line.count() == 0
    assert await AuditRecord.count() == 0


def test_missing_file_is_one_clear_error():
    with pytest.raises(as_code.TenantFileError) as refused:
        as_code.load_file(Path("/nonexistent/county.toml"))
    assert "/nonexistent/county.toml" in refused.value.localized()
