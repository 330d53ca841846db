"""The reminder scan on PostgreSQL: the right stage, to the acting handler, exactly once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from app import db
from app.absences import services as absences
from app.cases import intake, posting, register, steps, survey
from app.domain.absence import Action
from app.domain.workdays import WorkCalendar
from app.flows import intake as intake_flow
from app.flows import reminders, urgency
from app.flows.reminders import scan
from app.flows.substitution import sweep
from app.notifications.tables import Notification
from app.reminders.tables import Reminder
from app.tenancy.services import find_by_slug
from tests.helpers import context_of, demo_county, portal, sign_in
from tests.integration.test_absences import leave

pytestmark = pytest.mark.usefixtures("redis", "office_time")

CALENDAR = WorkCalendar()
RECEIVED = date(2026, 11, 2)  # a Monday; 城市低保 is due 10 working days later
DUE = CALENDAR.due_date(RECEIVED, 10).due_on


def working_days_before(day: date, n: int) -> date:
    while n:
        day -= timedelta(days=1)
        n -= CALENDAR.is_workday(day)
    return day


@pytest.fixture
async def people(clean_db):
    return await demo_county()


@pytest.fixture
async def people_on_any_db(any_db):
    return await demo_county()


async def urban_case(people, received_on: date = RECEIVED) -> int:
    clerk = await context_of("dangshan", people["wangxiaolei"])
    application = intake.Application(
        line="urban_dibao",
        applicant_name="张三",
        applicant_id_number="11010519491231002X",
        household_size=3,
        received_on=received_on,
        first_receiver_id=people["wangxiaolei"],
    )
    case = await intake_flow.intake(clerk, application)
    await steps.decide_intake(clerk, case.id, True)
    return case.id


async def inbox(user_id: int) -> list[str]:
    rows = await Notification.select(Notification.kind).where(Notification.user == user_id).order_by(Notification.id)
    return [row["kind"] for row in rows if row["kind"].startswith("reminder.")]


async def run_scan(people, today: date):
    return await scan(await context_of("dangshan", people["admin"]), today)


async def test_each_stage_reaches_the_handler_once_and_overdue_also_the_section_head(people):
    await urban_case(people)
    for today in (working_days_before(DUE, 3), working_days_before(DUE, 1), DUE, DUE + timedelta(days=1)):
        await run_scan(people, today)
        await run_scan(people, today)  # a second scan the same day tells nothing new
    assert await inbox(people["wangxiaolei"]) == [
        "reminder.due_in_3",
        "reminder.due_in_1",
        "reminder.due_today",
        "reminder.overdue",
    ]
    assert await inbox(people["head"]) == ["reminder.overdue"]
    assert await Reminder.count() == 4


async def test_a_second_scan_the_same_day_writes_nothing(people, monkeypatch):
    for _ in range(3):
        await urban_case(people)
    today = working_days_before(DUE, 1)
    assert (await run_scan(people, today)).reminders == 3
    inserts = []
    monkeypatch.setattr(db, "insert_new", lambda *arguments, **options: inserts.append(arguments))
    report = await run_scan(people, today)
    assert (report.looked_at, report.reminders, inserts) == (3, 0, [])


async def test_many_reminders_at_once_are_one_message_a_person_and_stage_and_never_told_again(people, monkeypatch):
    monkeypatch.setattr(reminders, "SUMMED_UP_FROM", 3)
    cases = [await urban_case(people) for _ in range(3)]
    first = await run_scan(people, DUE + timedelta(days=3))
    again = await run_scan(people, DUE + timedelta(days=4))
    assert (first.reminders, first.messages, again.reminders, again.messages) == (3, 2, 0, 0)
    assert await Reminder.count() == 3
    told = {
        row["user"]: row
        for row in await Notification.select().where(Notification.kind == "reminder.overdue").order_by(Notification.id)
    }
    assert told.keys() == {people["wangxiaolei"], people["head"]}
    assert {row["message"] for row in told.values()} == {"已超期：3 件申请"}
    assert {row["case_id"] for row in told.values()} == {None}
    # The link opens the register on those cases: the handler's own, the whole county's for the head.
    handler = told[people["wangxiaolei"]]["link"]
    assert handler == f"/t/dangshan/cases?overdue=1&handler_id={people['wangxiaolei']}"
    assert told[people["head"]]["link"] == "/t/dangshan/cases?overdue=1"
    # Fewer than that are still told one by one.
    extended = await steps.extend(await context_of("dangshan", people["leader"]), cases[0], 2, "需补充调查")
    await run_scan(people, extended.due_on)
    assert await inbox(people["wangxiaolei"]) == ["reminder.overdue", "reminder.due_today"]


async def test_a_case_far_from_its_due_date_is_not_even_read(people):
    await urban_case(people)
    report = await run_scan(people, RECEIVED + timedelta(days=1))
    assert (report.looked_at, report.reminders) == (0, 0)


async def test_two_scans_at_once_tell_each_reminder_once(people):
    for _ in range(5):
        await urban_case(people)
    today = working_days_before(DUE, 1)
    reports = await asyncio.gather(*(run_scan(people, today) for _ in range(3)))
    assert sum(r.reminders for r in reports) == 5
    assert await inbox(people["wangxiaolei"]) == ["reminder.due_in_1"] * 5


async def test_the_substitute_is_reminded_while_the_handler_is_on_leave_and_the_handler_after(people):
    case_id = await urban_case(people)
    absence = await leave(people, "wangxiaolei")
    tenant = await find_by_slug("dangshan")
    await sweep(tenant)
    assert (await register.get_case(await context_of("dangshan", people["admin"]), case_id)).acting_handler_id == (
        people["houweili"]
    )
    await run_scan(people, working_days_before(DUE, 3))
    assert await inbox(people["houweili"]) == ["reminder.due_in_3"]
    await absences.decide(await context_of("dangshan", people["wangxiaolei"]), absence.id, Action.RETURN)
    await sweep(tenant)
    await run_scan(people, working_days_before(DUE, 1))
    assert await inbox(people["wangxiaolei"]) == ["reminder.due_in_1"]
    assert await inbox(people["houweili"]) == ["reminder.due_in_3"]


async def test_an_extension_is_a_new_deadline_told_afresh(people):
    case_id = await urban_case(people)
    await run_scan(people, DUE)
    leader = await context_of("dangshan", people["leader"])
    extended = await steps.extend(leader, case_id, 2, "需补充调查")
    await run_scan(people, extended.due_on)
    assert await inbox(people["wangxiaolei"]) == ["reminder.due_today", "reminder.due_today"]


async def test_a_notice_not_issued_is_reminded_on_working_day_two_and_three(people):
    clerk = await context_of("dangshan", people["wangxiaolei"])
    application = intake.Application(
        line="temporary",
        applicant_name="李四",
        applicant_id_number="11010519491231002X",
        household_size=1,
        received_on=RECEIVED,
        first_receiver_id=people["wangxiaolei"],
    )
    waiting = await intake_flow.intake(clerk, application)
    noticed = await intake_flow.intake(clerk, application)
    await steps.issue_notice(clerk, noticed.id, ["户口簿"])
    day_two = CALENDAR.add_working_days(RECEIVED, 2).due_on
    for today in (CALENDAR.add_working_days(RECEIVED, 1).due_on, day_two, day_two, day_two + timedelta(days=1)):
        await run_scan(people, today)
    rows = await Notification.select(Notification.kind, Notification.case_id).where(
        Notification.kind.like("reminder.%")
    )
    assert sorted((r["case_id"], r["kind"]) for r in rows) == [
        (waiting.id, "reminder.notice_day_2"),
        (waiting.id, "reminder.notice_day_3"),
    ]


async def test_the_end_of_a_posting_is_told_once_on_the_day_approval_opens(people):
    clerk = await context_of("dangshan", people["wangxiaolei"])
    today = date.today()
    case_id = await urban_case(people, received_on=today - timedelta(days=10))
    await survey.record_survey(
        clerk,
        case_id,
        visited_on=today,
        findings="核实",
        conclusion="符合",
        investigators=[people["wangxiaolei"], people["houweili"]],
    )
    await survey.sign_survey(await context_of("dangshan", people["houweili"]), case_id)
    await posting.start_posting(clerk, case_id, today - timedelta(days=6), "公示栏")
    # Today is the posting's last day: approval is refused today, so "可提交审批" must wait a day.
    await run_scan(people, today)
    assert "reminder.posting_ends" not in await inbox(people["wangxiaolei"])
    await run_scan(people, today + timedelta(days=1))
    await run_scan(people, today + timedelta(days=2))
    assert (await inbox(people["wangxiaolei"])).count("reminder.posting_ends") == 1


async def test_on_either_database_an_overdue_case_is_told_once_and_then_not_even_read(people_on_any_db):
    people = people_on_any_db
    await urban_case(people)
    first = await run_scan(people, DUE + timedelta(days=3))
    again = await run_scan(people, DUE + timedelta(days=4))
    assert (first.reminders, first.messages) == (1, 2)
    assert (again.looked_at, again.reminders) == (0, 0)
    assert await inbox(people["wangxiaolei"]) == ["reminder.overdue"]


async def test_the_dashboard_shows_my_cases_by_urgency_and_cases_awaiting_decision(people, settings):
    today = date.today()
    overdue = await urban_case(people, received_on=today - timedelta(days=30))
    clerk = await context_of("dangshan", people["wangxiaolei"])
    buckets = await urgency.urgent_cases(clerk, people["wangxiaolei"])
    assert (buckets["overdue"].total, [c["id"] for c in buckets["overdue"].cases]) == (1, [overdue])
    assert [buckets[stage].total for stage in ("due_today", "due_in_1", "due_in_3")] == [0, 0, 0]
    for _ in range(9):
        await urban_case(people, received_on=today - timedelta(days=30))
    crowded = (await urgency.urgent_cases(clerk, people["wangxiaolei"]))["overdue"]
    assert (crowded.total, len(crowded.cases), crowded.cases[0]["id"]) == (10, 8, overdue)
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        mine = (await client.get("/t/dangshan/")).text
        await sign_in(client, "dangshan", "houweili")
        theirs = (await client.get("/t/dangshan/")).text
    assert "已超期" in mine and f"/t/dangshan/cases/{overdue}" in mine
    assert f"/t/dangshan/cases/{overdue}" not in theirs
