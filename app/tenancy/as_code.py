"""Tenants as code: ``tenants/<slug>.toml`` declares a county; loading applies it idempotently.

``plan`` (pure) compares the file with what the database holds and lists the changes; ``apply``
makes them in one transaction, each audited. Loading the same file twice plans nothing.
People are never deleted: staff missing from the file are left as they are.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from app import db
from app.accounts.tables import RoleGrant, User
from app.audit.services import record
from app.errors import InvalidInput
from app.tenancy.context import Actor
from app.tenancy.permissions import Role
from app.tenancy.services import validate_tenant_fields
from app.tenancy.tables import Tenant

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,59}$")


class StaffSpec(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    name: str
    roles: list[str] = []
    phone: str = ""
    active: bool = True


class TenantSpec(msgspec.Struct, forbid_unknown_fields=True):
    slug: str
    name: str
    timezone: str = "Asia/Shanghai"
    staff: list[StaffSpec] = []


class TenantFileError(InvalidInput):
    pass


def parse(text: str, source: str = "<tenant file>") -> TenantSpec:
    """The validated spec, or ``TenantFileError`` naming the field and the problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TenantFileError("{source}：TOML 格式错误：{problem}", source=source, problem=str(exc)) from None
    try:
        spec = msgspec.convert(raw, TenantSpec)
    except msgspec.ValidationError as exc:
        raise TenantFileError("{source}：{problem}", source=source, problem=str(exc)) from None
    _check(spec, source)
    return spec


def _check(spec: TenantSpec, source: str) -> None:
    try:
        validate_tenant_fields(spec.slug, spec.name, spec.timezone)
    except InvalidInput as exc:
        raise TenantFileError("{source}：{problem}", source=source, problem=exc.localized()) from None
    seen: set[str] = set()
    known_roles = set(Role)
    for index, person in enumerate(spec.staff):
        where = f"staff[{index}]"
        if not USERNAME.match(person.username):
            raise TenantFileError(
                "{source}：{where}.username：{value} 无效（小写字母开头，可含数字 _ . -）",
                source=source,
                where=where,
                value=person.username,
            )
        if person.username in seen:
            raise TenantFileError(
                "{source}：{where}.username：{value} 重复", source=source, where=where, value=person.username
            )
        seen.add(person.username)
        if not person.name.strip():
            raise TenantFileError("{source}：{where}.name：不能为空", source=source, where=where)
        unknown = sorted(set(person.roles) - known_roles)
        if unknown:
            raise TenantFileError(
                "{source}：{where}.roles：未知角色 {unknown}（可用：{known}）",
                source=source,
                where=where,
                unknown="、".join(unknown),
                known="、".join(Role),
            )


def load_file(path: Path) -> TenantSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TenantFileError(
            "无法读取 {source}：{problem}", source=str(path), problem=exc.strerror or str(exc)
        ) from None
    return parse(text, str(path))


@dataclass(frozen=True)
class Change:
    action: str  # e.g. "tenant.create", "user.update"
    entity: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def describe(self) -> str:
        sign = {"create": "+", "update": "~"}.get(self.action.rsplit(".", 1)[1], "~")
        if self.before is None:
            return f"{sign} {self.entity} {self.key}: {_fmt(self.after)}"
        changed = {k: (self.before.get(k), v) for k, v in self.after.items() if self.before.get(k) != v}
        return f"{sign} {self.entity} {self.key}: " + ", ".join(f"{k} {b!r} → {a!r}" for k, (b, a) in changed.items())


def _fmt(values: dict | None) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in (values or {}).items())


@dataclass
class CurrentState:
    """What the database holds for one county, as plain data."""

    tenant: dict[str, Any] | None = None
    staff: dict[str, dict[str, Any]] = field(default_factory=dict)


def _staff_values(person: StaffSpec) -> dict[str, Any]:
    return {
        "name": person.name.strip(),
        "phone": person.phone.strip(),
        "roles": sorted(set(person.roles)),
        "active": person.active,
    }


