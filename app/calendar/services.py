"""The working-day calendar of a county (SPEC §7): its overrides and the superadmin's.

Changing a day moves the open cases' due dates, in the same transaction: ``app.flows.calendar``
makes each change here and then has the cases follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from app import clock, db
from app.audit.services import record, record_in
from app.calendar.tables import CalendarDay, CalendarYear, GlobalCalendarDay, GlobalCalendarYear
from app.domain.workdays import (
    DayOverride,
    WorkCalendar,
)
from app.errors import InvalidInput
from app.i18n import N_
from app.i18n.messages import Said, label, said
from app.tenancy import cache
from app.tenancy.context import Actor, Forbidden, NotFound, TenantContext
from app.text import collapse_spaces

FIRST_YEAR, LAST_YEAR = 2000, 2100
"""Days outside these years are typing mistakes, not schedules."""

NOTE_LIMIT = 100  # the column's length


# ---- input ---------------------------------------------------------------------------------------------------------


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("年份须在 {first}–{last} 之间，不是 {year}", first=FIRST_YEAR, last=LAST_YEAR, year=year)
    return year


def parse_year(raw: str) -> int:
    try:
        year = int(raw.strip())
    except ValueError:
        raise InvalidInput("年份须为数字（如 2025），不是 {value}", value=raw) from None
    return check_year(year)


def parse_day(raw: str) -> date:
    """``YYYY-MM-DD`` within the supported years, else ``InvalidInput`` naming the value."""
    if not raw.strip():
        raise InvalidInput("请填写日期，格式为 年-月-日（如 2025-10-01）")
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput("日期 {value} 格式不对，应为 年-月-日（如 2025-10-01）", value=raw) from None
    check_year(day.year)
    return day


def parse_working_days(raw: str) -> int:
    """A count from a query or a form; the calendar itself checks its bounds."""
    try:
        return int(raw.strip())
    except ValueError:
        raise InvalidInput("办结时限须为整数个工作日，不是 {value}", value=raw) from None


def clean_note(note: str) -> str:
    """The note as saved: whitespace collapsed, at most the column's length."""
    note = collapse_spaces(note)
    if len(note) > NOTE_LIMIT:
        raise InvalidInput("备注不能超过 {limit} 个字符", limit=NOTE_LIMIT)
    return note


# ---- loading -------------------------------------------------------------------------------------------------------


def _override(row: dict) -> DayOverride:
    return DayOverride(row["day"], row["workday"], row["note"])


async def county_overrides(ctx: TenantContext) -> list[DayOverride]:
    rows = await ctx.select(CalendarDay, CalendarDay.day, CalendarDay.workday, CalendarDay.note)
    return [_override(row) for row in rows]


async def global_overrides() -> list[DayOverride]:
    rows = await GlobalCalendarDay.select(GlobalCalendarDay.day, GlobalCalendarDay.workday, GlobalCalendarDay.note)
    return [_override(row) for row in rows]


async def county_years(ctx: TenantContext) -> set[int]:
    return {row["year"] for row in await ctx.select(CalendarYear, CalendarYear.year)}


async def global_years() -> set[int]:
    return {row["year"] for row in await GlobalCalendarYear.select(GlobalCalendarYear.year)}


# Every page with a due date needs the calendar: the county's and the superadmin's days and
# entered years in one statement (``year`` is set on the year rows, ``day`` on the others).
CALENDAR = """
SELECT 'county' AS source, day, workday, note, CAST(NULL AS INTEGER) AS year FROM calendar_day WHERE tenant = {}
UNION ALL SELECT 'global', day, workday, note, NULL FROM global_calendar_day
UNION ALL SELECT 'county', NULL, NULL, '', year FROM calendar_year WHERE tenant = {}
UNION ALL SELECT 'global', NULL, NULL, '', year FROM global_calendar_year
"""


async def calendar_of(ctx: TenantContext) -> WorkCalendar:
    """The county's working days: its overrides, then the superadmin's, then the statutory calendar
    (kept by the process)."""
    return await cache.kept(ctx.tenant.id, "calendar", lambda: _calendar_of(ctx))


cache.keeps_rows_of(CalendarDay, CalendarYear, GlobalCalendarDay, GlobalCalendarYear)


