"""A county's group robots: setting them up (admins), and queueing what the inbox is told.

``queue_for`` is the one place robots hear of anything: ``notify_many`` calls it inside its
transaction with the messages that were new, so every sender of notifications (the reminder
scan, the substitution sweep, absences) reaches the robots without knowing of them. Sending is
``app.robots.delivery``'s (the worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app import clock, db
from app.accounts.tables import User
from app.audit.services import record_in
from app.domain.robot import (
    TITLES,
    Event,
    Platform,
    allowed,
    event_of,
    message_key,
    webhook_of,
)
from app.errors import InvalidInput
from app.i18n.messages import said, stored
from app.notifications import services as inbox
from app.robots.tables import Robot, RobotDelivery
from app.secrets import seal, unseal
from app.tenancy.context import TenantContext
from app.text import check

if TYPE_CHECKING:  # the inbox imports this module (notify_many calls queue_for): no run-time import back
    from app.notifications.services import Message

NAME_LIMIT, URL_LIMIT, SECRET_LIMIT, KEYWORD_LIMIT = 60, 500, 200, 40
RECENT = 100


@dataclass(frozen=True)
class RobotSettings:
    """A robot as an admin describes it; ``secret`` empty keeps the stored one on an edit."""

    platform: str
    name: str
    url: str
    events: tuple[str, ...]
    secret: str = ""
    keyword: str = ""
    active: bool = True


def _checked(given: RobotSettings, hosts: frozenset[str], keep_url: str = "") -> RobotSettings:
    try:
        platform = Platform(given.platform)
    except ValueError:
        raise InvalidInput("机器人类型 {value} 无效（可用：wecom、dingtalk）", value=given.platform) from None
    name = given.name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise InvalidInput("机器人名称不能为空，也不能超过 {limit} 个字符", limit=NAME_LIMIT)
    url = given.url.strip() or keep_url
    for value, field in ((name, "机器人名称"), (url, "Webhook 地址"), (given.keyword, "关键词")):
        check(value, field)
    address = _address(url)
    if not allowed(url, hosts):
        raise InvalidInput("本平台不允许向 {host} 发送消息（运维人员可在 PORTAL_WEBHOOK_HOSTS 中允许）", host=address)
    if len(given.secret) > SECRET_LIMIT or len(given.keyword.strip()) > KEYWORD_LIMIT:
        raise InvalidInput(
            "加签密钥不能超过 {secret} 个字符，关键词不能超过 {keyword} 个字符",
            secret=SECRET_LIMIT,
            keyword=KEYWORD_LIMIT,
        )
    if platform is Platform.WECOM and (given.secret or given.keyword.strip()):
        raise InvalidInput("加签密钥和关键词只用于钉钉机器人")
    unknown = [event for event in given.events if event not in Event.__members__.values()]
    if unknown:
        raise InvalidInput("未知的消息类型：{value}", value="、".join(unknown))
    events = tuple(event for event in Event if event in given.events)  # in the usual order, each once
    return RobotSettings(platform.value, name, url, events, given.secret.strip(), given.keyword.strip(), given.active)


def _address(url: str) -> str:
    """The host (and port) a webhook address posts to; refused unless a whole http(s) address."""
    webhook = webhook_of(url) if url and len(url) <= URL_LIMIT else None
    if webhook is None:
        raise InvalidInput("Webhook 地址须是以 http:// 或 https:// 开头的完整地址")
    return webhook.address


def _row_values(wanted: RobotSettings, secret: str) -> dict:
    return {
        "platform": wanted.platform,
        "name": wanted.name,
        "url": seal(wanted.url),
        "address": _address(wanted.url),
        "secret": seal(secret),
        "keyword": wanted.keyword,
        "events": ",".join(wanted.events),
        "active": wanted.active,
    }


def _audited(wanted: RobotSettings, secret: str) -> dict:
    # The address holds the robot's key: only its host goes into the audit trail.
    return {
        "platform": wanted.platform,
        "name": wanted.name,
        "address": _address(wanted.url),
        "secret": "******" if secret else "",
        "keyword": wanted.keyword,
        "events": list(wanted.events),
        "active": wanted.active,
    }


async def add_robot(ctx: TenantContext, given: RobotSettings, hosts: frozenset[str]) -> dict:
    wanted = _checked(given, hosts)
    async with db.transaction():
        robot = ctx.new(Robot, **_row_values(wanted, wanted.secret), created_at=clock.now())
        await robot.save()
        await record_in(
            ctx,
            action="robot.create",
            entity="robot",
            entity_id=robot.id,
            summary=said("新增机器人：{name}", name=wanted.name),
            after=_audited(wanted, wanted.secret),
        )
    return await get_robot(ctx, robot.id)


async def update_robot(ctx: TenantContext, robot_id: int, given: RobotSettings, hosts: frozenset[str]) -> dict:
    """Change a robot; a blank address or secret keeps the stored one (they are never shown)."""
    async with db.transaction():
        current = await _stored(ctx, robot_id)
        wanted = _checked(given, hosts, keep_url=current.url)
        secret = wanted.secret or (current.secret if wanted.platform == Platform.DINGTALK else "")
        await Robot.update({getattr(Robot, k): v for k, v in _row_values(wanted, secret).items()}).where(
            Robot.id == robot_id
        )
        await record_in(
            ctx,
            action="robot.update",
            entity="robot",
            entity_id=robot_id,
            summary=said("修改机器人：{name}", name=wanted.name),
            before=_audited(current, current.secret),
            after=_audited(wanted, secret),
        )
    return await get_robot(ctx, robot_id)


async def delete_robot(ctx: TenantContext, robot_id: int) -> None:
    """Remove a robot and its delivery log."""
    async with db.transaction():
        current = await _stored(ctx, robot_id)
        await Robot.delete().where(Robot.id == robot_id)
        await record_in(
            ctx,
            action="robot.delete",
            entity="robot",
            entity_id=robot_id,
            summary=said("删除机器人：{name}", name=current.name),
            before=_audited(current, current.secret),
        )


async def _stored(ctx: TenantContext, robot_id: int) -> RobotSettings:
    row = await ctx.get(Robot, robot_id)
    return RobotSettings(
        row.platform,
        row.name,
        unseal(row.url),
        tuple(filter(None, row.events.split(","))),
        unseal(row.secret),
        row.keyword,
        row.active,
    )


_PUBLIC = (Robot.id, Robot.platform, Robot.name, Robot.address, Robot.keyword, Robot.events, Robot.active, Robot.secret)


def _public(row: dict) -> dict:
    """For pages and the API: no webhook key, no secret, only whether one is set."""
    secret = row.pop("secret")
    return {**row, "events": [e for e in row["events"].split(",") if e], "secret_set": bool(secret)}


async def robots(ctx: TenantContext) -> list[dict]:
    return [_public(row) for row in await ctx.select(Robot, *_PUBLIC).order_by(Robot.id)]


async def get_robot(ctx: TenantContext, robot_id: int) -> dict:
    return _public(await ctx.select_one(Robot, robot_id, *_PUBLIC))  # NotFound for another county's


# Queueing ----------------------------------------------------------------------------------------


async def queue_for(tenant_id: int, messages: list[Message]) -> int:
    """Ledger rows for the county's robots that receive these new inbox messages
    (``notifications.services.Message``), each event once per robot however many were told.
    Heard from ``notify_many`` inside its transaction; returns how many rows are new. Group chats
    read the county's own language: the Chinese text, rendered only for what a robot receives."""
    by_key: dict[str, tuple[Event, Message, list[int]]] = {}
    for m in messages:
        event = event_of(m.kind)
        if event is not None:
            key = message_key(m.dedupe_key, m.user_id)
            by_key.setdefault(key, (event, m, []))[2].append(m.user_id)
    if not by_key:
        return 0
    listening = [
        row
        for row in await Robot.select(Robot.id, Robot.events).where((Robot.tenant == tenant_id) & Robot.active.eq(True))
        if any(event in row["events"].split(",") for event, _, _ in by_key.values())
    ]
    if not listening:
        return 0
    people = {user for _, _, users in by_key.values() for user in users}
    names = {
        row["id"]: row["name"] for row in await User.select(User.id, User.name).where(User.id.is_in(sorted(people)))
    }
    now = clock.now()
    rows = [
        {
            "tenant": tenant_id,
            "robot": robot["id"],
            "message_key": key,
            "event": event.value,
            "title": TITLES[event],
            "text": m.shared or stored(m.message)[0],
            "recipients": "、".join(names[user] for user in sorted(users) if user in names)[:300],
            "link": m.link[:200],
            "status": "pending",
            "attempts": 0,
            "last_error": "",
            "next_attempt_at": now,
            "created_at": now,
        }
        for robot in listening
        for key, (event, m, users) in by_key.items()
        if event.value in robot["events"].split(",")
    ]
    return len(await db.insert_new(RobotDelivery, rows, returning=("id",)))


