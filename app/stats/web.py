"""Statistics pages: the region's dashboard and its counties (inspectors), the county's own page
(its leaders and admins), each chart beside a table of the same figures."""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.i18n import gettext as _
from app.regions.gate import Oversight
from app.regions.services import regions_of
from app.stats import charts
from app.stats.api import End, Start
from app.stats.figures import percent
from app.stats.services import Overview, county_overview, region_county_overview, region_overview
from app.tenancy.permissions import Permission
from app.web.guards import County, requires, signed_in
from app.web.render import page


def _charts(overview: Overview, breakdown_title: str) -> dict:
    return {
        "overview": overview,
        "breakdown_chart": charts.rate_bars(
            [(row.label, row.on_time_rate) for row in overview.breakdown], breakdown_title
        ),
        "trend_chart": charts.rate_trend(
            [(row.key, row.on_time_rate) for row in overview.trend], _("按月按时办结率")
        ),
        "breakdown_title": breakdown_title,
        "percent": percent,
    }


@get("/regions", name="regions")
async def regions_page(request: Request) -> Template | Redirect:
    """Where an inspector lands: their region (the superadmin chooses among all)."""
    regions = await regions_of(signed_in(request))
    if len(regions) == 1:
        return Redirect(f"/r/{regions[0].slug}/")
    if not regions:
        raise NotFoundException("no region")
    return page(request, "stats/regions.html", {"regions": regions})


@get("/", name="region_dashboard")
async def region_dashboard(request: Request, rctx: Oversight, start: Start = None, end: End = None) -> Template:
    overview = await region_overview(rctx, start, end)
    return page(request, "stats/region.html", {"rctx": rctx, **_charts(overview, _("各县按时办结率排名"))})


@get("/counties/{county:str}", name="region_county")
async def region_county(
    request: Request, rctx: Oversight, county: FromPath[str], start: Start = None, end: End = None
) -> Template:
    overview = await region_county_overview(rctx, county, start, end)
    return page(
        request,
        "stats/region_county.html",
        {"rctx": rctx, "county": rctx.county(county), **_charts(overview, _("各业务岗位按时办结率"))},
    )


@get("/stats", name="county_stats", guards=[requires(Permission.STATS_VIEW)])
async def county_stats(
    request: Request, ctx: County, start: Start = None, end: End = None, line: FromQuery[str | None] = None
) -> Template:
    overview = await county_overview(ctx, start, end, line=line or None)
    title = _("经办人按时办结率") if line else _("各业务岗位按时办结率")
    return page(request, "stats/county.html", {"line": line or "", **_charts(overview, title)})


PUBLIC = [regions_page]
REGION_PAGES = [region_dashboard, region_county]
PAGES = [county_stats]
