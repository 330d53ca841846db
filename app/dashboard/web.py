"""Each person's start page in their county."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from app import clock
from app.absences import services as absence_services
from app.absences.services import list_absences
from app.accounts.services import holders_of
from app.audit.services import recent_changes
from app.cases import enquiries, register, survey
from app.domain.reminder import STAGE_LABELS
from app.flows import cover, urgency
from app.flows.acting import snapshot
from app.notifications.mail import failures_since
from app.rota.services import uncovered
from app.tenancy.permissions import Permission, Role
from app.web.guards import County, requires
from app.web.identity import services_of
from app.web.render import page
from workers.heartbeat import STALE_AFTER_SECONDS, last_beat


@get("/", name="dashboard", guards=[requires(Permission.DASHBOARD_VIEW)])
async def dashboard(request: Request, ctx: County) -> Template:
    context: dict[str, Any] = {
        "worker_alive": None,
        "recent_changes": [],
        "email_failures": 0,
    }
    if ctx.actor.can(Permission.AUDIT_READ):
        context["recent_changes"] = await recent_changes(ctx, 8)
    if ctx.actor.can(Permission.SETTINGS_MANAGE):
        beat = await last_beat(services_of(request).redis)
        context["worker_alive"] = beat is not None and clock.now().timestamp() - beat < STALE_AFTER_SECONDS
        context["email_failures"] = await failures_since(ctx)
    context["approvals"] = await cover.covered_awaiting_decision(ctx)
    me = ctx.actor.require_user()
    context["urgent"] = await urgency.urgent_cases(ctx, me)
    context["open_cases"] = await register.open_count(ctx, me)
    context["to_sign"] = await survey.awaiting_my_signature(ctx, me)
    context["open_referrals"] = await enquiries.my_open_referrals(ctx, me)
    context["to_decide"] = await register.awaiting_decision(ctx) if ctx.actor.can(Permission.CASE_DECIDE) else []
    context["stage_labels"] = STAGE_LABELS
    context["labels"] = absence_services
    snap = await snapshot(ctx)
    context["rota"] = snap.rows
    context["uncovered"] = uncovered(snap.rows)
    # 在岗: the section's people (staff and the head) with an active account who are not away now.
    section = set(await holders_of(ctx, [Role.STAFF, Role.SECTION_HEAD])) & snap.active
    context["section_size"], context["present"] = len(section), len(section - snap.away)
    context["away_today"] = [
        a for a in await list_absences(ctx, active_at=clock.now()) if a.status in ("active", "overdue", "approved")
    ]
    # Admins and whoever arranges cover (the section head, the leader) see what nobody covers.
    context["sees_cover"] = ctx.actor.can(Permission.ROTA_MANAGE) or ctx.actor.can(Permission.ESCALATION_PICK)
    context["escalated"] = [
        row for row in context["rota"] if row.entry.status == "escalated" and row.entry.acting is None
    ]
    context["uncovered_cases"] = await register.uncovered_count(ctx) if context["sees_cover"] else 0
    return page(request, "dashboard/index.html", context)


PAGES = [dashboard]
