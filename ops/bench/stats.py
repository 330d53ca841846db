"""Benchmark of the deadline figures (SPEC §13 on the SPEC §12 data: 100 counties, 500k cases).

Seeds the benchmark database (see seed.py), puts every county in one region, then times what the
statistics pages run: the region's dashboard (ranking by county and trend by month over all its
counties), one county of the region line by line, and one county's own page; each several times,
median and worst of the repeats in milliseconds, with the database's own plan of the ranking.

    .venv/bin/python ops/bench/stats.py [--counties 100] [--cases 5000] [--repeats 7]

Needs PostgreSQL (BENCH_DATABASE_URL, see seed.py). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date

from seed import seeded_database

from app import clock, db
from app.cases.tables import Case
from app.cli import cli_actor
from app.regions import as_code
from app.regions.services import RegionContext, RegionInfo
from app.stats import services
from app.stats.figures import By, Period
from app.stats.queries import deadline_figures
from app.tenancy.context import TenantContext
from app.tenancy.services import list_tenants

DECIDE_CLOSED = """
    UPDATE assistance_case SET decided_at = (received_on + 1 + id % 12) + time '10:00'
    WHERE status = 'closed' AND decided_at IS NULL
"""
YEAR = (f"{date.today().year - 1}-{date.today():%m-%d}", date.today().isoformat())


async def timed(label: str, work, repeats: int) -> None:
    spent = []
    for _ in range(repeats):
        started = time.perf_counter()
        await work()
        spent.append((time.perf_counter() - started) * 1000)
    print(f"  {label:<44} median {statistics.median(spent):7.1f} ms   worst {max(spent):7.1f} ms")


async def main(counties: int, cases: int, repeats: int) -> None:
    settings = await seeded_database(counties, cases, cases // 5)
    async with db.connected(settings):
        # The seed leaves closed cases undecided: decide them 1–12 days after receipt (some late),
        # so the figures count them and their medians have working days to count.
        await Case.raw(DECIDE_CLOSED)
        tenants = await list_tenants()
        slugs = [t.slug for t in tenants]
        await as_code.apply(as_code.RegionsFile([as_code.RegionSpec("bench", "基准市", slugs)]), cli_actor("bench"))
        actor = cli_actor("bench")
        region = RegionContext(RegionInfo(0, "bench", "基准市"), tuple(tenants), actor)
        county = TenantContext(tenant=tenants[0], actor=actor)
        print(f"figures over a year of cases received ({YEAR[0]} to {YEAR[1]}):")
        await timed("region dashboard (ranking + trend)", lambda: services.region_overview(region, *YEAR), repeats)
        await timed(
            "region › one county by line", lambda: services.region_county_overview(region, slugs[0], *YEAR), repeats
        )
        await timed("county page (by line + trend)", lambda: services.county_overview(county, *YEAR), repeats)
        await timed("monthly report of the region", lambda: services.region_report(region, None), repeats)
        period = Period(date.fromisoformat(YEAR[0]), date.fromisoformat(YEAR[1]))
        await deadline_figures(tenants, By.COUNTY, period, clock.now())
        plan = await Case.raw(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT tenant, count(*) FROM assistance_case "
            "WHERE received_on >= {} AND received_on <= {} GROUP BY tenant",
            period.start,
            period.end,
        )
        print("  a year's cases, counted by county:", plan[-1]["QUERY PLAN"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--cases", type=int, default=5000, help="open cases per county (a fifth as many closed)")
    parser.add_argument("--repeats", type=int, default=7)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.counties, arguments.cases, arguments.repeats))
