"""Absence notices: posting, approval, cancel and return, 补录.

Substitution itself (who takes over lines while someone is on leave) is reconciled by
``app.flows.substitution.sweep``, which the web triggers after each decision and a cron runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from piccolo.columns import Column
from piccolo.query import Raw

from app import clock, db
from app.absences.tables import Absence
from app.accounts.services import holders_of, people_names
from app.accounts.tables import RoleGrant, User
from app.audit.services import record_in
from app.calendar.office import office_hours_of
from app.calendar.services import calendar_of
from app.domain.absence import (
    BLOCKING,
    IN_FORCE,
    Action,
    Category,
    Kind,
    Notice,
    Status,
    approver_role,
    categorize,
    check_action,
    current_status,
    initial_status,
)
from app.domain.office_hours import working_time
from app.errors import InvalidInput
from app.i18n import N_
from app.i18n.messages import Said, label, said
from app.notifications.services import notify, tell
from app.tenancy.context import Forbidden, TenantContext
from app.tenancy.permissions import Permission, Role
from app.tenancy.services import settings_of

KIND_LABELS = {
    "official": N_("公出"),
    "personal": N_("事假"),
    "sick": N_("病假"),
    "study": N_("学习培训"),
    "annual": N_("年休假"),
    "other": N_("其他"),
}
CATEGORY_LABELS = {"none": N_("短暂离开"), "brief": N_("临时离岗"), "leave": N_("请假")}
STATUS_LABELS = {
    "pending": N_("待审批"),
    "approved": N_("已批准"),
    "rejected": N_("未批准"),
    "cancelled": N_("已撤销"),
    "active": N_("离岗中"),
    "returned": N_("已返岗"),
    "overdue": N_("逾期未返岗"),
}


@dataclass(frozen=True)
class Substitute:
    line_code: str
    line_name: str
    person_id: int | None
    person_name: str
    status: str  # covered, escalated, uncovered


@dataclass(frozen=True)
class AbsenceView:
    id: int
    person_id: int
    person_name: str
    kind: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    contact: str
    show_contact: bool
    handover: str
    category: str
    status: str
    approver_role: str
    decided_by: str
    decision_note: str
    returned_at: datetime | None
    recorded_afterwards: bool
    # Who takes over what the absence leaves (app.flows.cover adds them: the rota knows).
    substitutes: tuple[Substitute, ...] = ()

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "staff_id": self.person_id,
            "kind": self.kind,
            "reason": self.reason,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "contact": self.contact,
            "show_contact": self.show_contact,
            "handover": self.handover,
            "category": self.category,
            "status": self.status,
            "approver_role": self.approver_role or None,
            "decided_by": self.decided_by or None,
            "returned_at": self.returned_at.isoformat() if self.returned_at else None,
            "recorded_afterwards": self.recorded_afterwards,
            "substitutes": [
                {"line": s.line_code, "staff_id": s.person_id, "status": s.status} for s in self.substitutes
            ],
        }


async def category_of(ctx: TenantContext, starts_at: datetime, ends_at: datetime) -> Category:
    """The category by the county's working time between the two instants (SPEC §4)."""
    calendar = await calendar_of(ctx)
    hours = await office_hours_of(ctx)

    def working(start: datetime, end: datetime) -> timedelta:
        return working_time(start, end, hours=hours, zone=ctx.tenant.zone, is_workday=calendar.is_workday)

    return categorize(starts_at, ends_at, working=working)


async def absence_views(ctx: TenantContext, rows: list[dict]) -> list[AbsenceView]:
    if not rows:  # most dashboards: nothing pending, nobody away
        return []
    names = await people_names(ctx)
    now = clock.now()
    views = []
    for row in rows:
        views.append(
            AbsenceView(
                id=row["id"],
                person_id=row["person"],
                person_name=names.get(row["person"], ""),
                kind=row["kind"],
                reason=row["reason"],
                starts_at=row["starts_at"].astimezone(ctx.tenant.zone),
                ends_at=row["ends_at"].astimezone(ctx.tenant.zone),
                contact=row["contact"],
                show_contact=row["show_contact"],
                handover=row["handover"],
                category=row["category"],
                status=current_status(Notice.of(row), now).value,
                approver_role=row["approver_role"],
                decided_by=names.get(row["decided_by"], ""),
                decision_note=row["decision_note"],
                returned_at=row["returned_at"].astimezone(ctx.tenant.zone) if row["returned_at"] else None,
                recorded_afterwards=row["recorded_afterwards"],
            )
        )
    return views


