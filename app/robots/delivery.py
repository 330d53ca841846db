"""Posting robot messages (the worker's cron, and the admin's test button).

A row of the ledger is claimed by a conditional UPDATE that moves its next attempt past a lease,
so two workers never post the same row and a worker that dies mid-post leaves it due again. Both
platforms answer errors with HTTP 200 and an ``errcode``: a rate limit pauses the robot a minute
(the attempt does not count), any other error is retried with growing pauses and, after the last,
the row fails and the county's admins are told (once a day per robot).

A webhook is not exactly once either: a worker that dies after the platform accepted a message
but before the row was marked sent posts it again once the lease is over.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from app import clock, db
from app.accounts.tables import RoleGrant
from app.domain import robot as rules
from app.domain.robot import Outcome, Platform
from app.i18n.messages import said
from app.notifications import mail
from app.notifications.services import tell
from app.robots.tables import Robot, RobotDelivery
from app.secrets import unseal
from app.tenancy.context import NotFound, TenantContext
from app.tenancy.permissions import Role
from app.tenancy.tables import Tenant
from app.urls import url

# httpx logs every request's URL, and a webhook's URL is its key (DingTalk's also the signature).
logging.getLogger("httpx").setLevel(logging.WARNING)

LEASE = timedelta(minutes=5)
TIMEOUT = 10  # seconds for one post
CONCURRENCY = 5  # robots posted to at once (each robot's messages one after another, in order)


@dataclass(frozen=True)
class Target:
    """Where and how to post for one robot, opened from its sealed row."""

    id: int
    tenant: int
    name: str
    platform: Platform
    url: str
    secret: str
    keyword: str
    active: bool


async def _target(robot_id: int) -> Target | None:
    row = await Robot.select().where(Robot.id == robot_id).first()
    if row is None:
        return None
    platform = Platform(row["platform"])
    return Target(
        row["id"],
        row["tenant"],
        row["name"],
        platform,
        unseal(row["url"]),
        unseal(row["secret"]),
        row["keyword"],
        row["active"],
    )


async def post(
    target: Target, title: str, content: str, hosts: frozenset[str], client: httpx.AsyncClient
) -> tuple[Outcome, str]:
    """One message to one robot; the operator's host list is checked again at send time."""
    if not rules.allowed(target.url, hosts):
        return Outcome.ERROR, "host not allowed by PORTAL_WEBHOOK_HOSTS"
    url = rules.signed_url(target.url, target.secret, clock.now())
    try:
        answer = await client.post(url, json=rules.payload(target.platform, title, content), timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return Outcome.ERROR, (f"{type(exc).__name__}: {exc}".strip(": "))[: rules.REASON_LIMIT]
    return rules.outcome_of(target.platform, answer.status_code, answer.content)


def _content(target: Target, row: dict, base_url: str) -> str:
    url = base_url + row["link"] if base_url and row["link"].startswith("/") else ""
    recipients = [name for name in row["recipients"].split("、") if name]
    return rules.markdown(row["title"], row["text"], recipients, url, target.keyword)


async def _finish(row: dict, values: dict) -> None:
    await RobotDelivery.update(values).where((RobotDelivery.id == row["id"]) & (RobotDelivery.status == "pending"))


async def _tell_admins(target: Target, reason: str) -> None:
    """A robot gave up on a message: the county's admins hear of it once a day per robot."""
    tenant = await Tenant.select(Tenant.slug, Tenant.timezone).where(Tenant.id == target.tenant).first()
    if tenant is None:  # the county is gone, and its admins with it
        return
    admins = await RoleGrant.select(RoleGrant.user).where(
        (RoleGrant.tenant == target.tenant) & (RoleGrant.role == Role.ADMIN) & RoleGrant.user._.active.eq(True)
    )
    today = clock.now().astimezone(ZoneInfo(tenant["timezone"])).date()
    await tell(
        target.tenant,
        sorted({row["user"] for row in admins}),
        kind="robot.failed",
        message=said("机器人“{name}”发送消息失败：{reason}", name=target.name, reason=reason[:200]),
        key=f"robot:{target.id}:failed:{today}",
        link=url("robot", tenant=tenant["slug"], robot_id=target.id),
    )


async def deliver(
    delivery_id: int,
    target: Target | None,
    *,
    hosts: frozenset[str],
    base_url: str,
    client: httpx.AsyncClient,
    now: datetime,
) -> str:
    """Post one row if it is due and unclaimed; returns what became of it."""
    row = await db.claim_due(RobotDelivery, delivery_id, now, LEASE)
    if row is None:
        return "skipped"
    if target is None or not target.active:
        await _finish(row, {RobotDelivery.status: "cancelled"})
        return "cancelled"
    outcome, reason = await post(target, row["title"], _content(target, row, base_url), hosts, client)
    if outcome is Outcome.SENT:
        await _finish(
            row, {RobotDelivery.status: "sent", RobotDelivery.sent_at: clock.now(), RobotDelivery.last_error: ""}
        )
        return "sent"
    if outcome is Outcome.RATE_LIMITED:
        # Not the message's fault: the attempt does not count, and the robot's other messages wait too.
        later = now + rules.RATE_PAUSE
        await _finish(
            row,
            {
                RobotDelivery.attempts: row["attempts"] - 1,
                RobotDelivery.next_attempt_at: later,
                RobotDelivery.last_error: reason,
            },
        )
        await RobotDelivery.update({RobotDelivery.next_attempt_at: later}).where(
            (RobotDelivery.robot == target.id)
            & (RobotDelivery.status == "pending")
            & (RobotDelivery.next_attempt_at < later)
        )
        return "rate_limited"
    if row["attempts"] >= rules.MAX_ATTEMPTS:
        async with db.transaction():  # given up on and told, or neither
            await _finish(row, {RobotDelivery.status: "failed", RobotDelivery.last_error: reason})
            await _tell_admins(target, reason)
        return "failed"
    await _finish(
        row, {RobotDelivery.next_attempt_at: now + rules.retry_after(row["attempts"]), RobotDelivery.last_error: reason}
    )
    return "retry"


@dataclass
class DeliveryReport(mail.DeliveryReport):
    rate_limited: int = 0


async def deliver_due(
    *, hosts: frozenset[str], base_url: str, now: datetime | None = None, tenant_id: int | None = None
) -> DeliveryReport:
    """Post what is due (of one county, or all): each robot's messages in order, at most the
    platforms' 20 a minute per robot in one run (the worker runs it every minute), several robots
    at once."""
    now = now or clock.now()
    report = DeliveryReport()
    due = (RobotDelivery.status == "pending") & (RobotDelivery.next_attempt_at <= now)
    if tenant_id is not None:
        due &= RobotDelivery.tenant == tenant_id
    robots = [row["robot"] for row in await RobotDelivery.select(RobotDelivery.robot).where(due).distinct()]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def robot_run(robot_id: int, client: httpx.AsyncClient) -> None:
        # Each robot its own share: a county with a backlog does not hold up the others.
        async with gate:
            ids = await (
                RobotDelivery.select(RobotDelivery.id)
                .where(due & (RobotDelivery.robot == robot_id))
                .order_by(RobotDelivery.id)
                .limit(rules.PER_MINUTE)
            )
            target = await _target(robot_id)
            for row in ids:
                outcome = await deliver(row["id"], target, hosts=hosts, base_url=base_url, client=client, now=now)
                setattr(report, outcome, getattr(report, outcome) + 1)
                if outcome in ("rate_limited", "retry"):
                    # The rest waits for the next run: a robot whose server is down costs one
                    # timeout a minute, not twenty, and its messages keep their order.
                    return

    async with httpx.AsyncClient() as client:
        runs = await asyncio.gather(*(robot_run(robot_id, client) for robot_id in robots), return_exceptions=True)
    # One robot's failure (its row due again after the lease) is no reason to cut the others' short.
    for run in runs:
        if isinstance(run, BaseException):
            raise run
    return report


TEST_TEXT = "这是一条测试消息：本县社会救助工作平台可以向这个群发送通知。"


async def send_test(ctx: TenantContext, robot_id: int, *, hosts: frozenset[str], base_url: str) -> dict:
    """A test message to one robot, posted now (not by the worker) so the admin sees at once
    whether it arrives, and only once; answers its ledger row."""
    await ctx.get(Robot, robot_id)
    now = clock.now()
    row = ctx.new(
        RobotDelivery,
        robot=robot_id,
        message_key=f"test:{now.isoformat()}",
        event="test",
        title="测试消息",
        text=f"{TEST_TEXT}（由 {ctx.actor.label} 于 {ctx.tenant.now():%Y-%m-%d %H:%M} 发送）",
        link=ctx.url("robots"),
        next_attempt_at=now,
        created_at=now,
    )
    await row.save()
    async with httpx.AsyncClient() as client:
        target = await _target(robot_id)
        if target is None:  # deleted meanwhile
            raise NotFound(f"Robot {robot_id}")
        # A robot switched off can still be tried out before it is switched on.
        target = replace(target, active=True)
        outcome = await deliver(row.id, target, hosts=hosts, base_url=base_url, client=client, now=now)
    if outcome in ("retry", "rate_limited"):
        # The admin reads the answer now: a test is tried once, not posted by the worker hours later.
        await _finish({"id": row.id}, {RobotDelivery.status: "failed"})
    return await ctx.select_one(RobotDelivery, row.id)
