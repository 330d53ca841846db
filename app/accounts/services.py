"""Accounts: users and their roles, sign-in, API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from app import clock, db
from app.accounts.passwords import hash_password, verify_password
from app.accounts.tables import ApiToken, RoleGrant, User
from app.audit.services import record, record_in
from app.errors import InvalidInput
from app.tenancy import cache
from app.tenancy.context import Actor, NotFound, TenantContext, TenantInfo
from app.tenancy.permissions import Role
from app.tenancy.tables import Tenant

TOKEN_PREFIX = "cp_"


class AccountError(InvalidInput):
    pass


@dataclass(frozen=True)
class Identity:
    """The signed-in person behind a request."""

    user_id: int
    tenant_id: int | None
    username: str
    name: str
    roles: frozenset[str]
    is_superadmin: bool
    # The county the request's path names, found with the person when they belong to it.
    county: TenantInfo | None = None

    def actor(self, address: str = "") -> Actor:
        return Actor(
            user_id=self.user_id,
            label=f"{self.name} ({self.username})",
            roles=self.roles,
            address=address,
            is_superadmin=self.is_superadmin,
        )


NAME_LIMIT, PHONE_LIMIT, EMAIL_LIMIT = 60, 30, 120  # the columns' lengths
# A plain check (one @, a dot in the domain, no spaces): the mail server has the last word.
# A username: what tenant files, the regions file and inspectors use.
USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,59}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def check_person(name: str, phone: str = "", username: str | None = None) -> None:
    """What the database would refuse, said first in words: lengths of names and phone numbers."""
    if not name.strip():
        raise AccountError("姓名不能为空")
    if len(name.strip()) > NAME_LIMIT:
        raise AccountError("姓名不能超过 {limit} 个字符", limit=NAME_LIMIT)
    if len(phone.strip()) > PHONE_LIMIT:
        raise AccountError("电话不能超过 {limit} 个字符", limit=PHONE_LIMIT)
    if username is not None and len(username.strip()) > NAME_LIMIT:
        raise AccountError("用户名不能超过 {limit} 个字符", limit=NAME_LIMIT)


def check_email(email: str) -> str:
    """The address as stored (trimmed; empty means none), or ``AccountError`` saying what is wrong."""
    email = email.strip()
    if len(email) > EMAIL_LIMIT:
        raise AccountError("电子邮箱不能超过 {limit} 个字符", limit=EMAIL_LIMIT)
    if email and not EMAIL_PATTERN.match(email):
        raise AccountError("电子邮箱地址 {email} 无效", email=email)
    return email


def check_roles(roles: Iterable[str]) -> list[str]:
    wanted = sorted(set(roles))
    unknown = [r for r in wanted if r not in Role.__members__.values()]
    if unknown:
        raise AccountError("未知角色：{unknown}（可用：{known}）", unknown="、".join(unknown), known="、".join(Role))
    return wanted


# The person, their roles and the county of the request's path in one statement (every request
# asks it; the tenant guard then needs no query of its own).
IDENTITY = """
SELECT u.id, u.tenant, u.username, u.name, u.is_superadmin,
       (SELECT {roles} FROM role_grant g WHERE g."user" = u.id) AS roles,
       t.id AS county_id, t.slug AS county_slug, t.name AS county_name, t.timezone AS county_timezone
FROM portal_user u LEFT JOIN tenant t ON t.id = u.tenant AND t.slug = {{}}
WHERE u.id = ({who}) AND u.active
"""


async def _identity(who: str, *arguments: object, county_slug: str = "") -> Identity | None:
    sql = IDENTITY.format(roles="string_agg(g.role, ',')" if db.is_postgres() else "group_concat(g.role, ',')", who=who)
    rows = await User.raw(sql, county_slug, *arguments)
    if not rows:
        return None
    row = rows[0]
    return Identity(
        user_id=row["id"],
        tenant_id=row["tenant"],
        username=row["username"],
        name=row["name"],
        roles=frozenset(filter(None, (row["roles"] or "").split(","))),
        is_superadmin=bool(row["is_superadmin"]),
        county=None
        if row["county_id"] is None
        else TenantInfo(
            id=row["county_id"], slug=row["county_slug"], name=row["county_name"], timezone=row["county_timezone"]
        ),
    )


async def language_of(user_id: int) -> str:
    """The interface language the person chose ("" if they never chose)."""
    row = await User.select(User.language).where(User.id == user_id).first()
    return row["language"] if row else ""


async def keep_language(user_id: int, language: str) -> None:
    """Remember the person's choice for their next sign-in (a preference: not audited)."""
    await User.update({User.language: language}).where(User.id == user_id)


