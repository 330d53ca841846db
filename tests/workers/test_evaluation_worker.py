"""The evaluation compute job on a real Redis with real arq workers: enqueued through the API, run by
a burst worker, followed through ``GET /jobs/{id}``; two jobs and two workers at once."""

from __future__ import annotations

import asyncio

import pytest

from app.evaluation import grassroots
from app.evaluation.tables import Cycle, Rectification, Result
from app.jobs import PROGRESS_KEY
from tests.helpers import demo_county
from tests.integration.test_evaluation import (
    SECTION,
    Demo,
    assert_results_follow_the_stored_ratings,
    every_subject,
    links_of,
)
from tests.integration.test_evaluation_api import API, CYCLES, speaking
from workers.settings import build_worker

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
async def demo() -> Demo:
    return Demo(await demo_county())


async def rated_cycle(demo: Demo) -> int:
    """A cycle in its external step with every component of 王效雷 and 刘晓梅 rated (刘晓梅 below 70)."""
    cycle = await demo.open(step="external")
    await demo.rate("wangxiaolei", cycle.id, "wangxiaolei", "self", 95)
    await demo.rate("head", cycle.id, "head", "self", 60)
    for rater, score in (("leader", "88.5"), ("zhaoming", 91)):
        await demo.rate(rater, cycle.id, "wangxiaolei", "leadership", score)
        await demo.rate(rater, cycle.id, "head", "leadership", 62)
    for rater in ("houweili", "zhuwenjun"):
        await demo.rate(rater, cycle.id, "wangxiaolei", "peer", 84)
        await demo.rate(rater, cycle.id, "head", "peer", "65.5")
    [token] = await links_of(demo, cycle.id, 1)
    await grassroots.rate_by_link(token, every_subject(demo, 78, head=66))
    return cycle.id


async def run_workers(settings, how_many: int) -> None:
    workers = [build_worker(settings, burst=True, handle_signals=False, poll_delay=0.05) for _ in range(how_many)]
    await asyncio.gather(*(worker.main() for worker in workers))
    for worker in workers:
        await worker.close()


async def test_compute_through_the_api_and_a_burst_worker(settings, redis, demo):
    cycle_id = await rated_cycle(demo)
    async with speaking(settings, demo, "admin") as api:
        queued = await api.post("admin", f"{CYCLES}/{cycle_id}/compute")
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["job_id"]
        before = (await api.get("admin", f"{API}/jobs/{job_id}")).json()
        empty = (await api.get("admin", f"{CYCLES}/{cycle_id}/results")).json()
        await run_workers(settings, 1)
        after = (await api.get("admin", f"{API}/jobs/{job_id}")).json()
        results = (await api.get("admin", f"{CYCLES}/{cycle_id}/results")).json()
    assert before == {"job_id": job_id, "status": "queued", "progress": 0}
    assert empty == []
    assert after == {"job_id": job_id, "status": "complete", "progress": 100}
    assert await redis.get(PROGRESS_KEY.format(job_id=job_id)) == b"100"
    # leadership (88.5 + 91) / 2 = 89.75, peer 84, self 95, grassroots 78: (6282.5 + 840 + 950 + 780) / 100
    assert results[0]["staff_id"] == demo["wangxiaolei"]
    assert (results[0]["status"], results[0]["score"], results[0]["grade"]) == ("scored", "88.53", "excellent")
    # 70 × 62 + 10 × 65.5 + 10 × 60 + 10 × 66 = 6255 → 62.55
    assert (results[1]["staff_id"], results[1]["score"], results[1]["needs_rectification"]) == (
        demo["head"],
        "62.55",
        True,
    )
    assert [r["status"] for r in results[2:]] == ["incomplete"] * (len(SECTION) - 2)
    assert (await Cycle.select(Cycle.computed_at).first())["computed_at"] is not None
    await assert_results_follow_the_stored_ratings(demo, cycle_id)


async def test_two_computes_and_two_workers_at_once_leave_one_result_per_subject(settings, redis, demo):
    cycle_id = await rated_cycle(demo)
    async with speaking(settings, demo, "admin") as api:
        jobs = [(await api.post("admin", f"{CYCLES}/{cycle_id}/compute")).json()["job_id"] for _ in range(2)]
        # A rating arriving after the jobs were enqueued: a job reads the ratings when it runs.
        await demo.rate("sunjing", cycle_id, "wangxiaolei", "peer", 60)
        await run_workers(settings, 2)
        states = [(await api.get("admin", f"{API}/jobs/{job_id}")).json() for job_id in jobs]
        results = (await api.get("admin", f"{CYCLES}/{cycle_id}/results")).json()
    assert [(s["status"], s["progress"]) for s in states] == [("complete", 100), ("complete", 100)]
    assert [await redis.get(PROGRESS_KEY.format(job_id=job_id)) for job_id in jobs] == [b"100", b"100"]
    assert await Result.count() == len(SECTION) == len(results)
    assert sorted(r["staff_id"] for r in results) == sorted(demo[u] for u in SECTION)
    assert await Rectification.count() == 1
    # peer (84 + 84 + 60) / 3 = 76: (6282.5 + 760 + 950 + 780) / 100 = 87.725 → 87.73
    assert results[0]["score"] == "87.73"
    await assert_results_follow_the_stored_ratings(demo, cycle_id)
