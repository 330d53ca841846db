"""The database engine: built from settings, bound to every table of the registry.

Piccolo finds its engine through ``app.piccolo_conf.DB``; ``configure`` sets it, so the app,
the migrations and the tests all talk to the database the settings name.

The rest lives by topic, and callers use it as ``db.xxx`` from here: the engine in use and its
transactions (``binding``), PostgreSQL's county engine and a request's one transaction
(``county_engine``), the statements counted (``statements``), rows in bulk (``bulk``), several
reads in one statement (``together``).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from app import secrets
from app.db.binding import bind, bound, engine, is_postgres, serialize, transaction
from app.db.bulk import claim_due, count_of, counts, insert_all, insert_new, two_places
from app.db.county_engine import (
    APP_ROLE,
    CountyEngine,
    commit_so_far,
    county,
    current_county,
    enter_county,
    request_transaction,
    when_committed,
)
from app.db.statements import _counted, round_trips_run, statements_run
from app.db.together import read_together
from app.settings import Settings

__all__ = [
    "APP_ROLE",
    "bind",
    "bound",
    "build_engine",
    "claim_due",
    "commit_so_far",
    "configure",
    "connected",
    "count_of",
    "counts",
    "county",
    "current_county",
    "engine",
    "enter_county",
    "insert_all",
    "insert_new",
    "is_postgres",
    "migrate",
    "read_together",
    "request_transaction",
    "round_trips_run",
    "serialize",
    "statements_run",
    "transaction",
    "two_places",
    "when_committed",
]


def build_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))  # sqlite:////abs or sqlite:///relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path), timeout=30)
    dsn, statement_cache_size = _statement_cache(database_url.replace("postgres://", "postgresql://", 1))
    config = (
        {"dsn": dsn} if statement_cache_size is None else {"dsn": dsn, "statement_cache_size": statement_cache_size}
    )
    return CountyEngine(config=config)


def _statement_cache(url: str) -> tuple[str, int | None]:
    """``?statement_cache_size=0`` in DATABASE_URL (behind PgBouncer < 1.21 in transaction mode,
    where a statement prepared on one server connection is unknown on the next) goes to asyncpg,
    not to the server as a setting."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    sizes = [int(value) for key, value in query if key == "statement_cache_size"]
    if not sizes:
        return url, None
    rest = urlencode([(key, value) for key, value in query if key != "statement_cache_size"])
    return urlunsplit(parts._replace(query=rest)), sizes[-1]


def configure(settings: Settings) -> Engine:
    """Make every table of the app use the database of ``settings``."""
    # Whoever reads this database may need the secrets sealed in it (and a migration seals them).
    secrets.use_key(settings.sealing_key)

    return bind(build_engine(settings.database_url))


async def _nothing_to_reset(connection) -> None:
    """The pool's reset on release: transactions left nothing (asyncpg's default is a round trip)."""


@asynccontextmanager
async def connected(settings: Settings):
    """The engine for the life of a process (or app): a pool on PostgreSQL, closed at the end.

    The engine bound before is bound again afterwards, so an app started inside a test (or a
    demo) leaves the tables pointing where they pointed.
    """
    previous = bound()
    current = configure(settings)
    if isinstance(current, PostgresEngine):
        await current.start_connection_pool(min_size=1, max_size=10, init=_counted, reset=_nothing_to_reset)
    try:
        yield current
    finally:
        if isinstance(current, PostgresEngine):
            await current.close_connection_pool()
        if previous is not None:
            bind(previous)


async def migrate(settings: Settings) -> None:
    """Apply every pending migration of every app (``portal migrate``)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    configure(settings)
    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")
