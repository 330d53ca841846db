"""The statements this process sends to PostgreSQL, counted (and the tables they write noted)
by asyncpg's query logger on every connection of the pool."""

from __future__ import annotations

from app.db.county_engine import _BEGIN, _COMMIT, _NAME_COUNTY, _ROLE_AND_COUNTY, _ROLLBACK, _WRITE, _written

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
