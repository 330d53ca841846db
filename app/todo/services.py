"""What waits for one person, from the services that already answer each question.

Nothing here queries a table itself: approvals come from ``absences``, signatures, decisions and
urgent cases from ``cases``, referrals from ``cases.enquiries``, ratings from ``evaluation``,
lines to pick for from the rota snapshot. Each source is asked only when the person's roles can
have work there, so a clerk's list costs a handful of set-based queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from piccolo.query import Count, Raw
from piccolo.querystring import QueryString

from app import db
from app.absences.services import (
    AbsenceView,
    awaiting_decision,
    deciding_count,
    list_absences,
    overdue_returns,
    pending_for_me,
)
from app.absences.tables import Absence
from app.cases import enquiries, register, survey
from app.domain.absence import Status as AbsenceStatus
from app.domain.reminder import Stage
from app.evaluation.cycles import CycleView, list_cycles, unlocked_cycles
from app.evaluation.ratings import Task, my_tasks
from app.flows import urgency
from app.flows.acting import snapshot
from app.rota.services import RotaRow
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission

# The urgent cases that are a to-do today (the dashboard also shows those due in 1–3 days).
URGENT_STAGES = (Stage.OVERDUE, Stage.DUE_TODAY)


@dataclass(frozen=True)
class Ratings:
    cycle: CycleView
    tasks: list[Task]


@dataclass(frozen=True)
class Todo:
    absences_to_decide: list[AbsenceView] = field(default_factory=list)
    returns_to_mark: list[AbsenceView] = field(default_factory=list)
    urgent_cases: dict[str, urgency.Bucket] = field(default_factory=dict)
    signatures: list[dict] = field(default_factory=list)
    cases_to_decide: list[register.CaseView] = field(default_factory=list)
    lines_to_pick: list[RotaRow] = field(default_factory=list)
    ratings: list[Ratings] = field(default_factory=list)
    open_referrals: int = 0

    @property
    def count(self) -> int:
        """One per thing to do (an urgent case, a rating, a referral…): the navigation's badge."""
        return (
            len(self.absences_to_decide)
            + len(self.returns_to_mark)
            + sum(bucket.total for bucket in self.urgent_cases.values())
            + len(self.signatures)
            + len(self.cases_to_decide)
            + len(self.lines_to_pick)
            + sum(len(r.tasks) for r in self.ratings)
            + self.open_referrals
        )


async def _ratings_due(ctx: TenantContext) -> list[Ratings]:
    due = []
    for cycle in await list_cycles(ctx):
        if cycle.locked:
            continue
        tasks = [task for task in await my_tasks(ctx, cycle.id) if task.score is None]
        if tasks:
            due.append(Ratings(cycle, tasks))
    return due


async def _lines_to_pick(ctx: TenantContext) -> list[RotaRow]:
    rows = (await snapshot(ctx)).rows
    return [row for row in rows if row.entry.status == "escalated" and row.entry.acting is None]


async def todo_of(ctx: TenantContext) -> Todo:
    me = ctx.actor.require_user()
    can = ctx.actor.can
    mine = await list_absences(ctx, person_id=me, limit=20)
    urgent = await urgency.urgent_cases(ctx, me) if can(Permission.CASE_WORK) else {}
    return Todo(
        absences_to_decide=await awaiting_decision(ctx),
        returns_to_mark=[a for a in mine if a.status == AbsenceStatus.OVERDUE],
        urgent_cases={stage: urgent[stage] for stage in URGENT_STAGES if urgent.get(stage) and urgent[stage].total},
        signatures=await survey.awaiting_my_signature(ctx, me),
        cases_to_decide=await register.awaiting_decision(ctx) if can(Permission.CASE_DECIDE) else [],
        lines_to_pick=await _lines_to_pick(ctx) if can(Permission.ESCALATION_PICK) else [],
        ratings=await _ratings_due(ctx),
        open_referrals=(await db.counts(enquiries.my_open_referrals(ctx, me)))[0] if can(Permission.CASE_WORK) else 0,
    )


async def todo_count(ctx: TenantContext) -> int:
    """``todo_of(ctx).count`` without building the list, for the badge every page polls: what
    anyone may have (returns to mark, signatures, urgent cases, referrals, cases to decide, and
    whether a cycle is open) counted in one statement, with the notices pending for those who
    decide absences; the ratings only while a cycle is open, lines to pick for only for those who
    may."""
    me = ctx.actor.require_user()
    can = ctx.actor.can
    counts: dict[str, Count | Raw | QueryString] = {
        "returns": overdue_returns(ctx, me),
        "signatures": db.count_of(survey.awaiting_my_signature(ctx, me)),
    }
    if can(Permission.CASE_WORK):
        counts["urgent"] = register.due_by_today(ctx, me)
        counts["referrals"] = enquiries.my_open_referrals(ctx, me)
    if can(Permission.CASE_DECIDE):
        counts["cases_to_decide"] = register.awaiting_decision_count(ctx)
    counts["open_cycles"] = unlocked_cycles(ctx)  # not a to-do itself: whether ratings are due
    # The notices someone who decides them might decide, read whole with the counts: which of
    # them are theirs is the rota's rule, in Python (``deciding_count``).
    pending = pending_for_me(ctx)
    whole = {"pending": (pending, Absence)} if pending is not None else {}
    found, numbers = await db.read_together({}, counts, whole)
    open_cycles = numbers.pop("open_cycles")
    count = sum(numbers.values()) + await deciding_count(ctx, found.get("pending", []))
    if open_cycles:
        count += sum(len(r.tasks) for r in await _ratings_due(ctx))
    if can(Permission.ESCALATION_PICK):
        count += len(await _lines_to_pick(ctx))
    return count
