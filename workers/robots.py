"""The robot channel's periodic job: post whatever robot messages are due.

It claims rows in the database, so it may overlap, run on several workers, or run again, without
posting twice; retries and recovery after a dead worker are rows becoming due again."""

from __future__ import annotations

from dataclasses import asdict

from app.robots.delivery import deliver_due
from app.tenancy.context import TenantInfo
from workers.partitioned import each_county

ROBOT_SECONDS = 60  # the period of its periodic run (workers/settings.PERIODIC)


async def deliver_due_robot_messages(ctx: dict) -> dict:
    """Every minute: each county's due robot messages, shared with the other workers."""
    settings = ctx["settings"]

    async def county_robots(county: TenantInfo) -> dict:
        return asdict(await deliver_due(hosts=settings.webhook_hosts, base_url=settings.base_url, tenant_id=county.id))

    return (await each_county(ctx, "robots", ROBOT_SECONDS, county_robots)).as_dict()
