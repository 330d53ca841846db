"""The open cases' dates follow the working-day calendar (SPEC §7): after a county's or the
superadmin's change, every open case the change moves gets its dates recomputed, with a timeline
entry and an audit record.
"""

from __future__ import annotations

from datetime import date

from app.audit.services import record_in
from app.calendar.services import calendar_of, lock_county
from app.cases.events import record_event
from app.cases.tables import Case
from app.domain.casework import CaseDates, case_dates
from app.domain.pipeline import OPEN
from app.domain.workdays import WorkCalendar
from app.i18n.messages import Said, said
from app.tenancy.context import TenantContext


def _dates_of(row: dict) -> CaseDates:
    return CaseDates(row["original_due_on"], row["due_on"], row["notice_due_on"], row["due_provisional"])


def _dates_json(dates: CaseDates) -> dict:
    return {
        "original_due_on": dates.original_due_on.isoformat(),
        "due_on": dates.due_on.isoformat(),
        "notice_due_on": dates.notice_due_on.isoformat(),
        "due_provisional": dates.provisional,
    }


def _due_text(dates: CaseDates) -> Said:
    day = dates.due_on.isoformat()
    return said("{day}（暂定）", day=day) if dates.provisional else said("{day}", day=day)


async def recompute_open_cases(
    ctx: TenantContext, calendar: WorkCalendar, *, touching: date | None = None, provisional_only: bool = False
) -> int:
    """Gives every open case of the county the dates ``calendar`` now yields; returns how many moved.

    With ``touching``, only cases whose count of days (receipt, latest date] includes that day, and
    provisional ones, are looked at: a day outside cannot move the others, and a county may have
    thousands of open cases. With ``provisional_only``, only provisional ones (a year marked entered
    turns guesses into decisions without moving any other day).
    Each moved case gets a timeline entry and an audit record, inside the caller's transaction.
    """
    query = ctx.select(
        Case,
        Case.id,
        Case.received_on,
        Case.working_days,
        Case.extension_days,
        Case.original_due_on,
        Case.due_on,
        Case.notice_due_on,
        Case.due_provisional,
    ).where(Case.status.is_in(list(OPEN)))
    if provisional_only:
        query = query.where(Case.due_provisional.eq(True))
    elif touching is not None:
        # A provisional case may become final by any entry of its year (once the year is marked
        # entered), so those are always looked at.
        query = query.where(
            ((Case.received_on < touching) & ((Case.due_on >= touching) | (Case.notice_due_on >= touching)))
            | Case.due_provisional.eq(True)
        )
    moved = 0
    for row in await query:
        before = _dates_of(row)
        after = case_dates(calendar, row["received_on"], row["working_days"], row["extension_days"])
        if after == before:
            continue
        # Only if nobody changed the case meanwhile (e.g. an extension): theirs is the newer truth.
        changed = (
            await ctx.update(
                Case,
                {
                    Case.original_due_on: after.original_due_on,
                    Case.due_on: after.due_on,
                    Case.notice_due_on: after.notice_due_on,
                    Case.due_provisional: after.provisional,
                },
            )
            .where(
                (Case.id == row["id"])
                & (Case.extension_days == row["extension_days"])
                & (Case.due_on == before.due_on)
                & Case.status.is_in(list(OPEN))
            )
            .returning(Case.id)
        )
        if not changed:
            continue
        note = said("工作日历调整：到期日 {before} → {after}", before=_due_text(before), after=_due_text(after))
        await record_event(ctx, row["id"], "due_recomputed", note)
        await record_in(
            ctx,
            action="case.due_recomputed",
            entity="case",
            entity_id=row["id"],
            summary=note,
            before=_dates_json(before),
            after=_dates_json(after),
        )
        moved += 1
    return moved


async def recompute_county(ctx: TenantContext, *, touching: date | None = None, provisional_only: bool = False) -> int:
    """Inside a write transaction, after the county's or the global overrides changed."""
    await lock_county(ctx)
    return await recompute_open_cases(ctx, await calendar_of(ctx), touching=touching, provisional_only=provisional_only)
