"""The deadline figures in one set-based statement over the cases of the counties asked for.

Callers pass the counties they were given by a gate (the county gate's one county, or the region
gate's counties): this module never decides whose cases it reads. The statement reads the index
``assistance_case (tenant, received_on)`` and groups in the database; nothing loops over cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

from piccolo.engine.postgres import PostgresEngine
from piccolo.query.functions.aggregate import Count

from app import db
from app.absences.tables import NOTICE_COLUMNS, Absence, Substitution
from app.calendar.office import office_hours_of_counties
from app.calendar.services import calendars_of
from app.cases.tables import AccountabilityRecord, Case
from app.domain import coverage
from app.domain.absence import IN_FORCE, Notice, away_until
from app.domain.absence import Status as AbsenceStatus
from app.domain.coverage import AbsenceFigures, Away, CountyTime, LineInfo, Uncovered
from app.domain.figures import COUNTS, By, Figures, Period
from app.domain.rota import Status as RotaStatus
from app.domain.scoring import Status
from app.domain.workdays import WorkCalendar
from app.evaluation.tables import Result
from app.rota.tables import Line
from app.tenancy.context import TenantInfo


def _postgres() -> bool:
    return isinstance(db.engine(), PostgresEngine)


# Time zone names are checked as IANA names when a county is made; this keeps them literal-safe.
ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]+$")


def _per_county(counties: Sequence[TenantInfo], literal: Callable[[TenantInfo], str]) -> str:
    """SQL for a value that depends on each case's county: one literal when every county agrees
    (the usual case: one time zone), else a CASE on the county."""
    literals = {county.id: literal(county) for county in counties}
    if len(set(literals.values())) == 1:
        return next(iter(literals.values()))
    return "CASE c.tenant " + " ".join(f"WHEN {int(key)} THEN {value}" for key, value in literals.items()) + " END"


def _zone(county: TenantInfo) -> str:
    if not ZONE_NAME.match(county.timezone):
        raise ValueError(f"unexpected time zone {county.timezone!r}")
    return f"'{county.timezone}'"


def _decided_on(counties: Sequence[TenantInfo], now: datetime) -> str:
    """SQL for the day, on its county's clock, a case was decided.

    PostgreSQL knows time zones by name; SQLite shifts by each county's offset from UTC now
    (counties keep one offset all year in practice; PostgreSQL is exact regardless).
    """
    if _postgres():
        return f"(c.decided_at AT TIME ZONE {_per_county(counties, _zone)})::date"
    shift = _per_county(counties, lambda county: f"'{_minutes_from_utc(county, now):+d} minutes'")
    return f"date(c.decided_at, {shift})"


def _minutes_from_utc(county: TenantInfo, now: datetime) -> int:
    offset = now.astimezone(county.zone).utcoffset()
    if offset is None:  # never: the county's clock is a named zone
        raise ValueError(f"no UTC offset for {county.timezone}")
    return int(offset.total_seconds() // 60)


def _today(counties: Sequence[TenantInfo], now: datetime) -> str:
    """SQL for today on each case's county's clock."""
    date_literal = "DATE '{}'" if _postgres() else "'{}'"
    return _per_county(counties, lambda county: date_literal.format(now.astimezone(county.zone).date().isoformat()))


def joined(column: str) -> str:
    """SQL for a group's texts of ``column`` joined by commas."""
    return f"string_agg({column}, ',')" if _postgres() else f"group_concat({column}, ',')"


def case_month() -> str:
    """SQL for a case's month of receipt, ``YYYY-MM``."""
    return "to_char(c.received_on, 'YYYY-MM')" if _postgres() else "strftime('%Y-%m', c.received_on)"


# Cases are counted by their own columns first (no join on 500k rows), then the few groups are
# named: by county slug, by line code (one code across counties), by handler, by month.
NAMING = {
    By.COUNTY: ("JOIN tenant t ON t.id = a.grp", "t.slug", "t.name"),
    By.LINE: ("JOIN line l ON l.id = a.grp", "l.code", "l.name"),
    By.HANDLER: ("JOIN portal_user u ON u.id = a.grp", "a.grp", "u.name"),
    By.MONTH: ("", "a.grp", "a.grp"),
}


Calendars = dict[int, WorkCalendar]  # county id → its calendar (app.calendar.services.calendars_of)