async def get_absence(ctx: TenantContext, absence_id: int) -> AbsenceView:
    return (await absence_views(ctx, [await ctx.select_one(Absence, absence_id)]))[0]


async def list_absences(
    ctx: TenantContext, *, active_at: datetime | None = None, person_id: int | None = None, limit: int = 200
) -> list[AbsenceView]:
    query = ctx.select(Absence).order_by(Absence.starts_at, ascending=False).limit(limit)
    if person_id is not None:
        query = query.where(Absence.person == person_id)
    if active_at is not None:
        query = query.where(_current_at(active_at))
    return await absence_views(ctx, await query)


def _current_at(at: datetime):
    """Away at that moment: started, and not yet back (overdue people included); or asked for it."""
    in_force = Absence.status.is_in([Status.APPROVED, Status.ACTIVE, Status.OVERDUE, Status.RETURNED]) & (
        Absence.returned_at.is_null() | (Absence.returned_at > at)
    )
    requested = (Absence.status == Status.PENDING) & (Absence.ends_at > at)
    return (Absence.starts_at <= at) & (in_force | requested) & Absence.recorded_afterwards.eq(False)


def overdue_returns(ctx: TenantContext, person_id: int) -> Raw:
    """How many of the person's absences are past their end with no return marked, as a query for
    ``db.counts`` (the to-do's "mark your return"; written out: the badge every page polls asks)."""
    sql = "SELECT count(*) AS count FROM absence WHERE tenant = {} AND person = {} AND status = {}"
    return Absence.raw(sql, ctx.tenant.id, person_id, Status.OVERDUE.value)


async def awaiting_decision(ctx: TenantContext) -> list[AbsenceView]:
    """Notices the actor may decide now (as approver, or as the admin standing in; never their own)."""
    return await absence_views(ctx, await _mine_to_decide(ctx))


def pending_for_me(ctx: TenantContext) -> Raw | None:
    """The notices waiting for a decision the actor might make, as a query of whole rows (the
    to-do badge reads them with its counts; ``deciding_count`` then), or None: they decide none."""
    if not _decides(ctx):
        return None
    return Absence.raw(f"{_NOTICES} AND {_PENDING} ORDER BY starts_at", ctx.tenant.id, ctx.actor.require_user())


async def deciding_count(ctx: TenantContext, pending: list[dict]) -> int:
    """How many of ``pending_for_me``'s rows the actor decides: ``awaiting_decision``'s length,
    without building the views."""
    return len(await _deciding(ctx, pending))


# ``_current_at`` and the notices the actor might decide, written out: every dashboard and the
# to-do badge every page polls ask. The states are constants, not parameters: the partial index of
# notices in force and not returned (absence_in_force, with absence_returned and absence_status)
# only serves a query that names its predicate; otherwise the generic plan PostgreSQL settles on
# walks every notice of the county's (and, by start, the province's) history. ``returned_at <
# 'infinity'`` (always true) makes a range of the return: the generic plan then guesses a few rows
# there, not a third of the county's notices, and stays cheaper than planning afresh each time
# (which the dashboard's one statement would do, ~4 ms, whenever the generic plan looks dearer).
_NOTICES = "SELECT * FROM absence WHERE tenant = {}"
_IN_FORCE = "status IN (" + ", ".join(f"'{status}'" for status in sorted([*IN_FORCE, Status.RETURNED])) + ")"
_CURRENT = (
    f"(NOT recorded_afterwards AND starts_at <= {{}} AND (({_IN_FORCE} AND returned_at IS NULL)"
    f" OR ({_IN_FORCE} AND returned_at > {{}} AND returned_at < 'infinity')"
    f" OR (status = '{Status.PENDING}' AND ends_at > {{}})))"
)
_PENDING = f"(status = '{Status.PENDING}' AND person <> {{}} AND approver_role <> '')"


