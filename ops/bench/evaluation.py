"""Benchmark of the evaluation's computation (SPEC §12: a cycle of 10,000 subjects under 5 s).

Makes one county with SUBJECTS staff (set-based SQL), opens a cycle at the external step,
gives every subject a leadership and a peer rating, then times ``compute`` twice (the second
replaces the first's results).

    .venv/bin/python ops/bench/evaluation.py [--subjects 10000]

Needs PostgreSQL (BENCH_DATABASE_URL, see seed.py: dropped and created afresh). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from seed import BENCH_URL, bench_settings, fresh_database

from app import clock, db
from app.accounts.tables import User
from app.asgi import load_routes
from app.evaluation import cycles
from app.flows import evaluation_inputs
from app.setup.services import create_tenant
from app.tenancy.context import Actor, TenantContext, cli_actor

STAFF = """
INSERT INTO portal_user (tenant, username, name, created_at)
SELECT {}, 'staff' || n, '人员' || n, now() FROM generate_series(1, {}) n
"""
ROLES = """
INSERT INTO role_grant (tenant, "user", role) SELECT tenant, id, 'staff' FROM portal_user WHERE tenant = {}
"""
RATINGS = """
INSERT INTO evaluation_rating (tenant, cycle, subject, component, rater_key, rater_label, score, updated_at)
SELECT s.tenant, s.cycle, s.id, c.component, 'bench:' || c.component, '纸质', 60 + s.id % 40, {}
FROM evaluation_subject s CROSS JOIN (VALUES ('leadership'), ('peer')) c(component)
WHERE s.cycle = {}
"""


async def main(subjects: int) -> None:
    await fresh_database(BENCH_URL)
    settings = bench_settings()
    await db.migrate(settings)
    async with db.connected(settings):
        county = await create_tenant(cli_actor("bench"), "bench", "基准县")
        admin = TenantContext(county, Actor(user_id=None, label="bench", roles=frozenset({"admin"})))
        await User.raw(STAFF, county.id, subjects)
        await User.raw(ROLES, county.id)
        cycle = await cycles.open_cycle(admin, clock.now().year - 1)
        await cycles.set_step(admin, cycle.id, "external")
        await User.raw(RATINGS, clock.now(), cycle.id)
        for run in ("first", "again"):
            started = time.perf_counter()
            computed = await evaluation_inputs.compute(admin, cycle.id)
            print(f"compute ({run}): {computed:,} subjects in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    load_routes()
    asyncio.run(main(parser.parse_args().subjects))
