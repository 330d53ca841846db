"""The database engine: built from settings, bound to every table of the registry.

Piccolo finds its engine through ``app.piccolo_conf.DB``; ``configure`` sets it, so the app,
the migrations and the tests all talk to the database the settings name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager, contextmanager, suppress
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from asyncpg import InterfaceError, InternalClientError, Pool, PostgresError
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


# The tables each transaction on the pool writes (read from the statements sent), told to the
# listeners of ``when_committed`` once it commits: what another process keeps of them is stale.
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_written: ContextVar[set[str] | None] = ContextVar("written", default=None)
_committed_listeners: list[Callable[[set[str]], Awaitable[None]]] = []


@contextmanager
def when_committed(listener: Callable[[set[str]], Awaitable[None]]):
    """Within the block, ``listener(tables)`` after every transaction of this process that wrote
    ``tables`` has committed (PostgreSQL)."""
    _committed_listeners.append(listener)
    try:
        yield
    finally:
        _committed_listeners.remove(listener)


async def _tell_committed(written: set[str]) -> None:
    if written:
        tables = set(written)
        written.clear()
        for listener in list(_committed_listeners):
            await listener(tables)


@contextmanager
def county(tenant_id: int | None):
    """Run the block as a request of county ``tenant_id`` (None: of no county yet)."""
    token = _county.set(tenant_id)
    try:
        yield
    finally:
        _county.reset(token)


def current_county() -> int | None:
    """The county the current request works in (None: not a county request, or not yet)."""
    return _county.get()


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
_NAME_COUNTY = "SELECT set_config('portal.tenant', "


def _naming_the_county() -> str:
    """The request's county for the rest of the transaction, as one simple query (the county is
    found after the identity statement opened the request's transaction)."""
    return f"{_NAME_COUNTY}'{_county_literal()}', true)"


def _county_literal() -> str:
    # Only values the app controls are written into SQL: an integer county id, or nothing.
    county_id = _county.get()
    return "" if county_id is None else str(int(county_id))


def _begin_as_app_role() -> str:
    """BEGIN, the app's role and the request's county as one simple query: one round trip where
    BEGIN and a parameterised ``_ROLE_AND_COUNTY`` take two. Only values the app controls are
    written into it: a constant role name and an integer county id."""
    county = _county_literal()
    return f"{_BEGIN} SELECT set_config('role', '{APP_ROLE}', true), set_config('portal.tenant', '{county}', true)"


class _CountyTransaction(PostgresTransaction):
    _written: set[str]

    async def begin(self) -> None:
        await super().begin()
        self._written = set()
        self._tracking = _written.set(self._written)
        if self.engine.pool is not None:  # the app's pool; migrations and operators stay the owner
            await _as_app_role(self.connection)

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent is not None:
            return await super().__aexit__(exception_type, exception, traceback)
        try:
            committed = await super().__aexit__(exception_type, exception, traceback)
        finally:
            _written.reset(self._tracking)
        if committed:
            await _tell_committed(self._written)
        return committed


class CountyEngine(PostgresEngine):
    """PostgreSQL where every pooled statement runs in a transaction that names the app's role and
    the county (row-level security, above). Within a request (``request_transaction``) that is the
    request's one transaction; elsewhere (workers, operators) a statement outside
    ``transaction()`` gets one of its own, opened with its role and county in one round trip (then
    the statement, then COMMIT). Session state is never set, so nothing needs resetting when a
    connection is released."""

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        request = _request.get()
        if request is not None and request.engine is self and request.is_open() and not self.current_transaction.get():
            return _Savepoint(self, request)
        return _CountyTransaction(engine=self, allow_nested=allow_nested)

    async def _run_in_pool(self, query: str, args=None):
        request = _request.get()
        if request is not None and request.engine is self and request.is_open():
            connection = await request.connection()
            try:
                return await connection.fetch(query, *(args or []))
            except InternalClientError as broken:
                raise ConnectionError("the database connection broke") from broken
        written: set[str] = set()
        tracking = _written.set(written)
        try:
            rows = await self._run_alone(query, args)
        finally:
            _written.reset(tracking)
        await _tell_committed(written)
        return rows

    async def _run_alone(self, query: str, args=None):
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