async def _calendar_of(ctx: TenantContext) -> WorkCalendar:
    overrides: dict[str, list[DayOverride]] = {"county": [], "global": []}
    entered = set()
    for row in await CalendarDay.raw(CALENDAR, ctx.tenant.id, ctx.tenant.id):
        if row["year"] is not None:
            entered.add(row["year"])
        else:
            day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(row["day"])  # SQLite: text
            overrides[row["source"]].append(DayOverride(day, bool(row["workday"]), row["note"]))
    return WorkCalendar(overrides["county"], overrides["global"], entered)


async def global_calendar() -> WorkCalendar:
    """The working days every county starts from: the superadmin's overrides and the statutory calendar."""
    return WorkCalendar((), await global_overrides(), await global_years())


async def calendars_of(tenant_ids: Iterable[int]) -> dict[int, WorkCalendar]:
    """Which days are working days in each of several counties (statistics across a region), read
    in two statements; the counties that decided no day of their own share one calendar."""
    ids = list(tenant_ids)
    if not ids:
        return {}
    everyone = await global_overrides()
    own: dict[int, list[DayOverride]] = {}
    for row in await CalendarDay.select(
        CalendarDay.tenant, CalendarDay.day, CalendarDay.workday, CalendarDay.note
    ).where(CalendarDay.tenant.is_in(ids)):
        own.setdefault(row["tenant"], []).append(_override(row))
    shared = WorkCalendar((), everyone)
    return {tenant: WorkCalendar(own[tenant], everyone) if tenant in own else shared for tenant in ids}


async def lock_county(ctx: TenantContext) -> None:
    """One calendar change per county at a time, so each recomputes with the other's day in place."""
    await db.serialize(CalendarDay, ctx.tenant.id)


# ---- a county's overrides ------------------------------------------------------------------------------------------


def _day_summary(day: date, workday: bool, note: str) -> Said:
    shown = {"day": day.isoformat(), "what": label(N_("上班") if workday else N_("休息"))}
    return said("{day}：{what} {note}", **shown, note=note) if note else said("{day}：{what}", **shown)


def _entered_state(entered: bool) -> dict:
    return label(N_("已录入") if entered else N_("改为未录入（暂定）"))


def _values(row: dict | None) -> dict | None:
    return None if row is None else {"workday": row["workday"], "note": row["note"]}


async def save_day(ctx: TenantContext, day: date, workday: bool, note: str) -> bool:
    """The county decides a day (e.g. next year's holiday before the package knows it); audited.
    True if the day changed."""
    check_year(day.year)
    note = clean_note(note)
    wanted = {"workday": bool(workday), "note": note}
    async with db.transaction():
        await lock_county(ctx)
        current = await ctx.select(CalendarDay).where(CalendarDay.day == day).first()
        if _values(current) != wanted:
            values = {**wanted, "updated_by": ctx.actor.user_id, "updated_at": clock.now()}
            if current is None:
                await CalendarDay.insert(ctx.new(CalendarDay, day=day, **values))
            else:
                await ctx.update(CalendarDay, {getattr(CalendarDay, k): v for k, v in values.items()}).where(
                    CalendarDay.id == current["id"]
                )
            await record_in(
                ctx,
                action="calendar_day.set",
                entity="calendar_day",
                entity_id=day.isoformat(),
                summary=_day_summary(day, workday, note),
                before=_values(current),
                after=wanted,
            )
            return True
    return False


async def remove_day(ctx: TenantContext, day: date) -> None:
    """Removes the county's decision; the day is as the superadmin or the statutory calendar has it."""
    async with db.transaction():
        await lock_county(ctx)
        current = await ctx.select(CalendarDay).where(CalendarDay.day == day).first()
        if current is None:
            raise NotFound(f"no override of {day.isoformat()}")
        await CalendarDay.delete().where(CalendarDay.id == current["id"])
        await record_in(
            ctx,
            action="calendar_day.clear",
            entity="calendar_day",
            entity_id=day.isoformat(),
            summary=said("{day}：恢复默认", day=day.isoformat()),
            before=_values(current),
        )


# ---- the superadmin's overrides, for every county ------------------------------------------------------------------


def _require_superadmin(actor: Actor) -> None:
    if not actor.is_superadmin:
        raise Forbidden("only a superadmin changes the calendar of every county")


