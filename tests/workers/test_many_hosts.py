"""Two web processes and three workers on one database and Redis; one worker killed. Every
county's periodic work must be done exactly once per tick, shared among the workers, and the web
must answer throughout. Takes about two minutes (it waits for the minute's ticks), so it runs only
when asked for:

    PORTAL_MANY_HOSTS=1 TEST_PG_DATABASE=… TEST_REDIS_URL=… .venv/bin/python -m pytest \
        tests/workers/test_many_hosts.py -q -s

(``PORTAL_MANY_HOSTS_COUNTIES``: how many counties, default 30; ``TEST_WEB_PORTS``: default
8240,8241). ``tests/workers/test_partitioned.py`` is its small version in the default suite.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter

import httpx
import pytest

from app.absences.tables import Substitution
from app.accounts.tables import User
from app.settings import PROJECT_ROOT
from app.setup import as_code
from app.tenancy.services import find_by_slug
from tests.conftest import REDIS_URL, database_url
from tests.helpers import OPERATOR, api_token, start_leave
from tests.workers.processes import kill, until, worker_process
from tests.workers.test_substitution_worker import big_county
from workers.partitioned import DUPLICATES, LEDGER, tick_of

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    pytest.mark.skipif(not os.environ.get("PORTAL_MANY_HOSTS"), reason="long: set PORTAL_MANY_HOSTS=1"),
]
COUNTIES = int(os.environ.get("PORTAL_MANY_HOSTS_COUNTIES", "30"))
LINES = 3
WEB_PORTS = [int(port) for port in os.environ.get("TEST_WEB_PORTS", "8240,8241").split(",")]


async def county_with_every_a_away(slug: str) -> str:
    """The county, every A on a two-week leave (its sweep opens ``LINES`` substitutions); the leader's token."""
    await as_code.apply(as_code.parse(big_county(LINES, slug)), OPERATOR)
    tenant = await find_by_slug(slug)
    people = {u["username"]: u["id"] for u in await User.select(User.id, User.username).where(User.tenant == tenant.id)}
    people["_approver"] = "leader"
    for n in range(LINES):
        await start_leave(people, f"a{n}", slug)
    return await api_token(slug, people["leader"])


async def web_process(port: int):
    env = {
        **os.environ,
        "PORTAL_MODE": "test",
        "SECRET_KEY": "many-hosts-" + "m" * 32,
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--port",
        str(port),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def ledger_of(redis, kind: str, tick: int) -> dict[str, str]:
    raw = await redis.hgetall(LEDGER.format(kind=kind, tick=tick))
    return {key.decode(): value.decode() for key, value in raw.items()}


async def test_two_webs_three_workers_one_killed(redis):
    slugs = [f"county{n:03d}" for n in range(COUNTIES)]
    tokens = {slug: await county_with_every_a_away(slug) for slug in slugs}
    tenant_ids = {str((await find_by_slug(slug)).id) for slug in slugs}
    webs = [await web_process(port) for port in WEB_PORTS]
    answers: Counter = Counter()
    stop = asyncio.Event()

    async def browse(port: int) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            n = 0
            while not stop.is_set():
                slug = slugs[n % COUNTIES]
                n += 1
                try:
                    answer = await client.get(
                        f"/api/v1/t/{slug}/staff", headers={"Authorization": f"Bearer {tokens[slug]}"}
                    )
                    answers[answer.status_code] += 1
                except httpx.HTTPError:
                    answers["refused"] += 1
                await asyncio.sleep(0.1)

    try:
        async with httpx.AsyncClient() as probe:

            async def web_up() -> bool:
                try:
                    return all(
                        [(await probe.get(f"http://127.0.0.1:{p}/healthz")).status_code == 200 for p in WEB_PORTS]
                    )
                except httpx.HTTPError:
                    return False

            await until(web_up, 60, "the web processes did not come up")
        load = [asyncio.create_task(browse(port)) for port in WEB_PORTS]
        async with worker_process() as first, worker_process(), worker_process():
            started = time.monotonic()
            first_tick = tick_of(60)

            async def complete(kind: str, tick: int) -> bool:
                return set(await ledger_of(redis, kind, tick)) >= tenant_ids

            await until(lambda: complete("substitution", first_tick), 90, "the first tick was not done")
            # Kill one worker as the next minute's sweep starts (second 30), then let the other two finish it.
            next_tick = first_tick + 1
            await asyncio.sleep(max(0.0, next_tick * 60 + 30.05 - time.time()))
            await kill(first)
            killed_at = time.monotonic()
            await until(lambda: complete("substitution", next_tick), 90, "the tick after the kill was not done")
            recovered = time.monotonic() - killed_at
            email_tick = tick_of(60)
            await until(lambda: complete("email", email_tick), 90, "e-mail of every county was not looked at")
            deadlines_tick = tick_of(600, time.time() - 70)  # the startup run's ten-minute tick
        stop.set()
        await asyncio.gather(*load)
    finally:
        stop.set()
        for web in webs:
            await kill(web)

    duplicates = int(await redis.get(DUPLICATES) or 0)
    by_worker: Counter = Counter()
    for kind, tick in (("substitution", first_tick), ("substitution", next_tick), ("email", email_tick)):
        by_worker.update(f"{kind}@{tick % 1000}:{name}" for name in (await ledger_of(redis, kind, tick)).values())
    deadlines = await ledger_of(redis, "deadlines", deadlines_tick)
    open_rows = await Substitution.select(Substitution.tenant, Substitution.line).where(Substitution.ended_at.is_null())
    twice = len(open_rows) - len({(row["tenant"], row["line"]) for row in open_rows})
    print(
        f"\n{COUNTIES} counties, 2 web + 3 workers, one killed; substitution ticks {first_tick % 1000} and "
        f"{next_tick % 1000} complete (the second {recovered:.1f} s after the kill), e-mail tick complete, "
        f"deadlines: {len(deadlines)} counties; shares {dict(by_worker)}; open substitutions {len(open_rows)} "
        f"(expected {COUNTIES * LINES}), done twice: {duplicates} (ledger), {twice} (rows); "
        f"web answers {dict(answers)}; {time.monotonic() - started:.0f} s"
    )
    assert duplicates == 0 and twice == 0
    assert len(open_rows) == COUNTIES * LINES
    assert set(deadlines) >= tenant_ids
    assert set(answers) == {200}
    survivors = {name for name in (await ledger_of(redis, "substitution", next_tick)).values()}
    assert len(survivors) >= 2 or COUNTIES < 4  # the two live workers shared the tick
