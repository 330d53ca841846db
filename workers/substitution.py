"""arq jobs around the substitution sweep: one county on demand, every county by cron.

One sweep of a county at a time (an on-demand run and the cron), so neither works from a stale
rota. The lock dies with its worker within ``LOCK_SECONDS``, so the cron of the next minute (on
this worker, a restarted one or another) finishes whatever a killed sweep left half-done.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from app.absences.substitution import sweep
from app.jobs import set_progress
from app.tenancy.services import find_by_id, list_tenants
from workers.running import LOCK_SECONDS, Busy, held

log = logging.getLogger("portal.jobs")
# An on-demand sweep follows a decision: it waits for a running sweep rather than being lost.
ON_DEMAND_WAIT = 120


def _lock_name(tenant_id: int) -> str:
    return f"portal:lock:sweep:{tenant_id}"


async def substitution_sweep(ctx: dict, tenant_id: int) -> dict:
    county = await find_by_id(tenant_id)
    if county is None:
        return {"skipped": "no such county"}
    async with held(ctx["redis"], _lock_name(tenant_id), wait=ON_DEMAND_WAIT):
        report = await sweep(county)
    await set_progress(ctx["redis"], ctx["job_id"], 100)
    return asdict(report)


async def substitution_sweep_all(ctx: dict) -> int:
    """The cron: every county, so a missed trigger or a leave that started unseen is caught up.

    It waits for a county's lock only as long as a dead holder's lock can last: a live sweep that
    holds it longer is doing the work anyway, and the next minute's run looks again."""
    counties = await list_tenants()
    for county in counties:
        try:
            async with held(ctx["redis"], _lock_name(county.id), wait=LOCK_SECONDS):
                await sweep(county)
        except Busy:
            log.info("substitution sweep of %s skipped: another sweep of it is running", county.slug)
        except Exception:  # one county's trouble must not stop the others; it is retried next minute
            log.exception("substitution sweep failed for %s", county.slug)
    return len(counties)
