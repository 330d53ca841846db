"""arq worker configuration built from the portal's settings."""

from __future__ import annotations

from arq import cron, func
from arq.connections import RedisSettings
from arq.worker import Worker

from app import db
from app.settings import Settings
from workers.heartbeat import beat
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
        functions=[func(substitution_sweep, timeout=300)],
        cron_jobs=[
            cron(beat, second=0, run_at_startup=False, unique=True, timeout=30),
            cron(substitution_sweep_all, second=30, run_at_startup=True, unique=True, timeout=600),
        ],
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        job_timeout=600,
        **options,
    )
