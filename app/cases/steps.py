"""The case's steps (SPEC §6): 受理 with its receipt, the one-time notice, 审批, closing, the
extension and the full ID number on purpose.

Every change is one transaction with its timeline entry and its audit row; the rules that need
no database are in ``app.domain.pipeline`` and ``app.domain.casework``.
"""

from __future__ import annotations

from app import clock, db
from app.audit.services import record_in
from app.calendar.services import calendar_of
from app.cases.events import record_event
from app.cases.intake import clean_text
from app.cases.register import CaseView, get_case
from app.cases.tables import (
    Case,
    Extension,
    MaterialNotice,
    Objection,
    Posting,
    Receipt,
)
from app.domain.casework import (
    MAX_EXTENSION_DAYS,
    PostingWindow,
    case_dates,
    check_missing_items,
)
from app.domain.pipeline import ACTION_LABELS, DECISIONS, OPEN, Action, Pipeline, Status
from app.errors import InvalidInput
from app.i18n.messages import Said, jsonable, label, said
from app.tenancy.context import Forbidden, TenantContext
from app.tenancy.permissions import Permission

# --- steps --------------------------------------------------------------------------------------


async def pipeline_of(ctx: TenantContext, case_id: int) -> Pipeline:
    """The steps of the case's line (survey and posting on or off)."""
    row = await ctx.select_one(Case, case_id, Case.line.needs_survey, Case.line.needs_posting)
    return Pipeline(survey=row["line.needs_survey"], posting=row["line.needs_posting"])


async def locked_case(ctx: TenantContext, case_id: int) -> Case:
    """The case, with other changes to it waiting until this transaction ends."""
    await ctx.get(Case, case_id)
    await db.serialize(Case, ctx.tenant.id, case_id)
    return await ctx.get(Case, case_id)


async def move(ctx: TenantContext, case: Case, action: Action, note: str | Said = "") -> Status:
    """The state change itself (inside the caller's transaction): checked, timestamped, recorded."""
    before = Status(case.status)
    after = (await pipeline_of(ctx, case.id)).next_status(before, action)
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
        case = await locked_case(ctx, case_id)
        after = await move(ctx, case, action, reason)
        number = await _issue_receipt(ctx, case, after, reason)
        await record_event(ctx, case.id, "receipt", said("书面凭证第 {number} 号", number=number))
    return await get_case(ctx, case_id)


async def decide(ctx: TenantContext, case_id: int, approve: bool, note: str = "") -> CaseView:
    """审批: never while a posting runs or an objection is open; a refusal says why."""
    ctx.actor.require(Permission.CASE_DECIDE)
    note = clean_text(note, "审批不同意的理由", 300, required=not approve)
    async with db.transaction():
        case = await locked_case(ctx, case_id)
        if approve:
            await _check_posting_over(ctx, case)
        await move(ctx, case, Action.APPROVE if approve else Action.REJECT, note)
    return await get_case(ctx, case_id)


async def close(ctx: TenantContext, case_id: int, note: str = "") -> CaseView:
    async with db.transaction():
        case = await locked_case(ctx, case_id)
        await move(ctx, case, Action.CLOSE, clean_text(note, "备注", 300, required=False))
    return await get_case(ctx, case_id)


async def current_posting(ctx: TenantContext, case_id: int) -> dict | None:
    return await ctx.select(Posting).where(Posting.case == case_id).order_by(Posting.id, ascending=False).first()


async def _check_posting_over(ctx: TenantContext, case: Case) -> None:
    posting = await current_posting(ctx, case.id)
    window = PostingWindow(posting["starts_on"]) if posting else None
    if window and window.blocks_approval(ctx.tenant.now().date()):
        raise InvalidInput(
            "公示期至 {day} 止，{opens} 起方可审批",
            day=window.ends_on.isoformat(),
            opens=window.approval_opens_on.isoformat(),
        )
    if await ctx.count(Objection).where((Objection.case == case.id) & Objection.resolved_at.is_null()):
        raise InvalidInput("有未处理的异议，处理完毕前不能审批")


# --- one-time notice (一次性告知) -----------------------------------------------------------------


async def issue_notice(ctx: TenantContext, case_id: int, items: list[str], reason: str = "") -> int:
    """Every missing material at once; a further, different list only with a reason."""
    items = check_missing_items(items)
    reason = clean_text(reason, "再次告知的理由", 300, required=False)
    async with db.transaction():
        case = await locked_case(ctx, case_id)
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
        case = await locked_case(ctx, case_id)
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
