"""arq worker configuration built from the portal's settings."""

from __future__ import annotations

import asyncio
from typing import Any

from arq import cron, func
from arq.connections import RedisSettings
from arq.worker import Worker

from app import db
from app.robots.services import hear_the_inbox
from app.settings import Settings
from app.tenancy import cache
from workers.deadlines import DEADLINES, reminder_scan
from workers.email import MAIL
from workers.evaluation import evaluation_compute
from workers.heartbeat import beat, farewell, worker_name
from workers.partitioned import run_periodically
from workers.robots import ROBOTS
from workers.running import every, recover_jobs, tracked
from workers.substitution import SWEEPS, substitution_sweep
from workers.tally import TALLY

BEAT_SECONDS = 30
# Shared county by county among every worker (workers/partitioned.py), each also run at start.
PERIODIC = [SWEEPS, MAIL, ROBOTS, DEADLINES, TALLY]


def build_worker(settings: Settings, **options: Any) -> Worker:  # options: arq's Worker's
    hear_the_inbox()

    async def startup(ctx: dict) -> None:
        ctx["settings"] = settings
        ctx["worker_name"] = worker_name()
        ctx["db"] = db.connected(settings)
        await ctx["db"].__aenter__()
        # What the workers change (absences the sweep moves on, picks it ends) reaches every web process.
        ctx["invalidating"] = cache.invalidated_by_writes(ctx["redis"])
        ctx["invalidating"].__enter__()
        await beat(ctx)
        # Each worker beats and runs the periodic work itself (a cron job is queued: any worker
        # might take it, and one worker might take all).
        ctx["beating"] = every(BEAT_SECONDS, lambda: beat(ctx), "worker heartbeat")
        await ctx["beating"].__aenter__()
        ctx["periodic"] = [asyncio.create_task(run_periodically(ctx, periodic)) for periodic in PERIODIC]

    async def shutdown(ctx: dict) -> None:
        for task in ctx["periodic"]:
            task.cancel()
        await asyncio.gather(*ctx["periodic"], return_exceptions=True)
        await ctx["beating"].__aexit__(None, None, None)
        await farewell(ctx)
        ctx["invalidating"].__exit__(None, None, None)
        await ctx["db"].__aexit__(None, None, None)

    return Worker(
        # The jobs of a county that ``app.jobs.enqueue`` sends, each ``(ctx, tenant_id, *args)``.
        functions=[
            func(tracked(substitution_sweep), timeout=300),
            func(tracked(reminder_scan), timeout=600),
            func(tracked(evaluation_compute), timeout=600),
        ],
        cron_jobs=[
            # Jobs that Redis lost or whose worker died are queued again within seconds (the one
            # job across counties: it reads only the job records).
            cron(recover_jobs, second={5, 20, 35, 50}, run_at_startup=True, unique=True, timeout=60),
        ],
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        job_timeout=600,
        **options,
    )
