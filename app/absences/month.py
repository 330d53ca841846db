"""Who is away on each day of a month: the absences overview's calendar (pure).

A notice covers the county-time days from its start to its end; the end is the marked return,
or, for someone overdue and not back, today. Brief absences of the category ``none`` (under
30 minutes) take nobody away; refused and withdrawn notices never happened; a request still
waiting for a decision is shown as such. Names are listed on working days only (the calendar
module decides which those are); a rest day shows why it is one.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain.absence import Status
from app.errors import InvalidInput

NOT_AWAY = frozenset({Status.REJECTED, Status.CANCELLED})


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, raw: str, today: date) -> Month:
        """``YYYY-MM`` as typed in a month field; empty means this month."""
        if not raw.strip():
            return cls(today.year, today.month)
        try:
            year, month = (int(part) for part in raw.strip().split("-"))
            date(year, month, 1)
        except ValueError:
            raise InvalidInput("月份格式应为 年-月，例如 2026-12") from None
        return cls(year, month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def previous(self) -> Month:
        before = self.first - timedelta(days=1)
        return Month(before.year, before.month)

    @property
    def next(self) -> Month:
        after = self.last + timedelta(days=1)
        return Month(after.year, after.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Away:
    """One notice as the calendar needs it (times already on the county's clock)."""

    absence_id: int
    person_name: str
    kind: str
    status: str
    category: str
    starts_at: datetime
    ends_at: datetime
    returned_at: datetime | None = None


@dataclass(frozen=True)
class Day:
    day: date
    workday: bool
    note: str
    away: tuple[Away, ...]


def last_day_away(notice: Away, today: date) -> date:
    """The last day the notice keeps its person away (an end at midnight leaves that day free)."""
    if notice.returned_at is not None:
        end = notice.returned_at
    elif notice.status == Status.OVERDUE:
        return max(today, notice.ends_at.date())
    else:
        end = notice.ends_at
    return (end - timedelta(microseconds=1)).date()


def counts(notice: Away) -> bool:
    return notice.status not in NOT_AWAY and notice.category != "none"


def weeks(
    month: Month,
    notices: Iterable[Away],
    is_workday: Callable[[date], bool],
    note_of: Callable[[date], str],
    today: date,
) -> list[list[Day | None]]:
    """The month as Monday-to-Sunday rows (``None`` pads the first and last week)."""
    shown = sorted((n for n in notices if counts(n)), key=lambda n: (n.starts_at, n.person_name))
    spans = [(n, n.starts_at.date(), last_day_away(n, today)) for n in shown]
    days: list[Day | None] = [None] * month.first.weekday()
    current = month.first
    while current <= month.last:
        workday = is_workday(current)
        away = tuple(n for n, first, last in spans if first <= current <= last) if workday else ()
        days.append(Day(current, workday, note_of(current), away))
        current += timedelta(days=1)
    days += [None] * (-len(days) % 7)
    return [days[i : i + 7] for i in range(0, len(days), 7)]
