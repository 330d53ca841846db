"""Regions and their inspectors: who may read which counties' figures.

``visible_region`` is the only question the region gate asks: the region with that slug, with its
counties, when the person may read it (its inspectors, and the superadmin), else ``None``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from app import clock, db
from app.accounts.passwords import hash_password
from app.accounts.services import USERNAME, Identity, check_person, identity_of
from app.accounts.tables import User
from app.audit.services import record
from app.audit.tables import AuditRecord
from app.errors import InvalidInput
from app.regions.tables import Inspector, InspectorToken, Region, RegionCounty
from app.tenancy.context import Actor, Forbidden, NotFound, TenantInfo
from app.tenancy.services import tenant_info

T = TypeVar("T")
INSPECTOR_ROLE = "inspector"
# Not the county tokens' prefix: a region token is never mistaken for one, nor looked up as one.
TOKEN_PREFIX = "cpr_"


class RegionError(InvalidInput):
    pass


@dataclass(frozen=True)
class RegionInfo:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class RegionContext:
    """What one request may read: the counties of one region, and who reads them."""

    region: RegionInfo
    counties: tuple[TenantInfo, ...]
    actor: Actor

    def county(self, slug: str) -> TenantInfo:
        """A county of this region; any other county is ``NotFound``, like one that does not exist."""
        for county in self.counties:
            if county.slug == slug:
                return county
        raise NotFound(f"county {slug!r}")


async def visible_region(identity: Identity, slug: str) -> tuple[RegionInfo, tuple[TenantInfo, ...]] | None:
    query = Region.select(Region.id, Region.slug, Region.name).where(Region.slug == slug)
    if not identity.is_superadmin:
        query = query.where(
            Region.id.is_in(Inspector.select(Inspector.region).where(Inspector.user == identity.user_id))
        )
    row = await query.first()
    if row is None:
        return None
    counties = (
        await RegionCounty.select(
            RegionCounty.tenant.id.as_alias("id"),
            RegionCounty.tenant.slug.as_alias("slug"),
            RegionCounty.tenant.name.as_alias("name"),
            RegionCounty.tenant.timezone.as_alias("timezone"),
        )
        .where(RegionCounty.region == row["id"])
        .order_by(RegionCounty.tenant.slug)
    )
    return RegionInfo(**row), tuple(tenant_info(county) for county in counties)


async def regions_of(identity: Identity) -> list[RegionInfo]:
    """The regions this person may read, by slug."""
    query = Region.select(Region.id, Region.slug, Region.name).order_by(Region.slug)
    if not identity.is_superadmin:
        query = query.where(
            Region.id.is_in(Inspector.select(Inspector.region).where(Inspector.user == identity.user_id))
        )
    return [RegionInfo(**row) for row in await query]


async def _region(slug: str) -> dict:
    row = await Region.select(Region.id, Region.slug, Region.name).where(Region.slug == slug).first()
    if row is None:
        raise RegionError("没有代码为 {slug} 的市", slug=slug)
    return row


async def add_inspector(
    actor: Actor, *, region_slug: str, username: str, name: str, password: str | None = None, phone: str = ""
) -> int:
    """An inspector (督查) of a region: a user of no county, who signs in without choosing one."""
    username, name = username.strip(), name.strip()
    if not USERNAME.match(username):
        raise RegionError("用户名 {username} 无效（小写字母开头，可含数字 _ . -）", username=username)
    check_person(name, phone, username)
    password_hash = await hash_password(password) if password else ""  # off the event loop, outside the transaction
    async with db.transaction():
        region = await _region(region_slug)
        # Inspectors and superadmins sign in by username alone: it must be theirs only.
        if await User.exists().where((User.username == username) & User.tenant.is_null()):
            raise RegionError("用户名 {username} 已被占用", username=username)
        user = User(
            tenant=None,
            username=username,
            name=name,
            phone=phone.strip(),
            email="",
            password_hash=password_hash,
            active=True,
            is_superadmin=False,
            created_at=clock.now(),
        )
        await user.save()
        await Inspector(region=region["id"], user=user.id).save()
        await record(
            actor,
            tenant_id=None,
            action="inspector.create",
            entity="user",
            entity_id=user.id,
            summary=f"{name} ({username}) · {region['name']}",
            after={"username": username, "name": name, "region": region["slug"], "role": INSPECTOR_ROLE},
        )
    return user.id


@dataclass(frozen=True)
class NewToken:
    id: int
    token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(actor: Actor, *, region_slug: str, username: str, label: str = "") -> NewToken:
    """A new API token of an inspector of the region; shown once, only its hash is kept."""
    region = await _region(region_slug)
    user = (
        await User.select(User.id, User.active)
        .where(
            (User.username == username)
            & User.tenant.is_null()
            & User.id.is_in(Inspector.select(Inspector.user).where(Inspector.region == region["id"]))
        )
        .first()
    )
    if user is None:
        raise RegionError("{slug} 没有督查 {username}", slug=region_slug, username=username)
    if not user["active"]:
        raise RegionError("用户 {username} 已停用", username=username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.transaction():
        row = InspectorToken(
            region=region["id"],
            user=user["id"],
            label=label.strip()[:100],
            token_hash=_hash(token),
            prefix=token[:10],
            created_at=clock.now(),
        )
        await row.save()
        await record(
            actor,
            tenant_id=None,
            action="token.create",
            entity="inspector_token",
            entity_id=row.id,
            summary=f"{username}: {label}".strip(": "),
            after={"user": username, "region": region_slug, "label": label, "prefix": row.prefix},
        )
    return NewToken(id=row.id, token=token)


async def identity_for_token(token: str) -> Identity | None:
    """The inspector behind a region token, while the token stands and they still inspect its region."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        await InspectorToken.select(InspectorToken.user)
        .where(
            (InspectorToken.token_hash == _hash(token))
            & InspectorToken.revoked_at.is_null()
            & InspectorToken.user.is_in(
                Inspector.select(Inspector.user).where(Inspector.region == InspectorToken.region)
            )
        )
        .first()
    )
    return None if row is None else await identity_of(row["user"])


