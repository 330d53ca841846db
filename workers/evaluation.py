"""The evaluation job of a county: compute a cycle's results, reporting progress as it goes."""

from __future__ import annotations

from app.flows.evaluation_inputs import compute
from app.jobs import set_progress
from app.tenancy.context import Actor, TenantContext, TenantInfo
from app.tenancy.permissions import Role
from workers.partitioned import on_demand

SCORER = Actor(user_id=None, label="后台任务：考评计分", roles=frozenset({Role.ADMIN}), address="worker")
# One computation in a county at a time; a second waits and then recomputes the newer ratings.
COMPUTE_WAIT = 300


async def evaluation_compute(ctx: dict, tenant_id: int, cycle_id: int) -> dict:
    async def report(percent: int) -> None:
        await set_progress(ctx["redis"], ctx["job_id"], percent)

    async def scored(_: dict, county: TenantInfo) -> dict:
        return {"subjects": await compute(TenantContext(county, SCORER), cycle_id, report)}

    return await on_demand(ctx, "evaluation", tenant_id, scored, wait=COMPUTE_WAIT)
