"""arq job of the robot channel: the cron that posts whatever robot messages are due.

It claims rows in the database, so it may overlap, run on several workers, or run again, without
posting twice; retries and recovery after a dead worker are rows becoming due again."""

from __future__ import annotations

from dataclasses import asdict

from app.robots.delivery import deliver_due


async def deliver_due_robot_messages(ctx: dict) -> dict:
    settings = ctx["settings"]
    return asdict(await deliver_due(hosts=settings.webhook_hosts, base_url=settings.base_url))
