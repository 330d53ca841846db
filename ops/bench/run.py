"""The speed benchmark of SPEC §12, in one command: seed a province, serve it, load every main page
and API list with wrk beside the floor (a constant Litestar page) and piccolo_admin's list of the
same cases, and print one markdown table with the targets marked.

    .venv/bin/python ops/bench/run.py                  # 100 counties × 40 staff, 500,000 cases
    .venv/bin/python ops/bench/run.py --quick          # 10 counties × 1,000 cases, 5 s a page
    .venv/bin/python ops/bench/run.py --reuse          # the database seeded by an earlier run
    .venv/bin/python ops/bench/run.py --seed-only      # seed now, measure later with --reuse

Needs PostgreSQL and Redis: BENCH_DATABASE_URL (default …/portal_bench, dropped and seeded
afresh unless --reuse), BENCH_REDIS_URL (default redis://127.0.0.1:6379/5, flushed), BENCH_PORT
(default 8250; the floor serves on the next port) and `wrk` (apt-get install wrk). See README.md.

CPU per request is read from /proc: the web processes (uvicorn and its workers) and every
PostgreSQL backend of the bench database, before and after each page's run, divided by the
requests wrk counted; the steadiest figure on a shared machine. Statements per request are
counted in this process (the same app, in-process, the second of two requests).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from redis.asyncio import Redis
from seed import BENCH_URL, bench_settings

from app import db
from app.accounts.passwords import use_fast_hashing
from app.accounts.services import create_token, set_password
from app.accounts.sessions import COOKIE_NAME
from app.accounts.tables import User
from app.asgi import create_app
from app.cases import register
from app.cases.tables import Case
from app.tenancy.context import TenantContext, cli_actor
from app.tenancy.services import find_by_slug

HERE = os.path.dirname(os.path.abspath(__file__))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
PORT = int(os.environ.get("BENCH_PORT", "8250"))
PASSWORD = "benchmark-password"
COUNTY = "county1"
SIGNED_IN = ("staff1", "head", "admin", "leader")

# SPEC §12's targets.
CPU_MS_TARGET, STATEMENTS_TARGET, FLOOR_SHARE_TARGET, ADMIN_RATIO_TARGET, P95_TARGET = 3.0, 4, 0.25, 2.0, 50.0


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str  # a username (cookie), "api:<username>" (bearer token), "admin" of piccolo_admin or "" (nobody)
    server: str = "portal"  # or "floor"

    @property
    def main(self) -> bool:
        return self.server == "portal"


def pages(case_id: int, page_99_ends: str) -> list[Page]:
    t, api = f"/t/{COUNTY}", f"/api/v1/t/{COUNTY}"
    return [
        Page("dashboard, clerk", f"{t}/", "staff1"),
        Page("dashboard, section head", f"{t}/", "head"),
        Page("dashboard, admin", f"{t}/", "admin"),
        Page("dashboard, leader", f"{t}/", "leader"),
        Page("register, first page", f"{t}/cases", "staff1"),
        Page("register, filtered page 2", f"{t}/cases?open=1&page=2", "staff1"),
        Page("register, page 100", f"{t}/cases?page=100", "staff1"),
        Page("register, page 100 by its link", f"{t}/cases?page=100&after={page_99_ends}", "staff1"),
        Page("case page", f"{t}/cases/{case_id}", "staff1"),
        Page("rota board", f"{t}/rota", "staff1"),
        Page("API cases page 1", f"{api}/cases", "api:staff1"),
        Page("API cases page 2, open", f"{api}/cases?open=true&page=2", "api:staff1"),
        Page("API rota", f"{api}/rota", "api:staff1"),
        # Polled by every open page: the inbox every 30 s, the to-do list every 60 s.
        Page("inbox badge", f"{t}/inbox/count", "staff1"),
        Page("to-do badge, section head", f"{t}/todo/count", "head"),
        Page("constant Litestar page (floor)", "/floor", "", "floor"),
        Page(
            "piccolo_admin list of the cases",
            "/admin/api/tables/assistance_case/?__page=1&__page_size=15&__order=-id&__readable=true",
            "piccolo",
            "floor",
        ),
    ]


# ---- preparing -------------------------------------------------------------------------------------------


async def prepare(settings) -> tuple[int, str, str]:
    """Passwords of the signed-in people, an API token of the clerk, piccolo_admin's user; the
    clerk's first open case; where the register's page 99 ends (page 100's link from it)."""
    from floor import prepare_admin

    use_fast_hashing(True)
    db.configure(settings)
    await prepare_admin()  # as the database owner: it creates piccolo_admin's tables
    async with db.connected(settings):
        county = await find_by_slug(COUNTY)
        people = {
            row["username"]: row["id"]
            for row in await User.select(User.id, User.username).where(
                (User.tenant == county.id) & User.username.is_in(list(SIGNED_IN))
            )
        }
        for user_id in people.values():
            await set_password(cli_actor("bench"), user_id, PASSWORD)
        token = await create_token(TenantContext(county, cli_actor("bench")), people["staff1"], "bench")
        case = (
            await Case.select(Case.id)
            .where(
                (Case.tenant == county.id)
                & (Case.acting_handler == people["staff1"])
                & Case.status.is_in(["received", "accepted", "surveyed", "posted"])
            )
            .first()
        )
        last = (
            await Case.select(Case.due_on, Case.id)
            .where(Case.tenant == county.id)
            .order_by(Case.due_on)
            .order_by(Case.id)
            .offset(99 * register.PAGE_SIZE - 1)
            .first()
        )
    return case["id"], token.token, str(register.Cursor(last["due_on"], last["id"]))


async def sign_in(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    await client.get("/login")
    answer = await client.post(
        "/login",
        data={
            "tenant": COUNTY,
            "username": username,
            "password": PASSWORD,
            "_csrf_token": client.cookies.get("csrftoken", ""),
        },
    )
    if answer.status_code not in (302, 303) or COOKIE_NAME not in client.cookies:
        raise SystemExit(f"sign-in of {username} failed: {answer.status_code}")
    return dict(client.cookies)


async def admin_sign_in(base: str) -> dict[str, str]:
    from floor import ADMIN_PASSWORD, ADMIN_USER

    async with httpx.AsyncClient(base_url=base) as client:
        await client.get("/admin/")
        answer = await client.post(
            "/admin/public/login/",
            json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
            headers={"X-CSRFToken": client.cookies.get("csrftoken", ""), "Origin": base, "Referer": base + "/"},
        )
        if answer.status_code not in (200, 303):
            raise SystemExit(f"piccolo_admin sign-in failed: {answer.status_code} {answer.text[:200]}")
        return dict(client.cookies)


def headers_for(page: Page, cookies: dict[str, dict[str, str]], token: str) -> dict[str, str]:
    if page.who.startswith("api:"):
        return {"Authorization": f"Bearer {token}"}
    if page.who:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies[page.who].items())}
    return {}


