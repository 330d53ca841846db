"""The periodic job that keeps each county's deadline tally (``app.stats.tally``) up to date.

Every minute it rebuilds the counties written to since (``tally.mark_changed``, after every county
request that writes) and those whose tally is missing, from another day of the county or older
than ``tally.REFRESH``. A rebuild is idempotent, so a county done twice after a lost lock is only
work wasted.
"""

from __future__ import annotations

from app import clock
from app.stats import tally
from app.tenancy.context import TenantInfo
from workers.partitioned import Periodic


async def rebuild_when_due(ctx: dict, county: TenantInfo) -> dict:
    """``rebuilt``: 1 when this county's tally was rebuilt."""
    redis = ctx["redis"]
    changed = await tally.take_changed(redis, county.id)
    state = (await tally.states([county])).get(county.id)
    if not changed and not tally.needs_rebuild(state, county, clock.now()):
        return {"rebuilt": 0}
    try:
        await tally.rebuild(county, clock.now())
    except Exception:
        if changed:  # the next minute tries again
            await tally.mark_changed(redis, county.id)
        raise
    return {"rebuilt": 1}


TALLY = Periodic("tally", rebuild_when_due, period_seconds=60, offset_seconds=40)
