"""arq jobs of the deadline work of every county: accountability for overdue cases (第十三条)
and the reminder scan (SPEC §8). Both are idempotent, so the cron may run them as often as wanted
and an admin's "run now" may overlap it."""

from __future__ import annotations

from dataclasses import asdict

from app.cases.accountability import record_overdue
from app.flows.reminders import scan
from app.jobs import set_progress
from app.tenancy.context import Actor, TenantContext, TenantInfo
from app.tenancy.services import find_by_id
from workers.partitioned import each_county

DEADLINE_KEEPER = Actor(user_id=None, label="后台任务：限时办结", address="worker")
# Reminders wait for the working morning of the county; accountability is recorded at any hour.
REMINDER_HOUR = 8

DEADLINES_SECONDS = 600  # the period of its periodic run (workers/settings.PERIODIC)


async def _deadlines(county: TenantInfo, *, remind: bool) -> dict:
    ctx = TenantContext(county, DEADLINE_KEEPER)
    today = county.now().date()
    report = {"accountability": await record_overdue(ctx, today)}
    if remind:
        report.update(asdict(await scan(ctx, today)))
    return report


async def reminder_scan(ctx: dict, tenant_id: int) -> dict:
    """On demand (an admin's "run now"): one county, whatever the hour."""
    county = await find_by_id(tenant_id)
    if county is None:
        return {"skipped": "no such county"}
    report = await _deadlines(county, remind=True)
    await set_progress(ctx["redis"], ctx["job_id"], 100)
    return report


async def deadline_scan_all(ctx: dict) -> dict:
    """Every ten minutes: every county, each in its own time zone, shared with the
    other workers (``partitioned``)."""

    async def deadlines(county: TenantInfo) -> dict:
        return await _deadlines(county, remind=county.now().hour >= REMINDER_HOUR)

    return (await each_county(ctx, "deadlines", DEADLINES_SECONDS, deadlines)).as_dict()
