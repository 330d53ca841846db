"""The in-app inbox: told once (by a dedupe key), read by its owner only; also by e-mail where the
county sends e-mail (``app.notifications.mail``)."""

from __future__ import annotations

from datetime import datetime

from app import db
from app.notifications import mail
from app.notifications.tables import Notification
from app.tenancy.context import NotFound, TenantContext

PAGE_SIZE = 50


async def notify(
    tenant_id: int,
    user_id: int,
    *,
    kind: str,
    message: str,
    dedupe_key: str,
    link: str = "",
    case_id: int | None = None,
    county: mail.CountyMail | None = None,
) -> bool:
    """Put a message in one inbox unless the same ``dedupe_key`` was told already; True if new.

    A new message is also queued as an e-mail, in the same transaction, when the county sends
    e-mail and the person has an address. ``county`` (``mail.county_mail``) may be passed by a
    caller that tells many people, to read the county's settings once instead of per message.
    """
    async with db.transaction():
        inserted = await _insert(tenant_id, user_id, kind, message, dedupe_key, link, case_id)
        if inserted:
            await mail.queue_for(tenant_id, user_id, inserted[0]["id"], message=message, link=link, county=county)
    return bool(inserted)


async def _insert(
    tenant_id: int, user_id: int, kind: str, message: str, dedupe_key: str, link: str, case_id: int | None
) -> list[dict]:
    return (
        await Notification.insert(
            Notification(
                tenant=tenant_id,
                user=user_id,
                kind=kind,
                message=message[:300],
                link=link[:200],
                case_id=case_id,
                dedupe_key=dedupe_key[:200],
                created_at=datetime.now().astimezone(),
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(Notification.id)
    )


async def inbox(ctx: TenantContext, *, unread_only: bool = False, limit: int = PAGE_SIZE) -> list[dict]:
    query = ctx.select(Notification).where(Notification.user == ctx.actor.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    return await query.order_by(Notification.id, ascending=False).limit(limit)


async def unread_count(ctx: TenantContext) -> int:
    return await ctx.count(Notification).where(
        (Notification.user == ctx.actor.user_id) & Notification.read_at.is_null()
    )


async def mark_read(ctx: TenantContext, notification_id: int | None = None) -> None:
    """Mark one of the caller's messages read (another's is not found), or all of them."""
    query = ctx.update(Notification, {Notification.read_at: datetime.now().astimezone()}).where(
        (Notification.user == ctx.actor.user_id) & Notification.read_at.is_null()
    )
    if notification_id is not None:
        mine = await ctx.get(Notification, notification_id)
        if mine.user != ctx.actor.user_id:
            raise NotFound(f"Notification {notification_id}")
        query = query.where(Notification.id == notification_id)
    await query
