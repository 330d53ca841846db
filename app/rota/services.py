"""Business lines, their A/B posts with history, and the lines as posted at any instant (who acts
on them, given who is away, is ``app.flows.acting``)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from app import clock, db
from app.accounts.tables import RoleGrant, User
from app.audit.services import record_in
from app.domain.rota import Post, RotaEntry, Status, resolve
from app.errors import InvalidInput
from app.i18n.messages import said
from app.rota.posts import DEFAULT_LINES, LineSpec, Person, check_line, check_post
from app.rota.tables import Assignment, Line, Qualification
from app.tenancy import cache
from app.tenancy.context import NotFound, TenantContext
from app.tenancy.permissions import Role


@dataclass(frozen=True)
class StaffRef:
    id: int
    name: str


class LineView(LineSpec, frozen=True, kw_only=True):
    """A stored line: its fields (``LineSpec``, declared there once), whether it is in use, its A and B."""

    id: int
    active: bool
    a: StaffRef | None
    b: StaffRef | None


@dataclass(frozen=True)
class RotaRow:
    line: LineView
    entry: RotaEntry
    names: dict[int, str]

    def name(self, person: int | None) -> str:
        return self.names.get(person, "") if person is not None else ""


async def _names(ctx: TenantContext) -> dict[int, str]:
    return {u["id"]: u["name"] for u in await ctx.select(User, User.id, User.name)}


def _current(query, at: datetime | None = None):
    at = at or clock.now()
    return query.where((Assignment.valid_from <= at) & (Assignment.valid_to.is_null() | (Assignment.valid_to > at)))


async def line_rows(ctx: TenantContext, include_inactive: bool = False) -> list[dict]:
    """The county's lines as stored, in their order (for lists that need no posts); kept by the
    process (shared: not to be changed)."""
    query = ctx.select(Line).order_by(Line.position).order_by(Line.id)
    if not include_inactive:
        query = query.where(Line.active.eq(True))
    return await cache.kept(ctx.tenant.id, "lines:all" if include_inactive else "lines", query.run)


cache.keeps_rows_of(Line)


def _views(rows: list[dict], posts: dict[int, dict], names: dict[int, str]) -> list[LineView]:
    """Lines with the A and B of ``posts`` (line id → post) named from ``names``."""

    def ref(person: int | None) -> StaffRef | None:
        return StaffRef(person, names[person]) if person is not None else None

    return [
        LineView(
            *(row[field] for field in LineSpec.__struct_fields__),
            id=row["id"],
            active=row["active"],
            a=ref(posts.get(row["id"], {}).get("a")),
            b=ref(posts.get(row["id"], {}).get("b")),
        )
        for row in rows
    ]


async def _posts_at(ctx: TenantContext, at: datetime | None = None) -> dict[int, dict]:
    query = ctx.select(Assignment, Assignment.line, Assignment.a, Assignment.b)
    return {post["line"]: post for post in await _current(query, at)}


async def lines(ctx: TenantContext, *, include_inactive: bool = False) -> list[LineView]:
    return _views(await line_rows(ctx, include_inactive), await _posts_at(ctx), await _names(ctx))


async def line(ctx: TenantContext, code: str) -> LineView:
    rows = await ctx.select(Line).where(Line.code == code)
    if not rows:
        raise NotFound(f"line {code!r}")
    return _views(rows, await _posts_at(ctx), await _names(ctx))[0]


async def line_row(ctx: TenantContext, code: str) -> dict | None:
    """The line of that code as stored, active or not."""
    return await ctx.select(Line).where(Line.code == code).first()


async def active_line_row(ctx: TenantContext, code: str) -> dict:
    """The active line of that code, as stored; refused (for a person to read) when there is none."""
    row = await ctx.select(Line).where((Line.code == code) & Line.active.eq(True)).first()
    if row is None:
        raise InvalidInput("没有“{line}”这个业务岗位", line=code)
    return row


async def a_holder(ctx: TenantContext, line_id: int) -> int | None:
    """Who holds the line's A post (None before anyone is assigned)."""
    post = (
        await ctx.select(Assignment, Assignment.a)
        .where((Assignment.line == line_id) & Assignment.valid_to.is_null() & Assignment.a.is_not_null())
        .first()
    )
    return None if post is None else post["a"]


