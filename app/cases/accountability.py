"""Overdue accountability (限时办结制度 第十三条, SPEC §6).

Each case still open after its due date is an offence of whoever acted on it then (its acting
handler). One person's offences falling due on the same day are one occasion: one record listing
its cases, at the level ``rules.ladder_level`` gives from the person's earlier records of the year.
A warning orders a remedy the section head tracks until done; a sanction gives the section head a
linked record of their own. The scan is idempotent: an offence is unique per case and due date and
each person's occasions are recorded under a lock, so two workers or a re-run never record twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app import clock, db
from app.accounts.services import holders_of
from app.accounts.tables import User
from app.audit.services import record_in
from app.calendar.services import calendar_of
from app.cases.tables import AccountabilityRecord, Case, Offence
from app.domain.casework import LADDER, LEVEL_LABELS, Level, Served, check_remedy, ladder_level, remedy_due_on
from app.domain.pipeline import OPEN
from app.errors import InvalidInput
from app.i18n.messages import Said, label, said
from app.notifications.services import tell
from app.tenancy.context import Forbidden, NotFound, TenantContext
from app.tenancy.permissions import Permission, Role

BATCH = 500
DEFAULT_REMEDY = "办结超期案件，书面说明超期原因并提出整改措施"


@dataclass(frozen=True)
class CaseRef:
    id: int
    applicant_name: str
    line_name: str


@dataclass(frozen=True)
class Record:
    id: int
    person_id: int
    person_name: str
    level: str
    occasion_on: date
    year: int
    recorded_on: date
    cases: list[CaseRef]
    remedy: str
    remedy_due_on: date | None
    remedy_done_on: date | None
    head_record_id: int | None
    # A head's record stands beside this sanction of someone of the section.
    sanction_id: int | None
    created_at: datetime

    @property
    def case_ids(self) -> list[int]:
        return [case.id for case in self.cases]

    @property
    def remedy_open(self) -> bool:
        return self.level == Level.WARNING and self.remedy_done_on is None

    def as_dict(self) -> dict:
        def day(value: date | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "staff_id": self.person_id,
            "level": self.level,
            "occasion_on": self.occasion_on.isoformat(),
            "case_ids": self.case_ids,
            "remedy": self.remedy or None,
            "remedy_due_on": day(self.remedy_due_on),
            "remedy_done_on": day(self.remedy_done_on),
            "head_record_id": self.head_record_id,
            "sanction_id": self.sanction_id,
            "year": self.year,
            "recorded_on": self.recorded_on.isoformat(),
        }


def overdue_year(due_on: date) -> int:
    """A case becomes overdue the day after its due date; that day's year is the one it counts in."""
    return (due_on + timedelta(days=1)).year


# --- the scan -------------------------------------------------------------------------------------


async def record_overdue(ctx: TenantContext, today: date) -> int:
    """Records every offence not recorded yet, grouped into occasions; returns how many offences."""
    pending: dict[tuple[int, date], list[dict]] = defaultdict(list)
    after_id = 0
    while True:
        # A case nobody present can act on (no acting handler) is nobody's offence: it is flagged
        # uncovered and the section head is told by the substitution sweep.
        batch = await (
            ctx.select(Case, Case.id, Case.acting_handler, Case.due_on, Case.applicant_name, Case.line.name)
            .where(
                Case.status.is_in(sorted(OPEN))
                & (Case.due_on < today)
                & Case.acting_handler.is_not_null()
                & (Case.id > after_id)
            )
            .order_by(Case.id)
            .limit(BATCH)
        )
        if not batch:
            break
        recorded = {
            (row["case"], row["due_on"])
            for row in await ctx.select(Offence, Offence.case, Offence.due_on).where(
                Offence.case.is_in([case["id"] for case in batch])
            )
        }
        for case in batch:
            if (case["id"], case["due_on"]) not in recorded:
                pending[(case["acting_handler"], case["due_on"])].append(case)
        after_id = batch[-1]["id"]
    if not pending:
        return 0
    heads = await holders_of(ctx, [Role.SECTION_HEAD])
    names = await _names(ctx, {person for person, _ in pending} | set(heads))
    calendar = await calendar_of(ctx)
    made = 0
    # Each person's occasions in date order, so an earlier one is on the ladder before a later one.
    for (person, occasion_on), cases in sorted(pending.items(), key=lambda item: (item[0][1], item[0][0])):
        made += await _record_occasion(
            ctx, today, person, occasion_on, cases, heads, names, remedy_due_on(calendar, today)
        )
    return made


async def _names(ctx: TenantContext, ids: set[int]) -> dict[int, str]:
    rows = await ctx.select(User, User.id, User.name).where(User.id.is_in(sorted(ids))) if ids else []
    return {row["id"]: row["name"] for row in rows}


