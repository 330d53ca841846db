"""The worker says it is alive, so the admin dashboard and ``portal check`` can warn when nobody
runs the jobs. Each worker process beats under its own name too, so an operator sees how many
of them (on how many hosts) are alive."""

from __future__ import annotations

import os
import socket

from redis.asyncio import Redis

from app import clock

HEARTBEAT_KEY = "portal:worker:heartbeat"
WORKER_KEY = "portal:worker:alive:"
STALE_AFTER_SECONDS = 180


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def beat(ctx: dict) -> float:
    now = clock.now().timestamp()
    await ctx["redis"].set(HEARTBEAT_KEY, now, ex=STALE_AFTER_SECONDS * 10)
    await ctx["redis"].set(WORKER_KEY + worker_name(), now, ex=STALE_AFTER_SECONDS)
    return now


async def farewell(ctx: dict) -> None:
    """A worker shutting down is no longer counted (a killed one, after ``STALE_AFTER_SECONDS``)."""
    await ctx["redis"].delete(WORKER_KEY + worker_name())


async def last_beat(redis: Redis) -> float | None:
    raw = await redis.get(HEARTBEAT_KEY)
    return float(raw) if raw is not None else None


async def live_workers(redis: Redis) -> list[str]:
    """The workers that beat within ``STALE_AFTER_SECONDS`` (their keys expire after it)."""
    names = [key.decode() if isinstance(key, bytes) else key async for key in redis.scan_iter(match=WORKER_KEY + "*")]
    return sorted(name.removeprefix(WORKER_KEY) for name in names)
