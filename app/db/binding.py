"""The engine every table uses: bound once by ``configure`` (or a test), asked for by the rest."""

from __future__ import annotations

import os

from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import ENVIRONMENT_VARIABLE, Finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

_engine: Engine | None = None


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


def bound() -> Engine | None:
    """The engine bound so far, if any (``engine()`` insists on one)."""
    return _engine


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


def transaction():
    """A write transaction: all rows change together or none do (IMMEDIATE on SQLite)."""
    current = engine()
    if isinstance(current, SQLiteEngine):
        return current.transaction(transaction_type=TransactionType.immediate)
    return current.transaction()


async def serialize(table, *key: int) -> None:
    """Inside a write transaction: wait for any other transaction holding the same key.

    PostgreSQL takes an advisory lock until commit, named by the table and the key so that
    locks of different kinds never wait for each other; SQLite's IMMEDIATE write transactions
    are already one at a time.
    """
    if isinstance(engine(), PostgresEngine):
        name = ":".join([table._meta.tablename, *map(str, key)])
        await table.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", name)
