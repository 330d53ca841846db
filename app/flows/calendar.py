"""A change to the working-day calendar and the open cases' dates that follow it, in one
transaction (SPEC §7): the county's change moves its cases, the superadmin's every county's.
"""

from __future__ import annotations

from datetime import date

from app import db
from app.calendar import services as calendar
from app.cases.dates import recompute_county
from app.domain.workdays import DayInfo
from app.tenancy.context import Actor, TenantContext
from app.tenancy.services import list_tenants


async def set_day(ctx: TenantContext, day: date, workday: bool, note: str) -> DayInfo:
    async with db.transaction():
        if await calendar.save_day(ctx, day, workday, note):
            await recompute_county(ctx, touching=day)
    return (await calendar.calendar_of(ctx)).day(day)


async def clear_day(ctx: TenantContext, day: date) -> DayInfo:
    async with db.transaction():
        await calendar.remove_day(ctx, day)
        await recompute_county(ctx, touching=day)
    return (await calendar.calendar_of(ctx)).day(day)


async def set_year_entered(ctx: TenantContext, year: int, entered: bool) -> bool:
    async with db.transaction():
        if await calendar.mark_year_entered(ctx, year, entered):
            # Entering turns only guesses into decisions; taking it back may touch any case of the year.
            await recompute_county(ctx, provisional_only=entered)
    return year in (await calendar.county_years(ctx) | await calendar.global_years())


async def _recompute_every_county(actor: Actor, day: date | None, *, provisional_only: bool = False) -> None:
    # Counties in id order, each under its own lock: a county's change waits or is waited for.
    for tenant in sorted(await list_tenants(), key=lambda t: t.id):
        await recompute_county(
            TenantContext(tenant=tenant, actor=actor), touching=day, provisional_only=provisional_only
        )


async def set_global_day(actor: Actor, day: date, workday: bool, note: str) -> DayInfo:
    async with db.transaction():
        if await calendar.save_global_day(actor, day, workday, note):
            await _recompute_every_county(actor, day)
    return (await calendar.global_calendar()).day(day)


async def clear_global_day(actor: Actor, day: date) -> DayInfo:
    async with db.transaction():
        await calendar.remove_global_day(actor, day)
        await _recompute_every_county(actor, day)
    return (await calendar.global_calendar()).day(day)


async def set_global_year_entered(actor: Actor, year: int, entered: bool) -> bool:
    async with db.transaction():
        if await calendar.mark_global_year_entered(actor, year, entered):
            await _recompute_every_county(actor, None, provisional_only=entered)
    return year in await calendar.global_years()