def plan(spec: TenantSpec, current: CurrentState) -> list[Change]:
    """The changes that make the database match the file (pure)."""
    changes: list[Change] = []
    wanted_tenant = {"name": spec.name, "timezone": spec.timezone}
    if current.tenant is None:
        changes.append(Change("tenant.create", "tenant", spec.slug, None, wanted_tenant))
    elif {k: current.tenant[k] for k in wanted_tenant} != wanted_tenant:
        changes.append(
            Change("tenant.update", "tenant", spec.slug, {k: current.tenant[k] for k in wanted_tenant}, wanted_tenant)
        )
    for person in spec.staff:
        wanted = _staff_values(person)
        have = current.staff.get(person.username)
        if have is None:
            changes.append(Change("user.create", "user", person.username, None, wanted))
        elif have != wanted:
            changes.append(Change("user.update", "user", person.username, have, wanted))
    return changes


async def current_state(slug: str) -> CurrentState:
    tenant = await Tenant.select(Tenant.id, Tenant.name, Tenant.timezone).where(Tenant.slug == slug).first()
    if tenant is None:
        return CurrentState()
    users = await User.select(User.id, User.username, User.name, User.phone, User.active).where(
        User.tenant == tenant["id"]
    )
    grants = await RoleGrant.select(RoleGrant.user, RoleGrant.role).where(RoleGrant.tenant == tenant["id"])
    roles: dict[int, list[str]] = {}
    for grant in grants:
        roles.setdefault(grant["user"], []).append(grant["role"])
    staff = {
        u["username"]: {
            "name": u["name"],
            "phone": u["phone"],
            "roles": sorted(roles.get(u["id"], [])),
            "active": u["active"],
        }
        for u in users
    }
    return CurrentState(tenant=tenant, staff=staff)


async def diff(spec: TenantSpec) -> list[Change]:
    return plan(spec, await current_state(spec.slug))


async def apply(spec: TenantSpec, actor: Actor) -> list[Change]:
    """Make the county match the file, all in one transaction; returns what changed."""
    async with db.transaction():
        changes = plan(spec, await current_state(spec.slug))
        if not changes:
            return []
        now = datetime.now().astimezone()
        tenant_id = await _apply_tenant(spec, changes, now)
        users = {
            u["username"]: u["id"] for u in await User.select(User.id, User.username).where(User.tenant == tenant_id)
        }
        for change in changes:
            if change.entity == "user":
                users[change.key] = await _apply_user(tenant_id, users.get(change.key), change, now)
            await record(
                actor,
                tenant_id=tenant_id,
                action=change.action,
                entity=change.entity,
                entity_id=users.get(change.key, tenant_id) if change.entity == "user" else tenant_id,
                summary=f"tenant load: {change.key}",
                before=change.before,
                after=change.after,
            )
    return changes


async def _apply_tenant(spec: TenantSpec, changes: list[Change], now: datetime) -> int:
    for change in changes:
        if change.action == "tenant.create":
            row = Tenant(slug=spec.slug, name=spec.name, timezone=spec.timezone, settings={}, created_at=now)
            await row.save()
            return row.id
        if change.action == "tenant.update":
            await Tenant.update({Tenant.name: spec.name, Tenant.timezone: spec.timezone}).where(
                Tenant.slug == spec.slug
            )
    return (await Tenant.select(Tenant.id).where(Tenant.slug == spec.slug).first())["id"]


async def _apply_user(tenant_id: int, user_id: int | None, change: Change, now: datetime) -> int:
    values = change.after
    if user_id is None:
        user = User(
            tenant=tenant_id,
            username=change.key,
            name=values["name"],
            phone=values["phone"],
            active=values["active"],
            password_hash="",
            is_superadmin=False,
            created_at=now,
        )
        await user.save()
        user_id = user.id
    else:
        await User.update(
            {User.name: values["name"], User.phone: values["phone"], User.active: values["active"]}
        ).where(User.id == user_id)
    before_roles = set((change.before or {}).get("roles", []))
    after_roles = set(values["roles"])
    for role in sorted(after_roles - before_roles):
        await RoleGrant(tenant=tenant_id, user=user_id, role=role).save()
    if before_roles - after_roles:
        await RoleGrant.delete().where(
            (RoleGrant.user == user_id) & RoleGrant.role.is_in(sorted(before_roles - after_roles))
        )
    return user_id
