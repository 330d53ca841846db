"""A new county (superadmin): the county row and its default lines, in one transaction."""

from __future__ import annotations

from app import clock, db
from app.audit.services import record
from app.rota.services import add_default_lines
from app.tenancy.context import Actor, Forbidden, TenantContext, TenantInfo
from app.tenancy.services import InvalidTenant, validate_tenant_fields
from app.tenancy.tables import Tenant


async def create_tenant(actor: Actor, slug: str, name: str, timezone: str = "Asia/Shanghai") -> TenantInfo:
    if not actor.is_superadmin:
        raise Forbidden("only a superadmin creates counties")
    slug, name = slug.strip(), name.strip()
    validate_tenant_fields(slug, name, timezone)
    async with db.transaction():
        if await Tenant.exists().where(Tenant.slug == slug):
            raise InvalidTenant("县代码 {slug} 已存在", slug=slug)
        row = Tenant(slug=slug, name=name, timezone=timezone, settings={}, created_at=clock.now())
        await row.save()
        await record(
            actor,
            tenant_id=row.id,
            action="tenant.create",
            entity="tenant",
            entity_id=row.id,
            summary=f"{name} ({slug})",
            after={"slug": slug, "name": name, "timezone": timezone},
        )
        info = TenantInfo(id=row.id, slug=slug, name=name, timezone=timezone)
        await add_default_lines(TenantContext(tenant=info, actor=actor))
    return info
