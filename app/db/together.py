"""Several reads in one statement: lists of one shape, counts, and a table's whole rows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from piccolo.columns import Timestamptz
from piccolo.query import Count, Raw
from piccolo.querystring import QueryString
from piccolo.table import Table

from app.db.binding import engine, is_postgres
from app.db.bulk import counts as counts_of
from app.db.bulk import querystring_of


async def read_together(
    lists: dict[str, tuple[Raw, tuple[str, ...]]],
    counts: Mapping[str, Count | Raw | QueryString],
    whole: Mapping[str, tuple[Raw, type[Table]]] | None = None,
) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """The lists (each a query and its columns, all of one shape: an id, two names, a date), the
    counts and the ``whole`` rows of a table (each a query of that table's columns) in one
    statement on PostgreSQL: the rows of each list numbered in its order and tagged with its name,
    a row for each count, and a row for each table's rows as one JSON array. SQLite reads each list
    and table, then the counts together."""
    whole = whole or {}
    if not is_postgres():
        queries = [*lists.items(), *whole.items()]
        return {name: await query for name, (query, _) in queries}, dict(
            zip(counts, await counts_of(*counts.values()), strict=True)
        )
    parts = [
        QueryString(
            "SELECT {} AS part, row_number() OVER () AS seq, CAST(NULL AS BIGINT) AS n, q.*, CAST(NULL AS JSON) AS rows"
            " FROM ({}) AS q",
            name,
            query.querystrings[0],
        )
        for name, (query, _) in lists.items()
    ] + [
        # Named and typed as a list's row: with no lists, a count is the statement's first part.
        QueryString(
            "SELECT {} AS part, 0 AS seq, ({}) AS n, NULL, NULL, NULL, NULL, CAST(NULL AS JSON) AS rows",
            name,
            querystring_of(count),
        )
        for name, count in counts.items()
    ]
    # json_agg takes the rows in the order the query gives them.
    parts += [
        QueryString(
            "SELECT {}, 0, NULL, NULL, NULL, NULL, NULL, (SELECT json_agg(q) FROM ({}) AS q)",
            name,
            query.querystrings[0],
        )
        for name, (query, _) in whole.items()
    ]
    # UNION ALL may interleave its parts (a parallel plan): each list is put back in its order.
    template = " UNION ALL ".join("{}" for _ in parts) + " ORDER BY part, seq"
    found: dict[str, list[dict]] = {name: [] for name in lists}
    numbers = {}
    for row in await engine().run_querystring(QueryString(template, *parts)):
        part, _, n, *values, rows = row.values()
        if part in counts:
            numbers[part] = n
        elif part in whole:
            found[part] = _from_json(whole[part][1], rows)
        else:
            found[part].append(dict(zip(lists[part][1], values, strict=True)))
    return found, numbers


def _from_json(table: type[Table], rows: str | None) -> list[dict]:
    """A table's rows as ``json_agg`` gave them, with its instants as datetimes again."""
    found = json.loads(rows) if rows else []
    instants = [column._meta.db_column_name for column in table._meta.columns if isinstance(column, Timestamptz)]
    for row in found:
        for name in instants:
            if row[name] is not None:
                row[name] = datetime.fromisoformat(row[name])
    return found
