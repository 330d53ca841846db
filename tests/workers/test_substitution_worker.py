"""The substitution job on a real Redis with real arq workers: burst, concurrent, and killed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime, timedelta

import pytest

from app.absences import services
from app.absences.rules import Action
from app.absences.substitution import sweep
from app.absences.tables import Substitution
from app.notifications.tables import Notification
from app.settings import PROJECT_ROOT
from app.tenancy import as_code
from tests.conftest import REDIS_URL, database_url
from tests.helpers import OPERATOR, api_token, context_of, demo_county, portal
from workers.settings import build_worker

pytestmark = pytest.mark.usefixtures("clean_db")


async def start_leave(people: dict[str, int], username: str, slug: str = "dangshan") -> None:
    ctx = await context_of(slug, people[username])
    start = datetime.now().astimezone() - timedelta(minutes=1)
    absence = await services.post(
        ctx,
        person_id=people[username],
        kind="personal",
        reason="请假",
        starts_at=start,
        # Two weeks hold working time whatever day it is (a worker process runs on the real clock).
        ends_at=start + timedelta(days=14),
        handover="见交接单",
    )
    await services.decide(await context_of(slug, people[people["_approver"]]), absence.id, Action.APPROVE)


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


def big_county(lines: int) -> str:
    """A county with ``lines`` lines, each with its own A and B, plus a leader who approves."""
    parts = ['slug = "dasheng"', 'name = "大圣县"']
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
    await as_code.apply(as_code.parse(big_county(lines)), OPERATOR)
    from app.accounts.tables import User

    people = {u["username"]: u["id"] for u in await User.select(User.id, User.username)}
    people["_approver"] = "leader"
    for n in range(lines):
        await start_leave(people, f"a{n}", slug="dasheng")
    env = {
        **os.environ,
        "PORTAL_MODE": "test",
        "SECRET_KEY": "worker-test-" + "w" * 32,
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "worker",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while await Substitution.count() < 5:  # the sweep is under way
            assert asyncio.get_running_loop().time() < deadline, "the worker never started the sweep"
            await asyncio.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        await asyncio.wait_for(worker.wait(), timeout=10)
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
