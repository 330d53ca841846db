"""The worker says it is alive, so the admin dashboard can warn when nobody runs the jobs."""

from __future__ import annotations

import time

HEARTBEAT_KEY = "portal:worker:heartbeat"
STALE_AFTER_SECONDS = 180


async def beat(ctx: dict) -> float:
    now = time.time()
    await ctx["redis"].set(HEARTBEAT_KEY, now, ex=STALE_AFTER_SECONDS * 10)
    return now


async def last_beat(redis) -> float | None:
    raw = await redis.get(HEARTBEAT_KEY)
    return float(raw) if raw is not None else None
