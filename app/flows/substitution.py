"""The substitution sweep (同岗替代 第四条): while someone is on leave, the acting holder of each
line they hold as A is recorded, told, and released again on their return.

The database is the source of truth and every step is idempotent: the sweep can run twice, on
two workers at once, or again after being killed half-way, and always ends in the same state
with each message told once (unique open rows, unique notification keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from piccolo.query import WhereRaw

from app import clock, db
from app.absences.services import STATUS_LABELS
from app.absences.tables import Absence, EscalationPick, Substitution
from app.accounts.services import holders_of
from app.accounts.tables import User
from app.audit.services import record_in
from app.cases.events import record_event
from app.cases.tables import Case
from app.domain.absence import Category, Notice, Status, current_status
from app.domain.pipeline import OPEN
from app.domain.rota import STATUS_LABELS as ROTA_STATUS_LABELS
from app.domain.rota import Status as RotaStatus
from app.flows import acting
from app.flows.door import door_notice
from app.i18n import N_
from app.i18n.messages import Said, label, said
from app.notifications.services import tell
from app.rota import services as rota
from app.tenancy.context import Actor, TenantContext, TenantInfo
from app.tenancy.permissions import Role

SWEEPER = Actor(user_id=None, label=N_("后台任务：同岗替代"), address="worker")
# Portable SQL (SQLite too): a case whose acting handler is not its handler, or nobody.
ACTING_FOR_SOMEONE_ELSE = WhereRaw(
    "(assistance_case.acting_handler IS NULL OR assistance_case.acting_handler <> assistance_case.handler)"
)


@dataclass
class SweepReport:
    started: int = 0
    overdue: int = 0
    opened: int = 0
    closed: int = 0
    cases_moved: int = 0
    notified: int = 0
    steps: list[str] = field(default_factory=list)


def context_for(tenant: TenantInfo) -> TenantContext:
    return TenantContext(tenant=tenant, actor=SWEEPER)


async def _tell(
    ctx: TenantContext, report: SweepReport, users, *, kind: str, message: Said, key: str, link: str, shared: str = ""
) -> None:
    report.notified += await tell(ctx.tenant.id, users, kind=kind, message=message, key=key, link=link, shared=shared)


async def update_statuses(ctx: TenantContext, now: datetime, report: SweepReport) -> None:
    """approved → active at the start; active → overdue after the expected return (head told once).

    Each change and its messages are one transaction: a sweep killed in between redoes both.
    """
    rows = await ctx.select(Absence).where(
        Absence.status.is_in([Status.APPROVED, Status.ACTIVE]) & (Absence.starts_at <= now)
    )
    names = {u["id"]: u["name"] for u in await ctx.select(User, User.id, User.name)}
    for row in rows:
        notice = Notice.of(row)
        target = current_status(notice, now)
        if target == row["status"]:
            continue
        person = names.get(row["person"], "")
        async with db.transaction():
            changed = (
                await ctx.update(Absence, {Absence.status: target})
                .where((Absence.id == row["id"]) & (Absence.status == row["status"]))
                .returning(Absence.id)
            )
            if not changed:  # another worker got there first
                continue
            await record_in(
                ctx,
                action="absence.status",
                entity="absence",
                entity_id=row["id"],
                summary=said("{person}：{status}", person=person, status=label(STATUS_LABELS[target.value])),
                before={"status": row["status"]},
                after={"status": target.value},
            )
            if target == Status.OVERDUE:
                back = row["ends_at"].astimezone(ctx.tenant.zone)
                await _tell(
                    ctx,
                    report,
                    await holders_of(ctx, [Role.SECTION_HEAD]),
                    kind="absence.overdue",
                    message=said(
                        "{person}逾期未返岗（预计返回 {back}）", person=person, back=back.strftime("%m-%d %H:%M")
                    ),
                    key=f"absence:{row['id']}:overdue",
                    link=ctx.url("absence", absence_id=row["id"]),
                )
        if target == Status.OVERDUE:
            report.overdue += 1
        else:
            report.started += 1


async def reconcile_substitutions(
    ctx: TenantContext, snap: acting.Snapshot, now: datetime, report: SweepReport
) -> None:
    """Open, change and close substitution rows (the leave's record of who acted on each line)
    so they match who is acting now."""
    leaves = await ctx.select(Absence).where(
        (Absence.category == Category.LEAVE)
        & Absence.status.is_in([Status.ACTIVE, Status.OVERDUE])
        & Absence.recorded_afterwards.eq(False)
    )
    rows = snap.rows
    wanted: dict[tuple[int, int], rota.RotaRow] = {}
    for leave in leaves:
        for row in rows:
            if row.entry.a == leave["person"]:
                wanted[(leave["id"], row.line.id)] = row
    people = {leave["id"]: leave["person"] for leave in leaves}
    for current in await ctx.select(Substitution).where(Substitution.ended_at.is_null()):
        held = wanted.get((current["absence"], current["line"]))
        if held is None or (held.entry.acting, held.entry.status.value) != (current["substitute"], current["status"]):
            await _close(ctx, current, now, report, person_back=held is None)
    still_open = {
        (r["absence"], r["line"])
        for r in await ctx.select(Substitution, Substitution.absence, Substitution.line).where(
            Substitution.ended_at.is_null()
        )
    }
    for (absence_id, line_id), row in wanted.items():
        if (absence_id, line_id) not in still_open:
            await _open(ctx, absence_id, people[absence_id], row, now, report)


async def _open(
    ctx: TenantContext, absence_id: int, person: int, row: rota.RotaRow, now: datetime, report: SweepReport
) -> None:
    entry = row.entry
    link = ctx.url("absence", absence_id=absence_id)
    async with db.transaction():
        inserted = (
            await Substitution.insert(
                ctx.new(
                    Substitution,
                    absence=absence_id,
                    line=row.line.id,
                    substitute=entry.acting,
                    status=entry.status.value,
                    started_at=now,
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(Substitution.id)
        )
        if not inserted:  # another worker opened it
            return
        substitution_id = inserted[0]["id"]
        await record_in(
            ctx,
            action="substitution.open",
            entity="line",
            entity_id=row.line.id,
            summary=said(
                "{line}：{person}请假，{acting}替岗（{status}）",
                line=row.line.name,
                person=row.name(person),
                acting=row.name(entry.acting) or label(N_("无人")),
                status=label(ROTA_STATUS_LABELS[entry.status]),
            ),
            after={"absence": absence_id, "substitute": entry.acting, "status": entry.status.value},
        )
        # Keyed by the row: each new arrangement is told once, a later one again.
        key = f"substitution:{substitution_id}"
        if entry.acting is not None and entry.status != RotaStatus.NORMAL:
            await _tell(
                ctx,
                report,
                [entry.acting],
                kind="substitution.start",
                link=link,
                key=key,
                message=said(
                    "{person}请假期间，由您代为办理{line}工作（含其未办结案件），请查看交待事项",
                    person=row.name(person),
                    line=row.line.name,
                ),
            )
        if entry.acting is None and entry.status in (RotaStatus.ESCALATED, RotaStatus.UNCOVERED):
            what = (
                N_("A、B岗均不在岗，请指定替岗人员")
                if entry.status == RotaStatus.ESCALATED
                else N_("无人可替岗，请立即安排")
            )
            await _tell(
                ctx,
                report,
                await holders_of(ctx, [Role.SECTION_HEAD]),
                kind=f"substitution.{entry.status.value}",
                link=link,
                key=key,
                message=said("{line}：{what}", line=row.line.name, what=label(what)),
            )
    report.opened += 1


async def _close(ctx: TenantContext, current: dict, now: datetime, report: SweepReport, *, person_back: bool) -> None:
    async with db.transaction():
        closed = (
            await ctx.update(Substitution, {Substitution.ended_at: now})
            .where((Substitution.id == current["id"]) & Substitution.ended_at.is_null())
            .returning(Substitution.id)
        )
        if not closed:
            return
        await record_in(
            ctx,
            action="substitution.close",
            entity="line",
            entity_id=current["line"],
            summary=said("替岗结束"),
            before={"absence": current["absence"], "substitute": current["substitute"], "status": current["status"]},
        )
        if current["substitute"] is not None:
            message = (
                said("替岗已结束：A岗已返岗，岗位及未办结案件已交回")
                if person_back
                else said("替岗安排已变更：请查看当前的A/B岗安排")
            )
            await _tell(
                ctx,
                report,
                [current["substitute"]],
                kind="substitution.end",
                link=ctx.url("absence", absence_id=current["absence"]),
                key=f"substitution-end:{current['id']}",
                message=message,
            )
    report.closed += 1


async def release_picks(ctx: TenantContext, snap: acting.Snapshot, now: datetime) -> bool:
    """A pick lasts while the line is escalated; once A or B is back it ends. True if any ended."""
    rows = {row.line.code: row for row in snap.rows}
    released = False
    for pick in await ctx.select(EscalationPick, EscalationPick.id, EscalationPick.line.code).where(
        EscalationPick.ended_at.is_null()
    ):
        row = rows.get(pick["line.code"])
        if row is None or row.entry.status is not RotaStatus.ESCALATED:
            await ctx.update(EscalationPick, {EscalationPick.ended_at: now}).where(EscalationPick.id == pick["id"])
            released = True
    return released


async def follow_acting_holders(ctx: TenantContext, snap: acting.Snapshot, report: SweepReport) -> None:
    """Every open case is worked by its handler while present, else by its line's acting holder,
    else by nobody (uncovered: the section head is told). Idempotent: only cases whose acting
    handler is not the wanted one change, each move on the case's timeline and in the audit.

    The moves of one line to one person are one transaction with the message about them, so a
    sweep killed half-way redoes exactly what it had not committed.
    """
    # Only cases that may have to move: a handler who is not present, or someone else acting.
    # A case worked by its present handler stays where it is, so the minutely sweep reads few rows.
    query = ctx.select(Case, Case.id, Case.line, Case.handler, Case.acting_handler).where(
        Case.status.is_in(sorted(OPEN))
    )
    if snap.present:
        query = query.where(Case.handler.not_in(sorted(snap.present)) | ACTING_FOR_SOMEONE_ELSE)
    open_cases = await query
    moves: dict[tuple[int, int | None], list[dict]] = {}
    for case in open_cases:
        wanted = snap.case_acting(case["line"], case["handler"])
        if wanted != case["acting_handler"]:
            moves.setdefault((case["line"], wanted), []).append(case)
    names = snap.names
    lines = {row.line.id: row.line.name for row in snap.rows}
    for (line_id, wanted), cases in moves.items():
        async with db.transaction():
            moved = []
            for case in cases:
                changed = (
                    await ctx.update(Case, {Case.acting_handler: wanted})
                    .where(
                        (Case.id == case["id"]) & _same_acting(case["acting_handler"]) & Case.status.is_in(sorted(OPEN))
                    )
                    .returning(Case.id)
                )
                if not changed:  # changed meanwhile; the next sweep looks again
                    continue
                handler = names.get(case["handler"], "")
                if wanted == case["handler"]:
                    note = said("交回{handler}办理", handler=handler)
                elif wanted is None:
                    note = said(
                        "{handler}不在岗，{line}无人可替岗，案件暂无人办理",
                        handler=handler,
                        line=lines.get(line_id, ""),
                    )
                else:
                    note = said("{handler}不在岗，由{acting}代为办理", handler=handler, acting=names.get(wanted, ""))
                await record_event(ctx, case["id"], "acting_handler", note)
                await record_in(
                    ctx,
                    action="case.acting_handler",
                    entity="case",
                    entity_id=case["id"],
                    summary=note,
                    before={"acting_handler": case["acting_handler"]},
                    after={"acting_handler": wanted},
                )
                moved.append(case)
            if moved:
                await _tell_moved(ctx, report, line_id, lines.get(line_id, ""), wanted, moved)
        report.cases_moved += len(moved)


def _same_acting(acting: int | None):
    return Case.acting_handler.is_null() if acting is None else (Case.acting_handler == acting)


async def _tell_moved(
    ctx: TenantContext, report: SweepReport, line_id: int, line_name: str, wanted: int | None, moved: list[dict]
) -> None:
    """The person now acting learns which cases came to them; the head learns of cases nobody works."""
    first = min(case["id"] for case in moved)
    key = f"cases:{line_id}:{wanted}:{first}:{clock.now():%Y%m%d%H%M%S%f}"
    if wanted is None:
        await _tell(
            ctx,
            report,
            await holders_of(ctx, [Role.SECTION_HEAD]),
            kind="case.uncovered",
            link=ctx.url("cases", query={"uncovered": 1}),
            key=key,
            message=said(
                "{line}：{count}件未办结案件无人办理（经办人不在岗，且无人可替岗），请立即指定替岗人员",
                line=line_name,
                count=len(moved),
            ),
        )
    elif any(case["handler"] != wanted for case in moved):
        await _tell(
            ctx,
            report,
            [wanted],
            kind="case.acting",
            link=ctx.url("cases", query={"handler_id": wanted, "open": 1}),
            key=key,
            message=said("{line}：{count}件未办结案件转由您代为办理（经办人不在岗）", line=line_name, count=len(moved)),
        )


async def tell_neighbours(ctx: TenantContext, report: SweepReport) -> None:
    """Everyone of the section is out: the configured neighbours are told once per episode."""
    notice = await door_notice(ctx)
    if notice is None or not notice.notify:
        return
    users = await ctx.select(User, User.id).where(User.username.is_in(notice.notify) & User.active.eq(True))
    away = [
        said(
            "{person}（{reason}，预计 {back} 返回）",
            person=e.person_name,
            reason=e.reason,
            back=e.ends_at.strftime("%H:%M"),
        )
        for e in notice.entries
    ]
    await _tell(
        ctx,
        report,
        [u["id"] for u in users],
        kind="absence.all_out",
        link=ctx.url("door_notice"),
        key=f"door:{notice.since:%Y%m%d%H%M%S}",
        message=said("社会救助股人员全部外出，群众来访请代为接待：{away}", away=away),
        # The reasons stay in the neighbours' inboxes; a group reads who is out and until when.
        shared="社会救助股人员全部外出，群众来访请代为接待："
        + "、".join(f"{e.person_name}（预计 {e.ends_at:%H:%M} 返回）" for e in notice.entries),
    )


async def sweep(tenant: TenantInfo, now: datetime | None = None) -> SweepReport:
    """Bring one county's absences and substitutions up to ``now``. Safe to repeat at any time."""
    ctx = context_for(tenant)
    now = now or clock.now()
    report = SweepReport()
    await update_statuses(ctx, now, report)
    # One rota for the whole sweep: worked out again only when an ended pick changed it.
    snap = await acting.snapshot(ctx, now)
    if await release_picks(ctx, snap, now):
        snap = await acting.snapshot(ctx, now)
    await reconcile_substitutions(ctx, snap, now, report)
    await follow_acting_holders(ctx, snap, report)
    await tell_neighbours(ctx, report)
    return report
