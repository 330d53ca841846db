"""PostgreSQL with row-level security: the engine that names the app's role and the request's
county in every transaction, a request's statements in one transaction, and the tables each
committed transaction wrote (``when_committed``)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager, contextmanager, suppress
from contextvars import ContextVar

from asyncpg import InterfaceError, InternalClientError, Pool, PostgresError
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from app.db.binding import engine

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
