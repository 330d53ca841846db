"""Overdue accountability (限时办结制度 第十三条, SPEC §6): whoever acts on a case when it passes its
due date commits an offence; one person's offences falling due on one day are one occasion, one
record; levels climb only once the previous one was served (a warning orders a remedy; an occasion
while it is open is a sanction, with the section head's linked record); the head is told; the scan
is idempotent, also when two run at once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from app.audit.tables import AuditRecord
from app.cases.accountability import list_records, record_overdue, set_remedy
from app.cases.tables import AccountabilityRecord, Case, Offence
from app.errors import InvalidInput
from app.notifications.tables import Notification
from app.tenancy.context import Forbidden, TenantContext
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
    """(person, occasion_on, level, case ids) of every record, in the order they were made."""
    rows = await AccountabilityRecord.select().order_by(AccountabilityRecord.id)
    offences = await Offence.select(Offence.record, Offence.case).order_by(Offence.case)
    return [
        (r["person"], r["occasion_on"], r["level"], [o["case"] for o in offences if o["record"] == r["id"]])
        for r in rows
    ]


async def test_a_case_past_its_due_date_is_an_offence_of_whoever_acts_on_it(people):
    case = await overdue_case(people)  # 王效雷's
    await leave(people, "wangxiaolei")
    await sweep_now()  # 侯伟丽 acts on it now
    assert await scan() == 1
    assert await records() == [(people["houweili"], case.due_on, "admonition", [case.id])]
    assert await scan() == 0
    assert len(await records()) == 1
    audit = await AuditRecord.select().where(AuditRecord.action == "accountability.create").first()
    assert ("侯伟丽" in audit["summary"], "诫勉教育" in audit["summary"]) == (True, True)


async def test_a_case_is_overdue_only_from_the_day_after_its_due_date(people):
    case = await case_at(people, "accepted")
    assert await scan(case.due_on) == 0
    assert await records() == []
    assert await scan(case.due_on + timedelta(days=1)) == 1


async def test_three_cases_of_one_person_falling_due_on_one_day_are_one_admonition(people):
    day = today() - timedelta(days=10)
    wang = [await overdue_case(people, line=line) for line in ("urban_dibao", "temporary", "urban_dibao")]
    hou = await overdue_case(people, line="rural_dibao")
    for case in (*wang, hou):
        await due_on(case.id, day)
    assert await scan() == 4
    assert await records() == [
        (people["wangxiaolei"], day, "admonition", sorted(c.id for c in wang)),
        (people["houweili"], day, "admonition", [hou.id]),
    ]


async def ladder(people) -> tuple[date, list]:
    """Three occasions of 王效雷, each scanned the day after it fell due: admonition, warning, sanction."""
    first = today() - timedelta(days=30)
    cases = [await overdue_case(people) for _ in range(3)]
    for n, case in enumerate(cases):
        await due_on(case.id, first + timedelta(days=3 * n))
    for n in range(3):
        assert await scan(first + timedelta(days=3 * n + 1)) == 1
    return first, cases


async def test_the_ladder_climbs_only_after_each_level_was_served(people):
    first, cases = await ladder(people)
    wang = people["wangxiaolei"]
    assert [row[:3] for row in await records()] == [
        (wang, first, "admonition"),
        (wang, first + timedelta(days=3), "warning"),
        (people["head"], first + timedelta(days=6), "head"),
        (wang, first + timedelta(days=6), "sanction"),
    ]
    rows = {row["level"]: row for row in await AccountabilityRecord.select()}
    warning, sanction, head = rows["warning"], rows["sanction"], rows["head"]
    assert warning["remedy"] and warning["remedy_due_on"] > warning["recorded_on"] and not warning["remedy_done_on"]
    assert sanction["head_record"] == head["id"] and head["person"] == people["head"]
    # The head is told at every level; the sanction's message names the head's responsibility.
    told = await Notification.select(Notification.user, Notification.message).where(
        (Notification.kind == "accountability") & (Notification.user == people["head"])
    )
    assert len(told) == 3 and any("追究科室负责人刘晓梅的责任" in n["message"] for n in told)


async def test_an_occasion_on_or_before_the_day_an_admonition_was_recorded_is_not_yet_a_warning(people):
    day = today() - timedelta(days=20)
    early, late = await overdue_case(people), await overdue_case(people)
    await due_on(early.id, day)
    await due_on(late.id, day + timedelta(days=2))
    assert await scan(day + timedelta(days=5)) == 2  # a catch-up: both found on one day
    assert [row[2] for row in await records()] == ["admonition", "admonition"]


async def test_a_remedy_done_in_time_keeps_the_next_occasion_at_warning(people):
    first = today() - timedelta(days=30)
    cases = [await overdue_case(people) for _ in range(3)]
    for n, case in enumerate(cases):
        await due_on(case.id, first + timedelta(days=3 * n))
    for n in range(2):
        await scan(first + timedelta(days=3 * n + 1))
    warning = await AccountabilityRecord.select().where(AccountabilityRecord.level == "warning").first()
    head = await acting_as(people, "head")
    done = await set_remedy(head, warning["id"], "补办并说明原因", warning["remedy_due_on"], first + timedelta(days=5))
    assert (done.remedy, done.remedy_done_on) == ("补办并说明原因", first + timedelta(days=5))
    await scan(first + timedelta(days=7))
    assert [row[2] for row in await records()] == ["admonition", "warning", "warning"]


async def test_only_managers_word_a_remedy_and_only_on_a_warning(people):
    first, _ = await ladder(people)
    rows = {row["level"]: row for row in await AccountabilityRecord.select()}
    clerk = await acting_as(people, "wangxiaolei")
    with pytest.raises(Forbidden):
        await set_remedy(clerk, rows["warning"]["id"], "自己说完成了", first, first)
    head = await acting_as(people, "head")
    with pytest.raises(InvalidInput):
        await set_remedy(head, rows["admonition"]["id"], "补办", today(), None)
    with pytest.raises(InvalidInput):
        await set_remedy(head, rows["warning"]["id"], "补办", today(), today() + timedelta(days=1))


async def test_a_new_calendar_year_starts_again_at_admonition(people):
    last_year = today().year - 1
    cases = [await overdue_case(people) for _ in range(3)]
    await due_on(cases[0].id, date(last_year, 12, 20))
    assert await scan(date(last_year, 12, 21)) == 1
    await due_on(cases[1].id, date(last_year, 12, 30))
    await due_on(cases[2].id, date(last_year, 12, 31))  # overdue from 1 January: this year's
    assert await scan(date(last_year + 1, 1, 2)) == 2
    rows = await AccountabilityRecord.select().order_by(AccountabilityRecord.id)
    assert [(row["year"], row["level"]) for row in rows] == [
        (last_year, "admonition"),
        (last_year, "warning"),
        (last_year + 1, "admonition"),
    ]


@pytest.mark.parametrize("status", ["not_accepted", "approved", "rejected", "closed"])
async def test_a_decided_case_is_not_held_to_account(people, status):
    await case_at(people, status, received_on=today() - LONG_AGO)
    before = await footprint()
    assert await scan() == 0
    assert await footprint() == before


async def test_two_scans_at_once_record_each_case_once(people):
    wang = [await overdue_case(people) for _ in range(4)]
    await overdue_case(people, line="rural_dibao")
    await due_on(wang[3].id, wang[3].due_on - timedelta(days=1))
    made = await asyncio.gather(scan(), scan())
    assert sum(made) == 5
    assert await Offence.count() == 5
    levels = sorted((row[0], row[2], len(row[3])) for row in await records())
    assert levels == sorted(
        [
            (people["wangxiaolei"], "admonition", 3),
            (people["wangxiaolei"], "admonition", 1),
            (people["houweili"], "admonition", 1),
        ]
    )
    assert await AuditRecord.count().where(AuditRecord.action == "accountability.create") == 3


async def test_the_api_lists_occasions_with_cases_remedy_and_the_heads_record(settings, people):
    first, cases = await ladder(people)
    token = await api_token(SLUG, people["head"])
    async with portal(settings) as api:
        headers = {"Authorization": f"Bearer {token}"}
        url = f"/api/v1/t/{SLUG}/accountability"
        answer = await api.get(url, params={"staff_id": people["wangxiaolei"]}, headers=headers)
        listed = {r["level"]: r for r in answer.json()}
        heads = (await api.get(url, params={"staff_id": people["head"]}, headers=headers)).json()
        warning = listed["warning"]
        remedy = await api.put(
            f"{url}/{warning['id']}/remedy",
            json={"remedy": "补办超期案件", "remedy_due_on": warning["remedy_due_on"], "remedy_done_on": None},
            headers=headers,
        )
        refused = await api.put(
            f"{url}/{warning['id']}/remedy",
            json={"remedy": "", "remedy_due_on": warning["remedy_due_on"]},
            headers=headers,
        )
        await sign_in(api, SLUG, "head")
        page = await api.get(f"/t/{SLUG}/accountability/staff/{people['wangxiaolei']}")
        overview = await api.get(f"/t/{SLUG}/accountability")
    assert answer.status_code == 200
    assert set(listed["sanction"]) >= {
        "id",
        "staff_id",
        "level",
        "occasion_on",
        "case_ids",
        "remedy",
        "remedy_due_on",
        "remedy_done_on",
        "head_record_id",
    }
    assert [listed[level]["case_ids"] for level in ("admonition", "warning", "sanction")] == [[c.id] for c in cases]
    assert listed["sanction"]["occasion_on"] == (first + timedelta(days=6)).isoformat()
    assert listed["sanction"]["head_record_id"] == heads[0]["id"]
    assert (heads[0]["level"], heads[0]["case_ids"], heads[0]["sanction_id"]) == (
        "head",
        [cases[2].id],
        listed["sanction"]["id"],
    )
    assert listed["admonition"]["remedy"] is None and warning["remedy"] and warning["remedy_done_on"] is None
    assert (remedy.status_code, remedy.json()["remedy"]) == (200, "补办超期案件")
    assert refused.status_code == 400 and "remedy" in refused.json()["detail"].lower()
    assert page.status_code == 200
    assert all(
        text in page.text for text in ("王效雷", "诫勉教育", "行政告诫", "处理", "补办超期案件", "已追究科室负责人责任")
    )
    assert all(text in overview.text for text in ("王效雷", "刘晓梅", "追究科室负责人责任"))


async def test_a_staff_member_sees_only_their_own_records(settings, people):
    await overdue_case(people)
    hou = await overdue_case(people, line="rural_dibao")
    await scan()
    mine = await list_records(await acting_as(people, "houweili"))
    assert [(r.case_ids, r.person_id, r.level) for r in mine] == [([hou.id], people["houweili"], "admonition")]
    with pytest.raises(Forbidden):
        await list_records(await acting_as(people, "houweili"), staff_id=people["wangxiaolei"])
    everyone = await list_records(await acting_as(people, "head"))
    assert len(everyone) == 2
    token = await api_token(SLUG, people["houweili"])
    async with portal(settings) as api:
        answer = await api.get(
            f"/api/v1/t/{SLUG}/accountability",
            params={"staff_id": people["wangxiaolei"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        own = await api.get(f"/api/v1/t/{SLUG}/accountability", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert [(r["case_ids"], r["staff_id"]) for r in own.json()] == [([hou.id], people["houweili"])]
