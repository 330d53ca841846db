"""Benchmark of the deadline figures (SPEC §13 on the SPEC §12 data: 100 counties, 500k cases).

Seeds the benchmark database (see seed.py), puts every county in one region, then times what the
statistics pages run: the region's dashboard (ranking by county and trend by month over all its
counties), one county of the region line by line, one county's own page and the region's monthly
report; each several times, median and worst of the repeats in milliseconds. First counted from
the cases, then the worker's rebuild of every county's tally (app.stats.tally), then the same
pages read from the tally, side by side in the same minutes.

    .venv/bin/python ops/bench/stats.py [--counties 100] [--cases 5000] [--repeats 7]

Needs PostgreSQL (BENCH_DATABASE_URL, see seed.py). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date

import asyncpg
from seed import BENCH_URL, seeded_database

from app import clock, db
from app.cases.tables import Case
from app.domain.figures import By, Period
from app.regions.services import RegionContext, RegionInfo
from app.setup import regions_as_code as as_code
from app.stats import services, tally
from app.tenancy.context import TenantContext, cli_actor
from app.tenancy.services import list_tenants

# The seed receives cases over ten weeks around today: spread them over the year before today,
# as a year of history is, each due 14 days after receipt.
SPREAD_OVER_A_YEAR = """
    UPDATE assistance_case SET received_on = current_date - (id::bigint * 7919 % 365)::int;
    UPDATE assistance_case SET due_on = received_on + 14, original_due_on = received_on + 14;
"""
DECIDE_CLOSED = """
    UPDATE assistance_case SET decided_at = (received_on + 1 + id % 12) + time '10:00'
    WHERE status = 'closed' AND decided_at IS NULL
"""


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
        connection = await asyncpg.connect(BENCH_URL)  # as the owner, who may vacuum
        try:
            await connection.execute(SPREAD_OVER_A_YEAR)
            await connection.execute(DECIDE_CLOSED)
            await connection.execute("VACUUM ANALYZE assistance_case")
        finally:
            await connection.close()
        tenants = await list_tenants()
        slugs = [t.slug for t in tenants]
        await as_code.apply(as_code.RegionsFile([as_code.RegionSpec("bench", "基准市", slugs)]), cli_actor("bench"))
        actor = cli_actor("bench")
        region = RegionContext(RegionInfo(0, "bench", "基准市"), tuple(tenants), actor)
        county = TenantContext(tenant=tenants[0], actor=actor)
        today = county.tenant.now().date()
        # Twelve whole months (the last one running): what the tally answers alone.
        first = today.year * 12 + today.month - 1 - 11
        year = (date(first // 12, first % 12 + 1, 1).isoformat(), today.isoformat())
        pages = {
            "region dashboard (ranking + trend)": lambda: services.region_overview(region, *year),
            "region › one county by line": lambda: services.region_county_overview(region, slugs[0], *year),
            "county page (by line + trend)": lambda: services.county_overview(county, *year),
            "monthly report of the region": lambda: services.region_report(region, None),
            "deadline figures alone, region by county": lambda: tally.deadline_figures(
                tenants, By.COUNTY, Period(*map(date.fromisoformat, year)), clock.now()
            ),
        }
        print(f"figures of the cases received from {year[0]} to {year[1]}, counted from the cases:")
        for label, work in pages.items():
            await timed(label, work, repeats)
        started = time.perf_counter()
        for tenant in tenants:
            await tally.rebuild(tenant, clock.now())
        rebuilt = time.perf_counter() - started
        rows = await Case.raw("SELECT count(*) AS rows FROM deadline_tally")
        print(
            f"tallies of {len(tenants)} counties rebuilt in {rebuilt:.1f} s ({rows[0]['rows']:,} rows); from the tally:"
        )
        for label, work in pages.items():
            await timed(label, work, repeats)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--cases", type=int, default=5000, help="open cases per county (a fifth as many closed)")
    parser.add_argument("--repeats", type=int, default=7)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.counties, arguments.cases, arguments.repeats))
