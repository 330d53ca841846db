"""Benchmark of the daily reminder scan (SPEC §12: 500k open cases in under 10 s).

Builds a database of COUNTIES counties with CASES_PER_COUNTY open cases each (due dates spread
from three weeks past to seven weeks ahead, plus closed cases that must cost nothing), then
times the scan of every county three times: the first run, which catches up on everything due
at once (all the overdue cases of a county that never ran a scan); the re-run of the same day,
which must find nothing new; and the next day's run, the daily case. Each figure is the wall
time and the CPU time of this process and of PostgreSQL's backends (steadier than the wall time
on a shared machine). With ``--email`` every county sends e-mail and everyone has an address, so
the scan also queues an e-mail per message. With ``--workers N`` the counties are shared by N
processes, each scanning its share one county after another, as N deployed workers share them
(``workers.partitioned``); the CPU "here" is then theirs, added up.

    .venv/bin/python ops/bench/reminder_scan.py [--counties 100] [--cases 5000] [--closed 1000] [--email] [--workers 1]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/portal_bench,
dropped and created afresh). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from asyncio.subprocess import PIPE
from datetime import timedelta

from run import _backends, _cpu_seconds
from seed import BENCH_URL, bench_settings, seeded_database

from app import db
from app.asgi import load_routes
from app.flows.reminders import scan
from app.notifications.tables import EmailOutbox
from app.reminders.tables import Reminder
from app.tenancy.context import Actor, TenantContext
from app.tenancy.services import list_tenants

SCANNER = Actor(user_id=None, label="benchmark", address="bench")


# Every county sends e-mail (to a server never reached: the scan only queues) and everyone has an address.
EMAIL_ON = (
    "UPDATE tenant SET settings = jsonb_build_object('email', jsonb_build_object("
    "'enabled', true, 'host', 'mail.invalid', 'from_address', 'portal@mail.invalid'))",
    "UPDATE portal_user SET email = username || '@county' || tenant || '.invalid'",
)


def backend_cpu() -> float:
    return sum(_cpu_seconds(pid) for pid in _backends(BENCH_URL.rsplit("/", 1)[1]))


async def scan_share(days_ahead: int, share: int = 0, workers: int = 1) -> dict:
    """Scan every ``workers``-th county from the ``share``-th, one after another; the counts and CPU."""
    cpu = time.process_time()
    reminders = messages = 0
    for county in (await list_tenants())[share::workers]:
        today = county.now().date() + timedelta(days=days_ahead)
        report = await scan(TenantContext(county, SCANNER), today)
        reminders += report.reminders
        messages += report.messages
    return {"reminders": reminders, "messages": messages, "cpu": time.process_time() - cpu}


async def _worker(share: int, workers: int) -> None:
    """One of ``--workers`` processes: connected, it scans its share at each line it reads
    (the days ahead) and answers its figures; an empty line ends it (its backends live till then)."""
    async with db.connected(bench_settings()):
        print(flush=True)  # connected
        while days := sys.stdin.readline().strip():
            print(json.dumps(await scan_share(int(days), share, workers)), flush=True)


async def _spawn(workers: int) -> list[asyncio.subprocess.Process]:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--share", f"{share}/{workers}", stdin=PIPE, stdout=PIPE
        )
        for share in range(workers)
    ]
    for process in processes:
        await process.stdout.readline()
    return processes


async def scan_all(processes: list[asyncio.subprocess.Process], days_ahead: int = 0) -> str:
    started, backends = time.perf_counter(), backend_cpu()
    if processes:
        for process in processes:
            process.stdin.write(f"{days_ahead}\n".encode())
        shares = [json.loads(await process.stdout.readline()) for process in processes]
    else:
        shares = [await scan_share(days_ahead)]
    wall = time.perf_counter() - started
    here = sum(share["cpu"] for share in shares)
    reminders, messages = (sum(share[name] for share in shares) for name in ("reminders", "messages"))
    return (
        f"{wall:6.2f} s, CPU {here:5.2f} s here + {backend_cpu() - backends:5.2f} s PostgreSQL"
        f"  ({reminders:,} reminders, {messages:,} messages)"
    )


async def main(counties: int, open_cases: int, closed_cases: int, email: bool, workers: int) -> None:
    settings = await seeded_database(counties, open_cases, closed_cases)
    async with db.connected(settings):
        if email:
            for statement in EMAIL_ON:
                await Reminder.raw(statement)
        processes = await _spawn(workers) if workers > 1 else []
        print(f"first scan:  {await scan_all(processes)}")
        print(f"re-scan:     {await scan_all(processes)}")
        # The daily case: yesterday's reminders are told, today brings the next stages.
        print(f"next day:    {await scan_all(processes, days_ahead=1)}")
        for process in processes:
            process.stdin.write(b"\n")
            await process.wait()
        print(f"ledger rows: {await Reminder.count():,}, e-mails queued: {await EmailOutbox.count():,}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--cases", type=int, default=5000, help="open cases per county")
    parser.add_argument("--closed", type=int, default=1000, help="closed cases per county")
    parser.add_argument("--email", action="store_true", help="every county sends e-mail")
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the counties")
    parser.add_argument("--share", help=argparse.SUPPRESS)  # "i/n": run as the i-th of n workers
    arguments = parser.parse_args()
    load_routes()
    if arguments.share:
        share, workers = map(int, arguments.share.split("/"))
        asyncio.run(_worker(share, workers))
    else:
        work = main(arguments.counties, arguments.cases, arguments.closed, arguments.email, arguments.workers)
        asyncio.run(work)
