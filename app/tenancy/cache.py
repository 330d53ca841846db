"""What every county page re-reads and rarely changes (the rota's facts, the county's settings,
calendar, lines and people), kept in this process while nothing changed.

"Nothing changed" is a version in Redis: one counter per county and one for changes made outside
any county request (workers, commands), under an epoch that a flushed Redis loses; all three are
read with the session in the request's one Redis round trip (``app.web.identity``). Every
transaction that writes one of ``TABLES`` bumps a counter once it has committed
(``app.db.when_committed``: the data layer sees every write, so no write path can forget it): the
county's in a county request, the global one elsewhere; this process forgets what it kept at once,
every other process on its next request. A request that writes reads nothing from here, and code
outside a request always reads the database. Should a bump be lost to an unreachable Redis,
nothing is kept longer than ``MAX_AGE``.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from piccolo.table import Table
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app import db

log = logging.getLogger(__name__)

MAX_AGE = 60.0  # seconds
# The tables what is kept is read from: a write to any other changes nothing kept. Named here,
# not gathered from the modules that keep (a command or worker that writes may not import them);
# each of those checks its tables against this list when imported (``keeps_rows_of``).
TABLES = frozenset(
    {
        "tenant",
        "portal_user",
        "api_token",
        "role_grant",
        "line",
        "line_assignment",
        "qualification",
        "absence",
        "escalation_pick",
        "calendar_day",
        "calendar_year",
        "global_calendar_day",
        "global_calendar_year",
    }
)
OUTSIDE_COUNTIES = "portal:counties:version"
EPOCH = "portal:counties:epoch"
T = TypeVar("T")

# The county of the current request (its slug), and its versions when the request may read here.
_county: ContextVar[str | None] = ContextVar("cached_county", default=None)
_version: ContextVar[tuple[str, int, int] | None] = ContextVar("county_version", default=None)
# The processes' listeners of committed writes: nothing is kept while there is none.
_watching: list = []
# County id → (versions, when kept, name → value).
_kept: dict[int, tuple[tuple[str, int, int], float, dict[str, object]]] = {}
# County slug → (versions, when kept, user id or token → who they are): asked before the county is named.
_visitors: dict[str, tuple[tuple[str, int, int], float, dict[object, object]]] = {}


def keeps_rows_of(*tables: type[Table]) -> None:
    """What a module keeps is read from ``tables``: each must be in ``TABLES``, or a write to it
    would leave what is kept stale."""
    missing = {table._meta.tablename for table in tables} - TABLES
    if missing:
        raise RuntimeError(f"app.tenancy.cache.TABLES lacks {sorted(missing)}: writes to them would not be seen")


def version_keys(slug: str) -> tuple[str, str, str]:
    """The Redis keys of a county's versions: the epoch, its own counter and the one of changes
    outside counties."""
    return EPOCH, county_key(slug), OUTSIDE_COUNTIES


def county_key(slug: str) -> str:
    return f"portal:county:{slug}:version"


async def versions_of(redis: Redis, raw: list) -> tuple[str, int, int] | None:
    """The versions as Redis answers ``version_keys``; a counter never bumped is 0. Without an
    epoch (Redis new, flushed or restarted: its counters may have gone back to 0 while the
    database changed) nothing kept before counts: a new epoch begins."""
    epoch, county, outside = raw
    if epoch is None:
        epoch = secrets.token_hex(8)
        if not await redis.set(EPOCH, epoch, nx=True):
            return None  # another process began it just now
    return epoch.decode() if isinstance(epoch, bytes) else epoch, int(county or 0), int(outside or 0)


@contextmanager
def request_of(slug: str, versions: tuple[str, int, int] | None) -> Iterator[None]:
    """Within the block, a request of county ``slug``: what is kept for ``versions`` serves it
    (``None``: a request that writes, or versions unknown: the database does)."""
    county, version = _county.set(slug or None), _version.set(versions)
    try:
        yield
    finally:
        _version.reset(version)
        _county.reset(county)


async def kept(tenant_id: int, name: str, load: Callable[[], Awaitable[T]]) -> T:
    """``load()``'s answer for county ``tenant_id``, from this process while its versions hold
    (only in a request of that county, once the tenant guard named it). The answer is shared by
    every request: callers must not change it."""
    versions = _version.get()
    if versions is None or db.current_county() != tenant_id or not _watching:
        return await load()
    entry = _kept.get(tenant_id)
    if entry is None or entry[0] != versions or time.monotonic() - entry[1] > MAX_AGE:
        entry = (versions, time.monotonic(), {})
        _kept[tenant_id] = entry
    values = entry[2]
    if name not in values:
        values[name] = await load()
    return values[name]  # type: ignore[return-value]


async def kept_visitor(
    slug: str,
    versions: tuple[str, int, int] | None,
    visitor: object,
    load: Callable[[], Awaitable[T | None]],
    keep: Callable[[T], bool],
) -> T | None:
    """Who ``visitor`` (a user id, an API token) is on a page of county ``slug`` (``load()``),
    from this process while the county's ``versions`` hold; only answers ``keep`` accepts are
    kept. A county's people, roles, tokens and the county itself are changed in its own requests
    or outside any county, and both bump a version read here."""
    if versions is None or not _watching:
        return await load()
    entry = _visitors.get(slug)
    if entry is None or entry[0] != versions or time.monotonic() - entry[1] > MAX_AGE:
        entry = (versions, time.monotonic(), {})
        _visitors[slug] = entry
    known = entry[2].get(visitor)
    if known is None:
        known = await load()
        if known is not None and keep(known):
            entry[2][visitor] = known
    return known  # type: ignore[return-value]


def _forget(slug: str | None, county: int | None) -> None:
    if slug is None or county is None:
        _kept.clear()
        _visitors.clear()
    else:
        _kept.pop(county, None)
        _visitors.pop(slug, None)


@contextmanager
def invalidated_by_writes(redis: Redis) -> Iterator[None]:
    """For the life of a process (the app, a worker): every committed write to ``TABLES`` bumps
    the version it concerns and forgets what this process kept of it."""

    async def committed(tables: set[str]) -> None:
        if tables.isdisjoint(TABLES):
            return
        slug, county = _county.get(), db.current_county()
        _forget(slug, county)
        try:
            await redis.incr(county_key(slug) if slug else OUTSIDE_COUNTIES)
        except (RedisError, OSError) as exc:
            log.warning("%s changed but no version was bumped (%s): kept for up to %ss", slug or "all", exc, MAX_AGE)

    _forget(None, None)  # what was kept while nobody watched may be stale
    _watching.append(committed)
    try:
        with db.when_committed(committed):
            yield
    finally:
        _watching.remove(committed)
        _forget(None, None)
