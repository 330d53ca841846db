"""The absences overview for admins and heads: today, upcoming, pending, and the month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from app import clock
from app.absences.month import Away, Day, Month, weeks
from app.absences.services import KIND_LABELS, STATUS_LABELS, AbsenceView, absence_views
from app.absences.tables import Absence
from app.calendar.services import calendar_of
from app.domain.absence import IN_FORCE, Status
from app.errors import InvalidInput
from app.tenancy.context import TenantContext


@dataclass(frozen=True)
class OverviewQuery:
    """What the overview is narrowed to: one person, one kind, one status; always one month."""

    month: Month
    person_id: int | None = None
    kind: str = ""
    status: str = ""

    def __post_init__(self) -> None:
        if self.kind and self.kind not in KIND_LABELS:
            raise InvalidInput("没有这种离岗类型：{kind}", kind=self.kind)
        if self.status and self.status not in STATUS_LABELS:
            raise InvalidInput("没有这种状态：{status}", status=self.status)


@dataclass(frozen=True)
class Overview:
    today: list[AbsenceView]
    upcoming: list[AbsenceView]
    pending: list[AbsenceView]
    month: list[AbsenceView]  # every notice touching the month that matches the query, newest first
    weeks: list[list[Day | None]]


OVERVIEW_LIMIT = 500


async def overview(ctx: TenantContext, query: OverviewQuery) -> Overview:
    """Four lists and the month's calendar, each one query (the filters apply to all of them)."""
    now = clock.now()
    zone = ctx.tenant.zone
    starts = datetime.combine(query.month.first, time(), zone)
    ends = datetime.combine(query.month.last + timedelta(days=1), time(), zone)
    chosen = []
    if query.person_id is not None:
        chosen.append(Absence.person == query.person_id)
    if query.kind:
        chosen.append(Absence.kind == query.kind)

    async def views(where, *, newest_first: bool = False) -> list[AbsenceView]:
        rows = await (
            ctx.select(Absence)
            .where(where, *chosen)
            .order_by(Absence.starts_at, ascending=not newest_first)
            .limit(OVERVIEW_LIMIT)
        )
        found = await absence_views(ctx, rows)
        return [a for a in found if not query.status or a.status == query.status]

    touching_month = (Absence.starts_at < ends) & (
        (Absence.ends_at >= starts) | (Absence.returned_at >= starts) | (Absence.status == Status.OVERDUE)
    )
    in_force = Absence.status.is_in(sorted(IN_FORCE)) & (Absence.starts_at <= now) & Absence.returned_at.is_null()
    month = await views(touching_month, newest_first=True)
    calendar = await calendar_of(ctx)
    return Overview(
        today=await views(in_force & Absence.recorded_afterwards.eq(False)),
        upcoming=await views(Absence.status.is_in([Status.APPROVED, Status.PENDING]) & (Absence.starts_at > now)),
        pending=await views((Absence.status == Status.PENDING) & (Absence.ends_at > now)),
        month=month,
        weeks=weeks(
            query.month,
            [_away(a) for a in month],
            calendar.is_workday,
            lambda d: calendar.day(d).note,
            now.astimezone(zone).date(),
        ),
    )


def _away(absence: AbsenceView) -> Away:
    return Away(
        absence.id,
        absence.person_name,
        absence.kind,
        absence.status,
        absence.category,
        absence.starts_at,
        absence.ends_at,
        absence.returned_at,
    )
