"""The case page and the printed evidence pack: everything about one case."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from app.cases.intake import DUPLICATE_WARNING
from app.cases.register import VIEW_COLUMNS, CaseView, case_view, get_case, income_limits
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
from app.domain.casework import (
    PostingWindow,
)
from app.domain.pipeline import Pipeline, Status
from app.tenancy.context import NotFound, TenantContext

# --- the case page and the evidence pack ----------------------------------------------------------


@dataclass
class CaseFile:
    """Everything about one case, for its page and for the printed evidence pack (inspections)."""

    case: CaseView
    # The line's list of materials (its own wording), for the checklist of what to bring.
    materials: str
    actions: list[str]
    events: list[dict]
    notices: list[dict]
    receipts: list[dict]
    survey: dict | None
    investigators: list[dict]
    postings: list[dict]
    objections: list[dict]
    extensions: list[dict]
    # The latest posting as approval sees it; None before any.
    posting: PostingWindow | None
    posting_blocks_approval: bool
    reviews: list[dict]
    duplicate_warnings: list[dict]
    # Who acted for the handler while the case was open (第四条): the absences' part, which
    # app.flows.casefile adds.
    substitutions: list[dict] = field(default_factory=list)


async def case_file(ctx: TenantContext, case_id: int) -> CaseFile:
    # The case, its line's pipeline and everything the file shows of it, from one read.
    case = await ctx.select_one(
        Case, case_id, *VIEW_COLUMNS, Case.line.needs_survey, Case.line.needs_posting, Case.line.materials
    )
    today = ctx.tenant.now().date()
    view = case_view(case, today, await income_limits(ctx))
    pipeline = Pipeline(case["line.needs_survey"], case["line.needs_posting"])
    survey = await ctx.select(Survey).where(Survey.case == case_id).first()
    postings = await ctx.select(Posting).where(Posting.case == case_id).order_by(Posting.id)
    window = PostingWindow(postings[-1]["starts_on"]) if postings else None
    events = await ctx.select(CaseEvent).where(CaseEvent.case == case_id).order_by(CaseEvent.at).order_by(CaseEvent.id)
    return CaseFile(
        case=view,
        materials=case["line.materials"],
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
        posting=window,
        posting_blocks_approval=bool(window and window.blocks_approval(today)),
        reviews=await ctx.select(GrassrootsReview)
        .where(GrassrootsReview.case == case_id)
        .order_by(GrassrootsReview.id),
        duplicate_warnings=[event for event in events if event["kind"] == DUPLICATE_WARNING],
    )


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
