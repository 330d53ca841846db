"""A county's office hours, and the working time a stretch of time takes out of them (离岗告示制度
第一至三条 speak of leaving the post *during working time*; SPEC §4).

Pure: the caller passes the county's hours, its zone and which days are working days (the calendar
module decides that); this module only measures. Non-working days and time outside the office
hours count zero, so Friday 16:30 → Monday 08:30 takes an hour and a half.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NoReturn
from zoneinfo import ZoneInfo

from app.errors import InvalidInput

IsWorkday = Callable[[date], bool]
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)


@dataclass(frozen=True)
class Session:
    """One stretch of office time in a day, e.g. 08:00–12:00; ``end`` 24:00 is stored as None."""

    start: time
    end: time | None

    def bounds(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.start, zone)
        end = (
            datetime.combine(day + _ONE_DAY, _MIDNIGHT, zone)
            if self.end is None
            else datetime.combine(day, self.end, zone)
        )
        return start, end

    def as_pair(self) -> list[str]:
        return [f"{self.start:%H:%M}", "24:00" if self.end is None else f"{self.end:%H:%M}"]


@dataclass(frozen=True)
class Season:
    """Seasonal hours (夏令/冬令作息) from one month-day to another, inclusive; may wrap the new year."""

    name: str
    first: tuple[int, int]
    last: tuple[int, int]
    sessions: tuple[Session, ...]

    def covers(self, day: date) -> bool:
        key = (day.month, day.day)
        if self.first <= self.last:
            return self.first <= key <= self.last
        return key >= self.first or key <= self.last


@dataclass(frozen=True)
class OfficeHours:
    sessions: tuple[Session, ...]
    seasons: tuple[Season, ...] = ()

    def sessions_on(self, day: date) -> tuple[Session, ...]:
        for season in self.seasons:
            if season.covers(day):
                return season.sessions
        return self.sessions

    def as_json(self) -> dict:
        answer: dict = {"sessions": [s.as_pair() for s in self.sessions]}
        for season in self.seasons:
            answer[season.name] = {
                "from": f"{season.first[0]:02d}-{season.first[1]:02d}",
                "to": f"{season.last[0]:02d}-{season.last[1]:02d}",
                "sessions": [s.as_pair() for s in season.sessions],
            }
        return answer


DEFAULT = OfficeHours((Session(time(8, 0), time(12, 0)), Session(time(14, 30), time(17, 30))))
SEASON_NAMES = ("summer", "winter")


def _clock_time(raw: object, field: str) -> time | None:
    """``HH:MM`` (24:00 allowed as the end of the day, returned as None)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if text == "24:00":
        return None
    try:
        return time.fromisoformat(text) if len(text) == 5 else _bad_time(field, raw)
    except ValueError:
        return _bad_time(field, raw)


def _bad_time(field: str, raw: object) -> NoReturn:
    raise InvalidInput("{field}：时间 {value} 格式不对，应为 时:分（如 08:30）", field=field, value=str(raw))


def parse_sessions(raw: object, field: str = "办公时间") -> tuple[Session, ...]:
    """``[["08:00", "12:00"], ["14:30", "17:30"]]``: one to four sessions, in order, not overlapping."""
    if not isinstance(raw, list | tuple) or not 1 <= len(raw) <= 4:
        raise InvalidInput("{field}须有 1–4 个时段", field=field)
    sessions: list[Session] = []
    for pair in raw:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InvalidInput("{field}：每个时段须为 [开始, 结束]", field=field)
        start, end = _clock_time(pair[0], field), _clock_time(pair[1], field)
        if start is None:
            raise InvalidInput("{field}：开始时间不能是 24:00", field=field)
        if end is not None and end <= start:
            raise InvalidInput(
                "{field}：时段 {start}–{end} 的结束时间须晚于开始时间", field=field, start=pair[0], end=pair[1]
            )
        if sessions and (sessions[-1].end is None or start < sessions[-1].end):
            raise InvalidInput("{field}：时段须按时间先后排列且互不重叠", field=field)
        sessions.append(Session(start, end))
    return tuple(sessions)


def _month_day(raw: object, field: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in str(raw).split("-"))
        date(2024, month, day)  # a leap year, so 02-29 is accepted
    except (ValueError, TypeError):
        raise InvalidInput(
            "{field}：日期 {value} 格式不对，应为 月-日（如 05-01）", field=field, value=str(raw)
        ) from None
    return month, day


