"""Casework (SPEC §6): intake, the one-time notice, receipts, the household survey, the public
posting, decisions, extensions, the register, and the evidence pack.

Every change is one transaction with its timeline entry and its audit row; the rules that need
no database are in ``pipeline`` and ``rules``.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import msgspec
from piccolo.query import Count, Raw, Select, WhereRaw
from piccolo.querystring import QueryString

from app import clock, db
from app.absences.tables import Substitution
from app.accounts.tables import User
from app.audit.services import record_in
from app.calendar.services import calendar_of
from app.cases.events import record_event
from app.cases.tables import (
    Case,
    CaseEvent,
    Extension,
    GrassrootsReview,
    Investigator,
    MaterialNotice,
    Objection,
    Posting,
    Receipt,
    Survey,
)
from app.domain import idnumber
from app.domain.casework import (
    MAX_EXTENSION_DAYS,
    IncomeLimits,
    PostingWindow,
    PriorReview,
    case_dates,
    check_household_size,
    check_investigators,
    check_missing_items,
    check_prior_reviews,
    check_received_on,
    eligibility_hint,
)
from app.domain.pipeline import ACTION_LABELS, DECISIONS, OPEN, Action, Pipeline, Status
from app.domain.reminder import Stage, deadline_stage, horizon
from app.domain.workdays import WorkCalendar
from app.errors import InvalidInput
from app.i18n.messages import Said, jsonable, label, said
from app.notifications.services import Message, notify_many
from app.rota import services as rota
from app.rota.tables import Assignment, Line
from app.tenancy.context import Forbidden, NotFound, TenantContext
from app.tenancy.permissions import Permission
from app.tenancy.services import settings_of
from app.text import SingleLine, collapse_spaces

PAGE_SIZE = 50
# A posting is entered when it goes up, give or take a week (e.g. put up on Friday, entered Monday).
POSTING_START_WINDOW = timedelta(days=7)
# The dashboard's urgency groups, most urgent first.
URGENCY = (Stage.OVERDUE, Stage.DUE_TODAY, Stage.DUE_IN_1, Stage.DUE_IN_3)
# The timeline entry (and the answer's warning code) when intake finds the same person's open case.
DUPLICATE_WARNING = "duplicate_open_case"
# The inbox item asking an investigator to sign a survey record.
SIGNATURE_KIND = "survey_signature"


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseView:
    id: int
    line_code: str
    line_name: str
    applicant_name: str
    id_masked: str
    household_size: int
    address: str
    phone: str
    monthly_income: Decimal | None
    separated_household: bool
    received_on: date
    working_days: int
    extension_days: int
    original_due_on: date
    due_on: date
    provisional: bool
    notice_due_on: date
    first_receiver_id: int
    first_receiver_name: str
    handler_id: int
    handler_name: str
    acting_handler_id: int | None  # None while nobody present can act on it (uncovered)
    acting_handler_name: str
    status: str
    status_changed_at: datetime
    decided_at: datetime | None
    created_at: datetime
    overdue: bool
    eligibility: str
    # What intake found worth a second look (SPEC §11): only on the answer to the intake itself.
    warnings: tuple[dict, ...] = ()

    @property
    def open(self) -> bool:
        return self.status in OPEN

    @property
    def uncovered(self) -> bool:
        """Open while its handler is away and nobody present can act on its line (SPEC §5)."""
        return self.open and self.acting_handler_id is None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "line": self.line_code,
            "applicant_name": self.applicant_name,
            "applicant_id_number": self.id_masked,
            "household_size": self.household_size,
            "address": self.address,
            "monthly_income": None if self.monthly_income is None else str(self.monthly_income),
            "separated_household": self.separated_household,
            "received_on": self.received_on.isoformat(),
            "working_days": self.working_days + self.extension_days,
            "original_due_on": self.original_due_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "provisional": self.provisional,
            "notice_due_on": self.notice_due_on.isoformat(),
            "first_receiver_id": self.first_receiver_id,
            "handler_id": self.handler_id,
            "acting_handler_id": self.acting_handler_id,
            "uncovered": self.uncovered,
            "status": self.status,
            "overdue": self.overdue,
            "eligibility": self.eligibility,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "warnings": list(self.warnings),
        }


_VIEW_COLUMNS = (
    Case.all_columns(),
    Case.line.code.as_alias("line_code"),
    Case.line.name.as_alias("line_name"),
    Case.first_receiver.name.as_alias("first_receiver_name"),
    Case.handler.name.as_alias("handler_name"),
    Case.acting_handler.name.as_alias("acting_handler_name"),
)


async def _income_limits(ctx: TenantContext) -> IncomeLimits:
    configured = (await settings_of(ctx.tenant.id)).get("income_limits", {})
    return IncomeLimits(**{key: Decimal(str(value)) for key, value in configured.items()})


def _view(row: dict, today: date, limits: IncomeLimits) -> CaseView:
    income = db.two_places(row["monthly_income"])
    return CaseView(
        id=row["id"],
        line_code=row["line_code"],
        line_name=row["line_name"],
        applicant_name=row["applicant_name"],
        id_masked=idnumber.mask(row["applicant_id_number"]),
        household_size=row["household_size"],
        address=row["address"],
        phone=row["phone"],
        monthly_income=income,
        separated_household=row["separated_household"],
        received_on=row["received_on"],
        working_days=row["working_days"],
        extension_days=row["extension_days"],
        original_due_on=row["original_due_on"],
        due_on=row["due_on"],
        provisional=row["due_provisional"],
        notice_due_on=row["notice_due_on"],
        first_receiver_id=row["first_receiver"],
        first_receiver_name=row["first_receiver_name"],
        handler_id=row["handler"],
        handler_name=row["handler_name"],
        acting_handler_id=row["acting_handler"],
        acting_handler_name=row["acting_handler_name"] or "",
        status=row["status"],
        status_changed_at=row["status_changed_at"],
        decided_at=row["decided_at"],
        created_at=row["created_at"],
        overdue=row["status"] in OPEN and row["due_on"] < today,
        eligibility=eligibility_hint(row["line_code"], income, limits).value,
    )


async def get_case(ctx: TenantContext, case_id: int) -> CaseView:
    row = await ctx.select_one(Case, case_id, *_VIEW_COLUMNS)
    return _view(row, ctx.tenant.now().date(), await _income_limits(ctx))


@dataclass(frozen=True)
class CaseFilter:
    """What the register is narrowed to; every field optional."""

    line: str = ""
    status: str = ""
    handler_id: int | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    open_only: bool = False
    uncovered: bool = False
    applicant: str = ""
    page: int = 1


@dataclass
class CasePage:
    cases: list[CaseView]
    total: int  # exact, or with ``more`` a lower bound
    page: int
    pages: int
    filter: CaseFilter = field(default_factory=CaseFilter)
    more: bool = False  # more cases than counted: the last page is further than ``pages``


# The register counts at most this many pages past the one asked for: a count of every matching
# case grew with the county's history (each year's decided cases). Beyond it the page says "more
# than", and every next page still opens (and counts ten pages further).
COUNT_AHEAD_PAGES = 10


def _filtered(ctx: TenantContext, query, chosen: CaseFilter):
    today = ctx.tenant.now().date()
    if chosen.line:
        query = query.where(Case.line.code == chosen.line)
    if chosen.status:
        query = query.where(Case.status == chosen.status)
    if chosen.handler_id is not None:
        query = query.where((Case.acting_handler == chosen.handler_id) | (Case.handler == chosen.handler_id))
    if chosen.uncovered:
        query = query.where(Case.acting_handler.is_null() & Case.status.is_in(sorted(OPEN)))
    if chosen.due_from:
        query = query.where(Case.due_on >= chosen.due_from)
    if chosen.due_to:
        query = query.where(Case.due_on <= chosen.due_to)
    if chosen.overdue or chosen.open_only:
        query = query.where(Case.status.is_in(sorted(OPEN)))
    if chosen.overdue:
        query = query.where(Case.due_on < today)
    if chosen.applicant.strip():
        query = query.where(Case.applicant_name.ilike(f"%{chosen.applicant.strip()}%"))
    return query


def _enough(page: int, page_size: int) -> int:
    return (page + COUNT_AHEAD_PAGES) * page_size


def _register_page(ctx: TenantContext, chosen: CaseFilter, page: int, page_size: int) -> Select:
    """One page of the register in full, each row with ``matching``: how many cases match, counted
    up to one more than ``_enough`` (a walk of that many index entries, not of the history)."""
    matching = _filtered(ctx, ctx.select(Case, Case.id), chosen).limit(_enough(page, page_size) + 1)
    # The page's ids first (an index-only walk of (tenant, due_on, id), however deep the page),
    # then only those rows in full with their joins: an OFFSET over the joined rows grew with it.
    page_ids = (
        _filtered(ctx, ctx.select(Case, Case.id), chosen)
        .order_by(Case.due_on)
        .order_by(Case.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return (
        ctx.select(Case, *_VIEW_COLUMNS, QueryString("({})", db.count_of(matching)).as_alias("matching"))
        .where(Case.id.is_in(page_ids))
        .order_by(Case.due_on)
        .order_by(Case.id)
    )


async def list_cases(ctx: TenantContext, chosen: CaseFilter, *, page_size: int = PAGE_SIZE) -> CasePage:
    """The register: filtered, soonest due first, one page at a time, with its count: one statement."""
    if chosen.status and chosen.status not in set(Status):
        raise InvalidInput("没有“{status}”这个案件状态", status=chosen.status)
    current = max(chosen.page, 1)
    rows = await _register_page(ctx, chosen, current, page_size)
    if not rows and current > 1:
        # Past the last page (an old link, fewer cases now): the last page instead.
        matching = _filtered(ctx, ctx.select(Case, Case.id), chosen).limit(_enough(current, page_size))
        (counted,) = await db.counts(db.count_of(matching))
        current = max(1, -(-counted // page_size))
        rows = await _register_page(ctx, chosen, current, page_size)
    counted = rows[0]["matching"] if rows else 0
    total, more = min(counted, _enough(current, page_size)), counted > _enough(current, page_size)
    pages = max(1, -(-total // page_size))
    today, limits = ctx.tenant.now().date(), await _income_limits(ctx)
    return CasePage([_view(row, today, limits) for row in rows], total, current, pages, chosen, more)


async def all_cases(ctx: TenantContext, chosen: CaseFilter) -> list[CaseView]:
    """Every case the filter matches, for the Excel export."""
    rows = await _filtered(ctx, ctx.select(Case, *_VIEW_COLUMNS), chosen).order_by(Case.due_on).order_by(Case.id)
    today, limits = ctx.tenant.now().date(), await _income_limits(ctx)
    return [_view(row, today, limits) for row in rows]


# --- intake -------------------------------------------------------------------------------------


class Application(msgspec.Struct, forbid_unknown_fields=True):
    """What the clerk enters at intake: the API's body, and what the form is read into."""

    line: SingleLine
    applicant_name: SingleLine
    applicant_id_number: SingleLine
    household_size: int
    received_on: date
    first_receiver_id: int
    separated_household: bool = False
    address: SingleLine = ""
    phone: SingleLine = ""
    monthly_income: SingleLine = ""
    # 城乡医疗救助: what the village and the town did before the county received the file.
    prior_reviews: list[PriorReview] = []


