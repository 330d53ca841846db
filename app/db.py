"""The database engine: built from settings, bound to every table of the registry.

Piccolo finds its engine through ``app.piccolo_conf.DB``; ``configure`` sets it, so the app,
the migrations and the tests all talk to the database the settings name.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager, contextmanager, suppress
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from asyncpg import InterfaceError, InternalClientError, PostgresError
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import ENVIRONMENT_VARIABLE, Finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

from app import secrets
from app.settings import Settings

_engine: Engine | None = None

# PostgreSQL's backstop for tenancy (row-level security, app/backstop): the app works as a role
# that owns no table, and each connection it takes from the pool is told the county of the
# request it serves; the policies then show and accept only that county's rows, whatever a query
# forgets. Outside a county request (sign-in, workers, operators) no county is set: all rows.
# Both are set per transaction (``CountyEngine``), never per connection: see NOTES "PgBouncer".
APP_ROLE = "portal_app"
_county: ContextVar[int | None] = ContextVar("county", default=None)


@contextmanager
def county(tenant_id: int | None):
    """Run the block as a request of county ``tenant_id`` (None: of no county yet)."""
    token = _county.set(tenant_id)
    try:
        yield
    finally:
        _county.reset(token)


def enter_county(tenant_id: int) -> None:
    """Within a ``county(None)`` block (a request), from here on: county ``tenant_id``."""
    _county.set(tenant_id)


_ROLE_AND_COUNTY = "SELECT set_config('role', $1, true), set_config('portal.tenant', $2, true)"


async def _as_app_role(connection) -> None:
    """Inside a transaction: the app's role and the request's county, for this transaction only.

    Nothing is left on the connection (``set_config(..., true)`` ends with the transaction), so a
    pooler in transaction mode (PgBouncer) may hand the server connection to anyone afterwards."""
    county_id = _county.get()
    await connection.execute(
        _ROLE_AND_COUNTY,
        APP_ROLE,
        "" if county_id is None else str(county_id),
    )


_BEGIN = "BEGIN;"
_COMMIT, _ROLLBACK = "COMMIT;", "ROLLBACK;"


def _begin_as_app_role() -> str:
    """BEGIN, the app's role and the request's county as one simple query: one round trip where
    BEGIN and a parameterised ``_ROLE_AND_COUNTY`` take two. Only values the app controls are
    written into it: a constant role name and an integer county id."""
    county_id = _county.get()
    tenant = "" if county_id is None else int(county_id)
    return f"{_BEGIN} SELECT set_config('role', '{APP_ROLE}', true), set_config('portal.tenant', '{tenant}', true)"


class _CountyTransaction(PostgresTransaction):
    async def begin(self) -> None:
        await super().begin()
        if self.engine.pool is not None:  # the app's pool; migrations and operators stay the owner
            await _as_app_role(self.connection)


class CountyEngine(PostgresEngine):
    """PostgreSQL where every pooled statement runs in a transaction that names the app's role and
    the county (row-level security, above); a statement outside ``transaction()`` gets one of its
    own, opened with its role and county in one round trip (then the statement, then COMMIT).
    Session state is never set, so nothing needs resetting when a connection is released."""

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _CountyTransaction(engine=self, allow_nested=allow_nested)

    async def _run_in_pool(self, query: str, args=None):
        if not self.pool:  # as Piccolo's own
            raise ValueError("A pool isn't currently running.")
        async with self.pool.acquire() as connection:
            await _simple(connection, _begin_as_app_role())
            try:
                rows = await connection.fetch(query, *(args or []))
            except InternalClientError as broken:
                raise ConnectionError("the database connection broke") from broken
            except Exception:
                # A failed ROLLBACK means the connection broke too: the server rolls back, the pool
                # discards or resets it on release, and the statement's own error is the one to tell.
                with suppress(InterfaceError, ConnectionError, PostgresError, OSError):
                    await _simple(connection, _ROLLBACK)
                raise
            # (Cancelled mid-statement: the pool rolls back the open transaction on release.)
            await _simple(connection, _COMMIT)
            return rows


async def _simple(connection, sql: str) -> None:
    """One simple-protocol round trip. asyncpg's InternalClientError ("another operation is in
    progress") here means the server went away under the connection (seen when PostgreSQL stops):
    nothing was sent and the server rolls the transaction back, so it is a backend that is down."""
    try:
        await connection.execute(sql)
    except InternalClientError as broken:
        raise ConnectionError("the database connection broke") from broken


async def _nothing_to_reset(connection) -> None:
    """The pool's reset on release: transactions left nothing (asyncpg's default is a round trip)."""


_statements = 0
# What wraps each statement (its transaction, the role and county), not the app's own queries.
_WRAPPING = frozenset({_BEGIN, _COMMIT, _ROLLBACK, _ROLE_AND_COUNTY})


def _count_statement(record) -> None:
    global _statements
    if record.query not in _WRAPPING and not record.query.startswith(_BEGIN):
        _statements += 1


async def _counted(connection) -> None:
    """asyncpg's ``init``, once per new connection of the pool."""
    connection.add_query_logger(_count_statement)


def statements_run() -> int:
    """The app's statements this process has sent to PostgreSQL through the pool, without the
    BEGIN, role and county, and COMMIT around each (the benchmark and
    ``tests/integration/test_statements.py`` count them)."""
    return _statements


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


