"""What every county page re-reads and rarely changes (the rota's posts, people, lines,
qualifications, absences and picks not yet over), kept in this process while nothing changed.

"Nothing changed" is a version in Redis: one counter per county and one for changes made outside
any county request (workers, commands), read together with the session in the request's one
Redis round trip (``app.web.identity``). Every transaction that writes one of ``TABLES`` bumps
a counter once it has committed (``app.db.when_committed``: the data layer sees every write, so
no write path can forget it): the county's in a county request, the global one elsewhere; this
process forgets what it kept at once, every other process on its next request. A request that
writes reads nothing from here, and code outside a request always reads the database. Should a
bump be lost to an unreachable Redis, nothing is kept longer than ``MAX_AGE``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from redis.exceptions import RedisError

from app import db

log = logging.getLogger(__name__)

MAX_AGE = 60.0  # seconds
# The tables what is kept is read from (``keeps_rows_of``): a write to any other changes nothing kept.
TABLES: set[str] = set()
OUTSIDE_COUNTIES = "portal:counties:version"
T = TypeVar("T")

# The county of the current request (its slug), and its versions when the request may read here.
_county: ContextVar[str | None] = ContextVar("cached_county", default=None)
_version: ContextVar[tuple[int, int] | None] = ContextVar("county_version", default=None)
# The processes' listeners of committed writes: nothing is kept while there is none.
_watching: list = []
# County slug → (versions, when kept, name → value).
_kept: dict[str, tuple[tuple[int, int], float, dict[str, object]]] = {}


def keeps_rows_of(*tables) -> None:
    """Declare what a kept value is read from (the module that keeps it, at import)."""
    TABLES.update(table._meta.tablename for table in tables)


def version_keys(slug: str) -> tuple[str, str]:
    """The Redis keys of a county's versions: its own and the one of changes outside counties."""
    return f"portal:county:{slug}:version", OUTSIDE_COUNTIES


def versions_of(raw: list) -> tuple[int, int]:
    """The counters as Redis answers them; one never bumped (or a flushed Redis) is 0."""
    county, outside = raw
    return int(county or 0), int(outside or 0)


@contextmanager
def request_of(slug: str, versions: tuple[int, int] | None):
    """Within the block, a request of county ``slug``: what is kept for ``versions`` serves it
    (``None``: a request that writes, or versions unknown: the database does)."""
    county, version = _county.set(slug or None), _version.set(versions)
    try:
        yield
    finally:
        _version.reset(version)
        _county.reset(county)


async def kept(slug: str, name: str, load: Callable[[], Awaitable[T]]) -> T:
    """``load()``'s answer for county ``slug``, from this process while its versions hold. The
    answer is shared by every request: callers must not change it."""
    versions = _version.get()
    if versions is None or _county.get() != slug or not _watching:
        return await load()
    entry = _kept.get(slug)
    if entry is None or entry[0] != versions or time.monotonic() - entry[1] > MAX_AGE:
        entry = (versions, time.monotonic(), {})
        _kept[slug] = entry
    values = entry[2]
    if name not in values:
        values[name] = await load()
    return values[name]  # type: ignore[return-value]


@contextmanager
def invalidated_by_writes(redis):
    """For the life of a process (the app, a worker): every committed write to ``TABLES`` bumps
    the version it concerns and forgets what this process kept of it."""

    async def committed(tables: set[str]) -> None:
        if tables.isdisjoint(TABLES):
            return
        slug = _county.get()
        if slug is None:
            _kept.clear()
        else:
            _kept.pop(slug, None)
        try:
            await redis.incr(version_keys(slug)[0] if slug else OUTSIDE_COUNTIES)
        except (RedisError, OSError) as exc:
            log.warning("%s changed but no version was bumped (%s): kept for up to %ss", slug or "all", exc, MAX_AGE)

    _kept.clear()  # what was kept while nobody watched may be stale
    _watching.append(committed)
    try:
        with db.when_committed(committed):
            yield
    finally:
        _watching.remove(committed)
        _kept.clear()


def forget_all() -> None:
    """This process keeps nothing (a test that empties the database behind the app's back)."""
    _kept.clear()
