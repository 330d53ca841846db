"""Many rows at once: inserts within the parameter limit, several counts in one statement, an
outbox row claimed; and NUMERIC values as read back."""

from __future__ import annotations

from decimal import Decimal
from typing import overload

from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from app.db.binding import engine


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


def querystring_of(query) -> QueryString:
    """The SQL of a query: Piccolo's (``count()``, ``raw``) or a ``QueryString`` already."""
    return query if isinstance(query, QueryString) else query.querystrings[0]


async def counts(*queries) -> list[int]:
    """Several counts (Piccolo ``count()`` queries or ``count_of``) in one statement, one round trip."""
    strings = [querystring_of(query) for query in queries]
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
