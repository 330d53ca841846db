"""The year page of the working-day calendar: twelve month grids, each day's kind and note."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import date

from app.calendar import services
from app.domain.workdays import (
    SOURCE_COUNTY,
    SOURCE_GLOBAL,
    DayInfo,
    DayOverride,
    WorkCalendar,
    years_needing_entry,
)
from app.tenancy.context import TenantContext


@dataclass(frozen=True)
class Cell:
    """A day as the page shows it: ``kind`` is workday, weekend, holiday or adjusted (调休上班)."""

    info: DayInfo
    kind: str


def _kind(info: DayInfo) -> str:
    weekend = info.day.weekday() >= 5
    if info.workday:
        return "adjusted" if weekend else "workday"
    # A named day off is a holiday even on a weekend (春节 spans one); a plain Saturday is not.
    return "holiday" if info.note or not weekend else "weekend"


@dataclass(frozen=True)
class MonthGrid:
    month: int
    weeks: list[list[Cell | None]]  # Monday first; None pads the first and last week
    names: list[str]  # the holidays (and notes) of the month, each once, in date order


@dataclass(frozen=True)
class YearView:
    year: int
    months: list[MonthGrid]
    holidays: int
    adjusted_workdays: int
    county_overrides: int
    global_overrides: int
    # Days only guessed as Monday–Friday: the package does not know the year and nobody entered them.
    provisional_days: int
    overrides: list[Cell]  # the county's and the superadmin's decisions, in date order
    # This year and next, if their schedule still has to be entered (the prompt on every year's page).
    years_needing_entry: list[int]
    # An admin marked this year's schedule as entered (the county's own mark or every county's).
    entered: bool
    entered_everywhere: bool

    @property
    def provisional(self) -> bool:
        return self.provisional_days > 0


def _month_grid(calendar: WorkCalendar, year: int, month: int) -> MonthGrid:
    cells = [Cell(info, _kind(info)) for info in calendar.month(year, month)]
    padded: list[Cell | None] = [None] * cells[0].info.day.weekday() + cells
    padded += [None] * (-len(padded) % 7)
    names = dict.fromkeys(cell.info.note for cell in cells if cell.info.note)
    return MonthGrid(month, [padded[i : i + 7] for i in range(0, len(padded), 7)], list(names))


def year_view(
    year: int,
    today: date,
    county_overrides: Iterable[DayOverride],
    global_overrides: Iterable[DayOverride],
    county_years: Set[int] = frozenset(),
    global_years: Set[int] = frozenset(),
) -> YearView:
    """Twelve month grids and the counts the page heads them with (pure)."""
    services.check_year(year)
    entered = county_years | global_years
    calendar = WorkCalendar(county_overrides, global_overrides, entered)
    months = [_month_grid(calendar, year, month) for month in range(1, 13)]
    cells = [cell for grid in months for week in grid.weeks for cell in week if cell]
    return YearView(
        year=year,
        months=months,
        holidays=sum(cell.kind == "holiday" for cell in cells),
        adjusted_workdays=sum(cell.kind == "adjusted" for cell in cells),
        county_overrides=sum(cell.info.source == SOURCE_COUNTY for cell in cells),
        global_overrides=sum(cell.info.source == SOURCE_GLOBAL for cell in cells),
        provisional_days=sum(cell.info.provisional for cell in cells),
        overrides=[cell for cell in cells if cell.info.source in (SOURCE_COUNTY, SOURCE_GLOBAL)],
        years_needing_entry=years_needing_entry(today, entered),
        entered=year in entered,
        entered_everywhere=year in global_years,
    )


async def county_year(ctx: TenantContext, year: int) -> YearView:
    return year_view(
        year,
        ctx.tenant.now().date(),
        await services.county_overrides(ctx),
        await services.global_overrides(),
        await services.county_years(ctx),
        await services.global_years(),
    )


async def global_year(year: int, today: date) -> YearView:
    return year_view(year, today, (), await services.global_overrides(), global_years=await services.global_years())
