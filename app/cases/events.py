"""The case timeline: one entry per step, document or change, with who and when (never changed)."""

from __future__ import annotations

from app import clock
from app.cases.tables import CaseEvent
from app.i18n import N_
from app.i18n.messages import Said, stored
from app.tenancy.context import TenantContext


async def record_event(
    ctx: TenantContext, case_id: int, kind: str, note: str | Said = "", from_status: str = "", to_status: str = ""
) -> None:
    """Inside the caller's transaction, beside the change it describes."""
    text, key, params = stored(note)
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
            note=text,
            note_key=key,
            note_params=params,
        )
    )


# What each timeline entry that does not change the status is called (the page and the evidence pack).
EVENT_LABELS = {
    "receipt": N_("出具书面凭证"),
    "notice": N_("一次性告知"),
    "survey": N_("入户调查"),
    "survey_signed": N_("调查人签字确认"),
    "objection": N_("登记公示异议"),
    "objection_resolved": N_("异议已处理"),
    "extension": N_("延长办理期限"),
    "acting_handler": N_("更换当前办理人"),
    "due_recomputed": N_("重新计算到期日"),
    "duplicate_open_case": N_("重复申请提醒"),
    "imported": N_("由台账导入"),
}
