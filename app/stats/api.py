"""``GET …/stats/deadlines|absences|accountability|evaluations`` for a county (its leaders and admins) and for a
region (its inspectors), all with the same ``from``/``to``/``by`` (and, for a region, ``county``):

- deadlines: ``[{"key", "received", "closed", "closed_on_time", "on_time_rate", "open_overdue",
  "extensions", "median_working_days"}]`` (SPEC §13);
- absences: ``[{"key", "working_days_away": {kind: days}, "uncovered_hours", "covered_share"}]``;
- accountability: ``[{"key", "levels": {level: records}}]`` (by the day cases fell overdue);
- evaluations (``by=county`` only): ``[{"key", "cycle", "grades": {grade: people}}]``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from litestar import get
from litestar.params import FromQuery, QueryParameter

from app.domain.figures import COUNTY_GROUPINGS, REGION_GROUPINGS, By
from app.stats import services
from app.tenancy.permissions import Permission
from app.web.guards import County, requires
from app.web.region_gate import Oversight

# ``from`` and ``to`` as SPEC §13 names them (``from`` is a Python keyword).
Start = Annotated[str | None, QueryParameter(name="from", description="first day, YYYY-MM-DD")]
End = Annotated[str | None, QueryParameter(name="to", description="last day, YYYY-MM-DD")]

Read = Callable[[services.Scope], Awaitable[list[dict]]]


def _county_route(topic: str, read: Read, groupings: tuple[By, ...]):
    @get(f"/stats/{topic}", guards=[requires(Permission.STATS_VIEW)], name=f"county_stats_{topic}")
    async def county_stats(
        ctx: County, by: FromQuery[str] = groupings[0].value, start: Start = None, end: End = None
    ) -> list[dict]:
        return await read(services.county_scope(ctx, by, start, end, groupings))

    return county_stats


def _region_route(topic: str, read: Read, groupings: tuple[By, ...]):
    @get(f"/stats/{topic}", name=f"region_stats_{topic}")
    async def region_stats(
        rctx: Oversight,
        by: FromQuery[str] = groupings[0].value,
        start: Start = None,
        end: End = None,
        county: FromQuery[str | None] = None,
    ) -> list[dict]:
        return await read(services.region_scope(rctx, by, start, end, county, groupings))

    return region_stats


TOPICS = (
    ("deadlines", services.deadlines, COUNTY_GROUPINGS, REGION_GROUPINGS),
    ("absences", services.absences, COUNTY_GROUPINGS, REGION_GROUPINGS),
    ("accountability", services.accountability, COUNTY_GROUPINGS, REGION_GROUPINGS),
    ("evaluations", services.evaluations, services.EVALUATION_GROUPINGS, services.EVALUATION_GROUPINGS),
)
API = [_county_route(topic, read, groupings) for topic, read, groupings, _ in TOPICS]
REGION_API = [_region_route(topic, read, groupings) for topic, read, _, groupings in TOPICS]
