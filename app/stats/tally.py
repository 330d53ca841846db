"""The deadline figures counted ahead: each county's cases tallied by month of receipt, line,
handler and working days taken (``DeadlineTally``), so that a region's pages sum a few thousand
rows instead of counting its cases.

The worker rebuilds a county's tally whole (``rebuild``: delete and insert in one transaction,
idempotent), every minute when it was marked changed, and at least every ``REFRESH`` and once
after each midnight of the county (open cases fall overdue by the day). Readers
(``deadline_figures``) sum the whole months of a period from the tally and count its partial edge
months, and every county without a tally yet, from the cases themselves: the answer is the live
one as of the tally's ``built_at``, which the pages show.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from app import db
from app.calendar.services import calendars_of
from app.cases.tables import Case
from app.domain import figures
from app.domain.figures import COUNTS, By, Figures, Period
from app.stats.queries import (
    LINE_FILTER,
    Calendars,
    case_counts,
    case_month,
    grouped_figures,
    joined,
    live_figures,
    placeholders,
    working_days,
)
from app.stats.tables import DeadlineTally, MonthTally, TallyState
from app.tenancy.context import TenantInfo

REFRESH = timedelta(minutes=10)
# Counties written to since their last rebuild (a Redis set of ids): rebuilt within the minute.
CHANGED_KEY = "portal:stats:changed"
COLUMNS = ("tenant", "month", "line", "handler", "close_days", *COUNTS)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def rebuild(county: TenantInfo, now: datetime) -> None:
    """Replace the county's tally with its cases' counts as of ``now``; the same answer however
    often it runs, and two runs of one county take turns."""
    today = now.astimezone(county.zone).date()
    async with db.transaction():
        await db.serialize(DeadlineTally, county.id)
        await DeadlineTally.delete().where(DeadlineTally.tenant == county.id)
        span = await Case.raw(
            "SELECT MIN(received_on) AS first, MAX(received_on) AS last FROM assistance_case WHERE tenant = {}",
            county.id,
        )
        if span[0]["first"] is not None:
            first, last = _day(span[0]["first"]), max(today, _day(span[0]["last"]))
            calendars = await calendars_of([county.id])
            ordinal = working_days([county], calendars, first, last)
            await DeadlineTally.raw(
                f"""
                INSERT INTO deadline_tally ({", ".join(COLUMNS)})
                SELECT c.tenant, {case_month()}, c.line, c.handler, {case_counts([county], now, ordinal)}
                FROM assistance_case c WHERE c.tenant = {{}}
                GROUP BY 1, 2, 3, 4, 5
                """,
                county.id,
            )
        await MonthTally.delete().where(MonthTally.tenant == county.id)
        months = await _months_of(county)
        if months:
            await MonthTally.insert(*months)
        await TallyState.delete().where(TallyState.tenant == county.id)
        await TallyState.insert(TallyState(tenant=county.id, built_at=now, built_on=today))


async def _months_of(county: TenantInfo) -> list[MonthTally]:
    """The county's tally month by month, as ``MonthTally`` rows."""
    sums = ", ".join(f"SUM({name}) AS {name}" for name in COUNTS)
    rows = await DeadlineTally.raw(
        f"""SELECT month, close_days, {sums} FROM deadline_tally WHERE tenant = {{}}
        GROUP BY month, close_days ORDER BY month, close_days""",
        county.id,
    )
    months: dict[str, list[dict]] = {}
    for row in rows:
        months.setdefault(row["month"], []).append(row)
    return [
        MonthTally(
            {MonthTally._meta.get_column_by_name(name): sum(int(row[name]) for row in groups) for name in COUNTS},
            tenant=county.id,
            month=month,
            closing_days=figures.histogram_text(
                (row["close_days"], int(row["closed"])) for row in groups if row["close_days"] is not None
            ),
        )
        for month, groups in months.items()
    ]


Built = dict[int, datetime]  # county id → when its tally was built


async def built(counties: Sequence[TenantInfo]) -> Built:
    return {tenant: state["built_at"] for tenant, state in (await states(counties)).items()}


async def mark_changed(redis, tenant_id: int) -> None:
    await redis.sadd(CHANGED_KEY, tenant_id)