def clean_text(value: str, label: str, limit: int, *, required: bool = True) -> str:
    text = collapse_spaces(str(value))
    if required and not text:
        raise InvalidInput("请填写{field}", field=label)
    if len(text) > limit:
        raise InvalidInput("{field}不能超过 {limit} 个字符", field=label, limit=limit)
    return text


def _money(raw: str) -> Decimal | None:
    if not str(raw).strip():
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidInput("月人均收入 {value} 不是金额", value=raw) from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e9"):
        raise InvalidInput("月人均收入须为不小于 0 的金额，不是 {value}", value=raw)
    return value.quantize(Decimal("0.01"))


async def _line_row(ctx: TenantContext, code: str) -> dict:
    row = await ctx.select(Line).where((Line.code == code) & Line.active.eq(True)).first()
    if row is None:
        raise InvalidInput("没有“{line}”这个业务岗位", line=code)
    return row


async def _member(ctx: TenantContext, user_id: int, label: str) -> dict:
    row = await ctx.select(User, User.id, User.name, User.active).where(User.id == user_id).first()
    if row is None or not row["active"]:
        raise InvalidInput("{field}须为本县在职工作人员", field=label)
    return row


async def acting_for(ctx: TenantContext, line_id: int, handler_id: int) -> int | None:
    """Who answers for a handler's case on a line now: the handler, or the line's acting holder
    while they are away; None while nobody present can (the case starts uncovered)."""
    return (await rota.snapshot(ctx)).case_acting(line_id, handler_id)