@dataclass(frozen=True)
class InspectorView:
    user_id: int
    username: str
    name: str
    active: bool


@dataclass(frozen=True)
class TokenView:
    id: int
    username: str
    label: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class RegionView:
    """A region as the superadmin manages it: its counties, inspectors and their tokens."""

    region: RegionInfo
    counties: tuple[TenantInfo, ...]
    inspectors: list[InspectorView]
    tokens: list[TokenView]


def _require_superadmin(actor: Actor) -> None:
    if not actor.is_superadmin:
        raise Forbidden("superadmin only")


def _by_region(rows: list[dict], make: Callable[[dict], T]) -> dict[int, list[T]]:
    """Rows carrying a ``region`` column, made into objects and gathered by region, in order."""
    found: dict[int, list[T]] = {}
    for row in rows:
        found.setdefault(row.pop("region"), []).append(make(row))
    return found


async def region_views(actor: Actor) -> list[RegionView]:
    """Every region with its counties, inspectors and tokens (newest first), in four statements."""
    _require_superadmin(actor)
    regions = [
        RegionInfo(**row) for row in await Region.select(Region.id, Region.slug, Region.name).order_by(Region.slug)
    ]
    counties = _by_region(
        await RegionCounty.select(
            RegionCounty.region,
            RegionCounty.tenant.id.as_alias("id"),
            RegionCounty.tenant.slug.as_alias("slug"),
            RegionCounty.tenant.name.as_alias("name"),
            RegionCounty.tenant.timezone.as_alias("timezone"),
        ).order_by(RegionCounty.tenant.slug),
        tenant_info,
    )
    inspectors = _by_region(
        await Inspector.select(
            Inspector.region,
            Inspector.user.id.as_alias("user_id"),
            Inspector.user.username.as_alias("username"),
            Inspector.user.name.as_alias("name"),
            Inspector.user.active.as_alias("active"),
        ).order_by(Inspector.user.username),
        lambda row: InspectorView(**row),
    )
    tokens = _by_region(
        await InspectorToken.select(
            InspectorToken.region,
            InspectorToken.id,
            InspectorToken.user.username.as_alias("username"),
            InspectorToken.label,
            InspectorToken.prefix,
            InspectorToken.created_at,
            InspectorToken.revoked_at,
        ).order_by(InspectorToken.id, ascending=False),
        lambda row: TokenView(**row),
    )
    return [
        RegionView(region, tuple(counties.get(region.id, ())), inspectors.get(region.id, []), tokens.get(region.id, []))
        for region in regions
    ]


async def revoke_token(actor: Actor, token_id: int) -> None:
    """Revoke an inspector's token: the very next request with it is refused (tokens are looked up
    on every request, never cached). Revoking a revoked token changes nothing."""
    _require_superadmin(actor)
    async with db.transaction():
        revoked = (
            await InspectorToken.update({InspectorToken.revoked_at: clock.now()})
            .where((InspectorToken.id == token_id) & InspectorToken.revoked_at.is_null())
            .returning(InspectorToken.id, InspectorToken.prefix)
        )
        if not revoked:
            if not await InspectorToken.exists().where(InspectorToken.id == token_id):
                raise NotFound(f"token {token_id}")
            return
        await record(
            actor,
            tenant_id=None,
            action="token.revoke",
            entity="inspector_token",
            entity_id=token_id,
            summary=revoked[0]["prefix"],
        )


@dataclass(frozen=True)
class Look:
    at: datetime
    who: str
    region: str
    path: str


LOOKS_SHOWN = 200


async def looks(actor: Actor, *, region_slug: str | None = None, mine: bool = False) -> list[Look]:
    """The audited looks through the region gate, newest first (the last 200): every look for the
    superadmin (of one region or all), an inspector's own looks (``mine``)."""
    if not mine:
        _require_superadmin(actor)
    query = AuditRecord.select(
        AuditRecord.at, AuditRecord.actor_label, AuditRecord.entity_id, AuditRecord.summary
    ).where(AuditRecord.action == "region.look")
    if region_slug:
        query = query.where(AuditRecord.entity_id == region_slug)
    if mine:
        query = query.where(AuditRecord.actor == actor.user_id)
    rows = await query.order_by(AuditRecord.id, ascending=False).limit(LOOKS_SHOWN)
    return [Look(row["at"], row["actor_label"], row["entity_id"], row["summary"]) for row in rows]
