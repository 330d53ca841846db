"""An admin runs a county's sweep from the dashboard and watches it finish in place."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from app.i18n import N_
from app.jobs import JobKind, enqueue, state, sweep_kind
from app.tenancy.permissions import Permission
from app.web.guards import County, requires
from app.web.identity import services_of
from app.web.render import page

JOB_LABELS = {
    JobKind.SUBSTITUTION: N_("替岗检查"),
    JobKind.REMINDERS: N_("到期提醒扫描"),
    JobKind.EVALUATION: N_("考评计分"),
}
STATUS_LABELS = {
    "queued": N_("排队中"),
    "in_progress": N_("运行中"),
    "complete": N_("已完成"),
    "failed": N_("失败"),
}


def _status(request: Request, job_id: str, kind: str, status: str) -> Template:
    context = {"job_id": job_id, "kind": kind, "status": status, "labels": STATUS_LABELS, "jobs": JOB_LABELS}
    return page(request, "jobs/status.html", context)


@post("/jobs/{kind:str}", name="job_run", guards=[requires(Permission.JOBS_RUN)])
async def run_now(request: Request, ctx: County, kind: FromPath[str]) -> Template:
    chosen = sweep_kind(kind)
    job_id = await enqueue(services_of(request).queue, chosen, ctx.tenant.id)
    return _status(request, job_id, chosen.value, "queued")


@get("/jobs/{job_id:str}", name="job", guards=[requires(Permission.JOBS_RUN)])
async def job_status(request: Request, ctx: County, job_id: FromPath[str]) -> Template:
    current = await state(ctx, services_of(request).queue, job_id)
    return _status(request, job_id, job_id.split(":")[0], current.status)


PAGES = [run_now, job_status]