def parse(raw: object) -> OfficeHours:
    """The county setting ``{"sessions": [...], "summer": {"from", "to", "sessions"}, "winter": {...}}``."""
    if raw is None:
        return DEFAULT
    if not isinstance(raw, dict) or "sessions" not in raw:
        raise InvalidInput('办公时间须包含 sessions（如 [["08:00", "12:00"], ["14:30", "17:30"]]）')
    unknown = sorted(set(raw) - {"sessions", *SEASON_NAMES})
    if unknown:
        raise InvalidInput("办公时间：未知项 {names}", names="、".join(unknown))
    seasons = []
    for name in SEASON_NAMES:
        season = raw.get(name)
        if season is None:
            continue
        label = "夏季作息" if name == "summer" else "冬季作息"
        if not isinstance(season, dict) or set(season) != {"from", "to", "sessions"}:
            raise InvalidInput("{field}须包含 from、to 和 sessions", field=label)
        seasons.append(
            Season(
                name,
                _month_day(season["from"], label),
                _month_day(season["to"], label),
                parse_sessions(season["sessions"], label),
            )
        )
    return OfficeHours(parse_sessions(raw["sessions"]), tuple(seasons))


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[date]:
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        yield day
        day += _ONE_DAY


def _overlap(start: datetime, end: datetime, low: datetime, high: datetime) -> timedelta:
    return max(timedelta(0), min(end, high) - max(start, low))


def working_time(
    start: datetime, end: datetime, *, hours: OfficeHours, zone: ZoneInfo, is_workday: IsWorkday
) -> timedelta:
    """How much office time of working days lies between ``start`` and ``end``."""
    total = timedelta(0)
    if end <= start:
        return total
    for day in _days(start, end, zone):
        if is_workday(day):
            for session in hours.sessions_on(day):
                total += _overlap(start, end, *session.bounds(day, zone))
    return total


def office_time_within(
    spans: Iterable[tuple[datetime, datetime]],
    *,
    first: date,
    last: date,
    hours: OfficeHours,
    zone: ZoneInfo,
    is_workday: IsWorkday,
) -> timedelta:
    """Office time of working days from ``first`` to ``last`` (whole days, on the county's clock)
    covered by at least one span, each moment once."""
    low = datetime.combine(first, _MIDNIGHT, zone)
    high = datetime.combine(last + _ONE_DAY, _MIDNIGHT, zone)
    total, reach = timedelta(0), low
    for start, end in sorted((max(start, low), min(end, high)) for start, end in spans):
        start = max(start, reach)
        if end > start:
            total += working_time(start, end, hours=hours, zone=zone, is_workday=is_workday)
            reach = end
    return total


def working_days_away(
    spans: Iterable[tuple[datetime, datetime]],
    *,
    first: date,
    last: date,
    hours: OfficeHours,
    zone: ZoneInfo,
    is_workday: IsWorkday,
) -> Decimal:
    """Working days between ``first`` and ``last`` taken out by ``spans`` (absences), each day once:
    a day counts as the share of its office time covered by any span, so a one-hour absence is a
    fraction of a day and two notices over the same morning count that morning once. Two places."""
    touched: dict[date, list[tuple[datetime, datetime]]] = {}
    for start, end in spans:
        for day in _days(start, end, zone):
            if first <= day <= last:
                touched.setdefault(day, []).append((start, end))
    total = Decimal(0)
    for day, day_spans in touched.items():
        if not is_workday(day):
            continue
        office = [session.bounds(day, zone) for session in hours.sessions_on(day)]
        length = sum((high - low for low, high in office), timedelta(0))
        covered = sum((_union_overlap(day_spans, low, high) for low, high in office), timedelta(0))
        if length:
            total += Decimal(covered.total_seconds()) / Decimal(length.total_seconds())
    return total.quantize(Decimal("0.01"))


def _union_overlap(spans: list[tuple[datetime, datetime]], low: datetime, high: datetime) -> timedelta:
    """The time in [low, high) covered by at least one span."""
    clipped = sorted((max(start, low), min(end, high)) for start, end in spans if start < high and end > low)
    total, reach = timedelta(0), low
    for start, end in clipped:
        start = max(start, reach)
        if end > start:
            total += end - start
            reach = end
    return total
