"""The case timeline: one entry per step, document or change, with who and when (never changed)."""

from __future__ import annotations

from app import clock
from app.cases.tables import CaseEvent
from app.tenancy.context import TenantContext


async def record_event(
    ctx: TenantContext, case_id: int, kind: str, note: str = "", from_status: str = "", to_status: str = ""
) -> None:
    """Inside the caller's transaction, beside the change it describes."""
    await CaseEvent.insert(
        ctx.new(
            CaseEvent,
            case=case_id,
            at=clock.now(),
            actor=ctx.actor.user_id,
            actor_label=ctx.actor.label[:100],
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
    )
