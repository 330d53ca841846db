"""The figures a county's leaders and a region's inspectors read: the same statements for both,
scoped by the gate each came through (``TenantContext`` or ``RegionContext``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from app import clock
from app.i18n import gettext as _
from app.regions.services import RegionContext
from app.stats import figures
from app.stats.figures import COUNTY_GROUPINGS, REGION_GROUPINGS, By, Figures, Period
from app.stats.queries import accountability_by_level, deadline_figures, grades_by_cycle
from app.tenancy.context import TenantContext, TenantInfo

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


def _today(counties: tuple[TenantInfo, ...]) -> date:
    """Today on the counties' clock (a region's counties share one in practice)."""
    return clock.now().astimezone(counties[0].zone if counties else DEFAULT_ZONE).date()


async def county_figures(
    ctx: TenantContext, by: str, start: str | None, end: str | None
) -> tuple[Period, list[Figures]]:
    """``GET /api/v1/t/{tenant}/stats/deadlines``: the county's figures by line, handler or month."""
    grouping = figures.grouping(by, COUNTY_GROUPINGS)
    period = figures.period(start, end, _today((ctx.tenant,)))
    return period, await deadline_figures((ctx.tenant,), grouping, period, clock.now())


async def region_figures(
    rctx: RegionContext, by: str, start: str | None, end: str | None, *, county: str | None = None
) -> tuple[Period, list[Figures]]:
    """``GET /api/v1/r/{region}/stats/deadlines``: by county, line or month, over the region's
    counties or one of them (``county``: another region's county is not found)."""
    grouping = figures.grouping(by, REGION_GROUPINGS)
    counties = (rctx.county(county),) if county else rctx.counties
    period = figures.period(start, end, _today(counties))
    return period, await deadline_figures(counties, grouping, period, clock.now())


@dataclass(frozen=True)
class Overview:
    """What a statistics page shows: a ranking (or breakdown) and the monthly trend, with totals."""

    period: Period
    breakdown: list[Figures]
    trend: list[Figures]
    total: Figures
    accountability: dict[str, dict[str, int]]  # county slug → level → records in the period
    grades: dict[tuple[str, int], dict[str, int]]  # (county slug, year) → grade → people


async def _overview(counties: tuple[TenantInfo, ...], by: By, period: Period, *, line: str | None = None) -> Overview:
    now = clock.now()
    breakdown = await deadline_figures(counties, by, period, now, line=line)
    months = await deadline_figures(counties, By.MONTH, period, now, line=line)
    return Overview(
        period=period,
        breakdown=breakdown,
        trend=figures.by_month(months, period.months),
        total=figures.total(months, _("合计")),
        accountability=await accountability_by_level(counties, period),
        grades=await grades_by_cycle(counties, period),
    )


async def region_overview(rctx: RegionContext, start: str | None, end: str | None) -> Overview:
    """The region's dashboard: its counties ranked by on-time rate (those without cases too)."""
    period = figures.period(start, end, _today(rctx.counties))
    overview = await _overview(rctx.counties, By.COUNTY, period)
    found = {row.key for row in overview.breakdown}
    idle = [Figures(key=c.slug, label=c.name) for c in rctx.counties if c.slug not in found]
    return Overview(
        period,
        figures.ranking(overview.breakdown + idle),
        overview.trend,
        overview.total,
        overview.accountability,
        overview.grades,
    )


async def region_county_overview(rctx: RegionContext, county: str, start: str | None, end: str | None) -> Overview:
    """One county of the region, line by line (a region never reads a county's handlers)."""
    counties = (rctx.county(county),)
    return await _overview(counties, By.LINE, figures.period(start, end, _today(counties)))


async def county_overview(
    ctx: TenantContext, start: str | None, end: str | None, *, line: str | None = None
) -> Overview:
    """The county's own page: line by line, or one line handler by handler."""
    period = figures.period(start, end, _today((ctx.tenant,)))
    return await _overview((ctx.tenant,), By.HANDLER if line else By.LINE, period, line=line)


@dataclass(frozen=True)
class Report:
    """限时办结情况通报: one month's figures of a region (county by county, ranked) or of a county
    (line by line), as printed and as exported."""

    issuer: str  # the region's or the county's name
    period: Period
    by: By
    rows: list[Figures]
    total: Figures
    issued_on: date  # the figures are those of this day (open cases may still close)

    @property
    def month(self) -> str:
        return f"{self.period.start.year:04d}-{self.period.start.month:02d}"


async def region_report(rctx: RegionContext, month: str | None) -> Report:
    period = figures.month_period(month, _today(rctx.counties))
    rows = await deadline_figures(rctx.counties, By.COUNTY, period, clock.now())
    found = {row.key for row in rows}
    rows += [Figures(key=c.slug, label=c.name) for c in rctx.counties if c.slug not in found]
    return Report(
        rctx.region.name, period, By.COUNTY, figures.ranking(rows), figures.total(rows, "合计"), _today(rctx.counties)
    )


async def county_report(ctx: TenantContext, month: str | None) -> Report:
    period = figures.month_period(month, _today((ctx.tenant,)))
    rows = await deadline_figures((ctx.tenant,), By.LINE, period, clock.now())
    return Report(ctx.tenant.name, period, By.LINE, rows, figures.total(rows, "合计"), _today((ctx.tenant,)))
