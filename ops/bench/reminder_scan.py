"""Benchmark of the daily reminder scan (SPEC §12: 500k open cases in under 10 s).

Builds a database of COUNTIES counties with CASES_PER_COUNTY open cases each (due dates spread
from three weeks past to seven weeks ahead, plus closed cases that must cost nothing), then
times the scan of every county three times: the first run, which catches up on everything due
at once (all the overdue cases of a county that never ran a scan); the re-run of the same day,
which must find nothing new; and the next day's run, the daily case.

    .venv/bin/python ops/bench/reminder_scan.py [--counties 100] [--cases 5000] [--closed 1000]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/portal_bench,
dropped and created afresh). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta

from seed import seeded_database

from app import db
from app.flows.reminders import scan
from app.reminders.tables import Reminder
from app.tenancy.context import Actor, TenantContext
from app.tenancy.services import list_tenants

SCANNER = Actor(user_id=None, label="benchmark", address="bench")


async def scan_all(days_ahead: int = 0) -> tuple[float, int, int]:
    started = time.perf_counter()
    reminders = messages = 0
    for county in await list_tenants():
        today = county.now().date() + timedelta(days=days_ahead)
        report = await scan(TenantContext(county, SCANNER), today)
        reminders += report.reminders
        messages += report.messages
    return time.perf_counter() - started, reminders, messages


async def main(counties: int, open_cases: int, closed_cases: int) -> None:
    settings = await seeded_database(counties, open_cases, closed_cases)
    async with db.connected(settings):
        first, reminders, messages = await scan_all()
        print(f"first scan:  {first:6.2f} s  ({reminders:,} reminders, {messages:,} messages)")
        again, reminders, messages = await scan_all()
        print(f"re-scan:     {again:6.2f} s  ({reminders:,} reminders, {messages:,} messages)")
        # The daily case: yesterday's reminders are told, today brings the next stages.
        daily, reminders, messages = await scan_all(days_ahead=1)
        print(f"next day:    {daily:6.2f} s  ({reminders:,} reminders, {messages:,} messages)")
        print(f"ledger rows: {await Reminder.count():,}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--cases", type=int, default=5000, help="open cases per county")
    parser.add_argument("--closed", type=int, default=1000, help="closed cases per county")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.counties, arguments.cases, arguments.closed))