async def intake(ctx: TenantContext, application: Application) -> CaseView:
    """Receive an application: checked, dated, given to the line's A holder (or their substitute)."""
    today = ctx.tenant.now().date()
    line = await _line_row(ctx, application.line)
    name = clean_text(application.applicant_name, "申请人姓名", 60)
    number = idnumber.validate(application.applicant_id_number, today)
    check_household_size(application.household_size)
    check_received_on(application.received_on, today)
    receiver = await _member(ctx, application.first_receiver_id, "首问责任人")
    income = _money(application.monthly_income)
    post = (
        await ctx.select(Assignment, Assignment.a)
        .where((Assignment.line == line["id"]) & Assignment.valid_to.is_null() & Assignment.a.is_not_null())
        .first()
    )
    if post is None:
        raise InvalidInput("{line}尚未设A岗，请管理员先在A/B岗设置中指定", line=line["name"])
    handler = post["a"]
    calendar = await calendar_of(ctx)
    reviews = check_prior_reviews(application.prior_reviews, application.received_on)
    async with db.transaction():
        duplicates = await _open_cases_of(ctx, line["id"], number)
        row = new_case(
            ctx,
            calendar,
            line,
            received_on=application.received_on,
            separated_household=bool(application.separated_household),
            applicant_name=name,
            applicant_id_number=number,
            household_size=application.household_size,
            address=clean_text(application.address, "家庭住址", 200, required=False),
            phone=clean_text(application.phone, "联系电话", 30, required=False),
            monthly_income=income,
            first_receiver=receiver["id"],
            handler=handler,
            acting_handler=await acting_for(ctx, line["id"], handler),
        )
        await row.save()
        await record_event(
            ctx,
            row.id,
            "received",
            said(
                "首问责任人：{receiver}；办结时限 {days} 个工作日，{due_on} 前办结",
                receiver=receiver["name"],
                days=row.working_days,
                due_on=row.due_on.isoformat(),
            ),
            to_status=Status.RECEIVED.value,
        )
        for earlier in duplicates:
            await record_event(
                ctx,
                row.id,
                DUPLICATE_WARNING,
                said("同一身份证号在{line}已有未办结案件 #{case}", line=line["name"], case=earlier),
            )
        if reviews:
            await GrassrootsReview.insert(
                *(ctx.new(GrassrootsReview, case=row.id, **msgspec.structs.asdict(review)) for review in reviews)
            )
        await record_in(
            ctx,
            action="case.create",
            entity="case",
            entity_id=row.id,
            summary=said(
                "{line}：{name}（{id_number}）", line=line["name"], name=name, id_number=idnumber.mask(number)
            ),
            after={
                "line": line["code"],
                "received_on": str(application.received_on),
                "due_on": str(row.due_on),
                **({"duplicate_of": duplicates} if duplicates else {}),
            },
        )
    warnings = tuple({"code": DUPLICATE_WARNING, "case_id": earlier} for earlier in duplicates)
    return replace(await get_case(ctx, row.id), warnings=warnings)


