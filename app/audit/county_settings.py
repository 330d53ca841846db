"""A county's settings changed with their audit record: above both the county (tenancy) and the
audit trail, so neither has to know the other."""

from __future__ import annotations

from app import db
from app.audit.services import record_in
from app.tenancy.context import TenantContext
from app.tenancy.services import stored_settings
from app.tenancy.tables import Tenant


async def save_setting(ctx: TenantContext, key: str, value: object, *, summary: str) -> bool:
    """Store one section of the county's settings, audited with before and after; False when it
    was already so. Two admins saving at once queue on the county's row."""
    async with db.transaction():
        await db.serialize(Tenant, ctx.tenant.id)
        stored = await stored_settings(ctx.tenant.id)
        if stored.get(key) == value:
            return False
        await Tenant.update({Tenant.settings: {**stored, key: value}}).where(Tenant.id == ctx.tenant.id)
        await record_in(
            ctx,
            action=f"settings.{key}",
            entity="tenant",
            entity_id=ctx.tenant.id,
            summary=summary,
            before={key: stored.get(key)},
            after={key: value},
        )
    return True
