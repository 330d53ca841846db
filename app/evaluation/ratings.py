"""Ratings of the evaluation: by people, one at a time or a whole grid at once, or entered from paper;
who may rate what and when, every rating audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from app import clock, db
from app.audit.services import record_in
from app.domain import scoring
from app.domain.scoring import Component
from app.errors import InvalidInput
from app.evaluation import raters
from app.evaluation.cycles import STEP_LABELS, CycleView, get_cycle, open_cycle_row, subject_of
from app.evaluation.tables import Rating, Subject
from app.i18n import N_, messages
from app.i18n.messages import said
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission
from app.text import collapse_spaces


def parse_rating(score: object = None, dimensions: object = None) -> scoring.Rating:
    """One total, or the five dimensions (a list in the order 德 能 勤 绩 廉, or by name)."""
    if (score is None) == (dimensions is None):
        raise InvalidInput("请给出总分，或德、能、勤、绩、廉五项分数（二者选一）")
    if score is not None:
        return scoring.Rating.total(score)
    if isinstance(dimensions, Mapping):
        try:
            values = [dimensions[d.value] for d in scoring.DIMENSIONS]
        except KeyError:
            raise InvalidInput("五项分数须齐全：德、能、勤、绩、廉") from None
    elif (
        isinstance(dimensions, list | tuple)
        and len(dimensions) == len(scoring.DIMENSIONS)
        and all(str(value).strip() for value in dimensions)
    ):
        values = list(dimensions)
    else:
        raise InvalidInput("五项分数须齐全：德、能、勤、绩、廉")
    return scoring.Rating.from_dimensions(*values)


def _component(raw: str) -> Component:
    try:
        return Component(raw)
    except ValueError:
        raise InvalidInput("未知的考评项目：{component}", component=raw) from None


def _rater_key(ctx: TenantContext, component: Component, subject: dict, rater_label: str) -> tuple[str, str]:
    """Who the rating is from, after checking they may give it: (rater_key, label)."""
    label = collapse_spaces(rater_label)
    if label:  # a blank label names nobody: not a paper rating
        # A rating collected on paper, entered by an admin on behalf of the named rater.
        ctx.actor.require(Permission.EVALUATION_MANAGE)
        if len(label) > 60:
            raise InvalidInput("评分人名称不能超过 60 个字符")
        return f"paper:{label}", label
    me = ctx.actor.require_user()
    refused = raters.refusal(component, rater=me, roles=ctx.actor.roles, subject=subject["person"])
    if refused:
        raise InvalidInput(refused)
    return f"user:{me}", ""


async def rate(
    ctx: TenantContext,
    cycle_id: int,
    *,
    staff_id: int,
    component: str,
    score: object = None,
    dimensions: object = None,
    rater_label: str = "",
) -> dict:
    """Give (or change) one rating; refused after the component's step or once locked."""
    chosen = _component(component)
    rating = parse_rating(score, dimensions)
    async with db.transaction():
        cycle = await open_cycle_row(ctx, cycle_id)
        _require_open(cycle, chosen)
        subject = await subject_of(ctx, cycle.id, staff_id)
        key, label = _rater_key(ctx, chosen, subject, rater_label)
        await save_rating(
            ctx, cycle.id, subject, chosen, rating, key, label, rater=None if label else ctx.actor.user_id
        )
    return {
        "cycle_id": cycle_id,
        "staff_id": staff_id,
        "component": chosen.value,
        "score": str(rating.score),
        "dimensions": _dimensions_json(rating),
        "rater_label": label or None,
    }


def _require_open(cycle: CycleView, component: Component) -> None:
    if not cycle.accepts(component):
        raise InvalidInput(
            "当前步骤为“{step}”，不能填写{component}",
            step=STEP_LABELS[cycle.step],
            component=scoring.COMPONENT_LABELS[component],
        )


def grid_key(component: str, staff_id: int) -> str:
    """A subject in a component, as the rating grid names its rows."""
    return f"{component}.{staff_id}"


@dataclass(frozen=True)
class Entry:
    """One row of the rating grid: a subject in a component, as a total or the five dimensions."""

    staff_id: int
    component: str
    score: object = None
    dimensions: object = None


class RatingsRefused(InvalidInput):
    """Some rows of a grid were refused, so nothing was saved; ``by_entry`` says why, per
    ``grid_key``."""

    def __init__(self, by_entry: dict[str, InvalidInput]) -> None:
        super().__init__(N_("{count} 处评分有误，均未保存；请改正标出的格子后再保存"), count=len(by_entry))
        self.by_entry = by_entry