def new_case(
    ctx: TenantContext,
    calendar: WorkCalendar,
    line: dict,
    *,
    received_on: date,
    separated_household: bool = False,
    status: Status = Status.RECEIVED,
    **fields,
) -> Case:
    """A case row, not yet saved, held to the line's limit on the county's calendar: what intake
    enters and what the ledger import takes over (the one place a case gets its dates)."""
    separated = separated_household and line["separated_working_days"]
    working_days = line["separated_working_days"] if separated else line["working_days"]
    dates = case_dates(calendar, received_on, working_days)
    now = clock.now()
    return ctx.new(
        Case,
        line=line["id"],
        received_on=received_on,
        separated_household=separated_household,
        working_days=working_days,
        extension_days=0,
        original_due_on=dates.original_due_on,
        due_on=dates.due_on,
        due_provisional=dates.provisional,
        notice_due_on=dates.notice_due_on,
        status=status.value,
        status_changed_at=now,
        created_by=ctx.actor.user_id,
        created_at=now,
        **fields,
    )


async def _open_cases_of(ctx: TenantContext, line_id: int, id_number: str) -> list[int]:
    """Open cases of the same applicant on the same line: intake warns, people decide (SPEC §6)."""
    rows = (
        await ctx.select(Case, Case.id)
        .where((Case.line == line_id) & (Case.applicant_id_number == id_number) & Case.status.is_in(sorted(OPEN)))
        .order_by(Case.id)
    )
    return [row["id"] for row in rows]


# --- steps --------------------------------------------------------------------------------------


async def pipeline_of(ctx: TenantContext, line_id: int) -> Pipeline:
    row = await ctx.select_one(Line, line_id, Line.needs_survey, Line.needs_posting)
    return Pipeline(survey=row["needs_survey"], posting=row["needs_posting"])


async def _locked_case(ctx: TenantContext, case_id: int) -> Case:
    """The case, with other changes to it waiting until this transaction ends."""
    await ctx.get(Case, case_id)
    await db.serialize(Case, ctx.tenant.id, case_id)
    return await ctx.get(Case, case_id)


async def _move(ctx: TenantContext, case: Case, action: Action, note: str | Said = "") -> Status:
    """The state change itself (inside the caller's transaction): checked, timestamped, recorded."""
    before = Status(case.status)
    after = (await pipeline_of(ctx, case.line)).next_status(before, action)
    now = clock.now()
    values = {Case.status: after.value, Case.status_changed_at: now}
    if action in DECISIONS or action == Action.REFUSE:
        values[Case.decided_at] = now
    await ctx.update(Case, values).where(Case.id == case.id)
    await record_event(ctx, case.id, action.value, note, before.value, after.value)
    await record_in(
        ctx,
        action=f"case.{action.value}",
        entity="case",
        entity_id=case.id,
        summary=said("{action}：{applicant}", action=label(ACTION_LABELS[action]), applicant=case.applicant_name),
        before={"status": before.value},
        after={"status": after.value, "note": jsonable(note)} if note else {"status": after.value},
    )
    return after


async def _issue_receipt(ctx: TenantContext, case: Case, kind: Status, reason: str) -> int:
    """受理/不予受理 receipts are numbered per county without gaps or repeats."""
    # The receipts' own lock: sharing the county calendar's would deadlock with its recompute, which
    # updates case rows this transaction has already changed.
    await db.serialize(Receipt, ctx.tenant.id)
    last = await ctx.select(Receipt, Receipt.number).order_by(Receipt.number, ascending=False).first()
    number = (last["number"] if last else 0) + 1
    await Receipt.insert(
        ctx.new(
            Receipt,
            case=case.id,
            number=number,
            kind=kind.value,
            reason=reason,
            issued_by=ctx.actor.user_id,
            issued_at=clock.now(),
        )
    )
    return number


async def decide_intake(ctx: TenantContext, case_id: int, accept: bool, reason: str = "") -> CaseView:
    """受理 or 不予受理, always with a numbered written receipt; a refusal says why."""
    reason = clean_text(reason, "不予受理的理由", 300, required=not accept)
    action = Action.ACCEPT if accept else Action.REFUSE
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        after = await _move(ctx, case, action, reason)
        number = await _issue_receipt(ctx, case, after, reason)
        await record_event(ctx, case.id, "receipt", said("书面凭证第 {number} 号", number=number))
    return await get_case(ctx, case_id)


async def decide(ctx: TenantContext, case_id: int, approve: bool, note: str = "") -> CaseView:
    """审批: never while a posting runs or an objection is open; a refusal says why."""
    ctx.actor.require(Permission.CASE_DECIDE)
    note = clean_text(note, "审批不同意的理由", 300, required=not approve)
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        if approve:
            await _check_posting_over(ctx, case)
        await _move(ctx, case, Action.APPROVE if approve else Action.REJECT, note)
    return await get_case(ctx, case_id)


async def close(ctx: TenantContext, case_id: int, note: str = "") -> CaseView:
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        await _move(ctx, case, Action.CLOSE, clean_text(note, "备注", 300, required=False))
    return await get_case(ctx, case_id)


# --- one-time notice (一次性告知) -----------------------------------------------------------------


