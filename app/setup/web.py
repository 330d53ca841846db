"""Superadmin: the counties of this deployment."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from app.errors import InvalidInput
from app.setup.services import create_tenant
from app.tenancy.services import list_tenants
from app.urls import url
from app.web.feedback import Done, done
from app.web.guards import superadmin_guard
from app.web.render import page


@get("/admin/tenants", name="tenants", guards=[superadmin_guard])
async def tenants_page(request: Request) -> Template:
    return page(request, "tenancy/tenants.html", {"tenants": await list_tenants(), "error": "", "form": {}})


@post("/admin/tenants", name="tenant_add", guards=[superadmin_guard])
async def add_tenant(request: Request) -> Template | Redirect:
    form = await request.form()
    values = {key: form.get(key, "").strip() for key in ("slug", "name", "timezone")}
    identity = request.scope["user"]
    try:
        await create_tenant(
            identity.actor(request.state.get("address", "")),
            values["slug"],
            values["name"],
            values["timezone"] or "Asia/Shanghai",
        )
    except InvalidInput as exc:
        return page(
            request,
            "tenancy/tenants.html",
            {"tenants": await list_tenants(), "error": exc.localized(), "form": values},
            status_code=400,
        )
    return done(request, Redirect(url("tenants")), Done.CREATED)


PUBLIC = [tenants_page, add_tenant]
