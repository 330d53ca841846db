"""Overdue accountability (限时办结制度 第十三条).

A case still open after its due date gets one record against whoever handled it at that moment
(the acting handler), with the level by that person's count in the calendar year; the section
head is told. The scan is idempotent: the record is unique per case and due date, and the count
is taken under a lock per person, so two workers or a re-run never record twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app import clock, db
from app.audit.services import record_in
from app.cases.pipeline import OPEN
from app.cases.rules import LEVEL_LABELS, accountability_level
from app.cases.tables import Accountability, Case
from app.notifications.services import tell
from app.staff.services import holders_of
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission, Role

BATCH = 500


@dataclass(frozen=True)
class Record:
    id: int
    case_id: int
    person_id: int
    person_name: str
    applicant_name: str
    line_name: str
    due_on: date
    year: int
    nth: int
    level: str
    created_at: datetime

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "staff_id": self.person_id,
            "due_on": self.due_on.isoformat(),
            "year": self.year,
            "nth": self.nth,
            "level": self.level,
            "created_at": self.created_at.isoformat(),
        }


def overdue_year(due_on: date) -> int:
    """A case becomes overdue the day after its due date; that day's year is the one it counts in."""
    return (due_on + timedelta(days=1)).year


async def record_overdue(ctx: TenantContext, today: date) -> int:
    """One record for each open case whose due date has passed and has none yet; returns how many."""
    heads = await holders_of(ctx, [Role.SECTION_HEAD])
    made = 0
    after_id = 0
    while True:
        batch = await (
            ctx.select(
                Case,
                Case.id,
                Case.acting_handler,
                Case.acting_handler.name,
                Case.due_on,
                Case.applicant_name,
                Case.line.name,
            )
            .where(Case.status.is_in(sorted(OPEN)) & (Case.due_on < today) & (Case.id > after_id))
            .order_by(Case.id)
            .limit(BATCH)
        )
        if not batch:
            return made
        recorded = {
            (row["case"], row["due_on"])
            for row in await ctx.select(Accountability, Accountability.case, Accountability.due_on).where(
                Accountability.case.is_in([case["id"] for case in batch])
            )
        }
        for case in batch:
            if (case["id"], case["due_on"]) not in recorded:
                made += await _record(ctx, case, heads)
        after_id = batch[-1]["id"]


async def _record(ctx: TenantContext, case: dict, heads: list[int]) -> int:
    person, year = case["acting_handler"], overdue_year(case["due_on"])
    async with db.transaction():
        await db.serialize(Accountability, ctx.tenant.id, person)
        exists = await ctx.count(Accountability).where(
            (Accountability.case == case["id"]) & (Accountability.due_on == case["due_on"])
        )
        if exists:  # another worker recorded it while this one waited
            return 0
        nth = await ctx.count(Accountability).where((Accountability.person == person) & (Accountability.year == year))
        level = accountability_level(nth + 1)
        row = ctx.new(
            Accountability,
            case=case["id"],
            person=person,
            due_on=case["due_on"],
            year=year,
            nth=nth + 1,
            level=level.value,
            created_at=clock.now(),
        )
        await row.save()
        name = case["acting_handler.name"]
        summary = (
            f"{name}：{case['line.name']}案件（{case['applicant_name']}）超过办结期限 {case['due_on']:%Y-%m-%d}，"
            f"本年第 {nth + 1} 次，{LEVEL_LABELS[level]}"
        )
        await record_in(
            ctx,
            action="accountability.create",
            entity="case",
            entity_id=case["id"],
            summary=summary,
            after={"person": person, "level": level.value, "nth": nth + 1},
        )
        await tell(
            ctx.tenant.id,
            heads,
            kind="accountability",
            message=summary,
            key=f"accountability:{row.id}",
            link=f"/t/{ctx.tenant.slug}/cases/{case['id']}",
            case_id=case["id"],
        )
    return 1


async def list_records(ctx: TenantContext, *, staff_id: int | None = None, year: int | None = None) -> list[Record]:
    """Records of the county; people who may not see everyone's see their own only."""
    if not ctx.actor.can(Permission.ACCOUNTABILITY_VIEW):
        staff_id = ctx.actor.user_id
    query = ctx.select(
        Accountability,
        Accountability.all_columns(),
        Accountability.person.name.as_alias("person_name"),
        Accountability.case.applicant_name.as_alias("applicant_name"),
        Accountability.case.line.name.as_alias("line_name"),
    )
    if staff_id is not None:
        query = query.where(Accountability.person == staff_id)
    if year is not None:
        query = query.where(Accountability.year == year)
    rows = await query.order_by(Accountability.created_at, ascending=False).order_by(Accountability.id)
    return [
        Record(
            id=row["id"],
            case_id=row["case"],
            person_id=row["person"],
            person_name=row["person_name"],
            applicant_name=row["applicant_name"],
            line_name=row["line_name"],
            due_on=row["due_on"],
            year=row["year"],
            nth=row["nth"],
            level=row["level"],
            created_at=row["created_at"],
        )
        for row in rows
    ]
