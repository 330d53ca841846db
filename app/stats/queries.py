"""The deadline figures in one set-based statement over the cases of the counties asked for.

Callers pass the counties they were given by a gate (the county gate's one county, or the region
gate's counties): this module never decides whose cases it reads. The statement reads the index
``assistance_case (tenant, received_on)`` and groups in the database; nothing loops over cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from piccolo.engine.postgres import PostgresEngine

from app import db
from app.cases.tables import Case
from app.stats.figures import By, Figures, Period
from app.tenancy.context import TenantInfo


def _postgres() -> bool:
    return isinstance(db.engine(), PostgresEngine)


def _local_day(instant: str, counties: Sequence[TenantInfo], now: datetime) -> str:
    """SQL for the county-clock day of ``instant`` (an SQL expression of a UTC timestamp).

    PostgreSQL knows time zones by name; SQLite shifts by each county's offset from UTC now
    (counties keep one offset all year in practice; PostgreSQL is exact regardless).
    """
    if _postgres():
        return f"({instant} AT TIME ZONE t.timezone)::date"
    shifts = " ".join(
        f"WHEN {int(county.id)} THEN '{int(now.astimezone(county.zone).utcoffset().total_seconds() // 60):+d} minutes'"
        for county in counties
    )
    return f"date({instant}, CASE c.tenant {shifts} END)"


def _grouping(by: By) -> tuple[str, str]:
    """The key and the label of a group, as SQL."""
    if by is By.COUNTY:
        return "t.slug", "MIN(t.name)"
    if by is By.LINE:
        return "l.code", "MIN(l.name)"
    if by is By.HANDLER:
        return "c.handler", "MIN(u.name)"
    month = "to_char(c.received_on, 'YYYY-MM')" if _postgres() else "strftime('%Y-%m', c.received_on)"
    return month, f"MIN({month})"


async def deadline_figures(
    counties: Sequence[TenantInfo], by: By, period: Period, now: datetime, *, line: str | None = None
) -> list[Figures]:
    """The figures of the cases received in ``period`` by the ``counties``, one row per group
    (only groups with cases), ordered by key; ``line`` narrows to one line code."""
    if not counties:
        return []
    key, label = _grouping(by)
    decided_on = _local_day("c.decided_at", counties, now)
    today = _local_day("{}::timestamptz" if _postgres() else "{}", counties, now)
    handler_join = 'JOIN portal_user u ON u.id = c.handler' if by is By.HANDLER else ""
    in_counties = ", ".join("{}" for _ in counties)
    line_filter = "AND l.code = {}" if line is not None else ""
    sql = f"""
        SELECT {key} AS key, {label} AS label,
            COUNT(*) AS received,
            SUM(CASE WHEN c.decided_at IS NOT NULL THEN 1 ELSE 0 END) AS closed,
            SUM(CASE WHEN c.decided_at IS NOT NULL AND {decided_on} <= c.due_on THEN 1 ELSE 0 END) AS closed_on_time,
            SUM(CASE WHEN c.decided_at IS NULL AND c.due_on < {today} THEN 1 ELSE 0 END) AS open_overdue,
            SUM(CASE WHEN c.extension_days > 0 THEN 1 ELSE 0 END) AS extensions
        FROM assistance_case c
        JOIN tenant t ON t.id = c.tenant
        JOIN line l ON l.id = c.line
        {handler_join}
        WHERE c.tenant IN ({in_counties}) AND c.received_on >= {{}} AND c.received_on <= {{}} {line_filter}
        GROUP BY {key}
        ORDER BY {key}
    """
    values = [now, *(county.id for county in counties), period.start, period.end]
    if line is not None:
        values.append(line)
    rows = await Case.raw(sql, *values)
    return [
        Figures(
            key=row["key"],
            label=row["label"],
            received=int(row["received"]),
            closed=int(row["closed"] or 0),
            closed_on_time=int(row["closed_on_time"] or 0),
            open_overdue=int(row["open_overdue"] or 0),
            extensions=int(row["extensions"] or 0),
        )
        for row in rows
    ]