class _RequestTransaction:
    """A request's statements in one transaction, opened by its first statement with the app's
    role and the county (one round trip), the county named again when the tenant guard finds it,
    and ended once: committed or rolled back. Three round trips a statement become one.

    Nothing outlives the transaction, so it is as safe behind PgBouncer in transaction mode as a
    transaction per statement was."""

    __slots__ = ("engine", "written", "_pool", "_connection", "_county", "_ended", "_savepoints")

    def __init__(self, engine: CountyEngine, pool: Pool) -> None:
        self.engine = engine
        self._pool = pool
        self.written: set[str] = set()
        self._connection = None
        self._county: int | None = None
        self._ended = False
        self._savepoints = 0

    def is_open(self) -> bool:
        """Statements still join it (after its end they get one transaction each again)."""
        return not self._ended

    async def connection(self):
        """The transaction's connection, begun on first use, with the request's current county."""
        if self._connection is None:
            connection = await self._pool.acquire()
            try:
                await _simple(connection, _begin_as_app_role())
            except BaseException:
                await _discard(self._pool, connection)
                raise
            self._connection, self._county = connection, _county.get()
        elif _county.get() != self._county:
            await _simple(self._connection, _naming_the_county())
            self._county = _county.get()
        return self._connection

    def next_savepoint(self) -> str:
        self._savepoints += 1
        return f"portal_{self._savepoints}"

    async def commit(self) -> None:
        """Commit what the request did so far; a later statement begins a new transaction."""
        await self._finish(_COMMIT)

    async def end(self, commit: bool) -> None:
        """Commit (a successful request) or roll back (an error); later statements run alone."""
        self._ended = True
        await self._finish(_COMMIT if commit else _ROLLBACK)

    async def _finish(self, sql: str) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if sql == _ROLLBACK:
                self.written.clear()
                with suppress(InterfaceError, ConnectionError, PostgresError, OSError):
                    await _simple(connection, sql)
            else:
                await _simple(connection, sql)
        finally:
            await _discard(self._pool, connection)
        await _tell_committed(self.written)


async def _discard(pool: Pool, connection) -> None:
    """Back to the pool; a connection still inside a transaction (a COMMIT or ROLLBACK that did
    not arrive, a cancelled request) is closed instead, so nothing is left open on the server."""
    if not connection.is_closed() and connection.is_in_transaction():
        connection.terminate()
    await pool.release(connection)


class _Savepoint(PostgresTransaction):
    """``db.transaction()`` inside a request's transaction: a savepoint, so the block's rows still
    change together or not at all, and an error in it undoes only the block."""

    def __init__(self, engine: CountyEngine, request: _RequestTransaction) -> None:
        super().__init__(engine=engine)
        self._request = request
        self._name = ""

    async def __aenter__(self) -> PostgresTransaction:
        self.connection = await self._request.connection()
        self._name = self._request.next_savepoint()
        await _simple(self.connection, f"SAVEPOINT {self._name}")
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        self.engine.current_transaction.reset(self.context)
        if exception is None:
            await _simple(self.connection, f"RELEASE SAVEPOINT {self._name}")
        else:
            with suppress(InterfaceError, ConnectionError, PostgresError, OSError):
                await _simple(self.connection, f"ROLLBACK TO SAVEPOINT {self._name}")
        return False


_request: ContextVar[_RequestTransaction | None] = ContextVar("request_transaction", default=None)


@asynccontextmanager
async def request_transaction():
    """The block (a request) runs its statements in one transaction, begun by the first of them;
    the block answers the transaction, to end it (``end``) before the response goes out. Whatever
    is still open at the end of the block is committed, or rolled back if the block raised.
    Only on PostgreSQL with a pool: SQLite's writers are one at a time, and a transaction held
    for a whole request would make every other writer wait for it."""
    current = engine()
    if not isinstance(current, CountyEngine) or current.pool is None:
        yield None
        return
    request = _RequestTransaction(current, current.pool)
    token, tracking = _request.set(request), _written.set(request.written)
    try:
        yield request
    except BaseException:
        await request.end(commit=False)
        raise
    else:
        await request.end(commit=True)
    finally:
        _written.reset(tracking)
        _request.reset(token)


async def commit_so_far() -> None:
    """Inside a request, outside any ``transaction()`` block: commit what the request wrote so far,
    before another process is told to read it (a job handed to the workers)."""
    request = _request.get()
    if request is not None and request.is_open() and not engine().current_transaction.get():
        await request.commit()


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
# What wraps the app's statements (transactions, savepoints, the role and county), not its queries.
_WRAPPING = frozenset({_BEGIN, _COMMIT, _ROLLBACK, _ROLE_AND_COUNTY})
_WRAPPING_PREFIXES = (_BEGIN, _NAME_COUNTY, "SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


_round_trips = 0


def _count_statement(record) -> None:
    """asyncpg's query logger: called soon after each statement, in the context that sent it."""
    global _statements, _round_trips
    _round_trips += 1
    if record.query not in _WRAPPING and not record.query.startswith(_WRAPPING_PREFIXES):
        _statements += 1
        written = _written.get()
        if written is not None and (table := _WRITE.match(record.query)):
            written.add(table.group(1).lower())


async def _counted(connection) -> None:
    """asyncpg's ``init``, once per new connection of the pool."""
    connection.add_query_logger(_count_statement)


def statements_run() -> int:
    """The app's statements this process has sent to PostgreSQL through the pool, without the
    transactions, savepoints, role and county around them (the benchmark and
    ``tests/integration/test_statements.py`` count them)."""
    return _statements


def round_trips_run() -> int:
    """Every query this process has sent through the pool, the wrapping included (the benchmark)."""
    return _round_trips


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
