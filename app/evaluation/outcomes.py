"""The evaluation's computation from one consistent read of the ratings, the results, feedback and
rectification. The score itself is ``scoring`` (pure)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app import clock, db
from app.audit.services import record_in
from app.calendar.services import calendar_of
from app.domain import scoring
from app.domain.scoring import COMPONENTS
from app.errors import InvalidInput
from app.evaluation.cycles import get_cycle, subject_of
from app.evaluation.tables import Cycle, Rating, Rectification, Result, Subject
from app.i18n.messages import said
from app.tenancy.context import Forbidden, TenantContext
from app.tenancy.permissions import Permission
from app.text import collapse_spaces


async def progress(ctx: TenantContext, cycle_id: int) -> list[dict]:
    """Per subject, how many ratings each component has (for the admin to chase)."""
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    cycle = await get_cycle(ctx, cycle_id)
    subjects = (
        await ctx.select(Subject, Subject.id, Subject.person, Subject.person.name.as_alias("name"))
        .where(Subject.cycle == cycle.id)
        .order_by(Subject.id)
    )
    counts: dict[tuple[int, str], int] = {}
    for row in await ctx.select(Rating, Rating.subject, Rating.component).where(Rating.cycle == cycle.id):
        counts[(row["subject"], row["component"])] = counts.get((row["subject"], row["component"]), 0) + 1
    return [
        {
            "staff_id": subject["person"],
            "name": subject["name"],
            "counts": {c.value: counts.get((subject["id"], c.value), 0) for c in COMPONENTS},
        }
        for subject in subjects
    ]


async def year_working_days(ctx: TenantContext, year: int) -> int:
    """The working days of the cycle year on the county's calendar."""
    return (await calendar_of(ctx)).working_days_between(date(year - 1, 12, 31), date(year, 12, 31))


Progress = Callable[[int], Awaitable[None]]


