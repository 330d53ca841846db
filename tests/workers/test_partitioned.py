"""Periodic work shared by several workers county by county (``workers.partitioned``): every
county done once per tick, whoever dies holding one."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from app.jobs import PROGRESS_KEY
from tests.helpers import county
from workers import partitioned, running
from workers.partitioned import DUPLICATES, LEDGER, Periodic, county_lock, each_county, on_demand, seconds_to_next
from workers.running import Busy

pytestmark = pytest.mark.usefixtures("clean_db")
COUNTIES = 12


def lock_of(tenant_id: int) -> str:
    return county_lock("test", tenant_id)


@pytest.fixture
def short_locks(monkeypatch):
    """Locks that a dead holder leaves for 2 s, not 15 s."""
    monkeypatch.setattr(running, "LOCK_SECONDS", 2)
    monkeypatch.setattr(partitioned, "LOCK_SECONDS", 2)


async def test_three_workers_share_the_counties_and_a_dead_holder_is_replaced(redis, short_locks):
    tenants = [await county(f"county{n:02d}") for n in range(COUNTIES)]
    done: Counter = Counter()

    async def work(each) -> dict:
        await asyncio.sleep(0.05)
        done[each.id] += 1
        return {"opened": 1}

    # A worker died while it held one county: its lock is there, renewed by nobody.
    orphan = tenants[0].id
    assert await redis.lock(lock_of(orphan), timeout=2).acquire()
    shares = await asyncio.gather(
        *(each_county({"redis": redis, "worker_name": f"w{n}"}, "test", 60, work) for n in range(3))
    )
    assert done == {tenant.id: 1 for tenant in tenants}  # every county, once
    assert sum(share.totals["opened"] for share in shares) == COUNTIES
    assert sum(len(share.done) for share in shares) == COUNTIES
    assert sum(1 for share in shares if share.done) >= 2  # shared, not one worker doing all
    ledger = await redis.hgetall(LEDGER.format(kind="test", tick=shares[0].tick))
    assert len(ledger) == COUNTIES and await redis.get(DUPLICATES) is None

    # The same tick again (a worker started late): nothing is done twice.
    again = await each_county({"redis": redis, "worker_name": "late"}, "test", 60, work)
    assert again.done == [] and again.done_elsewhere == COUNTIES and sum(done.values()) == COUNTIES


async def test_a_failing_county_does_not_stop_the_others(redis):
    tenants = [await county(f"county{n:02d}") for n in range(3)]

    async def work(each) -> None:
        if each.id == tenants[1].id:
            raise RuntimeError("broken county")

    share = await each_county({"redis": redis}, "test", 60, work)
    assert share.failed == [tenants[1].slug] and len(share.done) == 2


def test_a_periodic_job_waits_for_its_next_second_in_the_period():
    sweep = Periodic("test", work=None, period_seconds=60, offset_seconds=30)
    minute = 1_000_020.0  # second 0 of a minute
    assert seconds_to_next(sweep, minute + 20) == pytest.approx(10)
    assert seconds_to_next(sweep, minute + 30.2) == pytest.approx(59.8)  # just ran: the next minute's
    assert seconds_to_next(sweep, minute + 29.9) == pytest.approx(60.1)  # started a moment early: not again


async def test_a_job_on_demand_waits_for_the_periodic_run_of_its_county(redis):
    tenant = await county("dangshan")
    ctx = {"redis": redis, "job_id": "test:job"}
    seen = []

    async def work(_: dict, each) -> dict:
        seen.append(each.slug)
        return {"opened": 1}

    periodic = Periodic("test", work, period_seconds=60, offset_seconds=0)
    async with running.held(redis, lock_of(tenant.id), wait=0):  # the periodic run holds the county
        with pytest.raises(Busy):
            await on_demand(ctx, periodic.kind, tenant.id, work, wait=0.2)
    assert seen == []
    assert await on_demand(ctx, periodic.kind, tenant.id, work) == {"opened": 1}
    assert seen == ["dangshan"] and await redis.get(PROGRESS_KEY.format(job_id="test:job")) == b"100"
    assert await on_demand(ctx, periodic.kind, tenant.id + 1000, work) == {"skipped": "no such county"}