@asynccontextmanager
async def in_process(settings):
    """The app in this process, and the cookies of everyone in SIGNED_IN: (client, cookies)."""
    app = create_app(settings)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
            cookies = {}
            for username in SIGNED_IN:
                client.cookies.clear()
                cookies[username] = await sign_in(client, username)
            client.cookies.clear()
            yield client, cookies


async def statements_per_request(settings, all_pages: list[Page], token: str) -> dict[str, int]:
    """The same app in this process: statements of the second of two requests of each page."""
    counted = {}
    async with in_process(settings) as (client, cookies):
        for page in all_pages:
            if page.main:
                headers = headers_for(page, cookies, token)
                await answered(client, page.path, headers)
                before = db.statements_run()
                await answered(client, page.path, headers)
                counted[page.name] = db.statements_run() - before
    return counted


async def answered(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
    """A 200 (wrk counts a redirect to the sign-in page as a success: it must not be one)."""
    answer = await client.get(path, headers=headers)
    if answer.status_code != 200:
        raise SystemExit(f"{path}: {answer.status_code}")


# ---- serving and measuring ------------------------------------------------------------------------------


def serve(command: list[str], ready: str) -> subprocess.Popen:
    environ = {
        **os.environ,
        "DATABASE_URL": BENCH_URL,
        "REDIS_URL": REDIS_URL,
        "PORTAL_MODE": "test",
        "SECRET_KEY": "bench" * 8,
        "PYTHONPATH": HERE,
    }
    server = subprocess.Popen(command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(ready)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"{command} did not answer {ready}")


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _backends(database: str) -> list[int]:
    """PostgreSQL's processes serving the bench database (their titles name it)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    title = cmdline.read().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                found.append(int(entry))
    return found


def cpu_now(server: subprocess.Popen, database: str) -> dict[int, float]:
    pids = [server.pid, *_children(server.pid), *_backends(database)]
    return {pid: _cpu_seconds(pid) for pid in pids}


WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.2f %.2f %.2f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass
class Figures:
    rate: float
    p50: float
    p95: float
    p99: float
    errors: int
    cpu_ms: float


def wrk(url: str, headers: dict[str, str], users: int, seconds: float, server, database: str) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_REPORT)
        script.flush()
        # A slow answer on a busy machine is a latency, not an error: wrk gives up at 10 s, not 2 s.
        command = ["wrk", f"-t{min(users, 2)}", f"-c{users}", f"-d{seconds:.0f}s", "--timeout", "10s"]
        command += ["-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        before = cpu_now(server, database)
        output = subprocess.run([*command, url], capture_output=True, text=True).stdout
        after = cpu_now(server, database)
    result = next((line for line in output.splitlines() if line.startswith("RESULT")), None)
    if result is None:
        raise SystemExit(f"wrk said: {output}")
    requests, errors, p50, p95, p99 = result.split()[1:]
    cpu = sum(after[pid] - before.get(pid, 0.0) for pid in after)
    return Figures(
        int(requests) / seconds, float(p50), float(p95), float(p99), int(errors), 1000 * cpu / max(int(requests), 1)
    )


def mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def table(results: dict[str, Figures], statements: dict[str, int], all_pages: list[Page]) -> str:
    floor = results["constant Litestar page (floor)"].rate
    admin = results["piccolo_admin list of the cases"].rate
    lines = [
        "| page or call | req/s | p50 ms | p95 ms | p99 ms | errors | CPU ms/req | SQL statements "
        "| % of floor | × piccolo_admin | SPEC §12 (≤3 ms CPU, ≤4 statements, ≥25 % floor, ≥2× admin, p95<50 ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for page in all_pages:
        f = results[page.name]
        count = statements.get(page.name)
        checks = ""
        if page.main:
            checks = " ".join(
                [
                    f"CPU {mark(f.cpu_ms <= CPU_MS_TARGET)}",
                    f"stmts {mark(count is not None and count <= STATEMENTS_TARGET)}",
                    f"floor {mark(f.rate >= FLOOR_SHARE_TARGET * floor)}",
                    f"admin {mark(f.rate >= ADMIN_RATIO_TARGET * admin)}",
                    f"p95 {mark(f.p95 < P95_TARGET)}",
                ]
            )
        lines.append(
            f"| {page.name} | {f.rate:,.0f} | {f.p50:.1f} | {f.p95:.1f} | {f.p99:.1f} | {f.errors} | {f.cpu_ms:.2f} "
            f"| {'–' if count is None else count} | {100 * f.rate / floor:.1f} % | {f.rate / admin:.2f} | {checks} |"
        )
    return "\n".join(lines)


async def main(arguments) -> None:
    settings = bench_settings()
    if arguments.reuse:
        await db.migrate(settings)  # what was merged since the seeding
    else:
        from province import seeded

        await seeded(BENCH_URL, settings, arguments.counties, arguments.cases)
    if arguments.seed_only:
        return
    case_id, token, page_99_ends = await prepare(settings)
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    all_pages = [
        page
        for page in pages(case_id, page_99_ends)
        if not page.main or not arguments.only or any(n in page.name for n in arguments.only)
    ]
    statements = await statements_per_request(settings, all_pages, token)
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()  # the sign-ins above count against the login limit
    await redis.aclose()
    database = BENCH_URL.rsplit("/", 1)[1]
    portal = os.path.join(os.path.dirname(sys.executable), "portal")
    servers = {
        "portal": (
            serve(
                [portal, "serve", "--port", str(PORT), "--workers", str(arguments.workers)],
                f"http://127.0.0.1:{PORT}/healthz",
            ),
            PORT,
        ),
        "floor": (
            serve(
                [sys.executable, f"{HERE}/floor.py", "--port", str(PORT + 1), "--workers", str(arguments.workers)],
                f"http://127.0.0.1:{PORT + 1}/floor",
            ),
            PORT + 1,
        ),
    }
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as client:
            cookies = {}
            for username in SIGNED_IN:
                client.cookies.clear()
                cookies[username] = await sign_in(client, username)
        cookies["piccolo"] = await admin_sign_in(f"http://127.0.0.1:{PORT + 1}")
        results = {}
        for page in all_pages:
            server, port = servers[page.server]
            url = f"http://127.0.0.1:{port}{page.path}"
            headers = headers_for(page, cookies, token)
            async with httpx.AsyncClient() as client:
                await answered(client, url, headers)
            wrk(url, headers, arguments.users, 2, server, database)  # warm: pools filled, caches made
            results[page.name] = wrk(url, headers, arguments.users, arguments.seconds, server, database)
            print(f"  {page.name}: {results[page.name]}", file=sys.stderr)
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=30)
    print(
        f"\n{arguments.users} connections (wrk on the same cores), {arguments.seconds:.0f} s a page, "
        f"{arguments.workers} web processes, {os.cpu_count()} cores:\n"
    )
    print(table(results, statements, all_pages))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--cases", type=int, default=5000, help="cases per county (15 %% of them open)")
    parser.add_argument("--users", type=int, default=32, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=20, help="per page")
    parser.add_argument("--workers", type=int, default=4, help="web processes of each server")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="only the portal's pages whose name contains NAME (repeatable)"
    )
    parser.add_argument("--quick", action="store_true", help="10 counties × 1,000 cases, 5 s a page")
    parser.add_argument("--reuse", action="store_true", help="keep the database an earlier run seeded")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop (measure later with --reuse)")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.counties, arguments.cases, arguments.seconds = 10, 1000, 5
    asyncio.run(main(arguments))
