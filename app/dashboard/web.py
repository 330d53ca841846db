"""Each person's start page in their county."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from app.accounts.tables import User
from app.audit.services import AuditFilter, browse
from app.tenancy.permissions import Permission
from app.web.guards import County, requires
from app.web.render import page


@get("/", name="dashboard", guards=[requires(Permission.DASHBOARD_VIEW)])
async def dashboard(request: Request, ctx: County) -> Template:
    context = {"staff_count": await ctx.count(User).where(User.active.eq(True)), "recent_changes": []}
    if ctx.actor.can(Permission.AUDIT_READ):
        context["recent_changes"] = (await browse(ctx, AuditFilter())).rows[:8]
    return page(request, "dashboard/index.html", context)


PAGES = [dashboard]