def working_days(counties: Sequence[TenantInfo], calendars: Calendars, first: date, last: date) -> Callable[[str], str]:
    """SQL for a day's working-day ordinal on its case's county's calendar (the days a case took
    are the difference of two, as the calendar module counts them: the day of receipt never
    counts): an array (PostgreSQL) or JSON list (SQLite) of ordinals from ``first`` to ``last``,
    one per calendar the counties use, indexed by the day's distance from ``first`` (no join)."""
    keys: dict[int, int] = {}  # id(calendar) → its position among the calendars used
    lists: list[str] = []
    for county in counties:
        calendar = calendars[county.id]
        if id(calendar) not in keys:
            keys[id(calendar)] = len(lists)
            lists.append(",".join(str(ordinal) for _, ordinal in calendar.ordinals(first, last)))
    postgres = _postgres()
    # ARRAY[…], not '{…}': Case.raw reads braces as a value's place.
    literals = [f"ARRAY[{numbers}]" if postgres else f"'[{numbers}]'" for numbers in lists]
    by_key = dict(enumerate(literals))
    chosen = _per_county(counties, lambda county: by_key[keys[id(calendars[county.id])]])
    start = first.isoformat()

    def ordinal(day: str) -> str:
        if postgres:
            return f"({chosen})[{day} - DATE '{start}' + 1]"
        offset = f"CAST(julianday({day}) - julianday('{start}') AS INTEGER)"
        return f"CASE WHEN {day} >= '{start}' THEN json_extract({chosen}, '$[' || {offset} || ']') END"

    return ordinal


def case_counts(counties: Sequence[TenantInfo], now: datetime, ordinal: Callable[[str], str]) -> str:
    """SQL select list over cases ``c``: the working days a closed case took (``close_days``, NULL
    while open) and the counts of ``COUNTS``, for a statement grouped by its other columns and
    ``close_days``."""
    decided_on = _decided_on(counties, now)
    return f"""{ordinal(decided_on)} - {ordinal("c.received_on")} AS close_days,
        COUNT(*) AS received,
        COUNT(c.decided_at) AS closed,
        SUM(CASE WHEN {decided_on} <= c.due_on THEN 1 ELSE 0 END) AS closed_on_time,
        SUM(CASE WHEN c.decided_at IS NULL AND c.due_on < {_today(counties, now)} THEN 1 ELSE 0 END) AS open_overdue,
        SUM(CASE WHEN c.extension_days > 0 THEN 1 ELSE 0 END) AS extensions"""


def placeholders(counties: Sequence[TenantInfo]) -> str:
    return ", ".join("{}" for _ in counties)


LINE_FILTER = "AND {column} IN (SELECT id FROM line WHERE code = {{}})"


async def grouped_figures(by: By, groups: str, values: Sequence) -> list[Figures]:
    """The figures of ``groups``, a statement of rows (``grp``, ``close_days``, ``COUNTS``…) with
    the ``values`` of its places, named and summed by ``by``'s key, ordered by key."""
    join, key, label = NAMING[by]
    sums = ", ".join(f"SUM(a.{name}) AS {name}" for name in COUNTS)
    sql = f"""
        SELECT {key} AS key, MIN({label}) AS label, a.close_days, {sums}
        FROM ({groups}) a
        {join}
        GROUP BY {key}, a.close_days
        ORDER BY {key}
    """
    found: dict[str | int, dict] = {}
    for row in await Case.raw(sql, *values):
        group = found.setdefault(row["key"], {"label": row["label"], "days": {}, **dict.fromkeys(COUNTS, 0)})
        for name in COUNTS:
            group[name] += int(row[name] or 0)
        if row["close_days"] is not None:
            group["days"][int(row["close_days"])] = int(row["closed"] or 0)
    return [
        Figures(
            key=key,
            label=group["label"],
            closing_days=tuple(sorted(group["days"].items())),
            **{name: group[name] for name in COUNTS},
        )
        for key, group in found.items()
    ]


async def live_figures(
    counties: Sequence[TenantInfo],
    by: By,
    period: Period,
    now: datetime,
    *,
    line: str | None = None,
    calendars: Calendars | None = None,
) -> list[Figures]:
    """The figures of the cases received in ``period`` by the ``counties``, counted from the cases
    themselves, one row per group (only groups with cases), ordered by key; ``line`` narrows to
    one line code. ``app.stats.tally.deadline_figures`` reads the worker's tally instead where it can.

    Each group comes back as a histogram of the working days its closed cases took (a few dozen
    rows a group), so medians are exact for any grouping and for totals, on either database."""
    if not counties:
        return []
    raw = {By.COUNTY: "c.tenant", By.LINE: "c.line", By.HANDLER: "c.handler", By.MONTH: case_month()}[by]
    calendars = calendars or await calendars_of(county.id for county in counties)
    last_day = max(period.end, *(now.astimezone(county.zone).date() for county in counties))
    ordinal = working_days(counties, calendars, period.start, last_day)
    line_filter = LINE_FILTER.format(column="c.line") if line is not None else ""
    groups = f"""
        SELECT {raw} AS grp, {case_counts(counties, now, ordinal)}
        FROM assistance_case c
        WHERE c.tenant IN ({placeholders(counties)}) AND c.received_on >= {{}} AND c.received_on <= {{}} {line_filter}
        GROUP BY 1, 2
    """
    values = [*(county.id for county in counties), period.start, period.end]
    if line is not None:
        values.append(line)
    return await grouped_figures(by, groups, values)


ACCOUNTABILITY_KEYS = {
    By.COUNTY: ("JOIN tenant t ON t.id = r.tenant", "t.slug"),
    # A record is one person's occasion: it counts once for each line its overdue cases were on.
    By.LINE: (
        'JOIN accountability_offence o ON o.record = r.id JOIN assistance_case c ON c.id = o."case" '
        "JOIN line l ON l.id = c.line",
        "l.code",
    ),
    By.HANDLER: ("", "r.person"),
}


