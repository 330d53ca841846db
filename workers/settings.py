"""arq worker configuration built from the portal's settings."""

from __future__ import annotations

from arq import cron, func
from arq.connections import RedisSettings
from arq.worker import Worker

from app import db
from app.settings import Settings
from workers.deadlines import deadline_scan_all, reminder_scan
from workers.email import deliver_due_emails, send_email
from workers.evaluation import evaluation_compute
from workers.heartbeat import beat
from workers.robots import deliver_due_robot_messages
from workers.running import recover_jobs, tracked
from workers.substitution import substitution_sweep, substitution_sweep_all


def build_worker(settings: Settings, **options) -> Worker:
    async def startup(ctx: dict) -> None:
        ctx["settings"] = settings
        ctx["db"] = db.connected(settings)
        await ctx["db"].__aenter__()
        await beat(ctx)

    async def shutdown(ctx: dict) -> None:
        await ctx["db"].__aexit__(None, None, None)

    return Worker(
        functions=[
            func(tracked(substitution_sweep), timeout=300),
            func(tracked(reminder_scan), timeout=600),
            func(send_email, timeout=120),
            func(tracked(evaluation_compute), timeout=600),
        ],
        cron_jobs=[
            cron(beat, second=0, run_at_startup=False, unique=True, timeout=30),
            # Jobs that Redis lost or whose worker died are queued again within seconds.
            cron(recover_jobs, second={5, 20, 35, 50}, run_at_startup=True, unique=True, timeout=60),
            cron(substitution_sweep_all, second=30, run_at_startup=True, unique=True, timeout=600),
            # E-mails due (new ones, and retries after their pause, or after a worker died mid-send).
            cron(deliver_due_emails, second=45, run_at_startup=True, unique=True, timeout=300),
            # Robot messages due; each run posts at most the platforms' 20 a minute per robot.
            cron(deliver_due_robot_messages, second=50, run_at_startup=True, unique=True, timeout=300),
            # Records become due just after midnight of each county; every ten minutes catches up soon.
            cron(
                deadline_scan_all,
                minute=set(range(0, 60, 10)),
                second=15,
                run_at_startup=True,
                unique=True,
                timeout=600,
            ),
        ],
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        job_timeout=600,
        **options,
    )
