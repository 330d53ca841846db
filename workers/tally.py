"""The worker's cron that keeps each county's deadline tally (``app.stats.tally``) up to date.

Every minute it rebuilds the counties written to since (``tally.mark_changed``, after every
county request that writes) and those whose tally is missing, from another day of the county or
older than ``tally.REFRESH``, one county at a time under that county's lock, so N workers share
the work without doing a county twice at once (and a rebuild is idempotent anyway).
"""

from __future__ import annotations

import logging

from app import clock
from app.stats import tally
from app.tenancy.services import list_tenants
from workers.running import LOCK_SECONDS, Busy, held

log = logging.getLogger("portal.jobs")


def _lock_name(tenant_id: int) -> str:
    return f"portal:lock:tally:{tenant_id}"


async def rebuild_tallies(ctx: dict) -> int:
    """The counties whose tally this run rebuilt."""
    states = await tally.states()
    rebuilt = 0
    redis = ctx["redis"]
    for county in await list_tenants():
        changed = await tally.take_changed(redis, county.id)
        if not changed and not tally.needs_rebuild(states.get(county.id), county, clock.now()):
            continue
        try:
            async with held(redis, _lock_name(county.id), wait=LOCK_SECONDS):
                # Another worker may have rebuilt it while this one waited for the lock.
                state = (await tally.states([county])).get(county.id)
                if changed or tally.needs_rebuild(state, county, clock.now()):
                    await tally.rebuild(county, clock.now())
                    rebuilt += 1
        except Exception as exc:  # one county's trouble must not stop the others: next minute again
            if changed:
                await tally.mark_changed(redis, county.id)
            if isinstance(exc, Busy):
                log.info("tally of %s skipped: another worker is rebuilding it", county.slug)
            else:
                log.exception("tally rebuild failed for %s", county.slug)
    return rebuilt