async def take_changed(redis, tenant_id: int) -> bool:
    """Whether the county was marked changed, unmarking it (a mark made during the rebuild that
    follows stays for the next one)."""
    return bool(await redis.srem(CHANGED_KEY, tenant_id))


def needs_rebuild(state: dict | None, county: TenantInfo, now: datetime) -> bool:
    """A county is rebuilt when it never was, on a new day of its own, or ``REFRESH`` after (a
    change no request marked: an import, a calendar's recomputed due days)."""
    return (
        state is None
        or _day(state["built_on"]) != now.astimezone(county.zone).date()
        or now - state["built_at"] >= REFRESH
    )


async def states(counties: Sequence[TenantInfo] | None = None) -> dict[int, dict]:
    """County id → its tally's ``built_at`` and ``built_on``, of the ``counties`` (by default all)."""
    query = TallyState.select(TallyState.tenant, TallyState.built_at, TallyState.built_on)
    if counties is not None:
        query = query.where(TallyState.tenant.is_in([county.id for county in counties]))
    return {row["tenant"]: row for row in await query}


async def _tallied_figures(
    counties: Sequence[TenantInfo], by: By, first: str, last: str, line: str | None
) -> list[Figures]:
    raw = {By.COUNTY: "s.tenant", By.LINE: "s.line", By.HANDLER: "s.handler", By.MONTH: "s.month"}[by]
    sums = ", ".join(f"SUM(s.{name}) AS {name}" for name in COUNTS)
    line_filter = LINE_FILTER.format(column="s.line") if line is not None else ""
    groups = f"""
        SELECT {raw} AS grp, s.close_days, {sums}
        FROM deadline_tally s
        WHERE s.tenant IN ({placeholders(counties)}) AND s.month >= {{}} AND s.month <= {{}} {line_filter}
        GROUP BY 1, 2
    """
    values = [*(county.id for county in counties), first, last]
    if line is not None:
        values.append(line)
    return await grouped_figures(by, groups, values)


async def _month_figures(counties: Sequence[TenantInfo], by: By, first: str, last: str) -> list[Figures]:
    """By county or by month from one row per county and month: a region's pages sum a few
    thousand short rows, and read one histogram text per group, whatever its counties' histories.
    The counties' ids are written in the statement: a hundred values cost Piccolo more than the query."""
    named = {county.id: county for county in counties}
    key = "tenant" if by == By.COUNTY else "month"
    sums = ", ".join(f"SUM({name}) AS {name}" for name in COUNTS)
    rows = await MonthTally.raw(
        f"""SELECT {key} AS key, {sums}, {joined("closing_days")} AS closing_days FROM deadline_tally_month
        WHERE tenant IN ({", ".join(str(int(tenant)) for tenant in named)}) AND month >= {{}} AND month <= {{}}
        GROUP BY {key} ORDER BY {key}""",
        first,
        last,
    )
    return [
        Figures(
            key=named[row["key"]].slug if by == By.COUNTY else row["key"],
            label=named[row["key"]].name if by == By.COUNTY else row["key"],
            closing_days=figures.histogram_of(row["closing_days"] or ""),
            **{name: int(row[name]) for name in COUNTS},
        )
        for row in rows
    ]


async def deadline_figures(
    counties: Sequence[TenantInfo],
    by: By,
    period: Period,
    now: datetime,
    *,
    line: str | None = None,
    calendars: Calendars | None = None,
    tallied: Built | None = None,
) -> list[Figures]:
    """What ``queries.live_figures`` answers, from the tally of the counties that have one
    (``tallied``, by default looked up) for the whole months of ``period``."""
    if not counties:
        return []
    tallied = await built(counties) if tallied is None else tallied
    with_tally = [county for county in counties if county.id in tallied]
    without = [county for county in counties if county.id not in tallied]
    parts = [await live_figures(without, by, period, now, line=line, calendars=calendars)]
    if with_tally:
        split = figures.split_months(period, now.astimezone(with_tally[0].zone).date())
        if split.first is not None and split.last is not None:  # whole months to read from the tally
            if line is None and by in (By.COUNTY, By.MONTH):
                parts.append(await _month_figures(with_tally, by, split.first, split.last))
            else:
                parts.append(await _tallied_figures(with_tally, by, split.first, split.last, line))
        for edge in split.edges:
            parts.append(await live_figures(with_tally, by, edge, now, line=line, calendars=calendars))
    return figures.combined(parts)
