"""The thin layer between the portal and arq: enqueue a job of a county, and ask how it is doing.

Job ids carry their county (``kind:t<tenant id>:<random>``), so a county can only follow its own.
Every job is idempotent, so a sweep that is enqueued twice does no harm.

A job is recorded in the database (``JobRecord``) before it goes to Redis, and that record is
what ``state`` answers from: Redis may lose a queued job (flushed, restarted) and a worker may die
mid-job, and ``recover`` (a worker cron) puts either back in the queue.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus
from redis.exceptions import RedisError

from app import clock, db
from app.jobs.tables import JobRecord
from app.tenancy.context import NotFound, TenantContext

log = logging.getLogger("portal.jobs")
PROGRESS_KEY = "portal:job-progress:{job_id}"

# A running job's worker marks its record this often; a record silent for STALE_AFTER has lost its
# worker (killed, or cut off from the database) and is run again, at most MAX_ATTEMPTS times in all.
HEARTBEAT_SECONDS = 5
STALE_AFTER = timedelta(seconds=20)
MAX_ATTEMPTS = 3
# A record is written just before its job reaches Redis: only after this long is it missed there.
SUBMIT_GRACE = timedelta(seconds=10)
KEEP_FINISHED = timedelta(days=7)


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


class Status(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True)
class JobState:
    job_id: str
    status: str  # queued, in_progress, complete, failed
    progress: int  # percent


def shown_status(status: str, attempts: int, heartbeat_at: datetime | None, now: datetime) -> Status:
    """What a record means to someone following the job: a running job whose worker fell silent
    will run again (``queued``), or has used up its attempts (``failed``)."""
    if status != Status.IN_PROGRESS or heartbeat_at is None or now - heartbeat_at < STALE_AFTER:
        return Status(status)
    return Status.QUEUED if attempts < MAX_ATTEMPTS else Status.FAILED


async def _submit(queue: ArqRedis, function: str, queue_id: str, tenant_id: int, args: list) -> None:
    """Hand an attempt to arq; when Redis is out of reach the record stays queued for ``recover``."""
    try:
        await queue.enqueue_job(function, tenant_id, *args, _job_id=queue_id)
    except (RedisError, OSError):
        log.warning("job %s recorded but not queued (Redis unreachable); it is queued once Redis is back", queue_id)


async def enqueue(queue: ArqRedis, kind: JobKind, tenant_id: int, *args) -> str:
    job_id = f"{kind.value}:t{tenant_id}:{uuid.uuid4().hex}"
    await JobRecord(
        tenant=tenant_id,
        job_id=job_id,
        queue_id=job_id,
        kind=kind.value,
        args=list(args),
        status=Status.QUEUED.value,
        enqueued_at=clock.now(),
    ).save()
    await db.commit_so_far()  # the worker reads the record (and what the request changed)
    await _submit(queue, FUNCTIONS[kind], job_id, tenant_id, list(args))
    return job_id


def _owned_by(ctx: TenantContext, job_id: str) -> bool:
    parts = job_id.split(":")
    return len(parts) == 3 and parts[0] in set(JobKind) and parts[1] == f"t{ctx.tenant.id}"


async def set_progress(redis, job_id: str, percent: int) -> None:
    await redis.set(PROGRESS_KEY.format(job_id=job_id), max(0, min(100, percent)), ex=86400)


async def _progress(redis, job_id: str) -> int:
    try:
        raw = await redis.get(PROGRESS_KEY.format(job_id=job_id))
    except (RedisError, OSError):  # progress is a nicety; the record still says how the job is
        return 0
    return int(raw) if raw is not None else 0


async def state(ctx: TenantContext, queue: ArqRedis, job_id: str) -> JobState:
    if not _owned_by(ctx, job_id):
        raise NotFound(f"job {job_id}")
    row = (
        await ctx.select(
            JobRecord,
            JobRecord.job_id,
            JobRecord.queue_id,
            JobRecord.status,
            JobRecord.attempts,
            JobRecord.heartbeat_at,
        )
        .where(JobRecord.job_id == job_id)
        .first()
    )
    if row is None:
        raise NotFound(f"job {job_id}")
    status = shown_status(row["status"], row["attempts"], row["heartbeat_at"], clock.now())
    progress = 100 if status is Status.COMPLETE else await _progress(queue, row["queue_id"])
    return JobState(job_id, status.value, progress)


# --- the worker's side --------------------------------------------------------------------------


async def claim(queue_id: str) -> bool:
    """Take the attempt ``queue_id`` for this worker; ``False`` when it is not (or no longer) the
    job's current queued attempt: done already, running elsewhere, or superseded by a retry."""
    now = clock.now()
    claimed = (
        await JobRecord.update(
            {
                JobRecord.status: Status.IN_PROGRESS.value,
                JobRecord.attempts: JobRecord.attempts + 1,
                JobRecord.heartbeat_at: now,
            }
        )
        .where((JobRecord.queue_id == queue_id) & (JobRecord.status == Status.QUEUED.value))
        .returning(JobRecord.id)
    )
    return bool(claimed)


