"""The absence figures' rules, with no database: working days away by kind, and how much of the
office time each line had someone to act on it (SPEC §13).

People are away under notices in force (or returned); a line is *uncovered* while a leave left it
with nobody present to act (the substitution sweep records those stretches). Both are measured in
the county's office time on its working days by the calendar module, never by clock hours: a
weekend away is no time away, an uncovered night no uncovered hour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from app.domain.figures import RATE_PLACES, By, Period, month_period
from app.domain.office_hours import OfficeHours, office_time_within, working_days_away

Span = tuple[datetime, datetime]
HOUR = Decimal(3600)


@dataclass(frozen=True)
class CountyTime:
    """What measures a county's office time: its hours, its clock and its working days."""

    hours: OfficeHours
    zone: ZoneInfo
    is_workday: Callable[[date], bool]

    def within(self, spans: Iterable[Span], first: date, last: date) -> timedelta:
        return office_time_within(
            spans, first=first, last=last, hours=self.hours, zone=self.zone, is_workday=self.is_workday
        )

    def days_away(self, spans: Iterable[Span], first: date, last: date) -> Decimal:
        return working_days_away(
            spans, first=first, last=last, hours=self.hours, zone=self.zone, is_workday=self.is_workday
        )


@dataclass(frozen=True)
class Away:
    """A person's time away under one notice."""

    county: int
    person: int
    kind: str
    span: Span


@dataclass(frozen=True)
class LineInfo:
    id: int
    county: int
    code: str
    name: str


@dataclass(frozen=True)
class Uncovered:
    """A stretch during which a line had nobody present to act on it."""

    line: int
    span: Span


@dataclass(frozen=True)
class AbsenceFigures:
    key: str | int  # county slug, line code, staff id or YYYY-MM
    label: str
    days_away: dict[str, Decimal] = field(default_factory=dict)  # kind → working days, two places
    uncovered: timedelta = timedelta(0)  # office time the lines went uncovered
    office: timedelta = timedelta(0)  # office time of the lines (each line's hours, added up)

    @property
    def uncovered_hours(self) -> Decimal:
        return (Decimal(self.uncovered.total_seconds()) / HOUR).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def covered_share(self) -> Decimal | None:
        """Share of the lines' office time with someone to act, 0–1 to four places; ``None`` when
        the group has no line or the period no office time yet."""
        if not self.office:
            return None
        share = 1 - Decimal(self.uncovered.total_seconds()) / Decimal(self.office.total_seconds())
        return share.quantize(RATE_PLACES, ROUND_HALF_UP)

    def as_json(self) -> dict:
        share = self.covered_share
        return {
            "key": self.key,
            "working_days_away": {kind: str(days) for kind, days in sorted(self.days_away.items())},
            "uncovered_hours": str(self.uncovered_hours),
            "covered_share": None if share is None else str(share),
        }


def _slices(by: By, period: Period) -> list[tuple[str | None, date, date]]:
    """The stretches measured apart: each month of the period (by month), else the period."""
    if by != By.MONTH:
        return [(None, period.start, period.end)]
    found: list[tuple[str | None, date, date]] = []
    for month in period.months:
        whole = month_period(month, period.start)
        found.append((month, max(whole.start, period.start), min(whole.end, period.end)))
    return found


def absence_figures(
    by: By,
    period: Period,
    now: datetime,
    *,
    counties: dict[int, tuple[str, str, CountyTime]],
    lines: list[LineInfo],
    away: list[Away],
    uncovered: list[Uncovered],
    names: dict[int, str],
) -> list[AbsenceFigures]:
    """One row per group that has lines or absences, by key. Days away group by county, handler
    (the person away) or month; lines' coverage by county, line or month (not by person)."""
    days: dict[str | int, dict[str, Decimal]] = {}
    office: dict[str | int, timedelta] = {}
    gaps: dict[str | int, timedelta] = {}
    labels: dict[str | int, str] = {}
    spans_of: dict[tuple[int, int, str], list[Span]] = {}
    for item in away:
        spans_of.setdefault((item.county, item.person, item.kind), []).append(item.span)
    gaps_of: dict[int, list[Span]] = {}
    for stretch in uncovered:
        gaps_of.setdefault(stretch.line, []).append(stretch.span)
    for month, first, last in _slices(by, period):
        if by != By.LINE:
            for (county, person, kind), spans in spans_of.items():
                key, label = _group(by, month, county, counties, person=person, names=names)
                taken = counties[county][2].days_away(spans, first, last)
                if taken:
                    labels[key] = label
                    kinds = days.setdefault(key, {})
                    kinds[kind] = kinds.get(kind, Decimal(0)) + taken
        if by == By.HANDLER:
            continue
        # Office time so far of one line in each county (every line keeps its county's hours),
        # measured once for the counties that keep the same hours, clock and calendar.
        measured: dict[CountyTime, timedelta] = {}
        for _, _, measure in counties.values():
            if measure not in measured:
                since = datetime.combine(first, datetime.min.time(), measure.zone)
                measured[measure] = measure.within([(since, now)], first, last)
        elapsed = {county: measured[measure] for county, (_, _, measure) in counties.items()}
        for line in lines:
            key, label = _group(by, month, line.county, counties, line=line)
            labels[key] = label
            office[key] = office.get(key, timedelta(0)) + elapsed[line.county]
            gap = counties[line.county][2].within(gaps_of.get(line.id, []), first, last)
            gaps[key] = gaps.get(key, timedelta(0)) + gap
    return [
        AbsenceFigures(key, labels[key], days.get(key, {}), gaps.get(key, timedelta(0)), office.get(key, timedelta(0)))
        for key in sorted(labels)
    ]


def _group(
    by: By,
    month: str | None,
    county: int,
    counties: dict[int, tuple[str, str, CountyTime]],
    *,
    person: int | None = None,
    line: LineInfo | None = None,
    names: dict[int, str] | None = None,
) -> tuple[str | int, str]:
    """The group's key and label, as the deadline figures name them."""
    if by == By.MONTH and month is not None:
        return month, month
    if by == By.COUNTY:
        return counties[county][0], counties[county][1]
    if by == By.LINE and line is not None:
        return line.code, line.name
    if by == By.HANDLER and person is not None:
        return person, (names or {}).get(person, "")
    raise ValueError(f"nothing to group by {by}")


def total(rows: list[AbsenceFigures], label: str) -> AbsenceFigures:
    kinds: dict[str, Decimal] = {}
    for row in rows:
        for kind, taken in row.days_away.items():
            kinds[kind] = kinds.get(kind, Decimal(0)) + taken
    return AbsenceFigures(
        "total",
        label,
        kinds,
        sum((row.uncovered for row in rows), timedelta(0)),
        sum((row.office for row in rows), timedelta(0)),
    )
