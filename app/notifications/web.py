"""The inbox: a page, the unread count in the header, and the caller's own messages in the API."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.notifications import services
from app.notifications.tables import Notification
from app.tenancy.permissions import Permission
from app.web.guards import County, requires
from app.web.render import page


def as_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "case_id": row["case_id"],
        "message": row["message"],
        "link": row["link"],
        "created_at": row["created_at"].isoformat(),
        "read": row["read_at"] is not None,
    }


@get("/inbox", name="inbox", guards=[requires(Permission.DASHBOARD_VIEW)])
async def inbox_page(request: Request, ctx: County) -> Template:
    rows = await services.inbox(ctx)
    return page(request, "notifications/inbox.html", {"rows": rows}, fragments=("messages",))


@get("/inbox/count", name="inbox_count", guards=[requires(Permission.DASHBOARD_VIEW)])
async def unread_badge(request: Request, ctx: County) -> Template:
    """Polled by the header (hx-trigger="every 30s")."""
    unread = await services.unread_count(ctx)
    return page(request, "notifications/badge.html", {"unread": unread, "UNREAD_SHOWN": services.UNREAD_SHOWN})


@post("/inbox/{notification_id:int}/read", name="inbox_read", guards=[requires(Permission.DASHBOARD_VIEW)])
async def read_one(request: Request, ctx: County, notification_id: FromPath[int]) -> Redirect:
    await services.mark_read(ctx, notification_id)
    link = (await ctx.get(Notification, notification_id)).link  # marked read above, so it is the caller's
    target = link or ctx.url("inbox")
    return Redirect(target, status_code=303)


@post("/inbox/read-all", name="inbox_read_all", guards=[requires(Permission.DASHBOARD_VIEW)])
async def read_all(request: Request, ctx: County) -> Redirect:
    await services.mark_read(ctx)
    return Redirect(ctx.url("inbox"), status_code=303)


@get("/notifications", name="api_notifications", guards=[requires(Permission.DASHBOARD_VIEW)])
async def list_api(ctx: County) -> list[dict]:
    return [as_json(row) for row in await services.inbox(ctx, limit=200)]


@post(
    "/notifications/{notification_id:int}/read",
    name="api_notification_read",
    guards=[requires(Permission.DASHBOARD_VIEW)],
)
async def read_api(ctx: County, notification_id: FromPath[int]) -> dict:
    await services.mark_read(ctx, notification_id)
    return {"id": notification_id, "read": True}


PAGES = [inbox_page, unread_badge, read_one, read_all]
API = [list_api, read_api]
