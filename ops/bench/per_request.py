"""Per-request costs of the main pages, in-process (no server, no wrk): the app under httpx's ASGI
transport asks each page REPEAT times and prints, per request, the CPU of this process (the app
and the client), the CPU of the PostgreSQL backends of the bench database, the app's statements
and every round trip to PostgreSQL (the statements plus the transactions, savepoints, role and
county around them). ``--profile NAME`` prints cProfile's busiest functions for that page.

    .venv/bin/python ops/bench/run.py --quick --seed-only     # once (BENCH_DATABASE_URL …)
    .venv/bin/python ops/bench/per_request.py                      # every main page
    .venv/bin/python ops/bench/per_request.py --only rota --profile "API rota"

On a shared machine the CPU figures move with everyone else's load; the counts do not.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time

from run import _backends, _cpu_seconds, answered, headers_for, in_process, pages, prepare
from seed import BENCH_URL, bench_settings

from app import db


def backend_cpu(database: str) -> float:
    return sum(_cpu_seconds(pid) for pid in _backends(database))


async def measure(client, path: str, headers: dict[str, str], repeat: int, database: str) -> dict[str, float]:
    await answered(client, path, headers)  # pools filled, caches made
    statements, round_trips = db.statements_run(), db.round_trips_run()
    cpu, backends = time.process_time(), backend_cpu(database)
    for _ in range(repeat):
        await answered(client, path, headers)
    return {
        "app CPU ms": (time.process_time() - cpu) * 1000 / repeat,
        "PostgreSQL CPU ms": (backend_cpu(database) - backends) * 1000 / repeat,
        "statements": (db.statements_run() - statements) / repeat,
        "round trips": (db.round_trips_run() - round_trips) / repeat,
    }


async def main(arguments) -> None:
    settings = bench_settings()
    case_id, token, page_99_ends = await prepare(settings)
    database = BENCH_URL.rsplit("/", 1)[1]
    chosen = [
        page
        for page in pages(case_id, page_99_ends)
        if page.main and (not arguments.only or any(name in page.name for name in arguments.only))
    ]
    async with in_process(settings) as (client, cookies):
        print("| page | app CPU ms | PostgreSQL CPU ms | statements | round trips |\n|---|---:|---:|---:|---:|")
        for page in chosen:
            headers = headers_for(page, cookies, token)
            if page.name == arguments.profile:
                profiler = cProfile.Profile()
                profiler.enable()
            figures = await measure(client, page.path, headers, arguments.repeat, database)
            if page.name == arguments.profile:
                profiler.disable()
                profiled = profiler
            print(f"| {page.name} | " + " | ".join(f"{value:.1f}" for value in figures.values()) + " |")
    if arguments.profile:
        stats = pstats.Stats(profiled).sort_stats(arguments.sort)
        stats.print_stats(arguments.lines)
        if arguments.callers:
            stats.print_callers(arguments.callers)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests a page")
    parser.add_argument("--only", action="append", metavar="NAME", help="pages whose name contains NAME")
    parser.add_argument("--profile", metavar="NAME", help="cProfile the page of this exact name")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime, …")
    parser.add_argument("--callers", metavar="REGEX", help="also who calls the functions matching REGEX")
    parser.add_argument("--lines", type=int, default=40, help="functions cProfile prints")
    asyncio.run(main(parser.parse_args()))
