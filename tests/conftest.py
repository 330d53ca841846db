"""One PostgreSQL database per run (migrated once), emptied before each test; Redis db 15."""

from __future__ import annotations

import contextlib
import io
import os
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import chinese_calendar
import pytest
import time_machine
from redis.asyncio import Redis

from app import db
from app.accounts.passwords import use_fast_hashing
from app.asgi import load_routes
from app.piccolo_conf import all_tables
from app.robots.services import hear_the_inbox
from app.settings import Settings
from app.tenancy import cache

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = os.environ.get("TEST_PG_DATABASE", "portal_test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# The robots hear the inbox in every test, as in the web app and the worker, which register them at start.
hear_the_inbox()
load_routes()  # what create_app and every portal command do: links are built from the route table


def database_url(name: str = PG_DATABASE) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def make_settings(**overrides) -> Settings:
    env = {
        "PORTAL_MODE": "test",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
    }
    return Settings.from_env(env, **overrides)


async def recreate_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def migrate_quietly(settings: Settings) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        await db.migrate(settings)


def next_office_morning(zone: ZoneInfo = ZoneInfo("Asia/Shanghai")) -> datetime:
    """10:00 on the next working day followed by another (county time): absences count only working time (SPEC §4), so
    tests that post one "now" run at a moment when now is office time, whatever day CI runs on."""
    day = datetime.now(zone).date() + timedelta(days=1)
    # The next day works too: tests post absences "tomorrow" as well.
    while not (_is_workday(day) and _is_workday(day + timedelta(days=1))):
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), zone)


def _is_workday(day) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not know: Monday–Friday, as the portal does
        return day.weekday() < 5


@pytest.fixture
def office_time():
    """Runs the test from 10:00 of the next working day, the clock ticking on from there."""
    with time_machine.travel(next_office_morning(), tick=True):
        yield


@pytest.fixture(scope="session")
def settings() -> Settings:
    use_fast_hashing(True)
    return make_settings()


@pytest.fixture(scope="session")
async def database(settings):
    await recreate_database(PG_DATABASE)
    await migrate_quietly(settings)
    async with db.connected(settings) as engine:
        yield engine


@pytest.fixture
async def redis():
    client = Redis.from_url(REDIS_URL)
    await client.flushdb()
    yield client
    await client.aclose()


async def empty_database() -> None:
    """Every table emptied, ids from 1 again: as the tables' owner (the app's role may not reset
    their sequences)."""
    names = ", ".join(f'"{t._meta.tablename}"' for t in all_tables())
    owner = await asyncpg.connect(database_url())
    try:
        await owner.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await owner.close()


@pytest.fixture
async def clean_db(database):
    """An empty database for this test (emptied before, so a failure leaves its rows to look at)."""
    await empty_database()
    redis = Redis.from_url(REDIS_URL)
    # Emptied behind every process's back (the same counties come back with other rows): nothing
    # kept before counts, here or in a live server; what the test writes outside an app (helpers)
    # reaches the apps it runs, as a command's writes do.
    await redis.delete(cache.EPOCH)
    try:
        with cache.invalidated_by_writes(redis):
            yield database
    finally:
        await redis.aclose()


@pytest.fixture
async def sqlite_db(tmp_path, database):
    """A fresh, migrated SQLite database bound for this test; PostgreSQL is bound again after."""
    sqlite_settings = make_settings(database_url=f"sqlite:///{tmp_path / 'portal.sqlite'}")
    await migrate_quietly(sqlite_settings)
    yield db.engine()
    db.bind(database)


@pytest.fixture(params=["postgres", "sqlite"])
def any_db(request):
    """The data-layer tests run on both databases the portal supports."""
    return request.getfixturevalue("clean_db" if request.param == "postgres" else "sqlite_db")
