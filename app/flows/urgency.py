"""A person's open cases by urgency, as the deadline reminders count them (overdue, today, in 1
and in 3 working days): what the dashboard and the to-do list show first.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.calendar.services import calendar_of
from app.cases.register import VIEW_COLUMNS, CaseView, case_view, income_limits
from app.cases.tables import Case
from app.domain.pipeline import OPEN
from app.domain.reminder import Stage, deadline_stage, horizon
from app.tenancy.context import TenantContext

# The urgency groups, most urgent first.
URGENCY = (Stage.OVERDUE, Stage.DUE_TODAY, Stage.DUE_IN_1, Stage.DUE_IN_3)


@dataclass(frozen=True)
class Bucket:
    """One urgency group of a person's cases: how many, and the soonest few to show."""

    total: int
    cases: list[CaseView]


async def urgent_cases(ctx: TenantContext, user_id: int, shown: int = 8) -> dict[str, Bucket]:
    """A person's open cases by urgency (overdue, today, 1 day, 3 days), as the reminders count them.

    Only the soonest ``shown`` of each group are loaded in full: a clerk with hundreds of overdue
    cases still gets a quick dashboard (the register lists them all).
    """
    today = ctx.tenant.now().date()
    calendar = await calendar_of(ctx)
    rows = (
        await ctx.select(Case, Case.id, Case.due_on)
        .where(
            (Case.acting_handler == user_id)
            & Case.status.is_in(sorted(OPEN))
            & (Case.due_on <= horizon(calendar, today))
        )
        .order_by(Case.due_on)
        .order_by(Case.id)
    )
    grouped: dict[str, list[int]] = {stage.value: [] for stage in URGENCY}
    for row in rows:
        stage = deadline_stage(calendar, today, row["due_on"])
        if stage is not None:  # within the horizon, as selected
            grouped[stage.value].append(row["id"])
    first = [case_id for ids in grouped.values() for case_id in ids[:shown]]
    views = {}
    if first:
        limits = await income_limits(ctx)
        rows = await ctx.select(Case, *VIEW_COLUMNS).where(Case.id.is_in(first))
        views = {row["id"]: case_view(row, today, limits) for row in rows}
    return {stage: Bucket(len(ids), [views[i] for i in ids[:shown]]) for stage, ids in grouped.items()}
