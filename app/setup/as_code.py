"""Tenants as code: ``tenants/<slug>.toml`` declares a county; loading applies it idempotently.

``plan`` (pure) compares the file with what the database holds and lists the changes; ``apply``
makes them in one transaction, each audited. Loading the same file twice plans nothing.
People, lines and calendar days are never deleted: those missing from the file are left as they
are (an admin may have decided a day on the calendar page).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import msgspec
from piccolo.columns import Column

from app import clock, db
from app.accounts.services import USERNAME, check_email
from app.accounts.tables import RoleGrant, User
from app.audit.services import record
from app.calendar import services as calendar
from app.calendar.tables import CalendarDay
from app.cases.dates import recompute_county
from app.domain import office_hours
from app.errors import InvalidInput
from app.i18n.messages import said
from app.rota.posts import DEFAULT_LINES, LineSpec, Person, check_line, check_post
from app.rota.tables import Assignment, Line, Qualification
from app.tenancy.context import Actor, NotFound, TenantContext, TenantInfo
from app.tenancy.permissions import Role
from app.tenancy.services import validate_tenant_fields
from app.tenancy.tables import Tenant


class StaffSpec(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    name: str
    roles: list[str] = []
    phone: str = ""
    # Left out, the file does not manage the address (an admin or the demo's mail sink sets it).
    email: str | None = None
    qualifications: list[str] = []
    active: bool = True


class LineFileSpec(LineSpec, frozen=True, forbid_unknown_fields=True):
    active: bool = True


class PostSpec(msgspec.Struct, forbid_unknown_fields=True):
    a: str
    b: str


class DoorNoticeSpec(msgspec.Struct, forbid_unknown_fields=True):
    """离岗告示制度 第四条: when everyone is out, the notice names neighbouring offices to ask, and
    these people (usernames) are told in their inbox."""

    neighbour_offices: list[str] = []
    notify: list[str] = []


class OfficeSpec(msgspec.Struct, forbid_unknown_fields=True):
    """The bureau's office (办公室): told when a leave is approved (离岗告示制度 第三条); its phone is
    the work number on the door notice for anyone who did not choose to show their own."""

    name: str = "办公室"
    phone: str = ""
    notify: list[str] = []


class CalendarDaySpec(msgspec.Struct, forbid_unknown_fields=True):
    """A county's decision about one day (SPEC §7), e.g. a local holiday or next year's schedule."""

    day: date
    workday: bool
    note: str = ""


class TenantSpec(msgspec.Struct, forbid_unknown_fields=True):
    slug: str
    name: str
    timezone: str = "Asia/Shanghai"
    lines: list[LineFileSpec] = msgspec.field(
        default_factory=lambda: [LineFileSpec(**msgspec.structs.asdict(spec)) for spec in DEFAULT_LINES]
    )
    staff: list[StaffSpec] = []
    assignments: dict[str, PostSpec] = {}
    door_notice: DoorNoticeSpec = msgspec.field(default_factory=DoorNoticeSpec)
    office: OfficeSpec = msgspec.field(default_factory=OfficeSpec)
    office_hours: dict | None = None  # {"sessions": [["08:00", "12:00"], …], "summer": {…}}; default hours if absent
    calendar: list[CalendarDaySpec] = []


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
    try:
        _check(spec)
    except InvalidInput as exc:
        raise TenantFileError("{source}：{problem}", source=source, problem=exc.localized()) from None
    return spec


def _check(spec: TenantSpec) -> None:
    validate_tenant_fields(spec.slug, spec.name, spec.timezone)
    codes: set[str] = set()
    for index, line in enumerate(spec.lines):
        try:
            check_line(line)
        except InvalidInput as exc:
            raise TenantFileError("lines[{index}]：{problem}", index=index, problem=exc.localized()) from None
        if line.code in codes:
            raise TenantFileError("lines[{index}].code：{value} 重复", index=index, value=line.code)
        codes.add(line.code)
    people: dict[str, StaffSpec] = {}
    for index, person in enumerate(spec.staff):
        where = f"staff[{index}]"
        if not USERNAME.match(person.username):
            raise TenantFileError(
                "{where}.username：{value} 无效（小写字母开头，可含数字 _ . -）", where=where, value=person.username
            )
        if person.username in people:
            raise TenantFileError("{where}.username：{value} 重复", where=where, value=person.username)
        people[person.username] = person
        if not person.name.strip():
            raise TenantFileError("{where}.name：不能为空", where=where)
        try:
            check_email(person.email or "")
        except InvalidInput as exc:
            raise TenantFileError("{where}.email：{problem}", where=where, problem=exc.localized()) from None
        unknown = sorted(set(person.roles) - set(Role))
        if unknown:
            raise TenantFileError(
                "{where}.roles：未知角色 {unknown}（可用：{known}）",
                where=where,
                unknown="、".join(unknown),
                known="、".join(Role),
            )
        unknown = sorted(set(person.qualifications) - codes)
        if unknown:
            raise TenantFileError("{where}.qualifications：未知岗位 {unknown}", where=where, unknown="、".join(unknown))
    for section, usernames in (("door_notice", spec.door_notice.notify), ("office", spec.office.notify)):
        for username in usernames:
            if username not in people:
                raise TenantFileError("{section}.notify：文件中没有人员 {username}", section=section, username=username)
    try:
        office_hours.parse(spec.office_hours)
    except InvalidInput as exc:
        raise TenantFileError("office_hours：{problem}", problem=exc.localized()) from None
    names = {line.code: line.name for line in spec.lines}
    index_of = {person.username: index for index, person in enumerate(spec.staff)}
    for code, post in spec.assignments.items():
        if code not in codes:
            raise TenantFileError("assignments.{code}：文件中没有这个岗位", code=code)
        for holder in (post.a, post.b):
            if holder not in people:
                raise TenantFileError("assignments.{code}：文件中没有人员 {username}", code=code, username=holder)
        a, b = people[post.a], people[post.b]
        qualified = {index_of[p.username] for p in spec.staff if code in p.qualifications}
        try:
            check_post(
                names[code],
                Person(index_of[a.username], a.name, a.active),
                Person(index_of[b.username], b.name, b.active),
                qualified,
            )
        except InvalidInput as exc:
            raise TenantFileError("assignments.{code}：{problem}", code=code, problem=exc.localized()) from None
    days: set[date] = set()
    for index, entry in enumerate(spec.calendar):
        try:
            calendar.check_year(entry.day.year)
            calendar.clean_note(entry.note)
        except InvalidInput as exc:
            raise TenantFileError("calendar[{index}]：{problem}", index=index, problem=exc.localized()) from None
        if entry.day in days:
            raise TenantFileError("calendar[{index}].day：{value} 重复", index=index, value=entry.day.isoformat())
        days.add(entry.day)


def read(path: Path) -> str:
    """A file of ``tenants/`` as text, or one clear line saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TenantFileError(
            "无法读取 {source}：{problem}", source=str(path), problem=exc.strerror or str(exc)
        ) from None


