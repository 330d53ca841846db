"""Statistics pages: the region's dashboard and its counties (inspectors), the county's own page
(its leaders and admins), each chart beside a table of the same figures."""

from __future__ import annotations

import logging

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from redis.exceptions import RedisError

from app.absences.services import KIND_LABELS
from app.domain.casework import LEVEL_LABELS
from app.domain.figures import days, percent
from app.domain.scoring import GRADE_LABELS
from app.i18n import gettext as _
from app.regions.services import regions_of
from app.stats import charts, tally
from app.stats.api import End, Start
from app.stats.export import filename, report_workbook
from app.stats.services import (
    Overview,
    Report,
    county_overview,
    county_report,
    region_county_overview,
    region_overview,
    region_report,
)
from app.tenancy.permissions import Permission
from app.urls import url
from app.web.excel import download
from app.web.guards import CONTEXT_KEY, County, requires, signed_in
from app.web.identity import services_of
from app.web.region_gate import Oversight
from app.web.render import page

log = logging.getLogger("portal.stats")
READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def after_county_write(request: Request) -> None:
    """After a county request that may have written (a case decided, extended, received…), the
    worker rebuilds the county's tally within the minute. Marking a request that changed nothing
    costs one rebuild; a mark lost to Redis is caught up after ``tally.REFRESH``."""
    context = request.state.get(CONTEXT_KEY)
    if request.method in READS or context is None:
        return
    try:
        await tally.mark_changed(services_of(request).redis, context.tenant.id)
    except RedisError as exc:
        log.warning("statistics tally of %s not marked changed: %s", context.tenant.slug, exc)


def _charts(overview: Overview, breakdown_title: str) -> dict:
    return {
        "overview": overview,
        "breakdown_chart": charts.rate_bars(
            [(row.label, row.on_time_rate) for row in overview.breakdown], breakdown_title
        ),
        "trend_chart": charts.rate_trend(
            [(str(row.key), row.on_time_rate) for row in overview.trend], _("按月按时办结率")
        ),
        "breakdown_title": breakdown_title,
        "percent": percent,
        "days": days,
        "level_labels": LEVEL_LABELS,
        "kind_labels": KIND_LABELS,
        "grade_labels": GRADE_LABELS,
    }


@get("/regions", name="regions")
async def regions_page(request: Request) -> Template | Redirect:
    """Where an inspector lands: their region (the superadmin chooses among all)."""
    regions = await regions_of(signed_in(request))
    if len(regions) == 1:
        return Redirect(url("region_dashboard", region=regions[0].slug))
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


def _report_page(request: Request, report: Report, figures: str, workbook: str) -> Template:
    """The printable A4 report; ``figures`` is the statistics page it belongs to, ``workbook`` its Excel."""
    chart = charts.rate_bars([(row.label, row.on_time_rate) for row in report.rows], "按时办结率")
    context = {
        "report": report,
        "chart": chart,
        "figures": figures,
        "workbook": workbook,
        "percent": percent,
        "days": days,
        "kind_labels": KIND_LABELS,
        "today": report.issued_on,
    }
    return page(request, "stats/report.html", context)


@get("/report", name="region_report")
async def region_report_page(request: Request, rctx: Oversight, month: FromQuery[str | None] = None) -> Template:
    report = await region_report(rctx, month)
    region = rctx.region.slug
    workbook = url("region_report_xlsx", region=region, query={"month": report.month})
    return _report_page(request, report, url("region_dashboard", region=region), workbook)


@get("/report.xlsx", name="region_report_xlsx")
async def region_report_xlsx(rctx: Oversight, month: FromQuery[str | None] = None) -> Response:
    report = await region_report(rctx, month)
    return download(report_workbook(report), filename(report, rctx.region.slug))


@get("/stats/report", name="county_report", guards=[requires(Permission.STATS_VIEW)])
async def county_report_page(request: Request, ctx: County, month: FromQuery[str | None] = None) -> Template:
    report = await county_report(ctx, month)
    workbook = ctx.url("county_report_xlsx", query={"month": report.month})
    return _report_page(request, report, ctx.url("county_stats"), workbook)


@get("/stats/report.xlsx", name="county_report_xlsx", guards=[requires(Permission.STATS_VIEW)])
async def county_report_xlsx(ctx: County, month: FromQuery[str | None] = None) -> Response:
    report = await county_report(ctx, month)
    return download(report_workbook(report), filename(report, ctx.tenant.slug))


PUBLIC = [regions_page]
REGION_PAGES = [region_dashboard, region_county, region_report_page, region_report_xlsx]
PAGES = [county_stats, county_report_page, county_report_xlsx]
