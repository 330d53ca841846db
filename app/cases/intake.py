"""Intake (SPEC §6): an application checked, dated and recorded for the handler the rota gives it.

Every change is one transaction with its timeline entry and its audit row.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation

import msgspec

from app import clock, db
from app.accounts.tables import User
from app.audit.services import record_in
from app.calendar.services import calendar_of
from app.cases.events import record_event
from app.cases.register import CaseView, get_case
from app.cases.tables import (
    Case,
    GrassrootsReview,
)
from app.domain import idnumber
from app.domain.casework import (
    PriorReview,
    case_dates,
    check_household_size,
    check_prior_reviews,
    check_received_on,
)
from app.domain.pipeline import OPEN, Status
from app.domain.workdays import WorkCalendar
from app.errors import InvalidInput
from app.i18n.messages import said
from app.tenancy.context import TenantContext
from app.text import SingleLine, collapse_spaces

# The timeline entry (and the answer's warning code) when intake finds the same person's open case.
DUPLICATE_WARNING = "duplicate_open_case"


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


async def staff_member(ctx: TenantContext, user_id: int, label: str) -> dict:
    row = await ctx.select(User, User.id, User.name, User.active).where(User.id == user_id).first()
    if row is None or not row["active"]:
        raise InvalidInput("{field}须为本县在职工作人员", field=label)
    return row


async def receive(
    ctx: TenantContext, application: Application, line: dict, *, handler: int, acting_handler: int | None
) -> CaseView:
    """Receive an application on ``line`` for ``handler``: checked, dated, recorded. Which line and
    handler the rota gives it is app.flows.intake's part."""
    today = ctx.tenant.now().date()
    name = clean_text(application.applicant_name, "申请人姓名", 60)
    number = idnumber.validate(application.applicant_id_number, today)
    check_household_size(application.household_size)
    check_received_on(application.received_on, today)
    receiver = await staff_member(ctx, application.first_receiver_id, "首问责任人")
    income = _money(application.monthly_income)
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
            acting_handler=acting_handler,
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


def working_days_of(line: dict, separated_household: bool) -> int:
    """The line's limit: its own for a 人户分离 household when it has one, else its usual one."""
    if separated_household and line["separated_working_days"]:
        return line["separated_working_days"]
    return line["working_days"]


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
    working_days = working_days_of(line, separated_household)
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
