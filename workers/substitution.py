"""arq jobs around the substitution sweep: one county on demand, every county by cron."""

from __future__ import annotations

import logging
from dataclasses import asdict

from app.absences.substitution import sweep
from app.jobs import set_progress
from app.tenancy.services import find_by_id, list_tenants

log = logging.getLogger("portal.jobs")


async def substitution_sweep(ctx: dict, tenant_id: int) -> dict:
    county = await find_by_id(tenant_id)
    if county is None:
        return {"skipped": "no such county"}
    # One sweep of a county at a time (an on-demand run and the cron), so neither works from a stale rota.
    async with ctx["redis"].lock(f"portal:lock:sweep:{tenant_id}", timeout=600, blocking_timeout=120):
        report = await sweep(county)
    await set_progress(ctx["redis"], ctx["job_id"], 100)
    return asdict(report)


async def substitution_sweep_all(ctx: dict) -> int:
    """The cron: every county, so a missed trigger or a leave that started unseen is caught up."""
    counties = await list_tenants()
    for county in counties:
        try:
            async with ctx["redis"].lock(f"portal:lock:sweep:{county.id}", timeout=600, blocking_timeout=120):
                await sweep(county)
        except Exception:  # one county's trouble must not stop the others; it is retried next minute
            log.exception("substitution sweep failed for %s", county.slug)
    return len(counties)
