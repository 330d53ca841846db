"""What every job needs while it runs, so that a worker that dies holds nothing up.

- ``held``: a Redis lock that expires ``LOCK_SECONDS`` after its holder stops renewing it (a
  killed worker's lock is gone within seconds, not after the job's whole timeout). A lock lost
  while the job still runs (Redis flushed or restarted) is logged, not a failure: the jobs are
  idempotent and the database, not the lock, keeps them correct.
- ``tracked``: a job recorded in the database (``app.jobs``) is claimed, beats while it runs and
  records how it ended, so ``GET /jobs/{id}`` is true and ``recover`` can re-run a job whose
  worker died.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict

from arq.typing import WorkerCoroutine
from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from app import jobs

log = logging.getLogger("portal.jobs")
LOCK_SECONDS = 15


class Busy(Exception):
    """Someone else held the lock for longer than we were prepared to wait."""


@asynccontextmanager
async def every(seconds: float, action: Callable[[], Awaitable[object]], what: str) -> AsyncIterator[None]:
    """Run ``action`` every ``seconds`` in the background while the block runs. A failing action
    is logged and tried again next time: the block's work must not stop for it."""

    async def repeat() -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await action()
            except Exception as exc:  # noqa: BLE001 - Redis or the database away for a moment
                log.warning("%s failed: %s", what, exc)

    task = asyncio.create_task(repeat())
    try:
        yield
    finally:
        task.cancel()


@asynccontextmanager
async def held(redis: Redis, name: str, *, wait: float) -> AsyncIterator[None]:
    """Hold the lock ``name`` for the block, waiting at most ``wait`` seconds for it (``Busy``)."""
    lock = redis.lock(name, timeout=LOCK_SECONDS, blocking_timeout=wait)
    if not await lock.acquire():
        raise Busy(name)

    async def renew() -> None:
        try:
            await lock.reacquire()
        except LockError:  # expired or wiped: nothing to renew; the work goes on (see above)
            log.warning("lock %s was lost while its job ran", name)

    try:
        async with every(LOCK_SECONDS / 3, renew, f"renewing lock {name}"):
            yield
    finally:
        try:
            await lock.release()
        except (LockError, RedisError) as exc:  # the work is done: a lost lock changes nothing
            log.warning("lock %s was already gone at the end (%s); the job's work stands", name, exc)


def tracked(job: Callable[..., Awaitable[dict]]) -> WorkerCoroutine:
    """The arq function for ``job`` (a function of a kind in ``app.jobs.FUNCTIONS``)."""

    @functools.wraps(job)
    async def run(ctx: dict, *args: object) -> dict:
        queue_id = ctx["job_id"]
        if not await jobs.claim(queue_id):
            return {"skipped": "done already, running elsewhere, or superseded by a retry"}
        try:
            async with every(jobs.HEARTBEAT_SECONDS, lambda: jobs.beat(queue_id), f"heartbeat of {queue_id}"):
                result = await job(ctx, *args)
        except asyncio.CancelledError:  # the worker is shutting down: arq queues the job again
            await asyncio.shield(jobs.finish(queue_id, jobs.Status.QUEUED))
            raise
        except Exception as exc:
            await jobs.finish(queue_id, jobs.Status.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        await jobs.finish(queue_id, jobs.Status.COMPLETE)
        return result

    return run


async def recover_jobs(ctx: dict) -> dict:
    """The cron that re-queues what Redis lost and what died with a worker (``app.jobs.recover``)."""
    return asdict(await jobs.recover(ctx["redis"]))