async def identity_of(user_id: int, county_slug: str = "") -> Identity | None:
    """The active user with ``user_id`` and their roles, or ``None``; with the county of
    ``county_slug`` when they belong to it."""
    return await _identity("{}", user_id, county_slug=county_slug)


async def authenticate(tenant_slug: str, username: str, password: str) -> Identity | None:
    """The identity for these credentials, or ``None`` (same time either way)."""
    query = User.select(User.id, User.password_hash).where((User.username == username) & (User.active.eq(True)))
    # No county chosen: a user of no county (a superadmin, or a region's inspector).
    query = query.where(User.tenant.slug == tenant_slug) if tenant_slug else query.where(User.tenant.is_null())
    row = await query.first()
    verified = await verify_password(row["password_hash"] if row else "", password)
    if row is None or not verified:
        return None
    return await identity_of(row["id"])


async def set_password(actor: Actor, user_id: int, password: str) -> None:
    password_hash = await hash_password(password)
    async with db.transaction():
        user = await User.select(User.tenant, User.username, User.name).where(User.id == user_id).first()
        if user is None:
            raise AccountError("用户不存在")
        await User.update({User.password_hash: password_hash}).where(User.id == user_id)
        await record(
            actor,
            tenant_id=user["tenant"],
            action="user.password",
            entity="user",
            entity_id=user_id,
            summary=f"{user['name']} ({user['username']})",
        )


async def add_user(
    actor: Actor,
    *,
    tenant_slug: str | None,
    username: str,
    name: str,
    roles: Iterable[str] = (),
    password: str | None = None,
    phone: str = "",
    email: str = "",
) -> int:
    """Create a county user (or a superadmin when ``tenant_slug`` is ``None``)."""
    username, name = username.strip(), name.strip()
    if not username or not name:
        raise AccountError("用户名和姓名不能为空")
    check_person(name, phone, username)
    email = check_email(email)
    role_list = check_roles(roles)
    password_hash = await hash_password(password) if password else ""
    async with db.transaction():
        tenant_id = None
        if tenant_slug is not None:
            tenant = await Tenant.select(Tenant.id).where(Tenant.slug == tenant_slug).first()
            if tenant is None:
                raise AccountError("没有代码为 {slug} 的县", slug=tenant_slug)
            tenant_id = tenant["id"]
        elif role_list:
            raise AccountError("超级管理员不担任县内角色")
        taken = User.exists().where(User.username == username)
        taken = taken.where(User.tenant == tenant_id) if tenant_id else taken.where(User.tenant.is_null())
        if await taken:
            raise AccountError("用户名 {username} 已被占用", username=username)
        user = User(
            tenant=tenant_id,
            username=username,
            name=name,
            phone=phone,
            email=email,
            password_hash=password_hash,
            active=True,
            is_superadmin=tenant_id is None,
            created_at=clock.now(),
        )
        await user.save()
        for role in role_list:
            await RoleGrant(tenant=tenant_id, user=user.id, role=role).save()
        await record(
            actor,
            tenant_id=tenant_id,
            action="user.create",
            entity="user",
            entity_id=user.id,
            summary=f"{name} ({username})",
            after={"username": username, "name": name, "roles": role_list, "phone": phone, "email": email},
        )
    return user.id


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    id: int
    token: str