async def _record_occasion(
    ctx: TenantContext,
    today: date,
    person: int,
    occasion_on: date,
    cases: list[dict],
    heads: list[int],
    names: dict[int, str],
    remedy_due: date,
) -> int:
    year = overdue_year(occasion_on)
    async with db.transaction():
        await db.serialize(AccountabilityRecord, ctx.tenant.id, person)
        taken = {
            row["case"]
            for row in await ctx.select(Offence, Offence.case).where(
                Offence.case.is_in([case["id"] for case in cases]) & (Offence.due_on == occasion_on)
            )
        }
        fresh = [case for case in cases if case["id"] not in taken]
        if not fresh:  # another worker recorded them while this one waited
            return 0
        earlier = await ctx.select(AccountabilityRecord).where(
            (AccountabilityRecord.person == person)
            & (AccountabilityRecord.year == year)
            & AccountabilityRecord.level.is_in([level.value for level in LADDER])
        )
        same_day = next((row for row in earlier if row["occasion_on"] == occasion_on), None)
        described = [
            said("{line}（{applicant}）", line=case["line.name"], applicant=case["applicant_name"]) for case in fresh
        ]
        if same_day is not None:
            # A case of an occasion already recorded (e.g. it moved to this person later): same record.
            record_id = same_day["id"]
            await record_in(
                ctx,
                action="accountability.add_case",
                entity="accountability",
                entity_id=record_id,
                summary=said(
                    "{person}：{cases}超过办结期限 {occasion}，并入同日记录",
                    person=names.get(person, ""),
                    cases=described,
                    occasion=occasion_on.isoformat(),
                ),
            )
        else:
            served = [Served(Level(row["level"]), row["recorded_on"], row["remedy_done_on"]) for row in earlier]
            level = ladder_level(served, occasion_on)
            record_id = await _new_record(
                ctx, today, person, occasion_on, level, described, heads, names, remedy_due, len(fresh)
            )
        await Offence.insert(
            *(ctx.new(Offence, record=record_id, case=case["id"], due_on=occasion_on) for case in fresh)
        )
    return len(fresh)


async def _new_record(
    ctx: TenantContext,
    today: date,
    person: int,
    occasion_on: date,
    level: Level,
    described: list[Said],
    heads: list[int],
    names: dict[int, str],
    remedy_due: date,
    count: int,
) -> int:
    """The occasion's record (and, for a sanction, the section head's linked one), audited and told."""
    year = overdue_year(occasion_on)
    common = {"occasion_on": occasion_on, "year": year, "recorded_on": today, "created_at": clock.now()}
    head = next((h for h in heads if h != person), None) if level == Level.SANCTION else None
    head_record_id = None
    if head is not None:
        head_row = ctx.new(AccountabilityRecord, person=head, level=Level.HEAD.value, **common)
        await head_row.save()
        head_record_id = head_row.id
    remedy = {"remedy": DEFAULT_REMEDY, "remedy_due_on": remedy_due} if level == Level.WARNING else {}
    row = ctx.new(
        AccountabilityRecord, person=person, level=level.value, head_record=head_record_id, **common, **remedy
    )
    await row.save()
    summary = said(
        "{person}：{count} 件案件超过办结期限 {occasion}（{cases}），{level}",
        person=names.get(person, ""),
        count=count,
        occasion=occasion_on.isoformat(),
        cases=described,
        level=label(LEVEL_LABELS[level]),
    )
    if level == Level.WARNING:
        summary = said("{earlier}，责令 {due} 前采取补救措施", earlier=summary, due=remedy_due.isoformat())
    if head is not None:
        summary = said("{earlier}；追究科室负责人{head}的责任", earlier=summary, head=names.get(head, ""))
    await record_in(
        ctx,
        action="accountability.create",
        entity="accountability",
        entity_id=row.id,
        summary=summary,
        after={"person": person, "level": level.value, "occasion_on": str(occasion_on), "head_record": head_record_id},
    )
    await tell(
        ctx.tenant.id,
        sorted({*heads, person}),
        kind="accountability",
        message=summary,
        key=f"accountability:{row.id}",
        link=f"/t/{ctx.tenant.slug}/accountability/staff/{person}",
    )
    return row.id


# --- reading --------------------------------------------------------------------------------------


