"""Benchmark of the busiest pages (SPEC §12: dashboard and case list p95 under 50 ms at 32
concurrent users on 2 cores with 500k cases in PostgreSQL).

Seeds the benchmark database (see seed.py), starts `portal serve` with WORKERS processes, signs
one clerk in, then asks for the dashboard and the case list (its first page, and a filtered
page) with wrk: one user at a time, then USERS concurrent connections without pauses for SECONDS
each, and prints requests per second and latency percentiles. wrk runs on the same two cores
as the server and PostgreSQL. Needs `wrk` (apt-get install wrk).

    .venv/bin/python ops/bench/pages.py [--counties 100] [--cases 5000] [--users 32] [--seconds 20]

Needs PostgreSQL and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/5, flushed).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile

import httpx
from redis.asyncio import Redis
from seed import BENCH_URL, bench_settings, seeded_database

from app import db
from app.accounts.passwords import use_fast_hashing
from app.accounts.services import set_password
from app.accounts.tables import User
from app.tenancy.context import cli_actor

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


WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.1f %.1f %.1f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk(url: str, cookies: httpx.Cookies, users: int, seconds: float) -> str:
    """One wrk run (a C load generator: the client must not be what is measured)."""
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_REPORT)
        script.flush()
        command = ["wrk", f"-t{min(users, 2)}", f"-c{users}", f"-d{seconds:.0f}s", "-s", script.name]
        output = subprocess.run([*command, "-H", f"Cookie: {cookie}", url], capture_output=True, text=True).stdout
    requests, errors, p50, p95, p99 = next(line for line in output.splitlines() if line.startswith("RESULT")).split()[
        1:
    ]
    rate = int(requests) / seconds
    figures = f"p50 {float(p50):6.1f} ms  p95 {float(p95):6.1f} ms  p99 {float(p99):6.1f} ms"
    return f"{rate:6.0f} req/s  {figures}  errors {errors}"


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
        for users_now, length in ((1, 5), (users, seconds)):
            print(f"{users_now} concurrent user(s), {length:.0f} s per page, {workers} web processes:")
            for name, path in paths.items():
                print(f"  {name:<36} {wrk(base + path, cookies, users_now, length)}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--cases", type=int, default=5000, help="open cases per county")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="web processes (the machine has 2 cores)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.counties, arguments.cases, arguments.users, arguments.seconds, arguments.workers))