# The delivery log --------------------------------------------------------------------------------

_LOG = (
    RobotDelivery.id,
    RobotDelivery.robot,
    RobotDelivery.robot.name.as_alias("robot_name"),
    RobotDelivery.robot.platform.as_alias("platform"),
    RobotDelivery.event,
    RobotDelivery.title,
    RobotDelivery.text,
    RobotDelivery.status,
    RobotDelivery.attempts,
    RobotDelivery.last_error,
    RobotDelivery.next_attempt_at,
    RobotDelivery.sent_at,
    RobotDelivery.created_at,
)


async def deliveries(ctx: TenantContext, robot_id: int | None = None, limit: int = RECENT) -> list[dict]:
    """The county's latest robot messages, newest first (the delivery log)."""
    query = ctx.select(RobotDelivery, *_LOG)
    if robot_id is not None:
        query = query.where(RobotDelivery.robot == robot_id)
    rows = await query.order_by(RobotDelivery.id, ascending=False).limit(limit)
    for row in rows:
        for key in ("next_attempt_at", "sent_at", "created_at"):
            if isinstance(row[key], datetime):
                row[key] = row[key].astimezone(ctx.tenant.zone)
    return rows


def delivery_json(row: dict) -> dict:
    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": row["id"],
        "robot_id": row["robot"],
        "robot_name": row["robot_name"],
        "event": row["event"],
        "title": row["title"],
        "status": row["status"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "created_at": when(row["created_at"]),
        "next_attempt_at": when(row["next_attempt_at"]) if row["status"] == "pending" else None,
        "sent_at": when(row["sent_at"]),
    }


def hear_the_inbox() -> None:
    """From now on the robots hear each batch of new inbox messages (``queue_for``); the web app and
    the worker call this at start, since the inbox does not know the robots."""
    inbox.listen(queue_for)
