"""The evaluation's inputs from other features: the working days each person was away (the
absences) when the scores are computed, and the year's overdue-accountability records (the cases)
beside each result. The evaluation itself reads only its own tables and the ground."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from app import clock
from app.absences.tables import NOTICE_COLUMNS, Absence
from app.calendar.office import office_hours_of
from app.calendar.services import calendar_of
from app.cases.accountability import records_of_year
from app.domain.absence import IN_FORCE, Notice, away_until
from app.domain.absence import Status as AbsenceStatus
from app.domain.office_hours import working_days_away
from app.evaluation import outcomes
from app.evaluation.cycles import get_cycle
from app.evaluation.outcomes import Progress, ResultView
from app.tenancy.context import TenantContext

# 第七条 counts leave the person takes for themselves; official business and annual leave do not count.
EXCLUDING_KINDS = ("sick", "personal", "study")


async def absent_days(ctx: TenantContext, year: int) -> dict[int, Decimal]:
    """第七条: working days of the year each person was away for sickness, personal leave or study,
    each day once and by its share of office time (a one-hour absence is a fraction of a day)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    zone = ctx.tenant.zone
    rows = await ctx.select(Absence, Absence.person, *NOTICE_COLUMNS).where(
        Absence.kind.is_in(list(EXCLUDING_KINDS))
        & Absence.status.is_in([*IN_FORCE, AbsenceStatus.RETURNED])
        & (Absence.starts_at <= datetime(last.year, 12, 31, 23, 59, tzinfo=zone))
        & (Absence.ends_at >= datetime(first.year, 1, 1, tzinfo=zone))
    )
    spans: dict[int, list[tuple[datetime, datetime]]] = {}
    now = clock.now()
    for row in rows:
        spans.setdefault(row["person"], []).append((row["starts_at"], away_until(Notice.of(row), now)))
    if not spans:
        return {}
    calendar, hours = await calendar_of(ctx), await office_hours_of(ctx)
    return {
        person: working_days_away(
            person_spans, first=first, last=last, hours=hours, zone=zone, is_workday=calendar.is_workday
        )
        for person, person_spans in spans.items()
    }


async def compute(ctx: TenantContext, cycle_id: int, report: Progress | None = None) -> int:
    """Score the cycle with the days its subjects were away in its year (the compute job)."""
    cycle = await get_cycle(ctx, cycle_id)
    return await outcomes.compute(ctx, cycle.id, await absent_days(ctx, cycle.year), report)


async def results(ctx: TenantContext, cycle_id: int) -> list[ResultView]:
    """The results, each with the subject's overdue-accountability records of the cycle's year."""
    cycle = await get_cycle(ctx, cycle_id)
    return await outcomes.results(ctx, cycle.id, await records_of_year(ctx, cycle.year))


async def feedback(ctx: TenantContext, cycle_id: int, staff_id: int) -> ResultView | None:
    """A subject's own result with their overdue-accountability records of the cycle's year."""
    cycle = await get_cycle(ctx, cycle_id)
    return await outcomes.feedback(ctx, cycle.id, staff_id, await records_of_year(ctx, cycle.year))