async def issue_notice(ctx: TenantContext, case_id: int, items: list[str], reason: str = "") -> int:
    """Every missing material at once; a further, different list only with a reason."""
    items = check_missing_items(items)
    reason = clean_text(reason, "再次告知的理由", 300, required=False)
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        if case.status != Status.RECEIVED:
            raise InvalidInput("案件已受理或已办结，不能再发一次性告知")
        earlier = (
            await ctx.select(MaterialNotice, MaterialNotice.items)
            .where(MaterialNotice.case == case.id)
            .output(load_json=True)
        )
        if any(sorted(row["items"]) == sorted(items) for row in earlier):
            raise InvalidInput("相同的缺件清单已告知过，无须重复告知")
        if earlier and not reason:
            raise InvalidInput("一次性告知应一次列全；再次告知不同的材料须写明理由")
        today = ctx.tenant.now().date()
        row = ctx.new(
            MaterialNotice,
            case=case.id,
            items=items,
            reason=reason,
            issued_by=ctx.actor.user_id,
            issued_at=clock.now(),
            late=today > case.notice_due_on,
        )
        await row.save()
        note = said("{items}（再次告知，理由：{reason}）", items=items, reason=reason) if reason else "；".join(items)
        await record_event(ctx, case.id, "notice", note)
        await record_in(
            ctx,
            action="case.notice",
            entity="case",
            entity_id=case.id,
            summary=said("一次性告知"),
            after={"items": items},
        )
    return row.id


# --- household survey (入户调查) -----------------------------------------------------------------


async def record_survey(
    ctx: TenantContext,
    case_id: int,
    *,
    visited_on: date,
    findings: str,
    conclusion: str,
    investigators: list[int],
) -> int:
    """The survey with its (at least two) investigators; the recorder, if one of them, signs now."""
    people = check_investigators(investigators)
    findings = clean_text(findings, "调查情况", 2000)
    conclusion = clean_text(conclusion, "调查结论", 500)
    for person_id in people:
        await _member(ctx, person_id, "调查人")
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        # Refuses unless the case is at the survey step of its line.
        (await pipeline_of(ctx, case.line)).next_status(case.status, Action.SURVEY)
        if await ctx.count(Survey).where(Survey.case == case.id):
            raise InvalidInput("本案件已有入户调查记录，请由调查人签字确认")
        if not case.received_on <= visited_on <= ctx.tenant.now().date():
            raise InvalidInput("入户调查日期须在接收日期与今天之间")
        now = clock.now()
        survey = ctx.new(
            Survey,
            case=case.id,
            visited_on=visited_on,
            findings=findings,
            conclusion=conclusion,
            recorded_by=ctx.actor.user_id,
            recorded_at=now,
        )
        await survey.save()
        for person_id in people:
            await Investigator.insert(
                ctx.new(
                    Investigator,
                    survey=survey.id,
                    person=person_id,
                    signed_at=now if person_id == ctx.actor.user_id else None,
                )
            )
        await record_event(
            ctx,
            case.id,
            "survey",
            said("{day} 入户调查，{count} 名调查人", day=visited_on.isoformat(), count=len(people)),
        )
        await record_in(
            ctx,
            action="case.survey",
            entity="case",
            entity_id=case.id,
            summary=said("入户调查记录"),
            after={"visited_on": str(visited_on), "investigators": people},
        )
        await _ask_for_signatures(ctx, case, [person_id for person_id in people if person_id != ctx.actor.user_id])
        await _finish_survey_if_signed(ctx, case, survey.id)
    return survey.id


async def _ask_for_signatures(ctx: TenantContext, case: Case, people: list[int]) -> None:
    """Each investigator who has not signed gets an inbox item that leads to the record to sign."""
    await notify_many(
        ctx.tenant.id,
        [
            Message(
                person_id,
                SIGNATURE_KIND,
                said(
                    "请核对并签字确认入户调查记录：{applicant}（案件 #{case}）",
                    applicant=case.applicant_name,
                    case=case.id,
                ),
                f"survey:{case.id}:sign:{person_id}",
                ctx.url("case", case_id=case.id, anchor="survey"),
                case.id,
            )
            for person_id in people
        ],
    )


# Four tables deep: written out, because building the join chain costs Piccolo more CPU than
# PostgreSQL spends answering it (every dashboard asks).
AWAITING_SIGNATURE = """
SELECT c.id AS case_id, c.applicant_name, l.name AS line_name, s.visited_on
FROM investigator i
JOIN survey s ON s.id = i.survey
JOIN assistance_case c ON c.id = s."case"
JOIN line l ON l.id = c.line
WHERE i.tenant = {} AND i.person = {} AND i.signed_at IS NULL AND c.status IN ({})
ORDER BY i.id
"""


def awaiting_my_signature(ctx: TenantContext, user_id: int) -> Raw:
    """Surveys of open cases that name this person as an investigator who has not signed yet (a
    query: awaited for the rows, or counted with others by ``db.counts``)."""
    states = sorted(OPEN)
    sql = AWAITING_SIGNATURE.replace("IN ({})", f"IN ({', '.join('{}' for _ in states)})")
    return Investigator.raw(sql, ctx.tenant.id, user_id, *states)


async def sign_survey(ctx: TenantContext, case_id: int) -> None:
    """An investigator confirms the record with their own account; the last signature completes it."""
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        survey = await ctx.select(Survey, Survey.id).where(Survey.case == case.id).first()
        if survey is None:
            raise InvalidInput("本案件还没有入户调查记录")
        signed = (
            await ctx.update(Investigator, {Investigator.signed_at: clock.now()})
            .where(
                (Investigator.survey == survey["id"])
                & (Investigator.person == ctx.actor.user_id)
                & Investigator.signed_at.is_null()
            )
            .returning(Investigator.id)
        )
        if not signed:
            raise InvalidInput("您不是本次调查的调查人，或已签字")
        await record_event(ctx, case.id, "survey_signed")
        await _finish_survey_if_signed(ctx, case, survey["id"])


