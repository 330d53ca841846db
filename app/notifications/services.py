"""The in-app inbox: told once (by a dedupe key), read by its owner only; also by e-mail where the
county sends e-mail (``app.notifications.mail``), and heard by whoever listens (the county's group
robots: ``app.robots.services.hear_the_inbox``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app import clock, db
from app.i18n.messages import Said, stored
from app.notifications import mail
from app.notifications.tables import Notification
from app.tenancy.context import NotFound, TenantContext

PAGE_SIZE = 50


@dataclass(frozen=True)
class Message:
    """One message for one person's inbox; ``dedupe_key`` is unique per county."""

    user_id: int
    kind: str
    message: str | Said
    dedupe_key: str
    link: str = ""
    case_id: int | None = None
    # What a group chat may read, when the message says more than a name (a reason typed in).
    shared: str = ""

    def row(self, tenant_id: int, now, stored_message: tuple[str, str, str | None]) -> dict:
        """The inbox row; ``stored_message`` is ``_stored_once`` of the message (text, key, params as JSON)."""
        text, key, params = stored_message
        return {
            "tenant": tenant_id,
            "user": self.user_id,
            "kind": self.kind,
            "message": text[:300],
            "message_key": key,
            "message_params": params,
            "link": self.link[:200],
            "case_id": self.case_id,
            "dedupe_key": self.dedupe_key[:200],
            "created_at": now,
        }


def _stored_once(messages: list[Message]) -> dict[int, tuple[str, str, str | None]]:
    """Each distinct message object's stored form (Chinese text, key, params as JSON text: one
    array per column travels to PostgreSQL, ``db.insert_new``), rendered once however many people
    it goes to (a reminder's message is one object for the handler and the heads)."""
    forms: dict[int, tuple[str, str, str | None]] = {}
    for m in messages:
        if id(m.message) not in forms:
            text, key, params = stored(m.message)
            forms[id(m.message)] = (text, key, None if params is None else json.dumps(params, ensure_ascii=False))
    return forms


async def notify(
    tenant_id: int,
    user_id: int,
    *,
    kind: str,
    message: str | Said,
    dedupe_key: str,
    link: str = "",
    case_id: int | None = None,
) -> bool:
    """Put a message in one inbox unless the same ``dedupe_key`` was told already; True if new."""
    return bool(await notify_many(tenant_id, [Message(user_id, kind, message, dedupe_key, link, case_id)]))


async def tell(
    tenant_id: int,
    users,
    *,
    kind: str,
    message: str | Said,
    key: str,
    link: str = "",
    case_id: int | None = None,
    shared: str = "",
) -> int:
    """One message to several people in one statement, each once (``<key>:<user id>``); how many were new."""
    messages = [Message(user, kind, message, f"{key}:{user}", link, case_id, shared) for user in users]
    return await notify_many(tenant_id, messages)


# Who else hears of new messages, inside the telling transaction: registered from above (the
# robots, by the web app and the worker at start), so the inbox imports no feature.
Listener = Callable[[int, list[Message]], Awaitable[object]]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """``listener(tenant_id, messages)`` hears each batch of new messages, once however often added."""
    if listener not in _listeners:
        _listeners.append(listener)


async def notify_many(tenant_id: int, messages: list[Message]) -> int:
    """Tell many messages in one statement, each unless its key was told already; returns how many
    were new. New ones are also queued as e-mail, in the same transaction, when the county sends
    e-mail and the person has an address, and handed to the listeners (the robots) there too."""
    if not messages:
        return 0
    now = clock.now()
    forms = _stored_once(messages)
    rows = [m.row(tenant_id, now, forms[id(m.message)]) for m in messages]
    async with db.transaction():
        inserted = await db.insert_new(Notification, rows, returning=("id", "dedupe_key"))
        # The e-mail needs each new row's message: taken from what was sent, not read back.
        sent = {row["dedupe_key"]: row for row in rows}
        await mail.queue_for(tenant_id, [{**sent[row["dedupe_key"]], "id": row["id"]} for row in inserted])
        new = {row["dedupe_key"] for row in inserted}
        told = [m for m in messages if m.dedupe_key[:200] in new]
        for listener in _listeners:
            await listener(tenant_id, told)
    return len(inserted)


async def inbox(ctx: TenantContext, *, unread_only: bool = False, limit: int = PAGE_SIZE) -> list[dict]:
    query = ctx.select(Notification).where(Notification.user == ctx.actor.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    return await query.order_by(Notification.id, ascending=False).limit(limit)


# The badge shows "99+" beyond: counting further would read every unread message each time.
UNREAD_SHOWN = 99
# Written out: the badge is polled by every open page, and building even this select in Piccolo
# costs more than PostgreSQL spends answering it (index on "user", read_at).
UNREAD = """SELECT count(*) AS n FROM (
    SELECT 1 FROM notification WHERE tenant = {} AND "user" = {} AND read_at IS NULL LIMIT {}
) AS unread"""


async def unread_count(ctx: TenantContext) -> int:
    """The person's unread messages, at most ``UNREAD_SHOWN + 1``."""
    rows = await Notification.raw(UNREAD, ctx.tenant.id, ctx.actor.require_user(), UNREAD_SHOWN + 1)
    return rows[0]["n"]


async def mark_read(ctx: TenantContext, notification_id: int | None = None) -> None:
    """Mark one of the caller's messages read (another's is not found), or all of them."""
    query = ctx.update(Notification, {Notification.read_at: clock.now()}).where(
        (Notification.user == ctx.actor.user_id) & Notification.read_at.is_null()
    )
    if notification_id is not None:
        mine = await ctx.get(Notification, notification_id)
        if mine.user != ctx.actor.user_id:
            raise NotFound(f"Notification {notification_id}")
        query = query.where(Notification.id == notification_id)
    await query
