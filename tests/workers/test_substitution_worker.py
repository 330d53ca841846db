"""The substitution job on a real Redis with real arq workers: burst, concurrent, and killed."""

from __future__ import annotations

import asyncio

import pytest

from app import jobs
from app.absences.tables import Substitution
from app.accounts.tables import User
from app.flows.substitution import sweep
from app.jobs.tables import JobRecord
from app.notifications.tables import Notification
from app.setup import as_code
from tests.helpers import OPERATOR, api_token, context_of, demo_county, portal, start_leave
from tests.workers.processes import kill, until, worker_process
from workers.settings import build_worker

pytestmark = pytest.mark.usefixtures("clean_db")


async def test_run_now_through_the_api_and_a_burst_worker(settings, redis):
    people = {**await demo_county(), "_approver": "leader"}
    await start_leave(people, "wangxiaolei")
    admin = await api_token("dangshan", people["admin"])
    async with portal(settings) as client:
        headers = {"Authorization": f"Bearer {admin}"}
        queued = await client.post("/api/v1/t/dangshan/jobs/substitution", headers=headers)
        assert queued.status_code == 202
        job_id = queued.json()["job_id"]
        before = (await client.get(f"/api/v1/t/dangshan/jobs/{job_id}", headers=headers)).json()
        assert before["status"] == "queued"
        worker = build_worker(settings, burst=True, handle_signals=False, poll_delay=0.05)
        await worker.main()
        await worker.close()
        after = (await client.get(f"/api/v1/t/dangshan/jobs/{job_id}", headers=headers)).json()
        clerk = await api_token("dangshan", people["houweili"])
        refused = await client.post(
            "/api/v1/t/dangshan/jobs/substitution", headers={"Authorization": f"Bearer {clerk}"}
        )
        unknown = await client.post("/api/v1/t/dangshan/jobs/launch-rockets", headers=headers)
    assert after == {"job_id": job_id, "status": "complete", "progress": 100}
    assert await Substitution.count().where(Substitution.ended_at.is_null()) == 2
    assert refused.status_code == 403 and unknown.status_code == 404


async def _opened(at_least: int) -> bool:
    return await Substitution.count() >= at_least


async def everyone_a_on_leave(lines: int) -> dict[str, int]:
    """``big_county(lines)`` with every A on leave (a sweep with ``lines`` substitutions to open)."""
    await as_code.apply(as_code.parse(big_county(lines)), OPERATOR)
    people = {u["username"]: u["id"] for u in await User.select(User.id, User.username)}
    people["_approver"] = "leader"
    for n in range(lines):
        await start_leave(people, f"a{n}", slug="dasheng")
    return people


def big_county(lines: int, slug: str = "dasheng") -> str:
    """A county with ``lines`` lines, each with its own A and B, plus a leader who approves."""
    parts = [f'slug = "{slug}"', f'name = "{slug}县"']
    for n in range(lines):
        parts.append(f'[[lines]]\ncode = "line{n}"\nname = "岗位{n}"\nworking_days = 10')
    parts.append('[[staff]]\nusername = "leader"\nname = "领导"\nroles = ["leader"]')
    parts.append('[[staff]]\nusername = "head"\nname = "负责人"\nroles = ["section_head"]')
    for n in range(lines):
        parts.append(f'[[staff]]\nusername = "a{n}"\nname = "甲{n}"\nroles = ["staff"]')
        parts.append(f'[[staff]]\nusername = "b{n}"\nname = "乙{n}"\nroles = ["staff"]\nqualifications = ["line{n}"]')
    parts.append("[assignments]\n" + "\n".join(f'line{n} = {{ a = "a{n}", b = "b{n}" }}' for n in range(lines)))
    return "\n".join(parts)


async def test_a_worker_killed_in_the_middle_leaves_nothing_half_done(settings, redis):
    lines = 40
    people = await everyone_a_on_leave(lines)
    async with worker_process() as worker:
        await until(lambda: _opened(5), 30, "the worker never started the sweep")
        await kill(worker)
    opened_before_restart = await Substitution.count()
    county = (await context_of("dasheng", people["leader"])).tenant
    await sweep(county)
    await sweep(county)
    open_rows = await Substitution.select(Substitution.line, Substitution.substitute).where(
        Substitution.ended_at.is_null()
    )
    assert len(open_rows) == lines and len({row["line"] for row in open_rows}) == lines
    assert {row["substitute"] for row in open_rows} == {people[f"b{n}"] for n in range(lines)}
    starts = await Notification.select(Notification.user).where(Notification.kind == "substitution.start")
    assert sorted(row["user"] for row in starts) == sorted(people[f"b{n}"] for n in range(lines))
    assert opened_before_restart <= lines
    print(f"killed after {opened_before_restart} of {lines} substitutions")


async def test_a_job_whose_worker_is_killed_is_finished_by_the_next_worker(settings, redis):
    """SIGKILL of a real worker in the middle of an on-demand sweep: a restarted worker takes over
    the county's lock (it expires within seconds), finishes the sweep, and re-runs the job, which
    reads ``complete``: never ``in_progress`` for ever, nothing done twice."""
    lines = 40
    people = await everyone_a_on_leave(lines)
    ctx = await context_of("dasheng", people["leader"])
    async with portal(settings) as client:
        queue = client.app.state.services.queue

        async def job_reads(status: str) -> bool:
            return (await jobs.state(ctx, queue, job_id)).status == status

        # Queued before the worker starts, so it is taken before the worker's own startup sweep.
        job_id = await jobs.enqueue(queue, jobs.JobKind.SUBSTITUTION, ctx.tenant.id)
        async with worker_process() as worker:
            await until(lambda: _opened(5), 30, "the worker never started the sweep")
            await kill(worker)
        killed_at = asyncio.get_running_loop().time()
        opened_when_killed = await Substitution.count()
        seen_right_after = (await jobs.state(ctx, queue, job_id)).status
        async with worker_process():
            await until(lambda: _opened(lines), 120, "the next worker never finished the sweep")
            swept_after = asyncio.get_running_loop().time() - killed_at
            await until(lambda: job_reads("complete"), 120, "the killed job never completed")
            completed_after = asyncio.get_running_loop().time() - killed_at
    open_rows = await Substitution.select(Substitution.line).where(Substitution.ended_at.is_null())
    assert sorted(row["line"] for row in open_rows) == sorted({row["line"] for row in open_rows})
    assert len(open_rows) == lines
    starts = await Notification.count().where(Notification.kind == "substitution.start")
    assert starts == lines
    record = await JobRecord.select(JobRecord.attempts).where(JobRecord.job_id == job_id).first()
    assert seen_right_after == "in_progress" and record["attempts"] == 2
    print(
        f"killed after {opened_when_killed} of {lines} substitutions; sweep finished {swept_after:.1f} s "
        f"and the job read complete {completed_after:.1f} s after SIGKILL"
    )