async def _finish_survey_if_signed(ctx: TenantContext, case: Case, survey_id: int) -> None:
    unsigned = await ctx.count(Investigator).where(
        (Investigator.survey == survey_id) & Investigator.signed_at.is_null()
    )
    if not unsigned:
        await _move(ctx, case, Action.SURVEY, said("调查人均已签字"))


# --- public posting (公示) -----------------------------------------------------------------------


async def start_posting(ctx: TenantContext, case_id: int, starts_on: date, place: str) -> int:
    place = clean_text(place, "公示地点", 200)
    today = ctx.tenant.now().date()
    if abs(starts_on - today) > POSTING_START_WINDOW:
        raise InvalidInput("公示开始日期须在今天前后 7 天以内")
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        if starts_on < case.received_on:
            raise InvalidInput("公示开始日期不能早于接收日期")
        window = PostingWindow(starts_on)
        await _move(
            ctx,
            case,
            Action.POST,
            said(
                "{starts} 至 {ends}，{place}；{opens} 起可审批",
                starts=starts_on.isoformat(),
                ends=window.ends_on.isoformat(),
                place=place,
                opens=window.approval_opens_on.isoformat(),
            ),
        )
        row = ctx.new(
            Posting,
            case=case.id,
            starts_on=starts_on,
            ends_on=window.ends_on,
            place=place,
            posted_by=ctx.actor.user_id,
            posted_at=clock.now(),
        )
        await row.save()
    return row.id


async def _current_posting(ctx: TenantContext, case_id: int) -> dict | None:
    return await ctx.select(Posting).where(Posting.case == case_id).order_by(Posting.id, ascending=False).first()


async def _check_posting_over(ctx: TenantContext, case: Case) -> None:
    posting = await _current_posting(ctx, case.id)
    window = PostingWindow(posting["starts_on"]) if posting else None
    if window and window.blocks_approval(ctx.tenant.now().date()):
        raise InvalidInput(
            "公示期至 {day} 止，{opens} 起方可审批",
            day=window.ends_on.isoformat(),
            opens=window.approval_opens_on.isoformat(),
        )
    if await ctx.count(Objection).where((Objection.case == case.id) & Objection.resolved_at.is_null()):
        raise InvalidInput("有未处理的异议，处理完毕前不能审批")


async def record_objection(ctx: TenantContext, case_id: int, raised_on: date, raised_by: str, content: str) -> int:
    content = clean_text(content, "异议内容", 2000)
    raised_by = clean_text(raised_by, "异议人", 60, required=False)
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        posting = await _current_posting(ctx, case.id)
        if posting is None or case.status != Status.POSTED:
            raise InvalidInput("只有公示中的案件可以登记异议")
        if not posting["starts_on"] <= raised_on <= ctx.tenant.now().date():
            raise InvalidInput("异议日期须在公示开始之后、今天之前")
        row = ctx.new(
            Objection,
            case=case.id,
            posting=posting["id"],
            raised_on=raised_on,
            raised_by=raised_by,
            content=content,
            recorded_by=ctx.actor.user_id,
        )
        await row.save()
        await record_event(ctx, case.id, "objection", content)
        await record_in(ctx, action="case.objection", entity="case", entity_id=case.id, summary=said("登记公示异议"))
    return row.id


async def resolve_objection(ctx: TenantContext, case_id: int, objection_id: int, resolution: str) -> None:
    resolution = clean_text(resolution, "异议处理结果", 2000)
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        objection = await ctx.get(Objection, objection_id)
        if objection.case != case.id:
            raise NotFound(f"objection {objection_id}")
        resolved = (
            await ctx.update(
                Objection,
                {
                    Objection.resolution: resolution,
                    Objection.resolved_by: ctx.actor.user_id,
                    Objection.resolved_at: clock.now(),
                },
            )
            .where((Objection.id == objection_id) & Objection.resolved_at.is_null())
            .returning(Objection.id)
        )
        if not resolved:
            raise InvalidInput("该异议已处理")
        await record_event(ctx, case.id, "objection_resolved", resolution)
        await record_in(
            ctx, action="case.objection_resolved", entity="case", entity_id=case.id, summary=said("异议已处理")
        )


# --- extension (第十一条) ------------------------------------------------------------------------


async def extend(ctx: TenantContext, case_id: int, working_days: int, reason: str) -> CaseView:
    """Only a leader, with a written reason; the original due date stays on the case."""
    ctx.actor.require(Permission.CASE_EXTEND)
    reason = clean_text(reason, "延期理由", 300)
    if isinstance(working_days, bool) or not isinstance(working_days, int):
        raise InvalidInput("延期天数须为整数个工作日")
    if not 1 <= working_days <= MAX_EXTENSION_DAYS:
        raise InvalidInput("延期须为 1–{max} 个工作日", max=MAX_EXTENSION_DAYS)
    calendar = await calendar_of(ctx)
    async with db.transaction():
        case = await _locked_case(ctx, case_id)
        if case.status not in OPEN:
            raise InvalidInput("案件已办结，无须延期")
        total = case.extension_days + working_days
        dates = case_dates(calendar, case.received_on, case.working_days, total)
        await ctx.update(
            Case,
            {
                Case.extension_days: total,
                Case.due_on: dates.due_on,
                Case.original_due_on: dates.original_due_on,
                Case.due_provisional: dates.provisional,
            },
        ).where(Case.id == case.id)
        await Extension.insert(
            ctx.new(
                Extension,
                case=case.id,
                working_days=working_days,
                reason=reason,
                due_before=case.due_on,
                due_after=dates.due_on,
                approved_by=ctx.actor.user_id,
                approved_at=clock.now(),
            )
        )
        await record_event(
            ctx,
            case.id,
            "extension",
            said(
                "延期 {days} 个工作日至 {due_on}：{reason}",
                days=working_days,
                due_on=dates.due_on.isoformat(),
                reason=reason,
            ),
        )
        await record_in(
            ctx,
            action="case.extend",
            entity="case",
            entity_id=case.id,
            summary=said("延期 {days} 个工作日", days=working_days),
            before={"due_on": str(case.due_on)},
            after={"due_on": str(dates.due_on), "reason": reason},
        )
    return await get_case(ctx, case_id)


