"""The periodic job that keeps each county's deadline tally (``app.stats.tally``) up to date.

Every minute, shared county by county among the workers (``partitioned``), it rebuilds the
counties written to since (``tally.mark_changed``, after every county request that writes) and
those whose tally is missing, from another day of the county or older than ``tally.REFRESH``.
A rebuild is idempotent, so a county done twice after a lost lock is only work wasted.
"""

from __future__ import annotations

from app import clock
from app.stats import tally
from app.tenancy.context import TenantInfo
from workers.partitioned import each_county

TALLY_SECONDS = 60  # the period of its periodic run (workers/settings.PERIODIC)


async def rebuild_tallies(ctx: dict) -> dict:
    """This worker's share of the minute, with ``rebuilt``: the counties it rebuilt."""
    redis = ctx["redis"]

    async def rebuild_when_due(county: TenantInfo) -> dict:
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

    return (await each_county(ctx, "tally", TALLY_SECONDS, rebuild_when_due)).as_dict()
