"""The one clock: this instant, timezone-aware (pages show it on each county's clock)."""

from __future__ import annotations

from datetime import datetime


def now() -> datetime:
    return datetime.now().astimezone()