# --- the full ID number, on purpose ---------------------------------------------------------------


async def reveal_id_number(ctx: TenantContext, case_id: int) -> str:
    """The unmasked number for someone who works the case; every look is in the audit trail."""
    case = await ctx.get(Case, case_id)
    works_on_it = ctx.actor.user_id in (case.handler, case.acting_handler, case.first_receiver)
    if not (works_on_it or ctx.actor.can(Permission.CASE_DECIDE)):
        raise Forbidden(Permission.CASE_DECIDE)
    await record_in(ctx, action="case.reveal_id", entity="case", entity_id=case.id, summary=said("查看完整身份证号"))
    return case.applicant_id_number


# --- the case page and the evidence pack ----------------------------------------------------------


@dataclass
class CaseFile:
    """Everything about one case, for its page and for the printed evidence pack (inspections)."""

    case: CaseView
    actions: list[str]
    events: list[dict]
    notices: list[dict]
    receipts: list[dict]
    survey: dict | None
    investigators: list[dict]
    postings: list[dict]
    objections: list[dict]
    extensions: list[dict]
    substitutions: list[dict]
    # The latest posting as approval sees it; None before any.
    posting: PostingWindow | None
    posting_blocks_approval: bool
    reviews: list[dict]
    duplicate_warnings: list[dict]
    line_materials: str  # the line's own list of materials, for the checklist


async def case_file(ctx: TenantContext, case_id: int) -> CaseFile:
    # The case, its line's pipeline and everything the file shows of it, from one read.
    case = await ctx.select_one(
        Case, case_id, *_VIEW_COLUMNS, Case.line.needs_survey, Case.line.needs_posting, Case.line.materials
    )
    today = ctx.tenant.now().date()
    view = _view(case, today, await _income_limits(ctx))
    pipeline = Pipeline(case["line.needs_survey"], case["line.needs_posting"])
    survey = await ctx.select(Survey).where(Survey.case == case_id).first()
    postings = await ctx.select(Posting).where(Posting.case == case_id).order_by(Posting.id)
    window = PostingWindow(postings[-1]["starts_on"]) if postings else None
    events = await ctx.select(CaseEvent).where(CaseEvent.case == case_id).order_by(CaseEvent.at).order_by(CaseEvent.id)
    return CaseFile(
        case=view,
        actions=[a.value for a in pipeline.allowed(Status(view.status))],
        events=events,
        notices=await ctx.select(MaterialNotice, MaterialNotice.all_columns(), MaterialNotice.issued_by.name)
        .where(MaterialNotice.case == case_id)
        .order_by(MaterialNotice.id)
        .output(load_json=True),
        receipts=await ctx.select(Receipt, Receipt.all_columns(), Receipt.issued_by.name)
        .where(Receipt.case == case_id)
        .order_by(Receipt.number),
        survey=survey,
        investigators=await ctx.select(Investigator, Investigator.all_columns(), Investigator.person.name)
        .where(Investigator.survey == survey["id"])
        .order_by(Investigator.id)
        if survey
        else [],
        postings=postings,
        objections=await ctx.select(Objection).where(Objection.case == case_id).order_by(Objection.id),
        extensions=await ctx.select(Extension, Extension.all_columns(), Extension.approved_by.name)
        .where(Extension.case == case_id)
        .order_by(Extension.id),
        substitutions=await _substitutions_during(ctx, case),
        posting=window,
        posting_blocks_approval=bool(window and window.blocks_approval(today)),
        reviews=await ctx.select(GrassrootsReview)
        .where(GrassrootsReview.case == case_id)
        .order_by(GrassrootsReview.id),
        duplicate_warnings=[event for event in events if event["kind"] == DUPLICATE_WARNING],
        line_materials=case["line.materials"],
    )


async def _substitutions_during(ctx: TenantContext, case: dict) -> list[dict]:
    """Who acted for the handler on the case's line while the case was open (第四条)."""
    query = ctx.select(
        Substitution,
        Substitution.started_at,
        Substitution.ended_at,
        Substitution.status,
        Substitution.substitute.name.as_alias("substitute_name"),
        Substitution.absence._.person._.name.as_alias("person_name"),
        Substitution.absence.reason.as_alias("reason"),
    ).where(
        (Substitution.line == case["line"])
        & (Substitution.absence.person == case["handler"])
        & (Substitution.ended_at.is_null() | (Substitution.ended_at >= case["created_at"]))
    )
    if case["decided_at"]:
        query = query.where(Substitution.started_at <= case["decided_at"])
    return await query.order_by(Substitution.started_at)