async def accountability_by_level(
    counties: Sequence[TenantInfo], period: Period, by: By = By.COUNTY
) -> dict[str | int, dict[str, int]]:
    """Accountability records (第十三条) of the ``counties`` whose occasion falls in ``period``:
    group (county slug, line code, person id or ``YYYY-MM`` of the occasion) → level → how many."""
    if not counties:
        return {}
    month = "to_char(r.occasion_on, 'YYYY-MM')" if _postgres() else "strftime('%Y-%m', r.occasion_on)"
    join, key = ACCOUNTABILITY_KEYS.get(by, ("", month))
    in_counties = ", ".join("{}" for _ in counties)
    rows = await AccountabilityRecord.raw(
        f"""
        SELECT {key} AS key, r.level, COUNT(DISTINCT r.id) AS records
        FROM accountability_record r {join}
        WHERE r.tenant IN ({in_counties}) AND r.occasion_on >= {{}} AND r.occasion_on <= {{}}
        GROUP BY {key}, r.level
        ORDER BY {key}, r.level
        """,
        *(county.id for county in counties),
        period.start,
        period.end,
    )
    found: dict[str | int, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["key"], {})[row["level"]] = int(row["records"])
    return found


async def grades_by_cycle(counties: Sequence[TenantInfo], period: Period) -> dict[tuple[str, int], dict[str, int]]:
    """The grade distribution of each finalised evaluation cycle of the ``counties`` whose year the
    period touches: (county slug, year) → grade → people scored. A cycle still open is left out:
    its results may change."""
    if not counties:
        return {}
    rows = (
        await Result.select(
            Result.tenant.slug.as_alias("county"),
            Result.cycle.year.as_alias("year"),
            Result.grade,
            Count(Result.id, alias="people"),
        )
        .where(
            Result.tenant.is_in([county.id for county in counties])
            & Result.cycle._.locked.eq(True)
            & (Result.status == Status.SCORED.value)
            & (Result.cycle.year >= period.start.year)
            & (Result.cycle.year <= period.end.year)
        )
        .group_by(Result.tenant.slug, Result.cycle.year, Result.grade)
    )
    found: dict[tuple[str, int], dict[str, int]] = {}
    for row in rows:
        found.setdefault((row["county"], row["year"]), {})[row["grade"]] = row["people"]
    return dict(sorted(found.items()))


async def absence_figures(
    counties: Sequence[TenantInfo], by: By, period: Period, now: datetime, *, calendars: Calendars | None = None
) -> list[AbsenceFigures]:
    """Working days away by kind and the lines' uncovered office time of the ``counties`` in
    ``period`` (see ``app.domain.coverage``): four statements (six without ``calendars``), whatever the period."""
    if not counties:
        return []
    ids = [county.id for county in counties]
    zone = counties[0].zone  # a day's margin either side covers every county's clock
    low = datetime.combine(period.start - timedelta(days=1), time(0), zone)
    high = datetime.combine(period.end + timedelta(days=2), time(0), zone)
    calendars = calendars or await calendars_of(ids)
    hours = await office_hours_of_counties(ids)
    measures = {
        county.id: (
            county.slug,
            county.name,
            CountyTime(hours[county.id], county.zone, calendars[county.id].is_workday),
        )
        for county in counties
    }
    lines = [
        LineInfo(row["id"], row["tenant"], row["code"], row["name"])
        for row in await Line.select(Line.id, Line.tenant, Line.code, Line.name).where(
            Line.tenant.is_in(ids) & Line.active.eq(True)
        )
    ]
    notices = await Absence.select(
        Absence.tenant, Absence.person, Absence.person.name.as_alias("name"), Absence.kind, *NOTICE_COLUMNS
    ).where(
        Absence.tenant.is_in(ids)
        & Absence.status.is_in([*IN_FORCE, AbsenceStatus.RETURNED])
        & (Absence.starts_at < high)
        & ((Absence.ends_at > low) | (Absence.returned_at > low) | (Absence.status == AbsenceStatus.OVERDUE))
    )
    away = [
        Away(row["tenant"], row["person"], row["kind"], (row["starts_at"], away_until(Notice.of(row), now)))
        for row in notices
    ]
    gaps = await Substitution.select(Substitution.line, Substitution.started_at, Substitution.ended_at).where(
        Substitution.tenant.is_in(ids)
        & (Substitution.status == RotaStatus.UNCOVERED.value)
        & (Substitution.started_at < high)
        & (Substitution.ended_at.is_null() | (Substitution.ended_at > low))
    )
    uncovered = [Uncovered(row["line"], (row["started_at"], row["ended_at"] or now)) for row in gaps]
    return coverage.absence_figures(
        by,
        period,
        now,
        counties=measures,
        lines=lines,
        away=away,
        uncovered=uncovered,
        names={row["person"]: row["name"] for row in notices},
    )