async def _load(ctx: TenantContext, query) -> list[Record]:
    rows = await query.order_by(AccountabilityRecord.occasion_on, ascending=False).order_by(AccountabilityRecord.id)
    head_ids = [row["id"] for row in rows if row["level"] == Level.HEAD]
    sanction_of = (
        {
            row["head_record"]: row["id"]
            for row in await ctx.select(
                AccountabilityRecord, AccountabilityRecord.id, AccountabilityRecord.head_record
            ).where(AccountabilityRecord.head_record.is_in(head_ids))
        }
        if head_ids
        else {}
    )
    # A head's record lists the cases of the sanction it stands beside.
    wanted = sorted({row["id"] for row in rows} | set(sanction_of.values()))
    cases: dict[int, list[CaseRef]] = defaultdict(list)
    if wanted:
        for row in (
            await ctx.select(
                Offence,
                Offence.record,
                Offence.case,
                Offence.case.applicant_name.as_alias("applicant_name"),
                Offence.case.line.name.as_alias("line_name"),
            )
            .where(Offence.record.is_in(wanted))
            .order_by(Offence.case)
        ):
            cases[row["record"]].append(CaseRef(row["case"], row["applicant_name"], row["line_name"]))
    return [
        Record(
            id=row["id"],
            person_id=row["person"],
            person_name=row["person_name"],
            level=row["level"],
            occasion_on=row["occasion_on"],
            year=row["year"],
            recorded_on=row["recorded_on"],
            cases=cases[sanction_of.get(row["id"], row["id"])],
            remedy=row["remedy"],
            remedy_due_on=row["remedy_due_on"],
            remedy_done_on=row["remedy_done_on"],
            head_record_id=row["head_record"],
            sanction_id=sanction_of.get(row["id"]),
            created_at=row["created_at"],
        )
        for row in rows
    ]


def _records(ctx: TenantContext):
    return ctx.select(
        AccountabilityRecord,
        AccountabilityRecord.all_columns(),
        AccountabilityRecord.person.name.as_alias("person_name"),
    )


async def list_records(ctx: TenantContext, *, staff_id: int | None = None, year: int | None = None) -> list[Record]:
    """Records of the county, latest occasion first; people who may not see everyone's see their own."""
    if not ctx.actor.can(Permission.ACCOUNTABILITY_VIEW):
        if staff_id not in (None, ctx.actor.user_id):
            raise Forbidden(Permission.ACCOUNTABILITY_VIEW)
        staff_id = ctx.actor.user_id
    query = _records(ctx)
    if staff_id is not None:
        query = query.where(AccountabilityRecord.person == staff_id)
    if year is not None:
        query = query.where(AccountabilityRecord.year == year)
    return await _load(ctx, query)


async def records_of_year(ctx: TenantContext, year: int) -> dict[int, list[Record]]:
    """Everyone's records of a year by person, for the evaluation beside each subject."""
    by_person: dict[int, list[Record]] = defaultdict(list)
    for record in await _load(ctx, _records(ctx).where(AccountabilityRecord.year == year)):
        by_person[record.person_id].append(record)
    return dict(by_person)


async def get_record(ctx: TenantContext, record_id: int) -> Record:
    found = await _load(ctx, _records(ctx).where(AccountabilityRecord.id == record_id))
    if not found:
        raise NotFound(f"accountability record {record_id!r}")
    record = found[0]
    if record.person_id != ctx.actor.user_id and not ctx.actor.can(Permission.ACCOUNTABILITY_VIEW):
        raise Forbidden(Permission.ACCOUNTABILITY_VIEW)
    return record


# --- the remedy a warning orders (责令采取补救措施) ------------------------------------------------------


async def set_remedy(
    ctx: TenantContext, record_id: int, remedy: str, due_on: date | None, done_on: date | None
) -> Record:
    """The section head (or a leader, an admin) words the remedy, sets its date and marks it done."""
    ctx.actor.require(Permission.ACCOUNTABILITY_MANAGE)
    async with db.transaction():
        current = await ctx.select_one(AccountabilityRecord, record_id)
        if current["level"] != Level.WARNING:
            raise InvalidInput("只有行政告诫须责令补救")
        text = check_remedy(remedy, due_on, done_on, current["recorded_on"], ctx.tenant.now().date())
        before = {key: current[key] for key in ("remedy", "remedy_due_on", "remedy_done_on")}
        after = {"remedy": text, "remedy_due_on": due_on, "remedy_done_on": done_on}
        if before != after:
            await ctx.update(
                AccountabilityRecord,
                {getattr(AccountabilityRecord, key): value for key, value in after.items()},
            ).where(AccountabilityRecord.id == record_id)
            await record_in(
                ctx,
                action="accountability.remedy",
                entity="accountability",
                entity_id=record_id,
                summary=said("补救措施已完成") if done_on and not current["remedy_done_on"] else said("补救措施"),
                before={key: str(value) if value else value for key, value in before.items()},
                after={key: str(value) if value else value for key, value in after.items()},
            )
    return await get_record(ctx, record_id)
