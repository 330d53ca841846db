"""``portal backup FILE`` and ``portal restore FILE``: the whole database in one file and back.

PostgreSQL: ``pg_dump -Fc`` / ``pg_restore`` (every row, sequence, trigger, grant and policy of
row-level security; the role ``portal_app`` belongs to the server, not the database, so restore
creates it when the server lacks it). SQLite: its online backup API (consistent while the portal
writes). A restore writes only into an empty database and runs as one transaction: it succeeds
whole or leaves the database empty.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import asyncpg

from app.db import APP_ROLE
from app.errors import InvalidInput

PG_MAGIC, SQLITE_MAGIC = b"PGDMP", b"SQLite format 3\x00"


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite:")


def sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))


def pg_dsn(database_url: str) -> str:
    return database_url.replace("postgres://", "postgresql://", 1)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InvalidInput("找不到 {program}：请安装 PostgreSQL 客户端（与服务器同一主版本）", program=name)
    return found


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        problem = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise InvalidInput("{program} 失败：{problem}", program=Path(command[0]).name, problem=problem)


def backup(database_url: str, file: Path) -> None:
    """Write the database to ``file``; a failed backup leaves no file that looks complete."""
    partial = file.with_name(file.name + ".partial")
    if is_sqlite(database_url):
        source_path = sqlite_path(database_url)
        if not source_path.exists():
            raise InvalidInput("数据库文件 {path} 不存在", path=str(source_path))
        partial.unlink(missing_ok=True)
        _sqlite_copy(source_path, partial)
    else:
        _run(_tool("pg_dump"), "--format=custom", f"--file={partial}", f"--dbname={pg_dsn(database_url)}")
    os.replace(partial, file)


def restore(database_url: str, file: Path) -> None:
    """Fill the empty database of ``database_url`` from ``file`` (made by ``backup``)."""
    if not file.is_file():
        raise InvalidInput("备份文件 {path} 不存在", path=str(file))
    with file.open("rb") as opened:
        head = opened.read(len(SQLITE_MAGIC))
    wanted = SQLITE_MAGIC if is_sqlite(database_url) else PG_MAGIC
    if not head.startswith(wanted):
        raise InvalidInput("{path} 不是这种数据库的备份（SQLite 与 PostgreSQL 的备份不能互换）", path=str(file))
    tables = asyncio.run(table_names(database_url))
    if tables:
        raise InvalidInput(
            "数据库不是空的（已有 {count} 张表）：恢复只写入空数据库，请新建一个数据库再恢复", count=len(tables)
        )
    if is_sqlite(database_url):
        target_path = sqlite_path(database_url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(file, target_path)
        return
    asyncio.run(_app_role_on_server(database_url))
    _run(
        _tool("pg_restore"),
        "--exit-on-error",
        "--single-transaction",
        "--no-owner",  # the tables belong to whoever restores (the owner the app's URL names)
        f"--dbname={pg_dsn(database_url)}",
        str(file),
    )


def _sqlite_copy(source_path: Path, target_path: Path) -> None:
    """SQLite's online backup: a consistent copy even while the portal writes to the source."""
    with closing(sqlite3.connect(source_path)) as source, closing(sqlite3.connect(target_path)) as target:
        source.backup(target)


async def _app_role_on_server(database_url: str) -> None:
    """The role the policies name, as the backstop migration makes it (roles are server-wide: a
    new server has none; the restoring user must be able to switch to it, as the app does)."""
    connection = await asyncpg.connect(pg_dsn(database_url))
    try:
        await connection.execute(
            f"DO $$ BEGIN CREATE ROLE {APP_ROLE} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        await connection.execute(f"GRANT {APP_ROLE} TO current_user")
    finally:
        await connection.close()


async def table_names(database_url: str) -> list[str]:
    if is_sqlite(database_url):
        path = sqlite_path(database_url)
        if not path.exists():
            return []
        with closing(sqlite3.connect(path)) as connection:
            rows = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
        return [name for (name,) in rows]
    connection = await asyncpg.connect(pg_dsn(database_url))
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    finally:
        await connection.close()
    return [row["tablename"] for row in rows]


async def row_counts(database_url: str) -> dict[str, int]:
    """Rows of every table, by name (what an operator compares after a restore drill)."""
    names = await table_names(database_url)
    if is_sqlite(database_url):
        with closing(sqlite3.connect(sqlite_path(database_url))) as connection:
            return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    connection = await asyncpg.connect(pg_dsn(database_url))
    try:
        return {name: await connection.fetchval(f'SELECT count(*) FROM "{name}"') for name in names}
    finally:
        await connection.close()


def summary(counts: dict[str, int]) -> str:
    return f"{len(counts)} tables, {sum(counts.values())} rows"
