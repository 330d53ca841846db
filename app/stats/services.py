"""The figures a county's leaders and a region's inspectors read: the same statements for both,
scoped by the gate each came through (``TenantContext`` or ``RegionContext``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app import clock
from app.calendar.services import calendars_of
from app.domain import coverage, figures
from app.domain.coverage import AbsenceFigures
from app.domain.figures import COUNTY_GROUPINGS, REGION_GROUPINGS, By, Figures, Period
from app.i18n import gettext as _
from app.regions.services import RegionContext
from app.stats.queries import absence_figures, accountability_by_level, grades_by_cycle
from app.stats.tally import Built, built, deadline_figures
from app.tenancy.context import TenantContext, TenantInfo

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


def _today(counties: tuple[TenantInfo, ...]) -> date:
    """Today on the counties' clock (a region's counties share one in practice)."""
    return clock.now().astimezone(counties[0].zone if counties else DEFAULT_ZONE).date()


Scope = tuple[tuple[TenantInfo, ...], By, Period]


def county_scope(ctx: TenantContext, by: str, start: str | None, end: str | None, allowed=COUNTY_GROUPINGS) -> Scope:
    """What a county's own figures read: its county, by line, handler or month."""
    counties = (ctx.tenant,)
    return counties, figures.grouping(by, allowed), figures.period(start, end, _today(counties))


def region_scope(
    rctx: RegionContext, by: str, start: str | None, end: str | None, county: str | None, allowed=REGION_GROUPINGS
) -> Scope:
    """What a region's figures read: by county, line or month, over the region's counties or one
    of them (``county``: another region's county is not found)."""
    counties = (rctx.county(county),) if county else rctx.counties
    return counties, figures.grouping(by, allowed), figures.period(start, end, _today(counties))


async def deadlines(scope: Scope) -> list[dict]:
    """``GET …/stats/deadlines``: one row per group, see ``Figures.as_json``."""
    counties, grouping, period = scope
    return [row.as_json() for row in await deadline_figures(counties, grouping, period, clock.now())]


async def absences(scope: Scope) -> list[dict]:
    """``GET …/stats/absences``: one row per group, see ``AbsenceFigures.as_json``."""
    counties, grouping, period = scope
    return [row.as_json() for row in await absence_figures(counties, grouping, period, clock.now())]


async def accountability(scope: Scope) -> list[dict]:
    """``GET …/stats/accountability``: records by level of each group, counted by the day the cases
    fell overdue, ``{"key", "levels": {level: records}}``."""
    counties, grouping, period = scope
    found = await accountability_by_level(counties, period, grouping)
    return [{"key": key, "levels": levels} for key, levels in found.items()]


# The grade distributions come per county and cycle, whoever asks.
EVALUATION_GROUPINGS = (By.COUNTY,)


async def evaluations(scope: Scope) -> list[dict]:
    """``GET …/stats/evaluations``: each finalised cycle of each county whose year the period
    touches, ``{"key": county slug, "cycle": year, "grades": {grade: people}}``."""
    counties, _, period = scope
    return [
        {"key": slug, "cycle": year, "grades": grades}
        for (slug, year), grades in (await grades_by_cycle(counties, period)).items()
    ]


@dataclass(frozen=True)
class Overview:
    """What a statistics page shows: a ranking (or breakdown) and the monthly trend, with totals."""

    period: Period
    breakdown: list[Figures]
    trend: list[Figures]
    total: Figures
    accountability: dict[str | int, dict[str, int]]  # county slug → level → records in the period
    grades: dict[tuple[str, int], dict[str, int]]  # (county slug, year) → grade → people
    absences: list[AbsenceFigures]  # by the breakdown's grouping
    absence_total: AbsenceFigures
    as_of: datetime | None  # the deadline figures are those of this instant (None: of now)


def _as_of(tallied: Built, counties: tuple[TenantInfo, ...]) -> datetime | None:
    """The oldest tally read, on the counties' clock: the figures are at least as fresh as that."""
    oldest = min(tallied.values(), default=None)
    return oldest and oldest.astimezone(counties[0].zone)


async def _overview(counties: tuple[TenantInfo, ...], by: By, period: Period, *, line: str | None = None) -> Overview:
    now = clock.now()
    calendars = await calendars_of(county.id for county in counties)
    tallied = await built(counties)
    breakdown = await deadline_figures(counties, by, period, now, line=line, calendars=calendars, tallied=tallied)
    absences = await absence_figures(counties, by, period, now, calendars=calendars)
    months = await deadline_figures(counties, By.MONTH, period, now, line=line, calendars=calendars, tallied=tallied)
    return Overview(
        period=period,
        breakdown=breakdown,
        trend=figures.by_month(months, period.months),
        total=figures.total(months, _("合计")),
        accountability=await accountability_by_level(counties, period),
        grades=await grades_by_cycle(counties, period),
        absences=absences,
        absence_total=coverage.total(absences, _("合计")),
        as_of=_as_of(tallied, counties),
    )


async def region_overview(rctx: RegionContext, start: str | None, end: str | None) -> Overview:
    """The region's dashboard: its counties ranked by on-time rate (those without cases too)."""
    period = figures.period(start, end, _today(rctx.counties))
    overview = await _overview(rctx.counties, By.COUNTY, period)
    found = {row.key for row in overview.breakdown}
    idle = [Figures(key=c.slug, label=c.name) for c in rctx.counties if c.slug not in found]
    return replace(overview, breakdown=figures.ranking(overview.breakdown + idle))


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
    absences: dict[str | int, AbsenceFigures]  # by the rows' keys
    absence_total: AbsenceFigures
    issued_on: date  # the figures are those of this day (open cases may still close)
    as_of: datetime | None  # the deadline figures are those of this instant (None: of now)

    @property
    def month(self) -> str:
        return f"{self.period.start.year:04d}-{self.period.start.month:02d}"


async def _report(issuer: str, counties: tuple[TenantInfo, ...], by: By, month: str | None) -> Report:
    """Every county (or line) of the month, with cases or not, with its deadlines and absences."""
    now, today = clock.now(), _today(counties)
    period = figures.month_period(month, today)
    calendars = await calendars_of(county.id for county in counties)
    tallied = await built(counties)
    rows = await deadline_figures(counties, by, period, now, calendars=calendars, tallied=tallied)
    absences = {row.key: row for row in await absence_figures(counties, by, period, now, calendars=calendars)}
    named: dict[str | int, str] = {county.slug: county.name for county in counties} if by == By.COUNTY else {}
    named |= {key: row.label for key, row in absences.items()}
    found = {row.key for row in rows}
    rows += [Figures(key=key, label=label) for key, label in named.items() if key not in found]
    ordered = figures.ranking(rows) if by == By.COUNTY else sorted(rows, key=lambda row: row.key)
    total = figures.total(rows, "合计")
    absence_total = coverage.total(list(absences.values()), "合计")
    return Report(issuer, period, by, ordered, total, absences, absence_total, today, _as_of(tallied, counties))


async def region_report(rctx: RegionContext, month: str | None) -> Report:
    return await _report(rctx.region.name, rctx.counties, By.COUNTY, month)


async def county_report(ctx: TenantContext, month: str | None) -> Report:
    return await _report(ctx.tenant.name, (ctx.tenant,), By.LINE, month)
