"""Benchmark of the busiest pages (SPEC §12: dashboard and case list p95 under 50 ms at 32
concurrent users on 2 cores with 500k cases in PostgreSQL).

Seeds the benchmark database (see seed.py), starts `portal serve` with WORKERS processes, signs
one clerk in, then asks for the dashboard and the case list (its first page, and a filtered
page): first one request at a time, then USERS concurrent clients without pauses for SECONDS,
and prints the latency percentiles. The load comes from this same machine (a Python client on
the same two cores as the server and PostgreSQL), so the concurrent figures are pessimistic.

    .venv/bin/python ops/bench/pages.py [--counties 100] [--cases 5000] [--users 32] [--seconds 20]

Needs PostgreSQL and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/5, flushed).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time

import httpx
from redis.asyncio import Redis
from seed import BENCH_URL, bench_settings, seeded_database

from app import db
from app.accounts.passwords import use_fast_hashing
from app.accounts.services import set_password
from app.accounts.tables import User
from app.cli import cli_actor

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
PORT = 8799
PASSWORD = "benchmark-password"
PAGES = {
    "dashboard": "/t/county1/",
    "case list": "/t/county1/cases",
    "case list, overdue of one handler": "/t/county1/cases?overdue=1&handler_id={handler}",
}


async def clerk() -> int:
    """staff2 of county 1, who handles a ninth of its cases, with a known password."""
    settings = bench_settings()
    use_fast_hashing(True)
    async with db.connected(settings):
        row = await User.select(User.id).where((User.tenant == 1) & (User.username == "staff2")).first()
        await set_password(cli_actor("bench"), row["id"], PASSWORD)
    return row["id"]


def serve(workers: int) -> subprocess.Popen:
    environ = {
        **os.environ,
        "DATABASE_URL": BENCH_URL,
        "REDIS_URL": REDIS_URL,
        "PORTAL_MODE": "test",
        "SECRET_KEY": "bench" * 8,
    }
    portal = os.path.join(os.path.dirname(sys.executable), "portal")
    command = [portal, "serve", "--port", str(PORT), "--workers", str(workers)]
    return subprocess.Popen(command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def signed_in_cookies(base: str) -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(100):
            try:
                await client.get("/login")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.2)
        answer = await client.post(
            "/login",
            data={
                "tenant": "county1",
                "username": "staff2",
                "password": PASSWORD,
                "_csrf_token": client.cookies.get("csrftoken", ""),
            },
        )
        if answer.status_code not in (200, 302, 303):
            raise SystemExit(f"sign-in failed: {answer.status_code}")
        return client.cookies


async def load(base: str, cookies: httpx.Cookies, paths: dict[str, str], users: int, seconds: float):
    timings: dict[str, list[float]] = {name: [] for name in paths}
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=users)

    async def user(n: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        names = list(paths)
        i = n
        while time.perf_counter() < deadline:
            name = names[i % len(names)]
            i += 1
            started = time.perf_counter()
            answer = await client.get(paths[name])
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                errors += 1
            timings[name].append(elapsed)

    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits, timeout=30) as client:
        await asyncio.gather(*(user(n, client) for n in range(users)))
    return timings, errors


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


async def main(counties: int, cases: int, users: int, seconds: float, workers: int) -> None:
    await seeded_database(counties, cases, 1000)
    handler = await clerk()
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    server = serve(workers)
    base = f"http://127.0.0.1:{PORT}"
    try:
        cookies = await signed_in_cookies(base)
        paths = {name: path.format(handler=handler) for name, path in PAGES.items()}
        await load(base, cookies, paths, users, 3)  # warm-up: connection pools, template cache
        alone, _ = await load(base, cookies, paths, 1, 5)
        timings, errors = await load(base, cookies, paths, users, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("one user at a time:")
    report(alone)
    total = sum(len(v) for v in timings.values())
    rate = total / seconds
    print(f"{users} concurrent users, {seconds:.0f} s, {workers} web processes: {rate:.0f} requests/s, {errors} errors")
    report(timings)


def report(timings: dict[str, list[float]]) -> None:
    for name, values in timings.items():
        print(
            f"  {name:<36} n={len(values):>6}  p50 {percentile(values, 50):6.1f} ms  "
            f"p95 {percentile(values, 95):6.1f} ms  p99 {percentile(values, 99):6.1f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--cases", type=int, default=5000, help="open cases per county")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="web processes (the machine has 2 cores)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.counties, arguments.cases, arguments.users, arguments.seconds, arguments.workers))
