"""Jobs recorded in the database: what Redis loses is queued again, a silent worker's job is run
again or given up, and a lock lost after the work is not a failure."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from app import clock, jobs
from app.jobs.tables import JobRecord
from tests.helpers import context_of, demo_county, portal
from workers.running import LOCK_SECONDS, Busy, held
from workers.settings import build_worker

pytestmark = pytest.mark.usefixtures("clean_db")
NOW = clock.now()


@pytest.mark.parametrize(
    ("status", "attempts", "silent_for", "shown"),
    [
        ("queued", 0, None, "queued"),
        ("in_progress", 1, timedelta(seconds=1), "in_progress"),
        ("in_progress", 1, jobs.STALE_AFTER, "queued"),
        ("in_progress", jobs.MAX_ATTEMPTS, jobs.STALE_AFTER, "failed"),
        ("complete", 1, timedelta(hours=1), "complete"),
        ("failed", 1, timedelta(hours=1), "failed"),
    ],
)
def test_what_a_record_means_to_someone_following_it(status, attempts, silent_for, shown):
    heartbeat = None if silent_for is None else NOW - silent_for
    assert jobs.shown_status(status, attempts, heartbeat, NOW) == shown


async def _backdate(job_id: str, **values) -> None:
    await JobRecord.update({getattr(JobRecord, key): value for key, value in values.items()}).where(
        JobRecord.job_id == job_id
    )


@asynccontextmanager
async def queued(settings, kind: jobs.JobKind):
    """A job of the demo county enqueued by a running app: its county, the queue and its id."""
    people = await demo_county()
    ctx = await context_of("dangshan", people["admin"])
    async with portal(settings) as client:
        queue = client.app.state.services.queue
        yield ctx, queue, await jobs.enqueue(queue, kind, ctx.tenant.id)


async def test_a_job_redis_lost_is_queued_again_and_runs_once(settings, redis):
    async with queued(settings, jobs.JobKind.SUBSTITUTION) as (ctx, queue, job_id):
        await redis.flushdb()  # Redis wiped (or restarted without its data) with the job queued
        lost = await jobs.state(ctx, queue, job_id)
        untouched = await jobs.recover(queue)  # too soon: it may be on its way to Redis
        await _backdate(job_id, enqueued_at=clock.now() - jobs.SUBMIT_GRACE)
        recovered = await jobs.recover(queue)
        again = await jobs.recover(queue)  # already back in the queue: left alone
        worker = build_worker(settings, burst=True, handle_signals=False, poll_delay=0.05)
        await worker.main()
        await worker.close()
        done = await jobs.state(ctx, queue, job_id)
    assert lost.status == "queued"
    assert (untouched.requeued, recovered.requeued, again.requeued) == (0, 1, 0)
    assert done.status == "complete"
    row = await JobRecord.select(JobRecord.attempts).where(JobRecord.job_id == job_id).first()
    assert row["attempts"] == 1


async def test_a_job_whose_worker_fell_silent_is_run_again_then_given_up(settings, redis):
    async with queued(settings, jobs.JobKind.REMINDERS) as (ctx, queue, job_id):
        silent = clock.now() - jobs.STALE_AFTER
        await _backdate(job_id, status="in_progress", attempts=1, heartbeat_at=silent)
        retried = await jobs.recover(queue)
        first_retry = await JobRecord.select(JobRecord.queue_id).where(JobRecord.job_id == job_id).first()
        await _backdate(job_id, status="in_progress", attempts=jobs.MAX_ATTEMPTS, heartbeat_at=silent)
        given_up = await jobs.recover(queue)
        shown = await jobs.state(ctx, queue, job_id)
        # The superseded attempt still in Redis does nothing when a worker takes it.
        worker = build_worker(settings, burst=True, handle_signals=False, poll_delay=0.05)
        await worker.main()
        await worker.close()
    assert retried.requeued == 1 and first_retry["queue_id"].startswith(f"{job_id}~2~")
    assert given_up.failed == 1 and shown.status == "failed"
    row = await JobRecord.select(JobRecord.status, JobRecord.error).where(JobRecord.job_id == job_id).first()
    assert row == {"status": "failed", "error": "worker lost"}


async def test_a_lock_lost_while_the_job_runs_is_not_a_failure(redis):
    async with held(redis, "portal:lock:test", wait=1):
        await redis.flushdb()  # Redis wiped under the running job
        done = True
    assert done


async def test_a_dead_holders_lock_expires_within_seconds(redis):
    await redis.set("portal:lock:test", "a token of a killed worker", ex=LOCK_SECONDS)
    with pytest.raises(Busy):
        async with held(redis, "portal:lock:test", wait=0.2):
            pass
    assert 0 < await redis.ttl("portal:lock:test") <= LOCK_SECONDS
