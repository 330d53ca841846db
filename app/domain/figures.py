"""The figures' rules, with no database: periods, groupings, rates, totals, ranking, months.

A case counts in a period by the day it was received. It is *closed* once decided (accepted or
refused, approved or rejected: decided_at is set), *on time* when decided on or before its due
day on the county's calendar, *open overdue* while undecided past its due day, and *extended*
when a leader extended its time limit. The working days a closed case took are counted as the
calendar counts a time limit: the working days after the day of receipt, up to the day decided.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.errors import InvalidInput

RATE_PLACES = Decimal("0.0001")
LONGEST_PERIOD = timedelta(days=3 * 366)  # three years: enough for any report, bounded work


class By(StrEnum):
    COUNTY = "county"
    LINE = "line"
    HANDLER = "handler"
    MONTH = "month"


# What each reader may group by: a region by county, line, month; a county by line, handler, month.
REGION_GROUPINGS = (By.COUNTY, By.LINE, By.MONTH)
COUNTY_GROUPINGS = (By.LINE, By.HANDLER, By.MONTH)


def grouping(value: str, allowed: tuple[By, ...]) -> By:
    if value not in allowed:
        raise InvalidInput("by 只能是 {allowed}", allowed="|".join(allowed))
    return By(value)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def months(self) -> list[str]:
        """Every month the period touches, ``YYYY-MM``: a trend shows the empty ones too."""
        months, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True)
class MonthSplit:
    """A period as whole months of receipt (``first``…``last``, ``YYYY-MM``; none when ``first`` is
    ``None``) and the days at its edges that are not whole months (``edges``)."""

    first: str | None
    last: str | None
    edges: tuple[Period, ...]


def split_months(period: Period, today: date) -> MonthSplit:
    """The whole months of ``period`` and its partial edges. A period reaching ``today`` holds its
    last month whole: no case is received after today."""
    start = period.start if period.start.day == 1 else _next_month(period.start)
    last_month_whole = period.end >= today or _next_month(period.end) - timedelta(days=1) == period.end
    after = _next_month(period.end) if last_month_whole else period.end.replace(day=1)  # the day after the months
    if start >= after:
        return MonthSplit(None, None, (period,))
    edges = []
    if period.start < start:
        edges.append(Period(period.start, start - timedelta(days=1)))
    if after <= period.end:
        edges.append(Period(after, period.end))
    return MonthSplit(_month_key(start), _month_key(after - timedelta(days=1)), tuple(edges))


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("{field} 不是有效日期（YYYY-MM-DD）：{value}", field=field, value=value) from None


def period(start: str | None, end: str | None, today: date) -> Period:
    """The period asked for; by default from 1 January of this year to today."""
    first = _day(start, "from") or date(today.year, 1, 1)
    last = _day(end, "to") or max(today, first)
    if first > last:
        raise InvalidInput("开始日期 {start} 晚于结束日期 {end}", start=first.isoformat(), end=last.isoformat())
    if last - first > LONGEST_PERIOD:
        raise InvalidInput("统计期间不能超过三年")
    return Period(first, last)


def month_period(month: str | None, today: date) -> Period:
    """The calendar month ``YYYY-MM`` (the monthly report's period); by default the last whole month."""
    if not month:
        last_month = today.replace(day=1) - timedelta(days=1)
        month = f"{last_month.year:04d}-{last_month.month:02d}"
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput("month 不是有效月份（YYYY-MM）：{value}", value=month) from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Period(first, following - timedelta(days=1))


@dataclass(frozen=True)
class Figures:
    key: str | int  # county slug, line code, staff id or YYYY-MM
    label: str
    received: int = 0
    closed: int = 0
    closed_on_time: int = 0
    open_overdue: int = 0
    extensions: int = 0
    # (working days taken, closed cases that took them), by days: the median comes from it
    closing_days: tuple[tuple[int, int], ...] = ()

    @property
    def median_days(self) -> Decimal | None:
        return median(dict(self.closing_days))

    @property
    def on_time_rate(self) -> Decimal | None:
        """Share of closed cases closed on time, 0–1 to four places; ``None`` when nothing closed."""
        if not self.closed:
            return None
        return (Decimal(self.closed_on_time) / Decimal(self.closed)).quantize(RATE_PLACES, ROUND_HALF_UP)

    @property
    def closed_late(self) -> int:
        return self.closed - self.closed_on_time

    def as_json(self) -> dict:
        rate = self.on_time_rate
        return {
            "key": self.key,
            "received": self.received,
            "closed": self.closed,
            "closed_on_time": self.closed_on_time,
            "on_time_rate": None if rate is None else str(rate),
            "open_overdue": self.open_overdue,
            "extensions": self.extensions,
            "median_working_days": None if self.median_days is None else str(self.median_days),
        }


COUNTS = ("received", "closed", "closed_on_time", "open_overdue", "extensions")


def median(histogram: Mapping[int, int]) -> Decimal | None:
    """The median of values given as value → how many times (a whole number or a half);
    ``None`` when there are none."""
    size = sum(histogram.values())
    if not size:
        return None
    middle = ((size - 1) // 2, size // 2)  # the one or two middle places, from 0
    found, seen = [], 0
    for value in sorted(histogram):
        for place in middle:
            if seen <= place < seen + histogram[value]:
                found.append(value)
        seen += histogram[value]
    return Decimal(sum(found)) / len(found)


def merged(histograms: Iterable[tuple[tuple[int, int], ...]]) -> tuple[tuple[int, int], ...]:
    together: Counter[int] = Counter()
    for histogram in histograms:
        together.update(dict(histogram))
    return tuple(sorted(together.items()))


def combined(parts: Iterable[list[Figures]]) -> list[Figures]:
    """The figures of several counts of disjoint cases, group by group (same key: counts added,
    histograms merged), ordered by key."""
    groups: dict[str | int, list[Figures]] = {}
    for rows in parts:
        for row in rows:
            groups.setdefault(row.key, []).append(row)
    return [_summed(key, rows[0].label, rows) for key, rows in sorted(groups.items())]


def _summed(key: str | int, label: str, rows: list[Figures]) -> Figures:
    return Figures(
        key=key,
        label=label,
        closing_days=merged(row.closing_days for row in rows),
        **{name: sum(getattr(row, name) for row in rows) for name in COUNTS},
    )


NUMBERS = re.compile(r"\d+")


def histogram_text(histogram: Iterable[tuple[int, int]]) -> str:
    """A histogram as stored in a row: ``days:cases`` pairs, comma-separated."""
    return ",".join(f"{value}:{times}" for value, times in histogram)


def histogram_of(text: str) -> tuple[tuple[int, int], ...]:
    """The histogram of ``histogram_text``, or of several joined by commas (a value's times added)."""
    numbers = list(map(int, NUMBERS.findall(text)))  # value, times, value, times…: a region reads thousands
    together: dict[int, int] = {}
    for place in range(0, len(numbers), 2):
        value = numbers[place]
        together[value] = together.get(value, 0) + numbers[place + 1]
    return tuple(sorted(together.items()))


def total(rows: list[Figures], label: str) -> Figures:
    return _summed("total", label, rows)


def ranking(rows: list[Figures]) -> list[Figures]:
    """Best on-time rate first; those that closed nothing last; ties by more closed, then key."""
    return sorted(
        rows,
        key=lambda row: (row.on_time_rate is None, -(row.on_time_rate or 0), -row.closed, row.key),
    )


def by_month(rows: list[Figures], months: list[str]) -> list[Figures]:
    """One row per month of the period, months without cases as zeros."""
    found = {row.key: row for row in rows}
    return [found.get(month, Figures(key=month, label=month)) for month in months]


def percent(rate: Decimal | None) -> str:
    """How a rate reads on a page and in print: ``87.5%``, or a dash when nothing closed."""
    if rate is None:
        return "—"
    return f"{(rate * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def days(value: Decimal | None) -> str:
    """A median of working days as it reads: ``5``, ``5.5``, or a dash when nothing closed."""
    return "—" if value is None else str(value)