def bind(new_engine: Engine) -> Engine:
    global _engine
    _engine = new_engine
    # The registry of tables is found as Piccolo's own commands find it (its migration runner
    # reads ``DB`` there too), so this module need not import the registry that imports it.
    os.environ[ENVIRONMENT_VARIABLE] = "app.piccolo_conf"
    # Piccolo's own migration ledger caches the engine it first found: rebind it too.
    tables: list[type[Table]] = [*Finder().get_table_classes(), Migration]
    for table in tables:
        table._meta.db = new_engine
    return new_engine


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("app.db.configure(settings) was not called")
    return _engine


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


def transaction():
    """A write transaction: all rows change together or none do (IMMEDIATE on SQLite)."""
    current = engine()
    if isinstance(current, SQLiteEngine):
        return current.transaction(transaction_type=TransactionType.immediate)
    return current.transaction()


@asynccontextmanager
async def connected(settings: Settings):
    """The engine for the life of a process (or app): a pool on PostgreSQL, closed at the end.

    The engine bound before is bound again afterwards, so an app started inside a test (or a
    demo) leaves the tables pointing where they pointed.
    """
    previous = _engine
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


async def serialize(table, *key: int) -> None:
    """Inside a write transaction: wait for any other transaction holding the same key.

    PostgreSQL takes an advisory lock until commit, named by the table and the key so that
    locks of different kinds never wait for each other; SQLite's IMMEDIATE write transactions
    are already one at a time.
    """
    if isinstance(engine(), PostgresEngine):
        name = ":".join([table._meta.tablename, *map(str, key)])
        await table.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", name)


async def insert_new(table, rows: list[dict], returning: tuple[str, ...]) -> list[dict]:
    """Insert many rows in one statement, skipping those a unique key already has; answers the
    ``returning`` columns of the rows inserted.

    On PostgreSQL the values travel as one array per column (``unnest``), so ten thousand rows
    cost one small statement instead of a query string with a parameter per value; SQLite gets
    as many statements as its parameter limit needs.
    """
    if not rows:
        return []
    names = list(rows[0])
    if not isinstance(engine(), PostgresEngine):
        inserted, per_statement = [], PARAMETER_LIMIT // len(table._meta.columns)
        for start in range(0, len(rows), per_statement):
            inserted += (
                await table.insert(*(table(**row) for row in rows[start : start + per_statement]))
                .on_conflict(action="DO NOTHING")
                .returning(*(getattr(table, name) for name in returning))
            )
        return inserted
    columns = [getattr(table, name) for name in names]
    arrays = ", ".join(f"{{}}::{_array_type(column)}" for column in columns)
    sql = (
        f'INSERT INTO "{table._meta.tablename}" ({_quoted(names)}) '
        f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING RETURNING {_quoted(returning)}"
    )
    return await table.raw(sql, *([row[name] for row in rows] for name in names))


async def claim_due(table, row_id: int, now, lease) -> dict | None:
    """One pending row of an outbox (e-mail, robot messages) whose attempt is due, claimed for
    ``lease`` by a conditional UPDATE that counts the attempt: two workers never get the same
    row, and a worker that dies with it leaves it due again when the lease is over. The row as
    claimed, or None when it was not due or someone else got it."""
    rows = (
        await table.update(
            {table.next_attempt_at: now + lease, table.attempts: table.attempts + 1, table.last_attempt_at: now}
        )
        .where((table.id == row_id) & (table.status == "pending") & (table.next_attempt_at <= now))
        .returning(*table.all_columns())
    )
    return rows[0] if rows else None


def count_of(query) -> QueryString:
    """The number of rows ``query`` (a select, Piccolo's or raw) answers, to ask with ``counts``."""
    return QueryString("SELECT count(*) FROM ({}) AS counted", query.querystrings[0])


async def counts(*queries) -> list[int]:
    """Several counts (Piccolo ``count()`` queries or ``count_of``) in one statement, one round trip."""
    strings = [query if isinstance(query, QueryString) else query.querystrings[0] for query in queries]
    columns = ", ".join(f"({{}}) AS n{i}" for i in range(len(strings)))
    (row,) = await engine().run_querystring(QueryString(f"SELECT {columns}", *strings))
    return [row[f"n{i}"] for i in range(len(strings))]


# PostgreSQL takes at most 32,767 parameters in one statement (SQLite 32,766).
PARAMETER_LIMIT = 32766


async def insert_all(table, rows: list, skip_existing: bool = False) -> None:
    """Insert ``rows`` (instances of ``table``) in as few statements as the parameter limit
    allows: one ``INSERT`` of every row fails beyond ``PARAMETER_LIMIT`` values."""
    per_statement = PARAMETER_LIMIT // len(table._meta.columns)
    for start in range(0, len(rows), per_statement):
        query = table.insert(*rows[start : start + per_statement])
        await (query.on_conflict(action="DO NOTHING") if skip_existing else query)


def _quoted(names) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _array_type(column) -> str:
    # A foreign key or serial is an integer; others as their column type.
    kind = column.column_type
    return ("INTEGER" if kind in ("SERIAL", "BIGSERIAL") else kind) + "[]"


_CENTS = Decimal("0.01")


@overload
def two_places(value: None) -> None: ...


@overload
def two_places(value: Decimal | int | float | str) -> Decimal: ...


def two_places(value: Decimal | int | float | str | None) -> Decimal | None:
    """A NUMERIC(…, 2) value as read back, with its two places: SQLite hands back 89.2 for 89.20."""
    return None if value is None else Decimal(value).quantize(_CENTS)
