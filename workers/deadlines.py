"""The deadline work of a county: accountability for overdue cases (第十三条) and the reminder scan
(SPEC §8). Both are idempotent, so the periodic run may do them as often as wanted and an admin's
"run now" may follow it."""

from __future__ import annotations

from dataclasses import asdict

from app.cases.accountability import record_overdue
from app.flows.reminders import scan
from app.tenancy.context import Actor, TenantContext, TenantInfo
from workers.partitioned import Periodic, on_demand

DEADLINE_KEEPER = Actor(user_id=None, label="后台任务：限时办结", address="worker")
# Reminders wait for the working morning of the county; accountability is recorded at any hour.
REMINDER_HOUR = 8


async def _deadlines(county: TenantInfo, *, remind: bool) -> dict:
    ctx = TenantContext(county, DEADLINE_KEEPER)
    today = county.now().date()
    report = {"accountability": await record_overdue(ctx, today)}
    if remind:
        report.update(asdict(await scan(ctx, today)))
    return report


async def deadlines_on_the_clock(ctx: dict, county: TenantInfo) -> dict:
    """Periodically, each county in its own time zone."""
    return await _deadlines(county, remind=county.now().hour >= REMINDER_HOUR)


async def deadlines_now(ctx: dict, county: TenantInfo) -> dict:
    """On demand (an admin's "run now"), whatever the hour."""
    return await _deadlines(county, remind=True)


# Records become due just after midnight of each county; every ten minutes catches up soon.
DEADLINES = Periodic("deadlines", deadlines_on_the_clock, period_seconds=600, offset_seconds=15)


async def reminder_scan(ctx: dict, tenant_id: int) -> dict:
    return await on_demand(ctx, DEADLINES.kind, tenant_id, deadlines_now)
