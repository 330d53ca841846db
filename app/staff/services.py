"""Staff of a county: their roles, phone, e-mail, qualifications (the lines they know) and whether active.

People are never deleted: history refers to them. Someone who holds an A or B post cannot be
deactivated, or lose the qualification of a line they back up, until a replacement is set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app import db
from app.accounts.services import add_user, check_email, check_person, check_roles
from app.accounts.tables import RoleGrant, User
from app.audit.services import record_in
from app.errors import InvalidInput
from app.rota.tables import Assignment, Line, Qualification
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Role


@dataclass(frozen=True)
class StaffView:
    id: int
    username: str
    name: str
    phone: str
    roles: tuple[str, ...]
    qualifications: tuple[str, ...]
    active: bool
    email: str = ""  # where the inbox's messages also go, when the county sends e-mail

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "username": self.username,
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "roles": list(self.roles),
            "qualifications": list(self.qualifications),
            "active": self.active,
        }


async def _line_codes(ctx: TenantContext) -> dict[int, str]:
    return {row["id"]: row["code"] for row in await ctx.select(Line, Line.id, Line.code)}


async def list_staff(ctx: TenantContext, *, only: int | None = None) -> list[StaffView]:
    users = ctx.select(User, User.id, User.username, User.name, User.phone, User.email, User.active).order_by(User.id)
    grants = ctx.select(RoleGrant, RoleGrant.user, RoleGrant.role)
    skills = ctx.select(Qualification, Qualification.user, Qualification.line)
    if only is not None:
        users, grants, skills = (
            users.where(User.id == only),
            grants.where(RoleGrant.user == only),
            skills.where(Qualification.user == only),
        )
    codes = await _line_codes(ctx)
    roles: dict[int, list[str]] = {}
    for grant in await grants:
        roles.setdefault(grant["user"], []).append(grant["role"])
    known: dict[int, list[str]] = {}
    for skill in await skills:
        known.setdefault(skill["user"], []).append(codes[skill["line"]])
    return [
        StaffView(
            id=u["id"],
            username=u["username"],
            name=u["name"],
            phone=u["phone"],
            roles=tuple(sorted(roles.get(u["id"], []))),
            qualifications=tuple(sorted(known.get(u["id"], []))),
            active=u["active"],
            email=u["email"],
        )
        for u in await users
    ]


async def get_staff(ctx: TenantContext, staff_id: int) -> StaffView:
    await ctx.get(User, staff_id)  # NotFound for another county's id
    return (await list_staff(ctx, only=staff_id))[0]


def _some_roles(roles: Iterable[str]) -> list[str]:
    """Someone of the county with no role could do nothing at all: at least one is needed."""
    checked = check_roles(roles)
    if not checked:
        raise InvalidInput("至少需要一个角色")
    return checked


async def _line_ids(ctx: TenantContext, codes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(codes))
    by_code = {code: line_id for line_id, code in (await _line_codes(ctx)).items()}
    unknown = [code for code in wanted if code not in by_code]
    if unknown:
        raise InvalidInput("未知岗位：{codes}", codes="、".join(unknown))
    return {code: by_code[code] for code in wanted}


@dataclass(frozen=True)
class HeldPost:
    code: str
    line_name: str
    post: str  # "A" or "B"


async def _posts_held(ctx: TenantContext, staff_id: int) -> list[HeldPost]:
    rows = await ctx.select(Assignment, Assignment.line.code, Assignment.line.name, Assignment.a).where(
        Assignment.valid_to.is_null() & ((Assignment.a == staff_id) | (Assignment.b == staff_id))
    )
    return [HeldPost(row["line.code"], row["line.name"], "A" if row["a"] == staff_id else "B") for row in rows]


async def create_staff(
    ctx: TenantContext,
    *,
    username: str,
    name: str,
    roles: Iterable[str] = ("staff",),
    phone: str = "",
    qualifications: Iterable[str] = (),
    password: str | None = None,
    email: str = "",
) -> StaffView:
    roles = _some_roles(roles)
    async with db.transaction():
        line_ids = await _line_ids(ctx, qualifications)
        user_id = await add_user(
            ctx.actor,
            tenant_slug=ctx.tenant.slug,
            username=username,
            name=name,
            roles=roles,
            password=password,
            phone=phone.strip(),
            email=email,
        )
        for line_id in line_ids.values():
            await ctx.new(Qualification, user=user_id, line=line_id).save()
        if line_ids:
            await record_in(
                ctx,
                action="staff.qualifications",
                entity="user",
                entity_id=user_id,
                summary=name,
                before={"qualifications": []},
                after={"qualifications": sorted(line_ids)},
            )
    return await get_staff(ctx, user_id)


UNSET = object()


async def update_staff(
    ctx: TenantContext,
    staff_id: int,
    *,
    name=UNSET,
    phone=UNSET,
    email=UNSET,
    roles=UNSET,
    qualifications=UNSET,
    active=UNSET,
) -> StaffView:
    """Change what is given; refused with the reason when it would leave a post without its holder."""
    current = await get_staff(ctx, staff_id)
    after: dict = {}
    if name is not UNSET or phone is not UNSET:
        check_person(current.name if name is UNSET else str(name), current.phone if phone is UNSET else str(phone))
    if name is not UNSET:
        after["name"] = str(name).strip()
    if phone is not UNSET:
        after["phone"] = str(phone).strip()
    if email is not UNSET:
        after["email"] = check_email(str(email))
    if roles is not UNSET:
        after["roles"] = _some_roles(roles)
    line_ids: dict[str, int] = {}
    if qualifications is not UNSET:
        line_ids = await _line_ids(ctx, qualifications)
        after["qualifications"] = sorted(line_ids)
    if active is not UNSET:
        after["active"] = bool(active)
    before = {key: getattr(current, key) for key in after}
    before = {key: list(value) if isinstance(value, tuple) else value for key, value in before.items()}
    changed = {key: value for key, value in after.items() if before[key] != value}
    if not changed:
        return current
    await _check_still_staffed(ctx, current, changed)
    async with db.transaction():
        await _keep_an_admin(ctx, current, changed)
        columns = {
            User.name: changed.get("name"),
            User.phone: changed.get("phone"),
            User.email: changed.get("email"),
            User.active: changed.get("active"),
        }
        values = {column: value for column, value in columns.items() if value is not None}
        if values:
            await ctx.update(User, values).where(User.id == staff_id)
        if "roles" in changed:
            await RoleGrant.delete().where((RoleGrant.tenant == ctx.tenant.id) & (RoleGrant.user == staff_id))
            await RoleGrant.insert(*(ctx.new(RoleGrant, user=staff_id, role=role) for role in changed["roles"]))
        if "qualifications" in changed:
            await Qualification.delete().where(
                (Qualification.tenant == ctx.tenant.id) & (Qualification.user == staff_id)
            )
            if line_ids:
                await Qualification.insert(*(ctx.new(Qualification, user=staff_id, line=i) for i in line_ids.values()))
        await record_in(
            ctx,
            action="staff.update",
            entity="user",
            entity_id=staff_id,
            summary=f"{current.name} ({current.username})",
            before={k: before[k] for k in changed},
            after=changed,
        )
    return await get_staff(ctx, staff_id)


async def _check_still_staffed(ctx: TenantContext, current: StaffView, changed: dict) -> None:
    posts = await _posts_held(ctx, current.id)
    if changed.get("active") is False and posts:
        held = "、".join(f"{p.line_name} {p.post}岗" for p in posts)
        raise InvalidInput("{name} 现任 {posts}，请先为这些岗位指定接替人员，再停用", name=current.name, posts=held)
    if "qualifications" in changed:
        lost = sorted(p.line_name for p in posts if p.post == "B" and p.code not in changed["qualifications"])
        if lost:
            raise InvalidInput(
                "{name} 现任 {lines} 的B岗，不能取消该岗位资格；请先另行指定B岗",
                name=current.name,
                lines="、".join(lost),
            )


async def _keep_an_admin(ctx: TenantContext, current: StaffView, changed: dict) -> None:
    """Inside the change's transaction: refuse to take away the county's last active admin.

    Under the county's lock on admins, so two admins disabling each other at the same moment are
    one after the other: the second sees the first's change and is refused."""
    loses_admin = Role.ADMIN in current.roles and (
        ("roles" in changed and Role.ADMIN not in changed["roles"]) or changed.get("active") is False
    )
    if not loses_admin:
        return
    await db.serialize(RoleGrant, ctx.tenant.id)
    admins = await ctx.count(RoleGrant).where((RoleGrant.role == Role.ADMIN) & RoleGrant.user.active.eq(True))
    if admins <= 1:
        raise InvalidInput("{name} 是本县唯一的管理员，不能取消其管理员身份或停用", name=current.name)
