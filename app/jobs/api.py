"""/api/v1/t/{tenant}/jobs: run a county's sweep now, and follow a job."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_202_ACCEPTED

from app.jobs import enqueue, state, sweep_kind
from app.tenancy.permissions import Permission
from app.web.guards import County, requires
from app.web.identity import services_of


@post("/jobs/{kind:str}", name="api_job_run", guards=[requires(Permission.JOBS_RUN)], status_code=HTTP_202_ACCEPTED)
async def run_job(request: Request, ctx: County, kind: FromPath[str]) -> dict:
    return {"job_id": await enqueue(services_of(request).queue, sweep_kind(kind), ctx.tenant.id)}


@get("/jobs/{job_id:str}", name="api_job", guards=[requires(Permission.DASHBOARD_VIEW)])
async def job_state(request: Request, ctx: County, job_id: FromPath[str]) -> dict:
    current = await state(ctx, services_of(request).queue, job_id)
    return {"job_id": current.job_id, "status": current.status, "progress": current.progress}


API = [run_job, job_state]