def load_file(path: Path) -> TenantSpec:
    return parse(read(path), str(path))


@dataclass(frozen=True)
class Change:
    action: str  # e.g. "tenant.create", "user.update"
    entity: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any]

    def describe(self) -> str:
        sign = "+" if self.before is None else "~"
        if self.before is None:
            return f"{sign} {self.entity} {self.key}: {_fmt(self.after)}"
        changed = {k: (self.before.get(k), v) for k, v in self.after.items() if self.before.get(k) != v}
        return f"{sign} {self.entity} {self.key}: " + ", ".join(f"{k} {b!r} → {a!r}" for k, (b, a) in changed.items())


def _fmt(values: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


@dataclass
class CurrentState:
    """What the database holds for one county, as plain data keyed by code and username."""

    tenant: dict[str, Any] | None = None
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    staff: dict[str, dict[str, Any]] = field(default_factory=dict)
    assignments: dict[str, dict[str, str | None]] = field(default_factory=dict)
    calendar: dict[str, dict[str, Any]] = field(default_factory=dict)  # by day, YYYY-MM-DD


def _line_values(line: LineFileSpec, position: int) -> dict[str, Any]:
    return {**line.settings(), "active": line.active, "position": position}


def _staff_values(person: StaffSpec) -> dict[str, Any]:
    values = {
        "name": person.name.strip(),
        "phone": person.phone.strip(),
        "roles": sorted(set(person.roles)),
        "qualifications": sorted(set(person.qualifications)),
        "active": person.active,
    }
    if person.email is not None:
        values["email"] = person.email.strip()
    return values


def _settings_values(spec: TenantSpec) -> dict[str, Any]:
    """The sections of the county's settings a file decides."""
    return {
        "door_notice": msgspec.to_builtins(spec.door_notice),
        "office": msgspec.to_builtins(spec.office),
        "office_hours": office_hours.parse(spec.office_hours).as_json(),
    }


def _tenant_values(spec: TenantSpec) -> dict[str, Any]:
    return {"name": spec.name, "timezone": spec.timezone, **_settings_values(spec)}


def plan(spec: TenantSpec, current: CurrentState) -> list[Change]:
    """The changes that make the database match the file (pure), in the order they can be made."""
    changes: list[Change] = []

    def compare(action: str, entity: str, key: str, have: dict | None, wanted: dict) -> None:
        if have is None:
            changes.append(Change(f"{action}.create", entity, key, None, wanted))
        elif {k: have.get(k) for k in wanted} != wanted:
            changes.append(Change(f"{action}.update", entity, key, {k: have.get(k) for k in wanted}, wanted))

    compare("tenant", "tenant", spec.slug, current.tenant, _tenant_values(spec))
    for position, line in enumerate(spec.lines):
        compare("line", "line", line.code, current.lines.get(line.code), _line_values(line, position))
    for person in spec.staff:
        compare("user", "user", person.username, current.staff.get(person.username), _staff_values(person))
    for code, post in spec.assignments.items():
        wanted = {"a": post.a, "b": post.b}
        have = current.assignments.get(code)
        if have != wanted:
            changes.append(Change("assignment.update", "assignment", code, have, wanted))
    for entry in spec.calendar:
        key = entry.day.isoformat()
        day = {"workday": entry.workday, "note": calendar.clean_note(entry.note)}
        compare("calendar_day", "calendar_day", key, current.calendar.get(key), day)
    return changes


async def current_state(slug: str) -> CurrentState:
    tenant = (
        await Tenant.select(Tenant.id, Tenant.name, Tenant.timezone, Tenant.settings)
        .where(Tenant.slug == slug)
        .output(load_json=True)
        .first()
    )
    if tenant is None:
        return CurrentState()
    stored = tenant.pop("settings") or {}
    defaults = _settings_values(TenantSpec(slug=slug, name=tenant["name"]))
    tenant.update({key: stored.get(key, default) for key, default in defaults.items()})
    in_tenant = tenant["id"]
    lines = await Line.select().where(Line.tenant == in_tenant)
    codes = {line["id"]: line["code"] for line in lines}
    users = await User.select(User.id, User.username, User.name, User.phone, User.email, User.active).where(
        User.tenant == in_tenant
    )
    usernames = {u["id"]: u["username"] for u in users}
    roles: dict[int, list[str]] = {}
    for grant in await RoleGrant.select(RoleGrant.user, RoleGrant.role).where(RoleGrant.tenant == in_tenant):
        roles.setdefault(grant["user"], []).append(grant["role"])
    skills: dict[int, list[str]] = {}
    for skill in await Qualification.select(Qualification.user, Qualification.line).where(
        Qualification.tenant == in_tenant
    ):
        skills.setdefault(skill["user"], []).append(codes[skill["line"]])
    posts = await Assignment.select(Assignment.line, Assignment.a, Assignment.b).where(
        (Assignment.tenant == in_tenant) & Assignment.valid_to.is_null()
    )
    days = await CalendarDay.select(CalendarDay.day, CalendarDay.workday, CalendarDay.note).where(
        CalendarDay.tenant == in_tenant
    )
    return CurrentState(
        tenant=tenant,
        lines={line["code"]: line for line in lines},
        staff={
            u["username"]: {
                "name": u["name"],
                "phone": u["phone"],
                "email": u["email"],
                "roles": sorted(roles.get(u["id"], [])),
                "qualifications": sorted(skills.get(u["id"], [])),
                "active": u["active"],
            }
            for u in users
        },
        assignments={codes[p["line"]]: {"a": usernames.get(p["a"]), "b": usernames.get(p["b"])} for p in posts},
        calendar={d["day"].isoformat(): {"workday": d["workday"], "note": d["note"]} for d in days},
    )


async def diff(spec: TenantSpec) -> list[Change]:
    return plan(spec, await current_state(spec.slug))


async def apply(spec: TenantSpec, actor: Actor) -> list[Change]:
    """Make the county match the file, all in one transaction; returns what changed."""
    async with db.transaction():
        changes = plan(spec, await current_state(spec.slug))
        if not changes:
            return []
        now = clock.now()
        tenant_id = await _apply_tenant(spec, next((c for c in changes if c.entity == "tenant"), None), now)
        for change in changes:
            is_tenant = change.entity == "tenant"
            entity_id = tenant_id if is_tenant else await APPLY[change.entity](tenant_id, change, actor, now)
            await record(
                actor,
                tenant_id=tenant_id,
                action=change.action,
                entity=change.entity,
                entity_id=entity_id,
                summary=said("按县配置文件更新"),
                before=change.before,
                after=change.after,
            )
        if any(change.entity == "calendar_day" for change in changes):
            # The county's days changed: its open cases follow, in this same transaction.
            county = TenantInfo(id=tenant_id, slug=spec.slug, name=spec.name, timezone=spec.timezone)
            await recompute_county(TenantContext(tenant=county, actor=actor))
    return changes


async def _apply_tenant(spec: TenantSpec, change: Change | None, now: datetime) -> int:
    settings = _settings_values(spec)
    if change is not None and change.before is None:
        row = Tenant(slug=spec.slug, name=spec.name, timezone=spec.timezone, settings=settings, created_at=now)
        await row.save()
        return row.id
    current = (
        await Tenant.select(Tenant.id, Tenant.settings).where(Tenant.slug == spec.slug).output(load_json=True).first()
    )
    if current is None:  # deleted since the plan was made
        raise NotFound(f"county {spec.slug}")
    if change is not None:
        await Tenant.update(
            {
                Tenant.name: spec.name,
                Tenant.timezone: spec.timezone,
                Tenant.settings: {**(current["settings"] or {}), **settings},
            }
        ).where(Tenant.id == current["id"])
    return current["id"]


async def _id_of(table, tenant_id: int, column, value) -> int:
    return (await table.select(table.id).where((table.tenant == tenant_id) & (column == value)).first())["id"]


async def _apply_line(tenant_id: int, change: Change, actor: Actor, now: datetime) -> int:
    values = change.after
    if change.before is None:
        row = Line(tenant=tenant_id, code=change.key, **values)
        await row.save()
        return row.id
    line_id = await _id_of(Line, tenant_id, Line.code, change.key)
    await Line.update({getattr(Line, k): v for k, v in values.items()}).where(Line.id == line_id)
    return line_id


async def _apply_user(tenant_id: int, change: Change, actor: Actor, now: datetime) -> int:
    values = change.after
    if change.before is None:
        user = User(
            tenant=tenant_id,
            username=change.key,
            name=values["name"],
            phone=values["phone"],
            email=values.get("email", ""),
            active=values["active"],
            password_hash="",
            is_superadmin=False,
            created_at=now,
        )
        await user.save()
        user_id = user.id
    else:
        user_id = await _id_of(User, tenant_id, User.username, change.key)
        managed: dict[Column | str, Any] = {
            User.name: values["name"],
            User.phone: values["phone"],
            User.active: values["active"],
        }
        if "email" in values:
            managed[User.email] = values["email"]
        await User.update(managed).where(User.id == user_id)
    before = change.before or {"roles": [], "qualifications": []}
    if before["roles"] != values["roles"]:
        await RoleGrant.delete().where(RoleGrant.user == user_id)
        for role in values["roles"]:
            await RoleGrant(tenant=tenant_id, user=user_id, role=role).save()
    if before["qualifications"] != values["qualifications"]:
        await Qualification.delete().where(Qualification.user == user_id)
        for code in values["qualifications"]:
            line_id = await _id_of(Line, tenant_id, Line.code, code)
            await Qualification(tenant=tenant_id, user=user_id, line=line_id).save()
    return user_id


async def _apply_assignment(tenant_id: int, change: Change, actor: Actor, now: datetime) -> int:
    line_id = await _id_of(Line, tenant_id, Line.code, change.key)
    a = await _id_of(User, tenant_id, User.username, change.after["a"])
    b = await _id_of(User, tenant_id, User.username, change.after["b"])
    await Assignment.update({Assignment.valid_to: now}).where(
        (Assignment.line == line_id) & Assignment.valid_to.is_null()
    )
    await Assignment(
        tenant=tenant_id,
        line=line_id,
        a=a,
        b=b,
        valid_from=now,
        changed_by=actor.user_id,
        changed_by_label=actor.label[:100],
        reason="tenant load",
    ).save()
    return line_id


async def _apply_calendar_day(tenant_id: int, change: Change, actor: Actor, now: datetime) -> str:
    day = date.fromisoformat(change.key)
    values = {**change.after, "updated_by": actor.user_id, "updated_at": now}
    if change.before is None:
        await CalendarDay(tenant=tenant_id, day=day, **values).save()
    else:
        await CalendarDay.update({getattr(CalendarDay, k): v for k, v in values.items()}).where(
            (CalendarDay.tenant == tenant_id) & (CalendarDay.day == day)
        )
    return change.key  # audited by day, like the calendar page's changes


APPLY = {
    "line": _apply_line,
    "user": _apply_user,
    "assignment": _apply_assignment,
    "calendar_day": _apply_calendar_day,
}
