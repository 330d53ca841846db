"""The thin layer between the portal and arq: enqueue a job of a county, and ask how it is doing.

Job ids carry their county (``kind:t<tenant id>:<random>``), so a county can only follow its own.
Every job is idempotent, so a sweep that is enqueued twice does no harm.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus

from app.tenancy.context import NotFound, TenantContext

PROGRESS_KEY = "portal:job-progress:{job_id}"


class JobKind(StrEnum):
    SUBSTITUTION = "substitution"
    REMINDERS = "reminders"
    EVALUATION = "evaluation"


# The arq function that runs each kind of job, for one county.
FUNCTIONS = {
    JobKind.SUBSTITUTION: "substitution_sweep",
    JobKind.REMINDERS: "reminder_scan",
    JobKind.EVALUATION: "evaluation_compute",
}


# What an admin may run for the whole county by name (POST /jobs/{kind}).
SWEEPS = (JobKind.SUBSTITUTION, JobKind.REMINDERS)


def sweep_kind(kind: str) -> JobKind:
    """The county-wide sweep called ``kind``, or ``NotFound``."""
    if kind not in SWEEPS:
        raise NotFound(f"no job kind {kind!r}; known: {', '.join(SWEEPS)}")
    return JobKind(kind)


@dataclass(frozen=True)
class JobState:
    job_id: str
    status: str  # queued, in_progress, complete, failed
    progress: int  # percent


async def enqueue(queue: ArqRedis, kind: JobKind, tenant_id: int, *args) -> str:
    job_id = f"{kind.value}:t{tenant_id}:{uuid.uuid4().hex}"
    await queue.enqueue_job(FUNCTIONS[kind], tenant_id, *args, _job_id=job_id)
    return job_id


def _owned_by(ctx: TenantContext, job_id: str) -> bool:
    parts = job_id.split(":")
    return len(parts) == 3 and parts[0] in set(JobKind) and parts[1] == f"t{ctx.tenant.id}"


async def set_progress(redis, job_id: str, percent: int) -> None:
    await redis.set(PROGRESS_KEY.format(job_id=job_id), max(0, min(100, percent)), ex=86400)


async def state(ctx: TenantContext, queue: ArqRedis, job_id: str) -> JobState:
    if not _owned_by(ctx, job_id):
        raise NotFound(f"job {job_id}")
    job = Job(job_id, queue)
    status = await job.status()
    if status is JobStatus.not_found:
        raise NotFound(f"job {job_id}")
    raw = await queue.get(PROGRESS_KEY.format(job_id=job_id))
    progress = int(raw) if raw is not None else 0
    if status is JobStatus.complete:
        info = await job.result_info()
        return JobState(
            job_id, "complete" if info and info.success else "failed", 100 if info and info.success else progress
        )
    named = "in_progress" if status is JobStatus.in_progress else "queued"
    return JobState(job_id, named, progress)
