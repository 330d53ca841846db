"""The public posting (公示) and the objections raised during it."""

from __future__ import annotations

from datetime import date, timedelta

from app import clock, db
from app.audit.services import record_in
from app.cases.events import record_event
from app.cases.intake import clean_text
from app.cases.steps import current_posting, locked_case, move
from app.cases.tables import (
    Objection,
    Posting,
)
from app.domain.casework import (
    PostingWindow,
)
from app.domain.pipeline import Action, Status
from app.errors import InvalidInput
from app.i18n.messages import said
from app.tenancy.context import NotFound, TenantContext

# A posting is entered when it goes up, give or take a week (e.g. put up on Friday, entered Monday).
POSTING_START_WINDOW = timedelta(days=7)


# --- public posting (公示) -----------------------------------------------------------------------


async def start_posting(ctx: TenantContext, case_id: int, starts_on: date, place: str) -> int:
    place = clean_text(place, "公示地点", 200)
    today = ctx.tenant.now().date()
    if abs(starts_on - today) > POSTING_START_WINDOW:
        raise InvalidInput("公示开始日期须在今天前后 7 天以内")
    async with db.transaction():
        case = await locked_case(ctx, case_id)
        if starts_on < case.received_on:
            raise InvalidInput("公示开始日期不能早于接收日期")
        window = PostingWindow(starts_on)
        await move(
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


async def record_objection(ctx: TenantContext, case_id: int, raised_on: date, raised_by: str, content: str) -> int:
    content = clean_text(content, "异议内容", 2000)
    raised_by = clean_text(raised_by, "异议人", 60, required=False)
    async with db.transaction():
        case = await locked_case(ctx, case_id)
        posting = await current_posting(ctx, case.id)
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
        case = await locked_case(ctx, case_id)
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
