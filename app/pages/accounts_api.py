"""/api/v1/t/{tenant}/me: who the token belongs to."""

from __future__ import annotations

from litestar import get

from app.tenancy.permissions import Permission
from app.web.guards import County, requires


@get("/me", name="api_me", guards=[requires(Permission.DASHBOARD_VIEW)])
async def me(ctx: County) -> dict:
    return {
        "id": ctx.actor.user_id,
        "name": ctx.actor.label,
        "roles": sorted(ctx.actor.roles),
        "tenant": {"slug": ctx.tenant.slug, "name": ctx.tenant.name, "timezone": ctx.tenant.timezone},
    }


API = [me]
