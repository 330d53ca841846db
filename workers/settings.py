"""arq worker configuration built from the portal's settings."""

from __future__ import annotations

import asyncio

from arq import cron, func
from arq.connections import RedisSettings
from arq.worker import Worker

from app import db
from app.settings import Settings
from app.tenancy import cache
from workers.deadlines import DEADLINES_SECONDS, deadline_scan_all, reminder_scan
from workers.email import MAIL_SECONDS, deliver_due_emails, send_email
from workers.evaluation import evaluation_compute
from workers.heartbeat import beat, farewell, worker_name
from workers.partitioned import Periodic, run_periodically
from workers.robots import ROBOT_SECONDS, deliver_due_robot_messages
from workers.running import every, recover_jobs, tracked
from workers.substitution import SWEEP_SECONDS, substitution_sweep, substitution_sweep_all
from workers.tally import TALLY_SECONDS, rebuild_tallies

BEAT_SECONDS = 30
# Shared county by county among every worker (workers/partitioned.py), each also run at start.
PERIODIC = [
    Periodic(substitution_sweep_all, SWEEP_SECONDS, 30),
    # E-mails due (new ones, and retries after their pause, or after a worker died mid-send).
    Periodic(deliver_due_emails, MAIL_SECONDS, 45),
    # Robot messages due; each run posts at most the platforms' 20 a minute per robot.
    Periodic(deliver_due_robot_messages, ROBOT_SECONDS, 50),
    # Records become due just after midnight of each county; every ten minutes catches up soon.
    Periodic(deadline_scan_all, DEADLINES_SECONDS, 15),
    # The statistics' tally of each county written to, of another day, or grown old.
    Periodic(rebuild_tallies, TALLY_SECONDS, 40),
]


def build_worker(settings: Settings, **options) -> Worker:
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
        functions=[
            func(tracked(substitution_sweep), timeout=300),
            func(tracked(reminder_scan), timeout=600),
            func(send_email, timeout=120),
            func(tracked(evaluation_compute), timeout=600),
        ],
        cron_jobs=[
            # Jobs that Redis lost or whose worker died are queued again within seconds.
            cron(recover_jobs, second={5, 20, 35, 50}, run_at_startup=True, unique=True, timeout=60),
        ],
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        job_timeout=600,
        **options,
    )