async def compute(
    ctx: TenantContext, cycle_id: int, away: Mapping[int, Decimal], report: Progress | None = None
) -> int:
    """Score every subject from one read of the ratings (a consistent snapshot however many
    arrive meanwhile) and replace the results in one transaction; safe to repeat. ``away``: the
    working days each person was away in the cycle's year (第七条), gathered by the caller."""
    cycle = await get_cycle(ctx, cycle_id)
    subjects = await ctx.select(Subject, Subject.id, Subject.person).where(Subject.cycle == cycle.id)
    ratings: dict[int, dict[str, list[Decimal]]] = {}
    for row in await ctx.select(Rating, Rating.subject, Rating.component, Rating.score).where(Rating.cycle == cycle.id):
        ratings.setdefault(row["subject"], {}).setdefault(row["component"], []).append(Decimal(row["score"]))
    working_days = await year_working_days(ctx, cycle.year)
    reweight = cycle.locked and cycle.finalise_policy == "reweight"
    now = clock.now()
    results = []
    for n, subject in enumerate(subjects, start=1):
        outcome = scoring.score_subject(
            ratings.get(subject["id"], {}),
            cycle.weights,
            trim=cycle.trim,
            absent_days=away.get(subject["person"], Decimal(0)),
            year_working_days=working_days,
            reweight=reweight,
        )
        results.append((subject, outcome))
        if report and n % 500 == 0:
            await report(n * 90 // len(subjects))
    async with db.transaction():
        await ctx.update(Cycle, {Cycle.computed_at: now}).where(Cycle.id == cycle.id)
        await Result.delete().where((Result.tenant == ctx.tenant.id) & (Result.cycle == cycle.id))
        await db.insert_all(
            Result, [_result_row(ctx, cycle.id, subject, outcome, away, now) for subject, outcome in results]
        )
        below = [subject for subject, outcome in results if outcome.needs_rectification]
        await db.insert_all(
            Rectification,
            [ctx.new(Rectification, cycle=cycle.id, subject=subject["id"], opened_at=now) for subject in below],
            skip_existing=True,
        )
    if report:
        await report(100)
    return len(results)


def _result_row(
    ctx: TenantContext, cycle_id: int, subject: dict, outcome, away: Mapping[int, Decimal], now: datetime
) -> Result:
    return ctx.new(
        Result,
        cycle=cycle_id,
        subject=subject["id"],
        status=outcome.status.value,
        score=outcome.score,
        grade=outcome.grade.value if outcome.grade else "",
        components={c.value: str(v) for c, v in outcome.components.items()},
        missing=[c.value for c in outcome.missing],
        raters={c.value: n for c, n in outcome.raters.items()},
        needs_rectification=outcome.needs_rectification,
        absent_working_days=away.get(subject["person"], Decimal(0)),
        computed_at=now,
    )


@dataclass(frozen=True)
class ResultView:
    staff_id: int
    name: str
    status: str
    score: Decimal | None
    grade: str
    components: dict[str, str]
    missing: list[str]
    raters: dict[str, int]
    needs_rectification: bool
    absent_days: Decimal  # working days away (sick, personal, study)
    # The subject's overdue-accountability records of the cycle's year (第十三条), shown beside them:
    # the cases' records, handed in by whoever asks for the results with them.
    accountability: Sequence[object]
    rectification: dict | None

    def as_dict(self) -> dict:
        return {
            "staff_id": self.staff_id,
            "status": self.status,
            "score": None if self.score is None else str(self.score),
            "grade": self.grade or None,
            "needs_rectification": self.needs_rectification,
            "components": self.components,
            "missing": self.missing,
        }


async def results(
    ctx: TenantContext, cycle_id: int, accountability: Mapping[int, Sequence[object]] | None = None
) -> list[ResultView]:
    """The computed results, best first, with the year's overdue-case records (by person) beside each."""
    ctx.actor.require(Permission.EVALUATION_RESULTS)
    return await _results(ctx, cycle_id, accountability or {})


async def _results(
    ctx: TenantContext, cycle_id: int, accountability: Mapping[int, Sequence[object]], person: int | None = None
) -> list[ResultView]:
    cycle = await get_cycle(ctx, cycle_id)
    query = ctx.select(
        Result,
        Result.all_columns(),
        Result.subject.person.as_alias("person"),
        Result.subject._.person._.name.as_alias("name"),
    ).where(Result.cycle == cycle.id)
    if person is not None:
        query = query.where(Result.subject.person == person)
    rows = await query.output(load_json=True)
    items = {row["subject"]: row for row in await ctx.select(Rectification).where(Rectification.cycle == cycle.id)}
    views = [
        ResultView(
            staff_id=row["person"],
            name=row["name"],
            status=row["status"],
            score=db.two_places(row["score"]),
            grade=row["grade"],
            components=row["components"],
            missing=row["missing"],
            raters=row["raters"],
            needs_rectification=row["needs_rectification"],
            absent_days=db.two_places(row["absent_working_days"]),
            accountability=accountability.get(row["person"], []),
            rectification=items.get(row["subject"]),
        )
        for row in rows
    ]
    return sorted(views, key=lambda v: (v.score is None, -(v.score or 0), v.name))


async def feedback(
    ctx: TenantContext, cycle_id: int, staff_id: int, accountability: Mapping[int, Sequence[object]] | None = None
) -> ResultView | None:
    """A subject's own result, once the cycle reaches feedback; evaluators and admins any time."""
    cycle = await get_cycle(ctx, cycle_id)
    own = staff_id == ctx.actor.user_id
    if not ctx.actor.can(Permission.EVALUATION_RESULTS):
        if not own:
            raise Forbidden(Permission.EVALUATION_RESULTS)
        if cycle.step != "feedback" and not cycle.locked:
            return None
    found = await _results(ctx, cycle_id, accountability or {}, person=staff_id)
    return found[0] if found else None


async def close_rectification(ctx: TenantContext, cycle_id: int, staff_id: int, note: str) -> None:
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    note = collapse_spaces(note)
    if not note:
        raise InvalidInput("请写明整改情况")
    async with db.transaction():
        subject = await subject_of(ctx, cycle_id, staff_id)
        closed = (
            await ctx.update(
                Rectification,
                {
                    Rectification.note: note[:1000],
                    Rectification.closed_at: clock.now(),
                    Rectification.closed_by: ctx.actor.user_id,
                },
            )
            .where((Rectification.subject == subject["id"]) & Rectification.closed_at.is_null())
            .returning(Rectification.id)
        )
        if not closed:
            raise InvalidInput("没有待整改的事项")
        await record_in(
            ctx,
            action="evaluation.rectified",
            entity="evaluation_cycle",
            entity_id=cycle_id,
            summary=said("整改完成：{subject}", subject=subject["name"]),
            after={"note": note[:300]},
        )
