"""The one clock: this instant, timezone-aware (pages show it on each county's clock).

A task may pin it to another instant (``pinned``), e.g. the demo seed, whose sample cases then
carry the dates of their events; the pin is per task (a context variable), never process-wide.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

_pinned: ContextVar[datetime | None] = ContextVar("pinned_now", default=None)


def now() -> datetime:
    return _pinned.get() or datetime.now().astimezone()


@contextmanager
def pinned(at: datetime) -> Iterator[None]:
    """Everything this task does inside reads ``at`` as now."""
    if at.tzinfo is None:
        raise ValueError("a pinned instant must be timezone-aware")
    token = _pinned.set(at)
    try:
        yield
    finally:
        _pinned.reset(token)