async def rate_all(ctx: TenantContext, cycle_id: int, entries: list[Entry]) -> int:
    """A rater's whole grid at once, in one transaction: every row saved, or none (``RatingsRefused``
    names each bad row). A row equal to the rater's saved rating is left alone (no audit noise).
    Returns how many ratings were saved."""
    key = f"user:{ctx.actor.user_id}"
    refused: dict[str, InvalidInput] = {}
    checked = []
    async with db.transaction():
        cycle = await open_cycle_row(ctx, cycle_id)
        subjects = {
            row["person"]: row
            for row in await ctx.select(
                Subject, Subject.id, Subject.person, Subject.person.name.as_alias("name")
            ).where(Subject.cycle == cycle.id)
        }
        saved = {
            (row["subject"], row["component"]): (row["score"], row["dimensions"])
            for row in await ctx.select(Rating, Rating.subject, Rating.component, Rating.score, Rating.dimensions)
            .where((Rating.cycle == cycle.id) & (Rating.rater_key == key))
            .output(load_json=True)
        }
        for entry in entries:
            try:
                component = _component(entry.component)
                rating = parse_rating(entry.score, entry.dimensions)
                _require_open(cycle, component)
                if entry.staff_id not in subjects:
                    raise InvalidInput("该人员不是本次考评的对象")
                subject = subjects[entry.staff_id]
                _rater_key(ctx, component, subject, "")
            except InvalidInput as exc:
                refused[grid_key(entry.component, entry.staff_id)] = exc
                continue
            if saved.get((subject["id"], component.value)) != (rating.score, _dimensions_json(rating)):
                checked.append((subject, component, rating))
        if refused:
            raise RatingsRefused(refused)
        for subject, component, rating in checked:
            await save_rating(ctx, cycle.id, subject, component, rating, key, "", rater=ctx.actor.user_id)
    return len(checked)


def _dimensions_json(rating: scoring.Rating) -> dict | None:
    by_dimension = rating.by_dimension
    return {d.value: str(v) for d, v in by_dimension.items()} if by_dimension else None


async def save_rating(
    ctx: TenantContext,
    cycle_id: int,
    subject: dict,
    component: Component,
    rating: scoring.Rating,
    key: str,
    label: str,
    rater: int | None,
) -> None:
    """Insert or replace (inside the caller's transaction), audited with before and after."""
    await db.serialize(Rating, subject["id"])
    existing = (
        await ctx.select(Rating, Rating.id, Rating.score)
        .where((Rating.subject == subject["id"]) & (Rating.component == component.value) & (Rating.rater_key == key))
        .first()
    )
    values = {
        "score": rating.score,
        "dimensions": _dimensions_json(rating),
        "entered_by": ctx.actor.user_id,
        "updated_at": clock.now(),
    }
    if existing:
        await ctx.update(Rating, {getattr(Rating, k): v for k, v in values.items()}).where(Rating.id == existing["id"])
    else:
        await Rating.insert(
            ctx.new(
                Rating,
                cycle=cycle_id,
                subject=subject["id"],
                component=component.value,
                rater_key=key,
                rater=rater,
                rater_label=label,
                **values,
            )
        )
    # Who rated whom is confidential (only the admin reads the audit); the score is kept as evidence.
    component_label = messages.label(scoring.COMPONENT_LABELS[component])
    await record_in(
        ctx,
        action="evaluation.rate",
        entity="evaluation_cycle",
        entity_id=cycle_id,
        summary=(
            said("{component}：{subject}（{rater}）", component=component_label, subject=subject["name"], rater=label)
            if label
            else said("{component}：{subject}", component=component_label, subject=subject["name"])
        ),
        before={"score": str(existing["score"])} if existing else None,
        after={"score": str(rating.score), "rater": key},
    )


@dataclass(frozen=True)
class Task:
    """Something the signed-in person may rate: a subject in a component, with their rating so far."""

    staff_id: int
    name: str
    component: str
    score: Decimal | None
    dimensions: dict | None

    @property
    def key(self) -> str:
        """The task's name in the rating grid's form."""
        return grid_key(self.component, self.staff_id)


async def my_tasks(ctx: TenantContext, cycle_id: int) -> list[Task]:
    """What this person may rate now, and nothing else (a rater sees only what they rate)."""
    cycle = await get_cycle(ctx, cycle_id)
    subjects = (
        await ctx.select(Subject, Subject.id, Subject.person, Subject.person.name.as_alias("name"))
        .where(Subject.cycle == cycle.id)
        .order_by(Subject.id)
    )
    mine = {
        (row["subject"], row["component"]): row
        for row in await ctx.select(Rating)
        .where((Rating.cycle == cycle.id) & (Rating.rater_key == f"user:{ctx.actor.user_id}"))
        .output(load_json=True)
    }
    tasks = []
    for component in (Component.SELF, Component.LEADERSHIP, Component.PEER):
        if not cycle.accepts(component):
            continue
        for subject in subjects:
            try:
                _rater_key(ctx, component, subject, "")
            except InvalidInput:
                continue
            given = mine.get((subject["id"], component.value))
            tasks.append(
                Task(
                    subject["person"],
                    subject["name"],
                    component.value,
                    given["score"] if given else None,
                    given["dimensions"] if given else None,
                )
            )
    return tasks
