"""A benchmark database: many counties full of cases, made with set-based SQL in seconds.

Used by the scripts beside it; BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/portal_bench) is dropped and created afresh.
"""

from __future__ import annotations

import os
import time

import asyncpg

from app import db
from app.settings import Settings

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portal_bench")


async def fresh_database(url: str = BENCH_URL) -> None:
    admin_url, name = url.rsplit("/", 1)
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
        # What autovacuum does soon after a bulk load in production: statistics and the
        # visibility map (without it, counts cannot be answered from indexes alone).
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def bench_settings(**environ: str) -> Settings:
    return Settings.from_env({"DATABASE_URL": BENCH_URL, "PORTAL_MODE": "test", "SECRET_KEY": "bench" * 8, **environ})


async def seeded_database(counties: int, open_cases: int, closed_cases: int) -> Settings:
    """A migrated database with the counties and their cases; prints how long seeding took."""
    await fresh_database()
    settings = bench_settings()
    await db.migrate(settings)
    started = time.perf_counter()
    await seed(counties, open_cases, closed_cases)
    print(
        f"seeded {counties} counties × {open_cases} open + {closed_cases} closed cases "
        f"= {counties * open_cases:,} open in {time.perf_counter() - started:.1f} s"
    )
    return settings
