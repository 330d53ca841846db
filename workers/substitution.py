"""The substitution sweep of a county: on demand after each decision, and every minute.

One sweep of a county at a time (an on-demand run and the periodic one), so neither works from a
stale rota. The lock dies with its worker within ``LOCK_SECONDS``, so another worker (or the next
minute's run) finishes whatever a killed sweep left half-done.
"""

from __future__ import annotations

from app.flows.substitution import SweepReport, sweep
from app.tenancy.context import TenantInfo
from workers.partitioned import Periodic, on_demand


async def sweep_county(ctx: dict, county: TenantInfo) -> SweepReport:
    return await sweep(county)


# Every minute, so that a missed trigger or a leave that started unseen is caught up.
SWEEPS = Periodic("substitution", sweep_county, period_seconds=60, offset_seconds=30)


async def substitution_sweep(ctx: dict, tenant_id: int) -> dict:
    return await on_demand(ctx, SWEEPS.kind, tenant_id, sweep_county)
