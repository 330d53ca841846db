"""Each person's start page in their county."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template
from piccolo.query import Count, Raw
from piccolo.table import Table

from app import clock, db
from app.absences import services as absence_services
from app.absences.tables import Absence
from app.accounts.services import holders_of
from app.audit.services import on_county_clock, recent_changes
from app.audit.tables import AuditRecord
from app.calendar.services import calendar_of
from app.cases import enquiries, register, survey
from app.domain.reminder import STAGE_LABELS
from app.flows import cover, urgency
from app.flows.acting import snapshot
from app.notifications.mail import failures_since
from app.rota.services import uncovered
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission, Role
from app.web.guards import County, requires
from app.web.identity import services_of
from app.web.render import page
from workers.heartbeat import STALE_AFTER_SECONDS, last_beat

# The columns of the lists read together, in order: a case (the urgent ones, those ready for 审批)
# and a survey awaiting a signature.
CASE_LINE: tuple[str, ...] = ("id", "applicant_name", "line_name", "due_on")
# The soonest cases ready for 审批 the start page shows; the whole list is on 我的待办. One more is
# read to know whether there are more.
DECISIONS_ON_DASHBOARD = 10
SIGNATURE_LINE: tuple[str, ...] = ("case_id", "applicant_name", "line_name", "visited_on")


def _with_links(ctx: TenantContext, rows: list[dict]) -> list[dict]:
    """The rows, each with its case's path (``href``): a url() call a row from the template cost
    more than the rest of the row."""
    case_link = ctx.url_with("case")
    for row in rows:
        row["href"] = case_link(case_id=row["id"])
    return rows


@get("/", name="dashboard", guards=[requires(Permission.DASHBOARD_VIEW)])
async def dashboard(request: Request, ctx: County) -> Template:
    me = ctx.actor.require_user()
    now = clock.now()
    # Admins and whoever arranges cover (the section head, the leader) see what nobody covers.
    sees_cover = ctx.actor.can(Permission.ROTA_MANAGE) or ctx.actor.can(Permission.ESCALATION_PICK)
    calendar = await calendar_of(ctx)
    lists = {
        "urgent": (urgency.within_horizon(ctx, me, calendar), CASE_LINE),
        "to_sign": (survey.awaiting_my_signature(ctx, me), SIGNATURE_LINE),
    }
    if ctx.actor.can(Permission.CASE_DECIDE):
        lists["to_decide"] = (register.awaiting_decision(ctx, DECISIONS_ON_DASHBOARD + 1), CASE_LINE)
    counts: dict[str, Count | Raw] = {
        "open_cases": register.open_count(ctx, me),
        "open_referrals": enquiries.my_open_referrals(ctx, me),
    }
    if sees_cover:
        counts["uncovered_cases"] = register.uncovered_count(ctx)
    if ctx.actor.can(Permission.SETTINGS_MANAGE):
        counts["email_failures"] = failures_since(ctx)
    whole: dict[str, tuple[Raw, type[Table]]] = {"notices": (absence_services.current_notices(ctx, now), Absence)}
    if ctx.actor.can(Permission.AUDIT_READ):
        whole["recent_changes"] = (recent_changes(ctx, 8), AuditRecord)
    found, numbers = await db.read_together(lists, counts, whole)
    ready = found.get("to_decide", [])
    context: dict[str, Any] = {
        "worker_alive": None,
        "recent_changes": on_county_clock(ctx, found.get("recent_changes", [])),
        "email_failures": numbers.get("email_failures", 0),
        "uncovered_cases": numbers.get("uncovered_cases", 0),
        "open_cases": numbers["open_cases"],
        "open_referrals": numbers["open_referrals"],
        "urgent": urgency.by_urgency(ctx, calendar, _with_links(ctx, found["urgent"])),
        "to_sign": found["to_sign"],
        "to_decide": _with_links(ctx, ready[:DECISIONS_ON_DASHBOARD]),
        "more_to_decide": len(ready) > DECISIONS_ON_DASHBOARD,
        "sees_cover": sees_cover,
        "stage_labels": STAGE_LABELS,
        "labels": absence_services,
    }
    if ctx.actor.can(Permission.SETTINGS_MANAGE):
        beat = await last_beat(services_of(request).redis)
        context["worker_alive"] = beat is not None and now.timestamp() - beat < STALE_AFTER_SECONDS
    to_decide, away = await absence_services.decisions_and_away(ctx, found["notices"])
    context["approvals"] = [await cover.covered(ctx, absence) for absence in to_decide]
    context["away_today"] = away
    snap = await snapshot(ctx)
    context["rota"] = snap.rows
    context["uncovered"] = uncovered(snap.rows)
    # 在岗: the section's people (staff and the head) with an active account who are not away now.
    section = set(await holders_of(ctx, [Role.STAFF, Role.SECTION_HEAD])) & snap.active
    context["section_size"], context["present"] = len(section), len(section - snap.away)
    context["escalated"] = [row for row in snap.rows if row.entry.status == "escalated" and row.entry.acting is None]
    return page(request, "dashboard/index.html", context)


PAGES = [dashboard]
