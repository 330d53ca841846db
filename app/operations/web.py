"""The self-check for the operator on a page: the county admin's dashboard and the superadmin's
counties page each load it after they show (``hx-trigger="load"``), since reaching mail servers
may take seconds that the page itself must not wait for; the findings are kept a minute."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from app.operations.check import Probe, recent
from app.tenancy.permissions import Permission
from app.web.guards import County, requires, superadmin_guard
from app.web.identity import services_of
from app.web.render import page


async def _health(request: Request, operator: bool) -> Template:
    services = services_of(request)
    findings = await recent(Probe(services.settings, services.redis))
    return page(request, "operations/_health.html", {"findings": findings, "operator": operator})


@get("/health", name="county_health", guards=[requires(Permission.SETTINGS_MANAGE)])
async def county_health(request: Request, ctx: County) -> Template:
    return await _health(request, operator=False)


@get("/admin/health", name="deployment_health", guards=[superadmin_guard])
async def deployment_health(request: Request) -> Template:
    return await _health(request, operator=True)


PAGES = [county_health]
ADMIN_PAGES = [deployment_health]
