"""A person's open cases by urgency, as the deadline reminders count them (overdue, today, in 1
and in 3 working days): what the dashboard and the to-do list show first.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.query import Raw

from app.calendar.services import calendar_of
from app.cases import register
from app.cases.tables import Case
from app.domain.reminder import Stage, deadline_stage, horizon
from app.domain.workdays import WorkCalendar
from app.tenancy.context import TenantContext

# The urgency groups, most urgent first.
URGENCY = (Stage.OVERDUE, Stage.DUE_TODAY, Stage.DUE_IN_1, Stage.DUE_IN_3)


@dataclass(frozen=True)
class Bucket:
    """One urgency group of a person's cases: how many, and the soonest few to show (id,
    applicant, line name, due date)."""

    total: int
    cases: list[dict]


# Every dashboard asks: written out, as Piccolo's join costs more CPU than the database's answer.
WITHIN_HORIZON = f"""
SELECT c.id, c.applicant_name, l.name AS line_name, c.due_on
FROM assistance_case c JOIN line l ON l.id = c.line
WHERE c.tenant = {{}} AND c.acting_handler = {{}} AND {register.IS_OPEN} AND c.due_on <= {{}}
ORDER BY c.due_on, c.id
"""


def within_horizon(ctx: TenantContext, user_id: int, calendar: WorkCalendar) -> Raw:
    """A person's open cases due within the reminders' horizon, soonest first (a query for
    ``by_urgency``)."""
    return Case.raw(WITHIN_HORIZON, ctx.tenant.id, user_id, horizon(calendar, ctx.tenant.now().date()))


def by_urgency(ctx: TenantContext, calendar: WorkCalendar, rows: list[dict], shown: int = 8) -> dict[str, Bucket]:
    """``within_horizon``'s rows by urgency (overdue, today, 1 day, 3 days), as the reminders
    count them: how many in each, and the soonest ``shown`` of each."""
    today = ctx.tenant.now().date()
    grouped: dict[str, list[dict]] = {stage.value: [] for stage in URGENCY}
    for row in rows:
        stage = deadline_stage(calendar, today, row["due_on"])
        if stage is not None:  # within the horizon, as selected
            grouped[stage.value].append(row)
    return {stage: Bucket(len(cases), cases[:shown]) for stage, cases in grouped.items()}


async def urgent_cases(ctx: TenantContext, user_id: int, shown: int = 8) -> dict[str, Bucket]:
    """A person's open cases by urgency (overdue, today, 1 day, 3 days), as the reminders count them."""
    calendar = await calendar_of(ctx)
    return by_urgency(ctx, calendar, await within_horizon(ctx, user_id, calendar), shown)
