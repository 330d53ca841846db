"""An upgrade from the previous release: its own code migrates and fills a database, its web
serves it, and today's migrations run forward meanwhile. Nothing may be lost or changed, and
the old web must answer throughout (ops/DEPLOY.md §9).

The previous release is a commit of this repository (``PREVIOUS_RELEASE``), unpacked with
``git archive`` and run with this virtualenv (its ``app`` comes first on the path)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tarfile
from io import BytesIO

import asyncpg
import httpx
import pytest

from app.settings import PROJECT_ROOT
from tests.conftest import PG_DATABASE, REDIS_URL, database_url, recreate_database
from tests.workers.processes import kill, until

# Where session 3 landed (main, 2026-12-04); move it on when a release is cut.
PREVIOUS_RELEASE = "501fad3"
UPGRADED = f"{PG_DATABASE}_upgrade"
WEB_PORT = int(os.environ.get("TEST_UPGRADE_WEB_PORT", "8242"))
# Written by the requests of the test itself while the migration runs.
TOUCHED_BY_REQUESTS = {("api_token", "last_used_at")}
FILL = """
import asyncio
from app import db
from app.demo import HISTORY_COUNTIES, _history, _liven_up, _sample_cases
from app.settings import Settings

async def fill():
    async with db.connected(Settings.from_env()):
        await _liven_up("dangshan")
        await _sample_cases("dangshan")
        for slug in HISTORY_COUNTIES:
            await _history(slug)

asyncio.run(fill())
"""


def _has_release() -> bool:
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"], cwd=PROJECT_ROOT, capture_output=True
    )
    return shutil.which("git") is not None and found.returncode == 0


pytestmark = pytest.mark.skipif(not _has_release(), reason=f"no commit {PREVIOUS_RELEASE} in this clone")


@pytest.fixture
def previous_release(tmp_path):
    archive = subprocess.run(["git", "archive", PREVIOUS_RELEASE], cwd=PROJECT_ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path


def environment() -> dict:
    return {
        **os.environ,
        "PORTAL_MODE": "test",
        "SECRET_KEY": "upgrade-test-Vq3kP9xZ2mLw8RtY6nBc4HsJ7dFg5KaE",
        "DATABASE_URL": database_url(UPGRADED),
        "REDIS_URL": REDIS_URL,
    }


def run(tree, *command: str) -> str:
    done = subprocess.run(
        [sys.executable, *command], cwd=tree, env=environment(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{command}: {done.stderr[-2000:]}"
    return done.stdout


async def contents() -> dict[str, tuple[list[str], list]]:
    """Every table: its columns and its rows in id order."""
    connection = await asyncpg.connect(database_url(UPGRADED))
    try:
        tables = [
            r["tablename"]
            for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ]
        found = {}
        for table in tables:
            columns = [
                r["column_name"]
                for r in await connection.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = $1 ORDER BY ordinal_position",
                    table,
                )
            ]
            found[table] = (columns, await _rows(connection, table, columns))
        return found
    finally:
        await connection.close()


async def _rows(connection, table: str, columns: list[str]) -> list:
    kept = [c for c in columns if (table, c) not in TOUCHED_BY_REQUESTS]
    names = ", ".join(f'"{c}"' for c in kept)
    return [tuple(row) for row in await connection.fetch(f'SELECT {names} FROM "{table}" ORDER BY 1')]


async def old_rows_now(before: dict) -> dict:
    connection = await asyncpg.connect(database_url(UPGRADED))
    try:
        return {table: await _rows(connection, table, columns) for table, (columns, _) in before.items()}
    finally:
        await connection.close()


async def test_todays_migrations_run_forward_on_a_full_database_while_the_old_web_answers(previous_release):
    await recreate_database(UPGRADED)
    run(previous_release, "-m", "app.cli", "migrate")
    for name in ("dangshan.toml", "xiaoxian.toml", "regions.toml"):
        run(previous_release, "-m", "app.cli", "tenant", "load", f"tenants/{name}")
    run(previous_release, "-c", FILL)
    token = run(previous_release, "-m", "app.cli", "token", "create", "--tenant", "dangshan", "--user", "admin")
    token = token.strip().splitlines()[-1]
    before = await contents()
    assert sum(len(rows) for _, rows in before.values()) > 1000

    web = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--port",
        str(WEB_PORT),
        cwd=previous_release,
        env=environment(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    answers: list[int] = []
    stop = asyncio.Event()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{WEB_PORT}", timeout=10) as client:

            async def up() -> bool:
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await until(up, 60, "the previous release's web did not come up")

            async def load() -> None:
                headers = {"Authorization": f"Bearer {token}"}
                while not stop.is_set():
                    for path in ("/api/v1/t/dangshan/cases", "/api/v1/t/dangshan/staff", "/api/v1/t/dangshan/absences"):
                        try:
                            answers.append((await client.get(path, headers=headers)).status_code)
                        except httpx.HTTPError:
                            answers.append(0)
                    await asyncio.sleep(0.02)

            task = asyncio.create_task(load())
            migrated = await asyncio.to_thread(run, PROJECT_ROOT, "-m", "app.cli", "migrate")
            await asyncio.sleep(0.5)
            stop.set()
            await task
    finally:
        stop.set()
        await kill(web)

    assert "migrations applied" in migrated
    assert answers and set(answers) == {200}, f"the old web answered {sorted(set(answers))} during the migration"
    after = await old_rows_now(before)
    for table, (_, rows) in before.items():
        # Every row as it was (in id order); a migration may add some (Piccolo's own ledger does).
        assert after[table][: len(rows)] == rows, f"{table} lost or changed rows in the upgrade"
    checked = await asyncio.to_thread(run, PROJECT_ROOT, "-m", "app.cli", "check")
    assert "OK   database" in checked, checked
