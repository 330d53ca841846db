"""``portal backup`` → ``portal restore`` keeps every row, sequence, trigger and policy."""

from __future__ import annotations

import subprocess
import sys

import asyncpg
import pytest
from arq import create_pool
from arq.connections import RedisSettings

from app.operations import backup
from app.piccolo_conf import all_tables
from app.settings import PROJECT_ROOT
from tests.conftest import PG_DATABASE, REDIS_URL, database_url, recreate_database
from tests.filled import fill

RESTORED = f"{PG_DATABASE}_restored"
# What the filled database leaves empty: a head's pick needs A and B of a line away at once, a
# rectification a cycle carried through to its feedback.
MAY_BE_EMPTY = {"escalation_pick", "evaluation_rectification"}


async def _contents(url: str) -> dict[str, list]:
    """Every row of every table (by primary key) and every sequence's position."""
    connection = await asyncpg.connect(url)
    try:
        tables = [
            row["tablename"]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        contents = {
            name: [tuple(row) for row in await connection.fetch(f'SELECT * FROM "{name}" ORDER BY 1')]
            for name in tables
        }
        contents["sequences"] = [
            tuple(row)
            for row in await connection.fetch(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        contents["policies"] = [
            tuple(row)
            for row in await connection.fetch(
                "SELECT tablename, policyname, roles::text, qual, with_check FROM pg_policies ORDER BY 1, 2"
            )
        ]
        contents["triggers"] = [
            tuple(row)
            for row in await connection.fetch(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2"
            )
        ]
        return contents
    finally:
        await connection.close()


def portal(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {
        "PORTAL_MODE": "test",
        "SECRET_KEY": "backup-test-" + "k" * 32,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=300
    )


async def test_a_backup_restores_into_a_new_database_as_it_was(clean_db, redis, tmp_path):
    queue = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        await fill(queue)
    finally:
        await queue.aclose()
    before = await _contents(database_url())
    empty = {t._meta.tablename for t in all_tables()} - {name for name, rows in before.items() if rows}
    assert empty <= MAY_BE_EMPTY, f"the filled database leaves {sorted(empty)} empty"

    file = tmp_path / "portal.dump"
    made = portal("backup", str(file), url=database_url())
    assert made.returncode == 0, made.stderr
    await recreate_database(RESTORED)
    restored = portal("restore", str(file), url=database_url(RESTORED))
    assert restored.returncode == 0, restored.stderr
    print(made.stdout, restored.stdout)

    after = await _contents(database_url(RESTORED))
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], f"{name} differs after the restore"

    # Still append-only, still fenced by county for the app's role.
    owner = await asyncpg.connect(database_url(RESTORED))
    try:
        with pytest.raises(asyncpg.RaiseError):
            await owner.execute("UPDATE audit_record SET summary = 'rewritten'")
        with pytest.raises(asyncpg.RaiseError):
            await owner.execute("DELETE FROM audit_record")
        async with owner.transaction():
            await owner.execute("SET LOCAL ROLE portal_app")
            await owner.execute("SELECT set_config('portal.tenant', '1', true)")
            assert await owner.fetchval("SELECT count(DISTINCT tenant) FROM assistance_case") == 1
    finally:
        await owner.close()

    again = portal("restore", str(file), url=database_url(RESTORED))
    assert again.returncode == 2 and "not empty" in again.stderr


async def test_sqlite_round_trip(sqlite_db, tmp_path):
    await fill()
    source = tmp_path / "portal.sqlite"
    file, target = tmp_path / "backup.sqlite", tmp_path / "restored.sqlite"
    url = f"sqlite:///{source}"
    assert portal("backup", str(file), url=url).returncode == 0
    restored = portal("restore", str(file), url=f"sqlite:///{target}")
    assert restored.returncode == 0, restored.stderr
    before, after = await backup.row_counts(url), await backup.row_counts(f"sqlite:///{target}")
    assert before == after and sum(before.values()) > 1000
    refused = portal("restore", str(file), url=f"sqlite:///{target}")
    assert refused.returncode == 2 and "not empty" in refused.stderr
