"""arq jobs around the substitution sweep: one county on demand, every county by cron.

One sweep of a county at a time (an on-demand run and the cron), so neither works from a stale
rota. The lock dies with its worker within ``LOCK_SECONDS``, so another worker (or the next
minute's cron) finishes whatever a killed sweep left half-done.
"""

from __future__ import annotations

from dataclasses import asdict

from app.flows.substitution import sweep
from app.jobs import set_progress
from app.tenancy.services import find_by_id
from workers.partitioned import county_lock, each_county
from workers.running import held

# An on-demand sweep follows a decision: it waits for a running sweep rather than being lost.
ON_DEMAND_WAIT = 120

SWEEP_SECONDS = 60  # the period of its periodic run (workers/settings.PERIODIC)


async def substitution_sweep(ctx: dict, tenant_id: int) -> dict:
    county = await find_by_id(tenant_id)
    if county is None:
        return {"skipped": "no such county"}
    async with held(ctx["redis"], county_lock("substitution", tenant_id), wait=ON_DEMAND_WAIT):
        report = await sweep(county)
    await set_progress(ctx["redis"], ctx["job_id"], 100)
    return asdict(report)


async def substitution_sweep_all(ctx: dict) -> dict:
    """Every minute: every county, shared with the other workers (``partitioned``), so
    a missed trigger or a leave that started unseen is caught up."""
    return (await each_county(ctx, "substitution", SWEEP_SECONDS, sweep)).as_dict()
