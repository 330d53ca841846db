"""Overdue accountability (限时办结制度 第十三条, SPEC §6): whoever acts on a case when it passes its
due date gets a record, the level rising with their count in the calendar year; the section head
is told; the scan is idempotent, also when two run at once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from app.audit.tables import AuditRecord
from app.cases.accountability import list_records, record_overdue
from app.cases.tables import Accountability, Case
from app.notifications.tables import Notification
from app.tenancy.context import TenantContext
from app.tenancy.services import find_by_slug
from tests.helpers import api_token, demo_county, portal, sign_in
from tests.integration.test_absences import leave
from tests.integration.test_cases import (
    SLUG,
    acting_as,
    case_at,
    footprint,
    sweep_now,
    today,
)
from workers.deadlines import DEADLINE_KEEPER

pytestmark = pytest.mark.usefixtures("clean_db", "redis", "office_time")


@pytest.fixture
async def people() -> dict[str, int]:
    return await demo_county()


LONG_AGO = timedelta(days=60)  # any line's limit has passed since


async def scan(on: date | None = None) -> int:
    """The daily deadline job for the demo county, as the worker runs it."""
    return await record_overdue(TenantContext(await find_by_slug(SLUG), DEADLINE_KEEPER), on or today())


async def overdue_case(people: dict[str, int], **changes):
    return await case_at(people, "accepted", received_on=today() - LONG_AGO, **changes)


async def due_on(case_id: int, day: date) -> None:
    """Moves a case's due date (test setup: intake only takes receipts of the past year)."""
    await Case.update({Case.due_on: day}).where(Case.id == case_id)


async def records() -> list[tuple]:
    rows = await Accountability.select().order_by(Accountability.id)
    return [(r["case"], r["person"], r["due_on"], r["year"], r["nth"], r["level"]) for r in rows]


async def test_a_case_past_its_due_date_gets_one_record_against_whoever_acts_on_it(people):
    case = await overdue_case(people)  # 王效雷's
    await leave(people, "wangxiaolei")
    await sweep_now()  # 侯伟丽 acts on it now
    assert await scan() == 1
    year = (case.due_on + timedelta(days=1)).year
    assert await records() == [(case.id, people["houweili"], case.due_on, year, 1, "admonition")]
    assert await scan() == 0
    assert len(await records()) == 1
    audit = await AuditRecord.select().where(AuditRecord.action == "accountability.create").first()
    assert (audit["entity_id"], "侯伟丽" in audit["summary"], "诫勉教育" in audit["summary"]) == (
        str(case.id),
        True,
        True,
    )


async def test_a_case_is_overdue_only_from_the_day_after_its_due_date(people):
    case = await case_at(people, "accepted")
    assert await scan(case.due_on) == 0
    assert await records() == []
    assert await scan(case.due_on + timedelta(days=1)) == 1


async def test_the_level_rises_with_each_overdue_case_of_a_person_in_a_year(people):
    wang = [await overdue_case(people, line=line) for line in ("urban_dibao", "temporary", "urban_dibao")]
    hou = await overdue_case(people, line="rural_dibao")
    assert await scan() == 4
    levels = {(case, person): (nth, level) for case, person, _, _, nth, level in await records()}
    assert [levels[(c.id, people["wangxiaolei"])] for c in wang] == [
        (1, "admonition"),
        (2, "warning"),
        (3, "sanction"),
    ]
    assert levels[(hou.id, people["houweili"])] == (1, "admonition")  # counted per person


async def test_a_new_calendar_year_starts_again_at_admonition(people):
    last_year = today().year - 1
    cases = [await overdue_case(people) for _ in range(3)]
    await due_on(cases[0].id, date(last_year, 12, 29))
    await due_on(cases[1].id, date(last_year, 12, 30))
    await due_on(cases[2].id, date(last_year, 12, 31))  # overdue from 1 January: this year's
    assert await scan() == 3
    assert [(year, nth, level) for *_, year, nth, level in await records()] == [
        (last_year, 1, "admonition"),
        (last_year, 2, "warning"),
        (last_year + 1, 1, "admonition"),
    ]


async def test_the_section_head_is_told_once_of_each_record(people):
    first, second = await overdue_case(people), await overdue_case(people, line="medical")
    await scan()
    await scan()
    told = await Notification.select(Notification.user, Notification.case_id, Notification.message).where(
        Notification.kind == "accountability"
    )
    assert sorted((n["user"], n["case_id"]) for n in told) == [(people["head"], first.id), (people["head"], second.id)]
    assert any("王效雷" in n["message"] and "诫勉教育" in n["message"] for n in told)


@pytest.mark.parametrize("status", ["not_accepted", "approved", "rejected", "closed"])
async def test_a_decided_case_is_not_held_to_account(people, status):
    await case_at(people, status, received_on=today() - LONG_AGO)
    before = await footprint()
    assert await scan() == 0
    assert await footprint() == before


async def test_two_scans_at_once_record_each_case_once(people):
    wang = [await overdue_case(people) for _ in range(4)]
    hou = await overdue_case(people, line="rural_dibao")
    made = await asyncio.gather(scan(), scan())
    assert sum(made) == 5
    rows = await records()
    assert sorted(case for case, *_ in rows) == sorted(c.id for c in [*wang, hou])
    assert sorted(nth for _, person, _, _, nth, _ in rows if person == people["wangxiaolei"]) == [1, 2, 3, 4]
    assert await Notification.count().where(Notification.kind == "accountability") == 5


async def test_the_api_lists_a_persons_records_with_their_level(settings, people):
    wang = [await overdue_case(people) for _ in range(2)]
    hou = await overdue_case(people, line="rural_dibao")
    await scan()
    token = await api_token(SLUG, people["head"])
    async with portal(settings) as api:
        answer = await api.get(
            f"/api/v1/t/{SLUG}/accountability",
            params={"staff_id": people["wangxiaolei"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        await sign_in(api, SLUG, "head")
        page = await api.get(f"/t/{SLUG}/accountability")
    assert answer.status_code == 200
    listed = sorted((r["case_id"], r["staff_id"], r["nth"], r["level"]) for r in answer.json())
    assert listed == [
        (wang[0].id, people["wangxiaolei"], 1, "admonition"),
        (wang[1].id, people["wangxiaolei"], 2, "warning"),
    ]
    assert hou.id not in {r["case_id"] for r in answer.json()}
    assert page.status_code == 200
    assert all(text in page.text for text in ("王效雷", "侯伟丽", "诫勉教育", "行政告诫"))


async def test_a_staff_member_sees_only_their_own_records(settings, people):
    await overdue_case(people)
    hou = await overdue_case(people, line="rural_dibao")
    await scan()
    mine = await list_records(await acting_as(people, "houweili"), staff_id=people["wangxiaolei"])
    assert [(r.case_id, r.person_id, r.level) for r in mine] == [(hou.id, people["houweili"], "admonition")]
    everyone = await list_records(await acting_as(people, "head"))
    assert len(everyone) == 2
    token = await api_token(SLUG, people["houweili"])
    async with portal(settings) as api:
        answer = await api.get(
            f"/api/v1/t/{SLUG}/accountability",
            params={"staff_id": people["wangxiaolei"]},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert [(r["case_id"], r["staff_id"]) for r in answer.json()] == [(hou.id, people["houweili"])]
