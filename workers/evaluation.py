"""arq job: compute a cycle's results, reporting progress as it goes."""

from __future__ import annotations

from app.flows.evaluation_inputs import compute
from app.jobs import set_progress
from app.tenancy.context import Actor, TenantContext
from app.tenancy.permissions import Role
from app.tenancy.services import find_by_id
from workers.running import held

SCORER = Actor(user_id=None, label="后台任务：考评计分", roles=frozenset({Role.ADMIN}), address="worker")


async def evaluation_compute(ctx: dict, tenant_id: int, cycle_id: int) -> dict:
    county = await find_by_id(tenant_id)
    if county is None:
        return {"skipped": "no such county"}

    async def report(percent: int) -> None:
        await set_progress(ctx["redis"], ctx["job_id"], percent)

    # One computation of a cycle at a time; a second waits and then recomputes the newer ratings.
    async with held(ctx["redis"], f"portal:lock:evaluation:{cycle_id}", wait=300):
        scored = await compute(TenantContext(county, SCORER), cycle_id, report)
    return {"subjects": scored}