async def add_default_lines(ctx: TenantContext) -> None:
    """A new county starts with the statutory lines (inside the caller's transaction)."""
    for position, spec in enumerate(DEFAULT_LINES):
        await ctx.new(Line, code=spec.code, position=position, active=True, **spec.settings()).save()


async def create_line(ctx: TenantContext, spec: LineSpec) -> LineView:
    check_line(spec)
    async with db.transaction():
        if await ctx.count(Line).where(Line.code == spec.code):
            raise InvalidInput("岗位代码 {code} 已存在", code=spec.code)
        position = len(await ctx.select(Line, Line.id))
        settings = spec.settings()
        row = ctx.new(Line, code=spec.code, position=position, active=True, **settings)
        await row.save()
        await record_in(
            ctx,
            action="line.create",
            entity="line",
            entity_id=row.id,
            summary=spec.name,
            after={"code": spec.code, **settings},
        )
    return await line(ctx, spec.code)


async def update_line(ctx: TenantContext, code: str, spec: LineSpec, active: bool = True) -> LineView:
    current = await line(ctx, code)
    check_line(msgspec.structs.replace(spec, code=code))
    before = {**current.settings(), "active": current.active}
    after = {**spec.settings(), "active": active}
    if before == after:
        return current
    async with db.transaction():
        await ctx.update(Line, {getattr(Line, key): value for key, value in after.items()}).where(Line.id == current.id)
        await record_in(
            ctx,
            action="line.update",
            entity="line",
            entity_id=current.id,
            summary=after["name"],
            before=before,
            after=after,
        )
    return await line(ctx, code)


async def people(ctx: TenantContext, ids: list[int]) -> dict[int, Person]:
    """The county's people with these ids; any other id is bad input, said as such."""
    rows = await ctx.select(User, User.id, User.name, User.active).where(User.id.is_in(ids)) if ids else []
    found = {r["id"]: Person(r["id"], r["name"], r["active"]) for r in rows}
    for person_id in ids:
        if person_id not in found:
            raise InvalidInput("没有编号为 {id} 的工作人员", id=person_id)
    return found


async def qualified_for(ctx: TenantContext, line_id: int) -> set[int]:
    return {q["user"] for q in await ctx.select(Qualification, Qualification.user).where(Qualification.line == line_id)}


async def assign(
    ctx: TenantContext, code: str, a_id: int, b_id: int, *, approved_by: int | None = None, reason: str = ""
) -> LineView:
    """Set the A holder and B backup of a line; the previous post is kept as history."""
    current = await line(ctx, code)
    found = await people(ctx, [a_id, b_id] + ([approved_by] if approved_by else []))
    check_post(current.name, found[a_id], found[b_id], await qualified_for(ctx, current.id))
    if approved_by is not None:
        is_leader = await ctx.count(RoleGrant).where(
            (RoleGrant.user == approved_by) & RoleGrant.role.is_in([Role.LEADER, Role.ADMIN])
        )
        if not is_leader:
            raise InvalidInput("批准人 {name} 不是分管领导或管理员", name=found[approved_by].name)
    if current.a and current.b and (current.a.id, current.b.id) == (a_id, b_id):
        return current
    now = clock.now()
    async with db.transaction():
        await ctx.update(Assignment, {Assignment.valid_to: now}).where(
            (Assignment.line == current.id) & Assignment.valid_to.is_null()
        )
        await ctx.new(
            Assignment,
            line=current.id,
            a=a_id,
            b=b_id,
            valid_from=now,
            changed_by=ctx.actor.user_id,
            changed_by_label=ctx.actor.label[:100],
            approved_by=approved_by,
            reason=reason.strip()[:300],
        ).save()
        await record_in(
            ctx,
            action="assignment.update",
            entity="line",
            entity_id=current.id,
            summary=said("{line}：A岗 {a}；B岗 {b}", line=current.name, a=found[a_id].name, b=found[b_id].name),
            before={"a": current.a.id if current.a else None, "b": current.b.id if current.b else None},
            after={"a": a_id, "b": b_id, "approved_by": approved_by, "reason": reason.strip()},
        )
    return await line(ctx, code)