def current_notices(ctx: TenantContext, at: datetime) -> Raw:
    """The notices of ``list_absences(active_at=at)`` and, for whoever decides notices, those
    waiting for a decision they might make, by start: a query (the dashboard reads it with its
    lists) whose rows ``decisions_and_away`` sorts out."""
    if _decides(ctx):
        sql = f"{_NOTICES} AND ({_CURRENT} OR {_PENDING}) ORDER BY starts_at"
        return Absence.raw(sql, ctx.tenant.id, at, at, at, ctx.actor.require_user())
    return Absence.raw(f"{_NOTICES} AND {_CURRENT} ORDER BY starts_at", ctx.tenant.id, at, at, at)


async def decisions_and_away(ctx: TenantContext, rows: list[dict]) -> tuple[list[AbsenceView], list[AbsenceView]]:
    """``awaiting_decision`` and the notices under which someone is away (approved, active,
    overdue), from the rows of ``current_notices``: the dashboard shows both."""
    views = await absence_views(ctx, rows)
    mine = {row["id"] for row in await _deciding(ctx, [row for row in rows if _is_pending_for(ctx, row)])}
    away = [view for view in reversed(views) if view.status in (Status.APPROVED, Status.ACTIVE, Status.OVERDUE)]
    return [view for view in views if view.id in mine], away


def _decides(ctx: TenantContext) -> bool:
    return bool(ctx.actor.roles & {Role.SECTION_HEAD, Role.LEADER, Role.ADMIN})


def _is_pending_for(ctx: TenantContext, row: dict) -> bool:
    """A notice waiting for a decision that the actor might make (``_PENDING``)."""
    return row["status"] == Status.PENDING and row["person"] != ctx.actor.user_id and row["approver_role"] != ""


async def _mine_to_decide(ctx: TenantContext) -> list[dict]:
    pending = pending_for_me(ctx)
    return [] if pending is None else await _deciding(ctx, await pending)


async def _deciding(ctx: TenantContext, pending: list[dict]) -> list[dict]:
    """Of ``_PENDING``'s notices, those the actor decides."""
    if not pending:
        return []
    holders = {role: await holders_of(ctx, [role]) for role in {row["approver_role"] for row in pending}}
    admins = await holders_of(ctx, [Role.ADMIN])
    return [
        row for row in pending if ctx.actor.user_id in _deciders(holders[row["approver_role"]], admins, row["person"])
    ]


async def approvers_of(ctx: TenantContext, role: str, person_id: int) -> list[int]:
    """Who decides a notice: the holders of ``role`` other than the person; when the person is the
    only one (the county's single leader on leave, say), the county's administrators."""
    if not role:
        return []
    return _deciders(await holders_of(ctx, [role]), await holders_of(ctx, [Role.ADMIN]), person_id)


def _deciders(holders: list[int], admins: list[int], person_id: int) -> list[int]:
    others = [user for user in holders if user != person_id]
    return others or [user for user in admins if user != person_id]


def _check_notice(kind: str, reason: str, starts_at: datetime, ends_at: datetime) -> None:
    if kind not in set(Kind):
        raise InvalidInput("离岗类型 {kind} 无效（可用：{known}）", kind=kind, known="、".join(Kind))
    if not reason.strip():
        raise InvalidInput("请填写离岗事由")
    for moment in (starts_at, ends_at):
        if moment.tzinfo is None:
            raise InvalidInput("时间必须带时区")


async def _refuse_overlap(
    ctx: TenantContext, person_id: int, name: str, starts_at: datetime, ends_at: datetime
) -> None:
    """One person is not away twice at once (a 补录 included: attendance would count twice).

    Called inside the write transaction; two posts of one person at the same moment queue here.
    """
    await db.serialize(Absence, ctx.tenant.id, person_id)
    clash = (
        await ctx.select(Absence, Absence.id)
        .where(
            (Absence.person == person_id)
            & (Absence.status.is_in(list(BLOCKING)) | Absence.recorded_afterwards.eq(True))
            & (Absence.starts_at < ends_at)
            & (Absence.ends_at > starts_at)
        )
        .first()
    )
    if clash:
        raise InvalidInput("与 {name} 已有的离岗告示（编号 {id}）时间重叠", name=name, id=clash["id"])


