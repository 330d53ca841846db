"""The region gate: the one place that scopes every cross-county read (SPEC §13).

It mirrors the county gate: ``region_guard`` sits on the region routers, so no handler below them
can forget it. A region the person may not read is answered exactly like one that does not exist,
and every look that passes is audited.
"""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler

from app import db
from app.audit.services import record
from app.regions.services import RegionContext, visible_region
from app.web.guards import signed_in

REGION_KEY = "region_context"


async def region_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    identity = signed_in(connection)
    found = await visible_region(identity, connection.path_params.get("region", ""))
    if found is None:
        raise NotFoundException("not found")
    region, counties = found
    context = RegionContext(region=region, counties=counties, actor=identity.actor(connection.state.get("address", "")))
    connection.state[REGION_KEY] = context
    query = connection.scope.get("query_string", b"").decode("latin-1")
    await record(
        context.actor,
        tenant_id=None,
        action="region.look",
        entity="region",
        entity_id=region.slug,
        summary=(connection.url.path + (f"?{query}" if query else "")),
    )
    # Kept whatever the page answers: a look the page then refuses (a county's handlers, say) is
    # the one most worth keeping, and a refused request rolls back what it wrote.
    await db.commit_so_far()


def region_context(request: Request) -> RegionContext:
    """Dependency: the region context the gate established."""
    return request.state[REGION_KEY]


# How a region handler asks for its context: ``rctx: Oversight`` (``region`` is the path's slug).
Oversight = NamedDependency[RegionContext]
