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
import os
import time
from datetime import timedelta

import asyncpg

from app import db
from app.reminders.scan import scan
from app.reminders.tables import Reminder
from app.settings import Settings
from app.tenancy.context import Actor, TenantContext
from app.tenancy.services import list_tenants

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portal_bench")
SCANNER = Actor(user_id=None, label="benchmark", address="bench")


async def fresh_database() -> None:
    admin_url, name = BENCH_URL.rsplit("/", 1)
    connection = await asyncpg.connect(f"{admin_url}/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


SEED = """
INSERT INTO tenant (slug, name, timezone, settings, created_at)
SELECT 'county' || t, '县' || t, 'Asia/Shanghai', '{}', now() FROM generate_series(1, $1) t;

INSERT INTO portal_user (tenant, username, name, phone, password_hash, active, is_superadmin, created_at)
SELECT t.id, 'staff' || u, '人员' || u, '', '', true, false, now()
FROM tenant t, generate_series(1, 10) u;

INSERT INTO role_grant (tenant, "user", role)
SELECT tenant, id, CASE WHEN username = 'staff1' THEN 'section_head' ELSE 'staff' END FROM portal_user;

INSERT INTO line (tenant, code, name, working_days, separated_working_days, position, active,
                  needs_survey, needs_posting, materials)
SELECT id, 'urban_dibao', '城市低保', 10, 15, 0, true, true, true, '' FROM tenant;
"""

CASES = """
INSERT INTO assistance_case (
    tenant, line, applicant_name, applicant_id_number, household_size, address, phone, monthly_income,
    separated_household, received_on, working_days, extension_days, original_due_on, due_on,
    due_provisional, notice_due_on, first_receiver, handler, acting_handler, status, status_changed_at,
    decided_at, created_by, created_at)
SELECT l.tenant, l.id, '申请人' || g, '11010519491231002X', 3, '', '', NULL, false,
       d.due - 14, 10, 0, d.due, d.due, false, d.due - 9, u.id, u.id, u.id, $2, now(), NULL, u.id, now()
FROM line l
CROSS JOIN generate_series(1, $1) g
CROSS JOIN LATERAL (SELECT current_date + (g % 70) - 21 AS due) d
JOIN portal_user u ON u.tenant = l.tenant AND u.username = 'staff' || (2 + g % 9);
"""


async def seed(counties: int, open_cases: int, closed_cases: int) -> None:
    connection = await asyncpg.connect(BENCH_URL)
    try:
        await connection.execute(SEED.replace("$1", str(int(counties))))
        await connection.execute(CASES, open_cases, "accepted")
        await connection.execute(CASES, closed_cases, "closed")
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


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
    await fresh_database()
    settings = Settings.from_env({"DATABASE_URL": BENCH_URL, "PORTAL_MODE": "test", "SECRET_KEY": "bench" * 8})
    await db.migrate(settings)
    started = time.perf_counter()
    await seed(counties, open_cases, closed_cases)
    print(
        f"seeded {counties} counties × {open_cases} open + {closed_cases} closed cases "
        f"= {counties * open_cases:,} open in {time.perf_counter() - started:.1f} s"
    )
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
