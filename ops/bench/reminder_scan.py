"""Benchmark of the daily reminder scan (SPEC §12: 500k open cases in under 10 s).

Builds a database of COUNTIES counties with CASES_PER_COUNTY open cases each (due dates spread
from three weeks past to seven weeks ahead, plus closed cases that must cost nothing), then
times the scan of every county three times: the first run, which catches up on everything due
at once (all the overdue cases of a county that never ran a scan); the re-run of the same day,
which must find nothing new; and the next day's run, the daily case. Each figure is the wall
time and the CPU time of this process and of PostgreSQL's backends (steadier than the wall time
on a shared machine). With ``--email`` every county sends e-mail and everyone has an address, so
the scan also queues an e-mail per message.

    .venv/bin/python ops/bench/reminder_scan.py [--counties 100] [--cases 5000] [--closed 1000] [--email]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/portal_bench,
dropped and created afresh). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta

from run import _backends, _cpu_seconds
from seed import BENCH_URL, seeded_database

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


async def scan_all(days_ahead: int = 0) -> str:
    started, cpu, backends = time.perf_counter(), time.process_time(), backend_cpu()
    reminders = messages = 0
    for county in await list_tenants():
        today = county.now().date() + timedelta(days=days_ahead)
        report = await scan(TenantContext(county, SCANNER), today)
        reminders += report.reminders
        messages += report.messages
    return (
        f"{time.perf_counter() - started:6.2f} s, CPU {time.process_time() - cpu:5.2f} s here"
        f" + {backend_cpu() - backends:5.2f} s PostgreSQL  ({reminders:,} reminders, {messages:,} messages)"
    )


async def main(counties: int, open_cases: int, closed_cases: int, email: bool) -> None:
    settings = await seeded_database(counties, open_cases, closed_cases)
    async with db.connected(settings):
        if email:
            for statement in EMAIL_ON:
                await Reminder.raw(statement)
        print(f"first scan:  {await scan_all()}")
        print(f"re-scan:     {await scan_all()}")
        # The daily case: yesterday's reminders are told, today brings the next stages.
        print(f"next day:    {await scan_all(days_ahead=1)}")
        print(f"ledger rows: {await Reminder.count():,}, e-mails queued: {await EmailOutbox.count():,}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--cases", type=int, default=5000, help="open cases per county")
    parser.add_argument("--closed", type=int, default=1000, help="closed cases per county")
    parser.add_argument("--email", action="store_true", help="every county sends e-mail")
    arguments = parser.parse_args()
    load_routes()
    asyncio.run(main(arguments.counties, arguments.cases, arguments.closed, arguments.email))