async def save_global_day(actor: Actor, day: date, workday: bool, note: str) -> bool:
    """The superadmin decides a day for every county (a county's own decision still comes first).
    True if the day changed."""
    _require_superadmin(actor)
    check_year(day.year)
    note = clean_note(note)
    wanted = {"workday": bool(workday), "note": note}
    async with db.transaction():
        await db.serialize(GlobalCalendarDay)
        current = await GlobalCalendarDay.select().where(GlobalCalendarDay.day == day).first()
        if _values(current) != wanted:
            values: dict[str, Any] = {**wanted, "updated_by_label": actor.label[:100], "updated_at": clock.now()}
            if current is None:
                await GlobalCalendarDay.insert(GlobalCalendarDay(day=day, **values))
            else:
                await GlobalCalendarDay.update({getattr(GlobalCalendarDay, k): v for k, v in values.items()}).where(
                    GlobalCalendarDay.id == current["id"]
                )
            await record(
                actor,
                tenant_id=None,
                action="global_calendar_day.set",
                entity="global_calendar_day",
                entity_id=day.isoformat(),
                summary=_day_summary(day, workday, note),
                before=_values(current),
                after=wanted,
            )
            return True
    return False


async def remove_global_day(actor: Actor, day: date) -> None:
    _require_superadmin(actor)
    async with db.transaction():
        await db.serialize(GlobalCalendarDay)
        current = await GlobalCalendarDay.select().where(GlobalCalendarDay.day == day).first()
        if current is None:
            raise NotFound(f"no global override of {day.isoformat()}")
        await GlobalCalendarDay.delete().where(GlobalCalendarDay.id == current["id"])
        await record(
            actor,
            tenant_id=None,
            action="global_calendar_day.clear",
            entity="global_calendar_day",
            entity_id=day.isoformat(),
            summary=said("{day}：恢复默认", day=day.isoformat()),
            before=_values(current),
        )


# ---- a year's schedule marked as entered (SPEC §7) -------------------------------------------------------------------


async def mark_year_entered(ctx: TenantContext, year: int, entered: bool) -> bool:
    """An admin says the county's schedule of ``year`` is complete (or takes it back); audited.
    True if that changed.

    Only this makes the year's unmentioned days ordinary weekdays and weekends instead of guesses:
    a county entering a local holiday or two does not silence the 暂定 warning.
    """
    check_year(year)
    async with db.transaction():
        await lock_county(ctx)
        current = await ctx.select(CalendarYear, CalendarYear.id).where(CalendarYear.year == year).first()
        if (current is not None) != entered:
            if current is None:
                await CalendarYear.insert(
                    ctx.new(CalendarYear, year=year, entered_by=ctx.actor.user_id, entered_at=clock.now())
                )
            else:
                await CalendarYear.delete().where(CalendarYear.id == current["id"])
            await record_in(
                ctx,
                action="calendar_year.set",
                entity="calendar_year",
                entity_id=str(year),
                summary=said("{year} 年日历{state}", year=year, state=_entered_state(entered)),
                before={"entered": not entered},
                after={"entered": entered},
            )
            return True
    return False


async def mark_global_year_entered(actor: Actor, year: int, entered: bool) -> bool:
    """The superadmin marks a year entered for every county (e.g. after entering the State Council's
    schedule as global days). True if that changed."""
    _require_superadmin(actor)
    check_year(year)
    async with db.transaction():
        await db.serialize(GlobalCalendarDay)
        current = await GlobalCalendarYear.select(GlobalCalendarYear.id).where(GlobalCalendarYear.year == year).first()
        if (current is not None) != entered:
            if current is None:
                await GlobalCalendarYear.insert(
                    GlobalCalendarYear(year=year, entered_by_label=actor.label[:100], entered_at=clock.now())
                )
            else:
                await GlobalCalendarYear.delete().where(GlobalCalendarYear.id == current["id"])
            await record(
                actor,
                tenant_id=None,
                action="global_calendar_year.set",
                entity="global_calendar_year",
                entity_id=str(year),
                summary=said("{year} 年日历（全局）{state}", year=year, state=_entered_state(entered)),
                before={"entered": not entered},
                after={"entered": entered},
            )
            return True
    return False
