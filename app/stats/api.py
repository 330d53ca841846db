"""``GET …/stats/deadlines`` for a county (its leaders and admins) and for a region (its inspectors):
``[{"key", "received", "closed", "closed_on_time", "on_time_rate", "open_overdue", "extensions"}]``."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import FromQuery, QueryParameter

from app.regions.gate import Oversight
from app.stats import services
from app.tenancy.permissions import Permission
from app.web.guards import County, requires

# ``from`` and ``to`` as SPEC §13 names them (``from`` is a Python keyword).
Start = Annotated[str | None, QueryParameter(name="from", description="first day received, YYYY-MM-DD")]
End = Annotated[str | None, QueryParameter(name="to", description="last day received, YYYY-MM-DD")]


@get("/stats/deadlines", guards=[requires(Permission.STATS_VIEW)])
async def county_deadlines(
    ctx: County, by: FromQuery[str] = "line", start: Start = None, end: End = None
) -> list[dict]:
    _, rows = await services.county_figures(ctx, by, start, end)
    return [row.as_json() for row in rows]


@get("/stats/deadlines")
async def region_deadlines(
    rctx: Oversight,
    by: FromQuery[str] = "county",
    start: Start = None,
    end: End = None,
    county: FromQuery[str | None] = None,
) -> list[dict]:
    _, rows = await services.region_figures(rctx, by, start, end, county=county)
    return [row.as_json() for row in rows]


API = [county_deadlines]
REGION_API = [region_deadlines]
