"""Periodic work shared by any number of workers on any number of hosts, county by county.

Every worker runs each periodic job's tick itself (``run_periodically``, see ``Periodic``). For each county a
worker takes the county's lock (``running.held``: it dies with its holder within
``LOCK_SECONDS``), looks in the tick's ledger whether someone did the county already, and if
not does it and writes its name there. Counties whose lock is busy are visited again at the
end, waiting for the lock this time: if its holder finished, the ledger says so; if it died,
its lock expires and this worker does the county in the same tick. Each worker walks the
counties in its own random order, so the work spreads.

The ledger (a Redis hash per job and tick: county → worker) is also how an operator, and the
many-workers test, see who did what; a county found done after its work reports a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, is_dataclass

from app.tenancy.context import TenantInfo
from app.tenancy.services import list_tenants
from workers.heartbeat import worker_name
from workers.running import LOCK_SECONDS, Busy, held

log = logging.getLogger("portal.jobs")
LEDGER = "portal:periodic:{kind}:{tick}"
DUPLICATES = "portal:periodic:duplicates"
KEEP_LEDGER_SECONDS = 86400


@dataclass
class Share:
    """What one worker did of one tick."""

    tick: int
    done: list[str] = field(default_factory=list)  # county slugs
    done_elsewhere: int = 0
    failed: list[str] = field(default_factory=list)
    totals: Counter = field(default_factory=Counter)  # the counties' reports, added up

    def add(self, report: object) -> None:
        if is_dataclass(report) and not isinstance(report, type):
            values = asdict(report)
        else:
            values = report if isinstance(report, dict) else {}
        self.totals.update({key: value for key, value in values.items() if isinstance(value, int)})

    def as_dict(self) -> dict:
        done = {"tick": self.tick, "done": len(self.done), "done_elsewhere": self.done_elsewhere, "failed": self.failed}
        return {**self.totals, **done}


def tick_of(period_seconds: int, at: float | None = None) -> int:
    """The tick a run belongs to: the same number on every host for one scheduled run."""
    return int((time.time() if at is None else at) // period_seconds)


def county_lock(kind: str, tenant_id: int) -> str:
    """The lock one county's ``kind`` of work is done under, by a periodic run or on demand."""
    return f"portal:lock:{kind}:{tenant_id}"


async def each_county(
    ctx: dict,
    kind: str,
    period_seconds: int,
    work: Callable[[TenantInfo], Awaitable[object]],
) -> Share:
    redis = ctx["redis"]
    me = ctx.get("worker_name") or worker_name()
    share = Share(tick_of(period_seconds))
    ledger = LEDGER.format(kind=kind, tick=share.tick)
    counties = await list_tenants()
    random.shuffle(counties)
    busy: list[TenantInfo] = []
    for county in counties:
        if not await _one(redis, ledger, me, county, work, kind, share, wait=0):
            busy.append(county)
    for county in busy:
        if not await _one(redis, ledger, me, county, work, kind, share, wait=LOCK_SECONDS):
            # Held for longer than a dead holder's lock lasts: a live worker is at it.
            log.info("%s of %s left to the worker holding it", kind, county.slug)
    return share


async def _one(redis, ledger: str, me: str, county: TenantInfo, work, kind: str, share: Share, *, wait: float) -> bool:
    """Do ``county`` unless done; ``False`` when its lock stayed busy for ``wait`` seconds."""
    try:
        async with held(redis, county_lock(kind, county.id), wait=wait):
            if await redis.hexists(ledger, county.id):
                share.done_elsewhere += 1
                return True
            share.add(await work(county))
            if not await redis.hsetnx(ledger, county.id, me):  # only if a lock was lost mid-work
                await redis.incr(DUPLICATES)
                log.warning("%s: %s was done twice", ledger, county.slug)
            await redis.expire(ledger, KEEP_LEDGER_SECONDS)
            share.done.append(county.slug)
    except Busy:
        return False
    except Exception:  # one county's trouble must not stop the others; the next tick retries it
        log.exception("%s failed for %s", ledger, county.slug)
        share.failed.append(county.slug)
    return True


@dataclass(frozen=True)
class Periodic:
    """A job every worker runs at each tick itself, not through the queue: a queued tick may be
    taken by any worker, even one that already runs the same tick, and then one process would do
    every county while the others idle."""

    job: Callable[[dict], Awaitable[dict]]
    period_seconds: int
    offset_seconds: int  # into each period, so that the jobs do not all start at the same second


def seconds_to_next(periodic: Periodic, now: float) -> float:
    wait = (periodic.offset_seconds - now) % periodic.period_seconds
    return wait if wait > 0.5 else wait + periodic.period_seconds  # never the tick just run


async def run_periodically(ctx: dict, periodic: Periodic) -> None:
    """At start, then at each tick, until cancelled (the worker shutting down)."""
    while True:
        try:
            log.info("%s: %s", periodic.job.__name__, await periodic.job(ctx))
        except Exception:  # Redis or the database away for a moment: the next tick tries again
            log.exception("%s failed", periodic.job.__name__)
        await asyncio.sleep(seconds_to_next(periodic, time.time()))
