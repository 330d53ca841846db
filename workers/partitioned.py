"""A county's work, run periodically for every county or on demand for one, under one lock.

A periodic job is a ``Periodic``: a kind of work and the function that does it for one county,
``work(ctx, county)``; no periodic job walks the counties itself. On demand (a job enqueued
through ``app.jobs``) the same kind of work runs for one county through ``on_demand``, under the
same county lock, so the two never overlap in a county.

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
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import partial

from app import clock
from app.jobs import set_progress
from app.tenancy.context import TenantInfo
from app.tenancy.services import find_by_id, list_tenants
from workers.heartbeat import worker_name
from workers.running import LOCK_SECONDS, Busy, held

log = logging.getLogger("portal.jobs")
LEDGER = "portal:periodic:{kind}:{tick}"
DUPLICATES = "portal:periodic:duplicates"
KEEP_LEDGER_SECONDS = 86400
# An on-demand job follows someone's action: it waits for a running one rather than being lost.
ON_DEMAND_WAIT = 120

# A county's work: (the worker's context, the county) → its report (a dataclass or a dict of counts).
CountyWork = Callable[[dict, TenantInfo], Awaitable[object]]


def as_report(report: object) -> dict:
    """A county's report as a dict: a dataclass's fields, a dict as it is, anything else empty."""
    if is_dataclass(report) and not isinstance(report, type):
        return asdict(report)
    return report if isinstance(report, dict) else {}


@dataclass
class Share:
    """What one worker did of one tick."""

    tick: int
    done: list[str] = field(default_factory=list)  # county slugs
    done_elsewhere: int = 0
    failed: list[str] = field(default_factory=list)
    totals: Counter = field(default_factory=Counter)  # the counties' reports, added up

    def add(self, report: object) -> None:
        self.totals.update({key: value for key, value in as_report(report).items() if isinstance(value, int)})

    def as_dict(self) -> dict:
        done = {"tick": self.tick, "done": len(self.done), "done_elsewhere": self.done_elsewhere, "failed": self.failed}
        return {**self.totals, **done}


def tick_of(period_seconds: int, at: float | None = None) -> int:
    """The tick a run belongs to: the same number on every host for one scheduled run."""
    return int((clock.now().timestamp() if at is None else at) // period_seconds)


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


async def on_demand(ctx: dict, kind: str, tenant_id: int, work: CountyWork, *, wait: float = ON_DEMAND_WAIT) -> dict:
    """One county's ``kind`` of work for a job of that county (``app.jobs.enqueue``), under the lock
    of its periodic run; a county deleted since the job was enqueued is skipped."""
    county = await find_by_id(tenant_id)
    if county is None:
        return {"skipped": "no such county"}
    async with held(ctx["redis"], county_lock(kind, tenant_id), wait=wait):
        report = as_report(await work(ctx, county))
    await set_progress(ctx["redis"], ctx["job_id"], 100)
    return report


@dataclass(frozen=True)
class Periodic:
    """A kind of work every worker runs at each tick itself, for every county (``each_county``),
    not through the queue: a queued tick may be taken by any worker, even one that already runs the
    same tick, and then one process would do every county while the others idle."""

    kind: str  # the name of its county lock and of its ledger
    work: CountyWork
    period_seconds: int
    offset_seconds: int  # into each period, so that the jobs do not all start at the same second

    async def run(self, ctx: dict) -> dict:
        """One tick: this worker's share of the counties."""
        return (await each_county(ctx, self.kind, self.period_seconds, partial(self.work, ctx))).as_dict()


def seconds_to_next(periodic: Periodic, now: float) -> float:
    wait = (periodic.offset_seconds - now) % periodic.period_seconds
    return wait if wait > 0.5 else wait + periodic.period_seconds  # never the tick just run


async def run_periodically(ctx: dict, periodic: Periodic) -> None:
    """At start, then at each tick, until cancelled (the worker shutting down)."""
    while True:
        try:
            log.info("%s: %s", periodic.kind, await periodic.run(ctx))
        except Exception:  # Redis or the database away for a moment: the next tick tries again
            log.exception("%s failed", periodic.kind)
        await asyncio.sleep(seconds_to_next(periodic, clock.now().timestamp()))
