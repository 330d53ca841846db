"""我的待办: the page, and the count the navigation polls for its badge."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from app.absences import services as absence_services
from app.domain.reminder import STAGE_LABELS
from app.domain.scoring import COMPONENT_LABELS
from app.tenancy.permissions import Permission
from app.todo.services import todo_count, todo_of
from app.web.guards import County, requires
from app.web.render import page


@get("/todo", name="todo", guards=[requires(Permission.DASHBOARD_VIEW)])
async def todo_page(request: Request, ctx: County) -> Template:
    context = {
        "todo": await todo_of(ctx),
        "labels": absence_services,
        "stage_labels": STAGE_LABELS,
        "component_labels": COMPONENT_LABELS,
    }
    return page(request, "todo/index.html", context)


@get("/todo/count", name="todo_count", guards=[requires(Permission.DASHBOARD_VIEW)])
async def todo_badge(request: Request, ctx: County) -> Template:
    """Polled by the navigation (on load, after each change, every minute): the count alone."""
    return page(request, "todo/badge.html", {"count": await todo_count(ctx)})


PAGES = [todo_page, todo_badge]