async def create_token(ctx: TenantContext, user_id: int, label: str = "") -> NewToken:
    """A new API token of a user of this county; the token itself is shown once and never stored."""
    user = await ctx.get(User, user_id)
    if not user.active:
        raise AccountError("用户 {username} 已停用", username=user.username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.transaction():
        row = ctx.new(
            ApiToken,
            user=user.id,
            label=label.strip()[:100],
            token_hash=_hash_token(token),
            prefix=token[:10],
            created_at=clock.now(),
        )
        await row.save()
        await record_in(
            ctx,
            action="token.create",
            entity="api_token",
            entity_id=row.id,
            summary=f"{user.username}: {label}".strip(": "),
            after={"user": user.username, "label": label, "prefix": row.prefix},
        )
    return NewToken(id=row.id, token=token)


async def identity_for_token(token: str, county_slug: str = "") -> Identity | None:
    """Like ``identity_of``, for the holder of a live API token, in the same one statement."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return await _identity(
        'SELECT k."user" FROM api_token k WHERE k.token_hash = {} AND k.revoked_at IS NULL',
        _hash_token(token),
        county_slug=county_slug,
    )


async def my_tokens(ctx: TenantContext) -> list[dict]:
    return await ctx.select(ApiToken).where(ApiToken.user == ctx.actor.user_id).order_by(ApiToken.id, ascending=False)


async def revoke_token(ctx: TenantContext, token_id: int) -> None:
    """Revoke one of the actor's own tokens (another's is ``NotFound``)."""
    token = await ctx.get(ApiToken, token_id)
    if token.user != ctx.actor.user_id:
        raise NotFound(f"ApiToken {token_id}")
    if token.revoked_at is not None:
        return
    async with db.transaction():
        await ctx.update(ApiToken, {ApiToken.revoked_at: clock.now()}).where(ApiToken.id == token.id)
        await record_in(
            ctx,
            action="token.revoke",
            entity="api_token",
            entity_id=token.id,
            summary=f"{token.prefix}…",
            before={"revoked": False},
            after={"revoked": True},
        )


async def set_active(ctx: TenantContext, user_id: int, active: bool) -> None:
    """Enable or disable a user of this county.

    A disabled user's sessions and tokens stop working at their next request, because every
    request looks the user up (``identity_of`` answers only for active users).
    """
    user = await ctx.get(User, user_id)
    if user.active == active:
        return
    async with db.transaction():
        await ctx.update(User, {User.active: active}).where(User.id == user.id)
        await record_in(
            ctx,
            action="user.enable" if active else "user.disable",
            entity="user",
            entity_id=user.id,
            summary=f"{user.name} ({user.username})",
            before={"active": user.active},
            after={"active": active},
        )


@dataclass(frozen=True)
class Member:
    """Someone of the county as the other capabilities choose or name them."""

    id: int
    name: str
    active: bool


async def members(ctx: TenantContext) -> list[Member]:
    """The county's people in the order they were added, the inactive ones too (history names them)."""
    rows = await ctx.select(User, User.id, User.name, User.active).order_by(User.id)
    return [Member(row["id"], row["name"], row["active"]) for row in rows]


async def people_names(ctx: TenantContext) -> dict[int, str]:
    """Everyone's name in the county, the inactive too (history names them); kept by the process
    (shared: not to be changed)."""

    async def load() -> dict[int, str]:
        return {u["id"]: u["name"] for u in await ctx.select(User, User.id, User.name)}

    return await cache.kept(ctx.tenant.id, "names", load)


async def holders_of(ctx: TenantContext, roles: list[str]) -> list[int]:
    """The ids of ``people_holding(roles)`` (who to ask, who to tell)."""
    return [person["id"] for person in await people_holding(ctx, roles)]


async def people_holding(ctx: TenantContext, roles: Iterable[str]) -> list[dict]:
    """The active people holding any of ``roles``, each once (id and name), in id order; kept by
    the process (shared: not to be changed)."""
    wanted = sorted(roles)

    async def people() -> list[dict]:
        rows = await ctx.select(RoleGrant, RoleGrant.user.as_alias("id"), RoleGrant.user.name.as_alias("name")).where(
            RoleGrant.role.is_in(wanted) & RoleGrant.user._.active.eq(True)
        )
        return sorted({row["id"]: row for row in rows}.values(), key=lambda row: row["id"])

    return await cache.kept(ctx.tenant.id, f"people:{','.join(wanted)}", people)


cache.keeps_rows_of(RoleGrant, User)