async def _save_notice(
    ctx: TenantContext,
    person: User,
    *,
    action: str,
    summary: Said,
    kind: str,
    reason: str,
    starts_at: datetime,
    ends_at: datetime,
    category: Category,
    **fields,
) -> Absence:
    """Save a notice of ``person`` and its audit record (inside the caller's transaction)."""
    await _refuse_overlap(ctx, person.id, person.name, starts_at, ends_at)
    row = ctx.new(
        Absence,
        person=person.id,
        kind=kind,
        reason=reason.strip()[:300],
        starts_at=starts_at,
        ends_at=ends_at,
        category=category,
        created_by=ctx.actor.user_id,
        created_at=clock.now(),
        **fields,
    )
    await row.save()
    await record_in(
        ctx,
        action=action,
        entity="absence",
        entity_id=row.id,
        summary=summary,
        after={
            "person": person.id,
            "kind": kind,
            "category": category,
            "status": row.status,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return row


async def post(
    ctx: TenantContext,
    *,
    person_id: int,
    kind: str,
    reason: str,
    starts_at: datetime,
    ends_at: datetime,
    contact: str = "",
    handover: str = "",
    show_contact: bool = False,
) -> AbsenceView:
    """Post a notice; the category decides who approves. Refused, with the reason, when it cannot be."""
    if person_id != ctx.actor.user_id and not ctx.actor.can(Permission.ABSENCE_MANAGE):
        raise Forbidden("only an admin posts a notice for someone else")
    person = await ctx.get(User, person_id)
    if not person.active:
        raise InvalidInput("{name} 已停用", name=person.name)
    _check_notice(kind, reason, starts_at, ends_at)
    category = await category_of(ctx, starts_at, ends_at)
    if category is Category.LEAVE and not handover.strip():
        raise InvalidInput("请假须在离岗前做好工作交待：请填写交待事项")
    poster_roles = await ctx.select(RoleGrant, RoleGrant.role).where(RoleGrant.user == person_id)
    roles = [r["role"] for r in poster_roles]
    approver = approver_role(category, roles) or ""
    async with db.transaction():
        row = await _save_notice(
            ctx,
            person,
            action="absence.post",
            summary=said(
                "{person} {kind} {category}",
                person=person.name,
                kind=label(KIND_LABELS[kind]),
                category=label(CATEGORY_LABELS[category]),
            ),
            kind=kind,
            reason=reason,
            starts_at=starts_at,
            ends_at=ends_at,
            category=category,
            contact=contact.strip()[:60],
            show_contact=bool(show_contact),
            handover=handover.strip(),
            status=initial_status(category, roles),
            approver_role=approver,
        )
        link = ctx.url("absence", absence_id=row.id)
        if approver:
            await tell(
                ctx.tenant.id,
                [user for user in await approvers_of(ctx, approver, person_id) if user != person_id],
                kind="absence.pending",
                link=link,
                message=said("{person}的离岗告示待您审批：{reason}", person=person.name, reason=reason.strip()[:80]),
                shared=f"{person.name}的离岗告示待审批",
                key=f"absence:{row.id}:pending",
            )
        elif category is Category.BRIEF:  # a section head's own brief absence: colleagues are told
            colleagues = await holders_of(ctx, [Role.STAFF, Role.SECTION_HEAD, Role.LEADER])
            await tell(
                ctx.tenant.id,
                [user for user in colleagues if user != person_id],
                kind="absence.notice",
                link=link,
                message=said("{person}临时离岗：{reason}", person=person.name, reason=reason.strip()[:80]),
                key=f"absence:{row.id}:notice",
            )
    return await get_absence(ctx, row.id)


async def decide(ctx: TenantContext, absence_id: int, action: Action, note: str = "") -> AbsenceView:
    """Approve, reject, cancel or mark the return of a notice, if the actor may and it may be now."""
    row = await ctx.get(Absence, absence_id)
    now = clock.now()
    is_own = row.person == ctx.actor.user_id
    if action in (Action.APPROVE, Action.REJECT):
        if is_own:
            raise Forbidden("nobody approves their own absence")
        if ctx.actor.user_id not in await approvers_of(ctx, row.approver_role, row.person):
            raise Forbidden(f"this notice is approved by the {row.approver_role or 'nobody'}")
    elif action is Action.CANCEL and not (is_own or ctx.actor.can(Permission.ABSENCE_MANAGE)):
        raise Forbidden("only the person or an admin cancels a notice")
    elif action is Action.RETURN and not (
        is_own or ctx.actor.can(Permission.ABSENCE_APPROVE) or ctx.actor.can(Permission.ABSENCE_MANAGE)
    ):
        raise Forbidden("only the person, an approver or an admin marks a return")
    before = current_status(Notice.of(row), now)
    after = check_action(action, Notice.of(row), now)
    values: dict[Column, object] = {Absence.status: after}
    if action in (Action.APPROVE, Action.REJECT):
        values.update(
            {Absence.decided_by: ctx.actor.user_id, Absence.decided_at: now, Absence.decision_note: note.strip()[:300]}
        )
    if action is Action.RETURN:
        values[Absence.returned_at] = now
    async with db.transaction():
        changed = (
            await ctx.update(Absence, values)
            .where((Absence.id == row.id) & (Absence.status == row.status))
            .returning(Absence.id)
        )
        if not changed:  # decided by someone else a moment ago
            raise InvalidInput("该离岗告示刚被他人处理，请刷新后再看")
        await record_in(
            ctx,
            action=f"absence.{action.value}",
            entity="absence",
            entity_id=row.id,
            summary=note.strip()[:200],
            before={"status": before.value},
            after={"status": after.value},
        )
        if action is Action.APPROVE and row.category == Category.LEAVE:
            await _tell_office(ctx, row)
        if not is_own:
            await notify(
                ctx.tenant.id,
                row.person,
                kind=f"absence.{action.value}",
                link=ctx.url("absence", absence_id=row.id),
                message=(
                    said(
                        "您的离岗告示：{status}（{note}）",
                        status=label(STATUS_LABELS[after.value]),
                        note=note.strip()[:80],
                    )
                    if note.strip()
                    else said("您的离岗告示：{status}", status=label(STATUS_LABELS[after.value]))
                ),
                dedupe_key=f"absence:{row.id}:{action.value}",
            )
    return await get_absence(ctx, row.id)


async def _tell_office(ctx: TenantContext, row: Absence) -> None:
    """A leave is reported to the bureau's office when approved (离岗告示制度 第三条)."""
    office = (await settings_of(ctx.tenant.id)).get("office", {})
    usernames = office.get("notify", [])
    if not usernames:
        return
    users = await ctx.select(User, User.id).where(User.username.is_in(usernames) & User.active.eq(True))
    person = await ctx.select_one(User, row.person, User.name)
    starts, ends = row.starts_at.astimezone(ctx.tenant.zone), row.ends_at.astimezone(ctx.tenant.zone)
    await tell(
        ctx.tenant.id,
        [user["id"] for user in users],
        kind="absence.office",
        link=ctx.url("absence", absence_id=row.id),
        message=said(
            "{person}请假（{kind}）{starts} 至 {ends}，已批准，请办公室备案",
            person=person["name"],
            kind=label(KIND_LABELS[row.kind]),
            starts=starts.strftime("%m-%d %H:%M"),
            ends=ends.strftime("%m-%d %H:%M"),
        ),
        key=f"absence:{row.id}:office",
    )


async def record_afterwards(
    ctx: TenantContext, *, person_id: int, kind: str, reason: str, starts_at: datetime, ends_at: datetime
) -> AbsenceView:
    """补录: an absence entered after it happened; it counts for attendance, substitutes nobody."""
    person = await ctx.get(User, person_id)
    _check_notice(kind, reason, starts_at, ends_at)
    category = await category_of(ctx, starts_at, ends_at)
    if ends_at > clock.now():
        raise InvalidInput("补录只用于已经结束的离岗")
    async with db.transaction():
        row = await _save_notice(
            ctx,
            person,
            action="absence.record_afterwards",
            summary=said("补录 {person} {kind}", person=person.name, kind=label(KIND_LABELS[kind])),
            kind=kind,
            reason=reason,
            starts_at=starts_at,
            ends_at=ends_at,
            category=category,
            status=Status.RETURNED,
            returned_at=ends_at,
            recorded_afterwards=True,
            decided_by=ctx.actor.user_id,
            decided_at=clock.now(),
        )
    return await get_absence(ctx, row.id)
