"""The robot channel's periodic job: post each county's robot messages that are due.

It claims rows in the database, so it may overlap, run on several workers, or run again, without
posting twice; retries and recovery after a dead worker are rows becoming due again."""

from __future__ import annotations

from app.robots.delivery import DeliveryReport, deliver_due
from app.tenancy.context import TenantInfo
from workers.partitioned import Periodic


async def deliver_county_robot_messages(ctx: dict, county: TenantInfo) -> DeliveryReport:
    settings = ctx["settings"]
    return await deliver_due(hosts=settings.webhook_hosts, base_url=settings.base_url, tenant_id=county.id)


# Each run posts at most the platforms' 20 a minute per robot.
ROBOTS = Periodic("robots", deliver_county_robot_messages, period_seconds=60, offset_seconds=50)