async def notice_payload(ctx: TenantContext, case_id: int, notice_id: int) -> dict:
    """One printed one-time notice."""
    notice = await ctx.get(MaterialNotice, notice_id)
    if notice.case != case_id:
        raise NotFound(f"notice {notice_id}")
    # A fetched object keeps a JSONB column as its JSON text: decoded, or the page lists its characters.
    items = msgspec.json.decode(notice.items) if isinstance(notice.items, str) else notice.items
    return {"case": await get_case(ctx, case_id), "notice": notice, "items": items}


async def receipt_payload(ctx: TenantContext, case_id: int, receipt_id: int) -> dict:
    receipt = await ctx.get(Receipt, receipt_id)
    if receipt.case != case_id:
        raise NotFound(f"receipt {receipt_id}")
    return {"case": await get_case(ctx, case_id), "receipt": receipt}


# --- the dashboard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """One urgency group of a person's cases: how many, and the soonest few to show."""

    total: int
    cases: list[CaseView]


async def uncovered_count(ctx: TenantContext) -> int:
    """Open cases nobody present can act on (SPEC §5): shouted on every admin dashboard."""
    return await ctx.count(Case).where(Case.acting_handler.is_null() & Case.status.is_in(sorted(OPEN)))


def due_by_today(ctx: TenantContext, user_id: int) -> Count:
    """How many of a person's open cases are overdue or due today (``urgent_cases``'s first two
    groups: no calendar needed), as a query for ``db.counts``."""
    today = ctx.tenant.now().date()
    return ctx.count(Case).where(
        (Case.acting_handler == user_id) & Case.status.is_in(sorted(OPEN)) & (Case.due_on <= today)
    )


async def urgent_cases(ctx: TenantContext, user_id: int, shown: int = 8) -> dict[str, Bucket]:
    """A person's open cases by urgency (overdue, today, 1 day, 3 days), as the reminders count them.

    Only the soonest ``shown`` of each group are loaded in full: a clerk with hundreds of overdue
    cases still gets a quick dashboard (the register lists them all).
    """
    today = ctx.tenant.now().date()
    calendar = await calendar_of(ctx)
    rows = (
        await ctx.select(Case, Case.id, Case.due_on)
        .where(
            (Case.acting_handler == user_id)
            & Case.status.is_in(sorted(OPEN))
            & (Case.due_on <= horizon(calendar, today))
        )
        .order_by(Case.due_on)
        .order_by(Case.id)
    )
    grouped: dict[str, list[int]] = {stage.value: [] for stage in URGENCY}
    for row in rows:
        stage = deadline_stage(calendar, today, row["due_on"])
        if stage is not None:  # within the horizon, as selected
            grouped[stage.value].append(row["id"])
    first = [case_id for ids in grouped.values() for case_id in ids[:shown]]
    views = {}
    if first:
        limits = await _income_limits(ctx)
        rows = await ctx.select(Case, *_VIEW_COLUMNS).where(Case.id.is_in(first))
        views = {row["id"]: _view(row, today, limits) for row in rows}
    return {stage: Bucket(len(ids), [views[i] for i in ids[:shown]]) for stage, ids in grouped.items()}


async def open_count(ctx: TenantContext, user_id: int) -> int:
    return await ctx.count(Case).where((Case.acting_handler == user_id) & Case.status.is_in(sorted(OPEN)))


# Ready for 审批 and not held: no open objection, no posting whose window still runs.
NOT_HELD = """NOT EXISTS (SELECT 1 FROM objection o WHERE o."case" = assistance_case.id AND o.resolved_at IS NULL)
AND NOT EXISTS (SELECT 1 FROM posting p WHERE p."case" = assistance_case.id AND p.starts_on > {})"""


def _at_last_step():
    """Each line's pipeline (survey and posting on or off) ends at its own step: the case is there."""
    combinations = [(survey, posting) for survey in (False, True) for posting in (False, True)]
    conditions = [
        (Case.line.needs_survey == survey)
        & (Case.line.needs_posting == posting)
        & (Case.status == Pipeline(survey, posting).steps()[-1])
        for survey, posting in combinations
    ]
    return functools.reduce(operator.or_, conditions)


DECISIONS_SHOWN = 50


def _ready_for_decision(ctx: TenantContext, today: date, *columns) -> Select:
    """Cases whose every step is done (posting over, no open objection), soonest due first."""
    return (
        ctx.select(Case, *columns)
        .where(
            # The states first, for the (tenant, status, due_on) index; then which is each line's last.
            Case.status.is_in([Status.ACCEPTED, Status.SURVEYED, Status.POSTED])
            & _at_last_step()
            & WhereRaw(NOT_HELD, PostingWindow.still_blocking_after(today))
        )
        .order_by(Case.due_on)
        .order_by(Case.id)
    )


async def awaiting_decision(ctx: TenantContext, limit: int = DECISIONS_SHOWN) -> list[CaseView]:
    """Cases ready for 审批; ``limit`` of them, found by the database."""
    today = ctx.tenant.now().date()
    rows = await _ready_for_decision(ctx, today, *_VIEW_COLUMNS).limit(limit)
    limits = await _income_limits(ctx)
    return [_view(row, today, limits) for row in rows]


def awaiting_decision_count(ctx: TenantContext) -> QueryString:
    """How many ``awaiting_decision`` lists (at most ``DECISIONS_SHOWN``), as a query for ``db.counts``."""
    return db.count_of(_ready_for_decision(ctx, ctx.tenant.now().date(), Case.id).limit(DECISIONS_SHOWN))