async def beat(queue_id: str) -> None:
    await JobRecord.update({JobRecord.heartbeat_at: clock.now()}).where(
        (JobRecord.queue_id == queue_id) & (JobRecord.status == Status.IN_PROGRESS.value)
    )


async def finish(queue_id: str, status: Status, error: str = "") -> None:
    """Record how the attempt ended; ``queued`` hands it back (the worker is shutting down)."""
    finished_at = None if status is Status.QUEUED else clock.now()
    await JobRecord.update(
        {JobRecord.status: status.value, JobRecord.error: error[:300], JobRecord.finished_at: finished_at}
    ).where((JobRecord.queue_id == queue_id) & (JobRecord.status == Status.IN_PROGRESS.value))


@dataclass
class Recovery:
    requeued: int = 0  # lost by Redis, or whose worker died
    failed: int = 0  # out of attempts
    forgotten: int = 0  # finished long ago


async def _in_queue(queue: ArqRedis, queue_id: str) -> bool:
    return await Job(queue_id, queue).status() in (JobStatus.queued, JobStatus.deferred, JobStatus.in_progress)


async def recover(queue: ArqRedis) -> Recovery:
    """Put back in the queue every job Redis lost and every job whose worker died; give up on a
    job after ``MAX_ATTEMPTS``. Safe on several workers at once: a record moves to a new attempt
    by a conditional UPDATE, so only one of them queues it."""
    now = clock.now()
    report = Recovery()
    rows = (
        await JobRecord.select(
            JobRecord.id,
            JobRecord.tenant,
            JobRecord.queue_id,
            JobRecord.kind,
            JobRecord.args,
            JobRecord.status,
            JobRecord.attempts,
            JobRecord.heartbeat_at,
        )
        .where(
            (JobRecord.status == Status.QUEUED.value) & (JobRecord.enqueued_at < now - SUBMIT_GRACE)
            | (JobRecord.status == Status.IN_PROGRESS.value) & (JobRecord.heartbeat_at < now - STALE_AFTER)
        )
        .output(load_json=True)
    )
    for row in rows:
        if row["status"] == Status.QUEUED and await _in_queue(queue, row["queue_id"]):
            continue
        if row["attempts"] >= MAX_ATTEMPTS:
            report.failed += len(
                await JobRecord.update(
                    {JobRecord.status: Status.FAILED.value, JobRecord.error: "worker lost", JobRecord.finished_at: now}
                )
                .where((JobRecord.id == row["id"]) & (JobRecord.queue_id == row["queue_id"]))
                .returning(JobRecord.id)
            )
            continue
        retry_id = f"{row['queue_id'].split('~')[0]}~{row['attempts'] + 1}~{uuid.uuid4().hex[:6]}"
        moved = (
            await JobRecord.update(
                {JobRecord.queue_id: retry_id, JobRecord.status: Status.QUEUED.value, JobRecord.enqueued_at: now}
            )
            .where((JobRecord.id == row["id"]) & (JobRecord.queue_id == row["queue_id"]))
            .returning(JobRecord.id)
        )
        if moved:
            await _submit(queue, FUNCTIONS[JobKind(row["kind"])], retry_id, row["tenant"], row["args"])
            report.requeued += 1
    forgotten = (
        await JobRecord.delete()
        .where(JobRecord.finished_at.is_not_null() & (JobRecord.finished_at < now - KEEP_FINISHED))
        .returning(JobRecord.id)
    )
    report.forgotten = len(forgotten)
    return report
