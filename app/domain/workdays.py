"""Which days are working days, and when a case falls due (限时办结制度 第十条; SPEC §6, §7).

Pure: the caller loads the county's and the superadmin's overrides; this module only decides,
so the same rules serve casework, reminders, the calendar page and tests without a database.

Precedence for a day: county override, then global (superadmin) override, then ``chinesecalendar``
(statutory holidays and 调休), then Monday–Friday as a stop-gap. A stop-gap day is *provisional*
and so is every due date that counted or skipped one: never crash, never silently guess.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache

import chinese_calendar

from app.errors import InvalidInput

MAX_WORKING_DAYS = 60
"""The longest time limit a line may have (same bound as the rota's line settings)."""

SOURCE_COUNTY = "override"
SOURCE_GLOBAL = "global"
SOURCE_STATUTORY = "statutory"
SOURCE_FALLBACK = "weekday-fallback"
SOURCE_ENTERED_YEAR = "weekday"  # a day nobody mentioned in a year whose schedule was entered

_PROBE_FIRST_YEAR, _PROBE_LAST_YEAR = 2004, 2100
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayOverride:
    """A day a county or the superadmin decided on, e.g. next year's schedule before the package knows it."""

    day: date
    workday: bool
    note: str = ""


@dataclass(frozen=True)
class DayInfo:
    """One day as decided, with where the decision came from, so pages can show why."""

    day: date
    workday: bool
    source: str
    note: str
    provisional: bool


@dataclass(frozen=True)
class DueDate:
    """A due date; provisional while any day it depends on was only guessed as Monday–Friday."""

    due_on: date
    provisional: bool


@cache
def _known_years() -> range:
    """Asks the installed package which years it has data for, so an upgrade needs no code change."""
    known = []
    for year in range(_PROBE_FIRST_YEAR, _PROBE_LAST_YEAR + 1):
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            continue
        known.append(year)
    if not known:
        return range(0)
    return range(min(known), max(known) + 1)


def _holiday_name(name: object) -> str:
    """Chinese name of a holiday as the package reports it (an English string or the enum), else as is."""
    if name is None:
        return ""
    if isinstance(name, chinese_calendar.Holiday):
        return name.chinese
    try:
        return chinese_calendar.Holiday(name).chinese
    except ValueError:
        return str(name)


@lru_cache(maxsize=8192)
def _statutory(day: date) -> tuple[bool, str] | None:
    """(workday, holiday name) from the package, or None for a year it does not know.

    Cached: the package rescans its whole table on every call.
    """
    if day.year not in _known_years():
        return None
    try:
        rest, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return (not rest, _holiday_name(name))


def _as_date(value: date) -> date:
    """Accepts a datetime too, like the package does, so comparisons never mix the two types."""
    return value.date() if isinstance(value, datetime) else value


def _check_count(value: object, lowest: int) -> int:
    """A number of working days must be a whole number within the time-limit bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("办结时限须为整数个工作日，不是 {value}", value=value)
    if lowest <= value <= MAX_WORKING_DAYS:
        return value
    if lowest == 1:
        raise InvalidInput("办结时限须为 1–{max} 个工作日，不是 {days}", max=MAX_WORKING_DAYS, days=value)
    raise InvalidInput("工作日数须为 0–{max}，不是 {days}", max=MAX_WORKING_DAYS, days=value)


class WorkCalendar:
    """One county's working days: its overrides, then the superadmin's, then the statutory calendar."""

    def __init__(
        self,
        county_overrides: Iterable[DayOverride] = (),
        global_overrides: Iterable[DayOverride] = (),
        entered_years: Iterable[int] = (),
    ) -> None:
        """``entered_years``: years an admin marked as entered (the county's or every county's): a
        few overrides alone (a local holiday) never make a year's schedule known."""
        # A later override for the same day replaces an earlier one, as when a row is edited.
        self._county = {_as_date(o.day): o for o in county_overrides}
        self._global = {_as_date(o.day): o for o in global_overrides}
        self._entered = frozenset(entered_years)

    def day(self, d: date) -> DayInfo:
        """The decision for one day, and why."""
        d = _as_date(d)
        for overrides, source in ((self._county, SOURCE_COUNTY), (self._global, SOURCE_GLOBAL)):
            override = overrides.get(d)
            if override is not None:
                return DayInfo(d, bool(override.workday), source, override.note, provisional=False)
        statutory = _statutory(d)
        if statutory is not None:
            workday, note = statutory
            return DayInfo(d, workday, SOURCE_STATUTORY, note, provisional=False)
        # Once a year's schedule is entered, the days it does not mention are ordinary weekdays
        # and weekends: only a year nobody entered is a guess.
        if d.year in self._entered:
            return DayInfo(d, d.weekday() < 5, SOURCE_ENTERED_YEAR, "", provisional=False)
        return DayInfo(d, d.weekday() < 5, SOURCE_FALLBACK, "", provisional=True)

    def is_workday(self, d: date) -> bool:
        """Whether the day counts towards a time limit."""
        return self.day(d).workday

    def due_date(self, received_on: date, working_days: int) -> DueDate:
        """The N-th working day strictly after receipt; the day of receipt never counts (第十条).

        Counted day by day: ``chinese_calendar.find_workday`` lands one working day late from a
        non-working day, and it knows nothing of overrides.
        """
        return self._walk(_as_date(received_on), _check_count(working_days, 1))

    def add_working_days(self, start: date, n: int) -> DueDate:
        """Like ``due_date`` but n may be 0, which gives ``start`` itself (e.g. "within 0 days")."""
        start = _as_date(start)
        if _check_count(n, 0) == 0:
            return DueDate(start, self.day(start).provisional)
        return self._walk(start, n)

    def _walk(self, start: date, n: int) -> DueDate:
        """Counts n working days after start; any guessed day on the way makes the result provisional."""
        d, counted, provisional = start, 0, False
        while counted < n:
            d += _ONE_DAY
            info = self.day(d)
            provisional = provisional or info.provisional
            counted += info.workday
        return DueDate(d, provisional)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end: how many of a time limit have been used up."""
        start, end = _as_date(start), _as_date(end)
        count, d = 0, start
        while d < end:
            d += _ONE_DAY
            count += self.is_workday(d)
        return count

    def ordinals(self, first: date, last: date) -> list[tuple[date, int]]:
        """Each day from ``first`` to ``last`` with the working days d, first < d <= day, so that
        two days' ordinals differ by ``working_days_between`` them (the statistics join on it)."""
        found, count, d = [(first, 0)], 0, first
        while d < last:
            d += _ONE_DAY
            count += self.is_workday(d)
            found.append((d, count))
        return found

    def month(self, year: int, month: int) -> list[DayInfo]:
        """Every day of a month, for the calendar page."""
        try:
            days = calendar.monthrange(year, month)[1]
            first = date(year, month, 1)
        except (ValueError, TypeError, OverflowError):
            raise InvalidInput("没有这个月份：{year} 年 {month} 月", year=year, month=month) from None
        return [self.day(first + timedelta(days=i)) for i in range(days)]

    def known_years(self) -> range:
        """Years the installed ``chinesecalendar`` covers; other years fall back to Monday–Friday."""
        return _known_years()


def years_needing_entry(today: date, entered_years: Iterable[int]) -> list[int]:
    """This year and next, where the package has no data and no admin marked the year as entered.

    So the UI can ask for next year's schedule once the State Council publishes it.
    """
    today = _as_date(today)
    entered = set(entered_years)
    known = _known_years()
    return [year for year in (today.year, today.year + 1) if year not in known and year not in entered]
