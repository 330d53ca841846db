"""Counties: finding them by slug or id, their settings (a new county: ``app.setup.services``)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from piccolo.custom_types import Combinable

from app.errors import InvalidInput
from app.tenancy import cache
from app.tenancy.context import TenantInfo
from app.tenancy.tables import Tenant

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


class InvalidTenant(InvalidInput):
    pass


def validate_tenant_fields(slug: str, name: str, timezone: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise InvalidTenant("县代码 {slug} 无效：须为 2–40 位小写字母、数字或“-”，以字母开头", slug=slug)
    if not name.strip():
        raise InvalidTenant("县名称不能为空")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTenant("时区 {timezone} 不是有效的 IANA 时区", timezone=timezone) from None


def tenant_info(row: dict) -> TenantInfo:
    return TenantInfo(id=row["id"], slug=row["slug"], name=row["name"], timezone=row["timezone"])


async def _find(where: Combinable) -> TenantInfo | None:
    row = await Tenant.select(Tenant.id, Tenant.slug, Tenant.name, Tenant.timezone).where(where).first()
    return tenant_info(row) if row else None


async def find_by_slug(slug: str) -> TenantInfo | None:
    return await _find(Tenant.slug == slug)


async def find_by_id(tenant_id: int) -> TenantInfo | None:
    return await _find(Tenant.id == tenant_id)


async def settings_of(tenant_id: int) -> dict:
    """A county's settings (see tenants/<slug>.toml): door notice, and more as capabilities arrive.
    Kept by the process (shared: not to be changed)."""
    return await cache.kept(tenant_id, "settings", lambda: stored_settings(tenant_id))


async def stored_settings(tenant_id: int) -> dict:
    """A county's settings as the database holds them now (for a change: never the kept copy)."""
    row = await Tenant.select(Tenant.settings).where(Tenant.id == tenant_id).output(load_json=True).first()
    return (row or {}).get("settings") or {}


cache.keeps_rows_of(Tenant)


async def settings_of_counties(tenant_ids: list[int]) -> dict[int, dict]:
    """The settings of several counties in one statement."""
    rows = (
        await Tenant.select(Tenant.id, Tenant.settings).where(Tenant.id.is_in(tenant_ids or [0])).output(load_json=True)
    )
    return {row["id"]: row["settings"] or {} for row in rows}


async def list_tenants() -> list[TenantInfo]:
    rows = await Tenant.select(Tenant.id, Tenant.slug, Tenant.name, Tenant.timezone).order_by(Tenant.slug)
    return [tenant_info(row) for row in rows]