async def history(ctx: TenantContext, code: str) -> list[dict]:
    current = await line(ctx, code)
    rows = (
        await ctx.select(Assignment)
        .where(Assignment.line == current.id)
        .order_by(Assignment.valid_from, ascending=False)
    )
    names = await _names(ctx)
    for row in rows:
        for key in ("a", "b", "approved_by"):
            row[f"{key}_name"] = names.get(row[key], "")
    return rows


@dataclass(frozen=True)
class Posted:
    """The lines as posted at one instant, with who may act on them: what the rota's rule resolves
    once it is told who is away and the head's picks (``app.flows.acting``)."""

    views: list[LineView]
    posts: list[Post]
    qualified: dict[str, set[int]]
    active: frozenset[int]
    names: dict[int, str]

    def resolve(self, *, away: Set[int], picks: Mapping[str, int]) -> list[RotaRow]:
        """Per line: A, B, who is acting and the status, ``away`` being away and ``picks`` chosen."""
        entries = resolve(self.posts, active=self.active, away=away, qualified=self.qualified, picks=picks)
        return [
            RotaRow(line=view, entry=entry, names=self.names) for view, entry in zip(self.views, entries, strict=True)
        ]


@dataclass(frozen=True)
class RotaFacts:
    """The rota's own facts not over by the instant they are read for (posts, people, lines,
    qualifications), so that one read serves any instant from then on and a process may keep it
    (``app.tenancy.cache``)."""

    posts: list[dict]
    users: list[dict]
    lines: list[dict]
    qualifications: list[dict]
    # The last answer of ``posted_at`` and the instants it holds for, [from, until): the same
    # until the next post begins, so every request in between (the rota, the dashboards) reuses it.
    _last: list = field(default_factory=list, compare=False, repr=False)

    def posted_at(self, at: datetime) -> Posted:
        if self._last:
            begins, ends, posted = self._last
            if (begins is None or begins <= at) and (ends is None or at < ends):
                return posted
        starts = [post["valid_from"] for post in self.posts]
        posted = self._posted_at(at)
        self._last[:] = (
            max((start for start in starts if start <= at), default=None),
            min((start for start in starts if start > at), default=None),
            posted,
        )
        return posted

    def _posted_at(self, at: datetime) -> Posted:
        posts_at = {post["line"]: post for post in self.posts if post["valid_from"] <= at}
        names = {u["id"]: u["name"] for u in self.users}
        # The lines as posted at ``at``: one read of posts and people serves the views and the rota.
        views = _views(self.lines, posts_at, names)
        qualified: dict[str, set[int]] = {}
        codes = {view.id: view.code for view in views}
        for q in self.qualifications:
            if q["line"] in codes:
                qualified.setdefault(codes[q["line"]], set()).add(q["user"])
        posts = [
            Post(view.code, posts_at.get(view.id, {}).get("a"), posts_at.get(view.id, {}).get("b")) for view in views
        ]
        active = frozenset(u["id"] for u in self.users if u["active"])
        return Posted(views=views, posts=posts, qualified=qualified, active=active, names=names)


async def rota_facts(ctx: TenantContext, since: datetime) -> RotaFacts:
    not_over = Assignment.valid_to.is_null() | (Assignment.valid_to > since)
    return RotaFacts(
        posts=await ctx.select(Assignment, Assignment.line, Assignment.a, Assignment.b, Assignment.valid_from).where(
            not_over
        ),
        users=await ctx.select(User, User.id, User.name, User.active),
        lines=await line_rows(ctx),
        qualifications=await ctx.select(Qualification, Qualification.user, Qualification.line),
    )


def uncovered(rows: list[RotaRow]) -> list[RotaRow]:
    return [row for row in rows if row.entry.status is Status.UNCOVERED]
