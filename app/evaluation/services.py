"""The annual evaluation (SPEC §9): cycles, subjects, ratings (by people, by single-use links,
or entered from paper), the steps, the computation, results, feedback and rectification.

The score itself is ``scoring`` (pure); this module decides who may rate what and when, keeps
every rating audited, and computes from one consistent read of the ratings.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from piccolo.query import Count

from app import clock, db
from app.absences.tables import NOTICE_COLUMNS, Absence
from app.accounts.tables import RoleGrant, User
from app.audit.services import record_in
from app.calendar.office import office_hours_of
from app.calendar.services import calendar_of
from app.cases.accountability import Record, records_of_year
from app.domain import scoring
from app.domain.absence import IN_FORCE, Notice, away_until
from app.domain.absence import Status as AbsenceStatus
from app.domain.office_hours import working_days_away
from app.domain.scoring import COMPONENTS, Component, Weights
from app.errors import InvalidInput
from app.evaluation import raters
from app.evaluation.tables import Cycle, Rating, RatingLink, Rectification, Result, Subject
from app.i18n import N_, gettext, messages
from app.i18n.messages import said
from app.tenancy.context import Actor, Forbidden, NotFound, TenantContext, TenantInfo
from app.tenancy.permissions import Permission, Role
from app.tenancy.services import find_by_id
from app.text import collapse_spaces

STEPS = ("self", "internal", "external", "group_review", "feedback")
STEP_LABELS = {
    "self": N_("个人自评"),
    "internal": N_("内部测评（领导小组考核、科室互评）"),
    "external": N_("外部测评（基层测评）"),
    "group_review": N_("领导小组审议"),
    "feedback": N_("结果反馈"),
}
# The step from which each component may be rated; every rating closes at feedback.
OPENS_AT = {
    Component.SELF: "self",
    Component.LEADERSHIP: "internal",
    Component.PEER: "internal",
    Component.GRASSROOTS: "external",
}
RATING_ENDS_AT = "feedback"
SUBJECT_ROLES = (Role.STAFF, Role.SECTION_HEAD)
FIRST_YEAR, LAST_YEAR = 2000, 2100
LINK_DAYS = 14
MAX_LINKS = 200
POLICIES = ("", "reweight")


# --- cycles -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleView:
    id: int
    year: int
    weights: Weights
    trim: bool
    step: str
    locked: bool
    finalise_policy: str
    computed_at: datetime | None

    def accepts(self, component: Component) -> bool:
        """Whether ratings of ``component`` may be given now."""
        at = STEPS.index(self.step)
        return not self.locked and STEPS.index(OPENS_AT[component]) <= at < STEPS.index(RATING_ENDS_AT)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "year": self.year,
            "weights": {c.value: w for c, w in self.weights.as_dict().items()},
            "trim": self.trim,
            "step": self.step,
            "locked": self.locked,
            "finalise_policy": self.finalise_policy or None,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
        }


def _cycle_view(row: dict) -> CycleView:
    return CycleView(
        id=row["id"],
        year=row["year"],
        weights=Weights.from_mapping(row["weights"]),
        trim=row["trim"],
        step=row["step"],
        locked=row["locked"],
        finalise_policy=row["finalise_policy"],
        computed_at=row["computed_at"],
    )


async def get_cycle(ctx: TenantContext, cycle_id: int) -> CycleView:
    await ctx.get(Cycle, cycle_id)  # NotFound unless it is this county's
    row = await ctx.select(Cycle).where(Cycle.id == cycle_id).output(load_json=True).first()
    assert row is not None  # found just above; cycles are never deleted
    return _cycle_view(row)


def unlocked_cycles(ctx: TenantContext) -> Count:
    """How many cycles still take ratings or changes, as a query for ``db.counts``."""
    return ctx.count(Cycle).where(Cycle.locked.eq(False))


async def list_cycles(ctx: TenantContext) -> list[CycleView]:
    rows = await ctx.select(Cycle).order_by(Cycle.year, ascending=False).output(load_json=True)
    return [_cycle_view(row) for row in rows]


async def _section_staff(ctx: TenantContext) -> list[int]:
    rows = await ctx.select(RoleGrant, RoleGrant.user).where(
        RoleGrant.role.is_in(list(SUBJECT_ROLES)) & RoleGrant.user.active.eq(True)
    )
    return sorted({row["user"] for row in rows})


async def open_cycle(
    ctx: TenantContext, year: int, weights: Mapping[str, object] | None = None, trim: bool = True
) -> CycleView:
    """A cycle for ``year`` with every active member of the section as a subject."""
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("考评年度须为 {low}–{high} 年", low=FIRST_YEAR, high=LAST_YEAR)
    chosen = Weights.from_mapping(weights) if weights is not None else scoring.DEFAULT_WEIGHTS
    stored = {c.value: w for c, w in chosen.as_dict().items()}
    async with db.transaction():
        await db.serialize(Cycle, ctx.tenant.id)
        if await ctx.count(Cycle).where(Cycle.year == year):
            raise InvalidInput("{year} 年度的考评已经开始", year=year)
        cycle = ctx.new(
            Cycle,
            year=year,
            weights=stored,
            trim=bool(trim),
            step=STEPS[0],
            created_by=ctx.actor.user_id,
            created_at=clock.now(),
        )
        await cycle.save()
        people = await _section_staff(ctx)
        if people:
            await db.insert_all(Subject, [ctx.new(Subject, cycle=cycle.id, person=person) for person in people])
        await record_in(
            ctx,
            action="evaluation.open",
            entity="evaluation_cycle",
            entity_id=cycle.id,
            summary=said("{year} 年度工作效能考评，{count} 名考评对象", year=year, count=len(people)),
            after={"year": year, "weights": stored, "trim": bool(trim)},
        )
    return await get_cycle(ctx, cycle.id)


async def _open_cycle_row(ctx: TenantContext, cycle_id: int) -> CycleView:
    """The cycle, refusing any change once it is locked."""
    cycle = await get_cycle(ctx, cycle_id)
    if cycle.locked:
        raise InvalidInput("{year} 年度考评已定稿锁定，不能再修改", year=cycle.year)
    return cycle


async def add_subject(ctx: TenantContext, cycle_id: int, staff_id: int) -> dict:
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    async with db.transaction():
        cycle = await _open_cycle_row(ctx, cycle_id)
        person = await ctx.select(User, User.id, User.name, User.active).where(User.id == staff_id).first()
        if person is None or not person["active"]:
            raise InvalidInput("考评对象须为本县在职人员")
        if await ctx.count(Subject).where((Subject.cycle == cycle.id) & (Subject.person == staff_id)):
            raise InvalidInput("{name} 已是本次考评的对象", name=person["name"])
        subject = ctx.new(Subject, cycle=cycle.id, person=staff_id)
        await subject.save()
        await record_in(
            ctx,
            action="evaluation.subject",
            entity="evaluation_cycle",
            entity_id=cycle.id,
            summary=said("考评对象：{person}", person=person["name"]),
            after={"staff_id": staff_id},
        )
    return {"id": subject.id, "cycle_id": cycle.id, "staff_id": staff_id, "name": person["name"]}


async def set_step(ctx: TenantContext, cycle_id: int, step: str) -> CycleView:
    """The admin moves the cycle on (or back) through its steps."""
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    if step not in STEPS:
        raise InvalidInput("没有“{step}”这个考评步骤", step=step)
    async with db.transaction():
        cycle = await _open_cycle_row(ctx, cycle_id)
        if step == cycle.step:
            return cycle
        await ctx.update(Cycle, {Cycle.step: step}).where(Cycle.id == cycle.id)
        await record_in(
            ctx,
            action="evaluation.step",
            entity="evaluation_cycle",
            entity_id=cycle.id,
            summary=said("{year} 年度考评进入“{step}”", year=cycle.year, step=messages.label(STEP_LABELS[step])),
            before={"step": cycle.step},
            after={"step": step},
        )
    return await get_cycle(ctx, cycle_id)


async def finalise(ctx: TenantContext, cycle_id: int, policy: str = "") -> CycleView:
    """Lock the cycle: no rating changes any more. ``reweight`` scores subjects missing a
    component on the present ones; without it they stay incomplete."""
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    if policy not in POLICIES:
        raise InvalidInput("没有“{policy}”这个定稿方式", policy=policy)
    async with db.transaction():
        cycle = await _open_cycle_row(ctx, cycle_id)
        await ctx.update(Cycle, {Cycle.locked: True, Cycle.finalise_policy: policy}).where(Cycle.id == cycle.id)
        await record_in(
            ctx,
            action="evaluation.finalise",
            entity="evaluation_cycle",
            entity_id=cycle.id,
            summary=(
                said("{year} 年度考评定稿（缺项按现有项目折算）", year=cycle.year)
                if policy
                else said("{year} 年度考评定稿", year=cycle.year)
            ),
            after={"locked": True, "policy": policy},
        )
    return await get_cycle(ctx, cycle_id)


async def reopen(ctx: TenantContext, cycle_id: int, reason: str) -> CycleView:
    """Only an admin, with a reason on the record."""
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    reason = collapse_spaces(reason)
    if not reason or len(reason) > 300:
        raise InvalidInput("重新打开已定稿的考评须写明理由（300 字以内）")
    async with db.transaction():
        cycle = await get_cycle(ctx, cycle_id)
        if not cycle.locked:
            raise InvalidInput("该考评尚未定稿")
        await ctx.update(Cycle, {Cycle.locked: False, Cycle.finalise_policy: ""}).where(Cycle.id == cycle.id)
        await record_in(
            ctx,
            action="evaluation.reopen",
            entity="evaluation_cycle",
            entity_id=cycle.id,
            summary=said("{year} 年度考评重新打开：{reason}", year=cycle.year, reason=reason),
            before={"locked": True, "policy": cycle.finalise_policy},
            after={"locked": False, "reason": reason},
        )
    return await get_cycle(ctx, cycle_id)


# --- ratings ------------------------------------------------------------------------------------


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


async def _subject_of(ctx: TenantContext, cycle_id: int, staff_id: int) -> dict:
    row = (
        await ctx.select(Subject, Subject.id, Subject.person, Subject.person.name.as_alias("name"))
        .where((Subject.cycle == cycle_id) & (Subject.person == staff_id))
        .first()
    )
    if row is None:
        raise InvalidInput("该人员不是本次考评的对象")
    return row


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
    me = ctx.actor.user_id
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
        cycle = await _open_cycle_row(ctx, cycle_id)
        _require_open(cycle, chosen)
        subject = await _subject_of(ctx, cycle.id, staff_id)
        key, label = _rater_key(ctx, chosen, subject, rater_label)
        await _save_rating(
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
        cycle = await _open_cycle_row(ctx, cycle_id)
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
            await _save_rating(ctx, cycle.id, subject, component, rating, key, "", rater=ctx.actor.user_id)
    return len(checked)


def _dimensions_json(rating: scoring.Rating) -> dict | None:
    by_dimension = rating.by_dimension
    return {d.value: str(v) for d, v in by_dimension.items()} if by_dimension else None


async def _save_rating(
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


# --- grassroots links (基层测评) ------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The labels of links made with the default prefix are the system's words: shown in the reader's language.
DEFAULT_PREFIX = N_("基层测评人")


def shown_label(label: str) -> str:
    """A link's label as the reader reads it: the default prefix translated, a prefix someone typed as typed."""
    number = label.removeprefix(DEFAULT_PREFIX)
    return gettext("基层测评人{number}").format(number=number) if number != label and number.isdigit() else label


async def create_links(ctx: TenantContext, cycle_id: int, count: int, prefix: str = DEFAULT_PREFIX) -> list[dict]:
    """Single-use links for raters without accounts; the tokens are shown this once, for printing."""
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_LINKS:
        raise InvalidInput("一次可生成 1–{max} 个测评链接", max=MAX_LINKS)
    prefix = collapse_spaces(prefix)[:40] or DEFAULT_PREFIX
    now = clock.now()
    created = []
    async with db.transaction():
        cycle = await _open_cycle_row(ctx, cycle_id)
        already = await ctx.count(RatingLink).where(RatingLink.cycle == cycle.id)
        for n in range(already + 1, already + count + 1):
            token = secrets.token_urlsafe(24)
            label = f"{prefix}{n}"
            link = ctx.new(
                RatingLink,
                cycle=cycle.id,
                label=label,
                token_hash=_token_hash(token),
                expires_at=now + timedelta(days=LINK_DAYS),
                created_at=now,
            )
            await link.save()
            created.append({"id": link.id, "label": shown_label(label), "token": token, "expires_at": link.expires_at})
        await record_in(
            ctx,
            action="evaluation.links",
            entity="evaluation_cycle",
            entity_id=cycle.id,
            summary=said("生成 {count} 个基层测评链接", count=count),
        )
    return created


async def list_links(ctx: TenantContext, cycle_id: int) -> list[dict]:
    """The cycle's links without their tokens (label, expiry, whether used), for the admin."""
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    cycle = await get_cycle(ctx, cycle_id)
    rows = (
        await ctx.select(RatingLink, RatingLink.id, RatingLink.label, RatingLink.expires_at, RatingLink.used_at)
        .where(RatingLink.cycle == cycle.id)
        .order_by(RatingLink.id)
    )
    return [{**row, "label": shown_label(row["label"])} for row in rows]


@dataclass(frozen=True)
class LinkForm:
    """What a grassroots rater sees behind their link: the county, the year and whom to rate."""

    link_id: int
    tenant: TenantInfo
    cycle_id: int
    year: int
    label: str
    subjects: list[dict]


async def open_link(token: str) -> LinkForm:
    """The form of a valid link; a used, expired or unknown link is not found (all alike)."""
    link = await RatingLink.select().where(RatingLink.token_hash == _token_hash(token)).first()
    if link is None or link["used_at"] is not None or link["expires_at"] <= clock.now():
        raise NotFound("rating link")
    info = await find_by_id(link["tenant"])
    if info is None:
        raise NotFound("rating link")
    ctx = TenantContext(tenant=info, actor=_link_actor(link))
    cycle = await get_cycle(ctx, link["cycle"])
    if not cycle.accepts(Component.GRASSROOTS):
        raise NotFound("rating link")
    subjects = (
        await ctx.select(Subject, Subject.id, Subject.person, Subject.person.name.as_alias("name"))
        .where(Subject.cycle == cycle.id)
        .order_by(Subject.id)
    )
    return LinkForm(link["id"], info, cycle.id, cycle.year, shown_label(link["label"]), subjects)


def _link_actor(link: dict) -> Actor:
    # The address says it came by a link (the audit page names it so); the label is the link's.
    return Actor(user_id=None, label=link["label"], address="link")


async def rate_by_link(token: str, scores: Mapping[int, object]) -> int:
    """All of a grassroots rater's scores at once (staff id → total); the link is then used up."""
    form = await open_link(token)
    ctx = TenantContext(tenant=form.tenant, actor=_link_actor({"label": form.label}))
    by_person = {subject["person"]: subject for subject in form.subjects}
    ratings = {}
    for staff_id, score in scores.items():
        if staff_id not in by_person:
            raise InvalidInput("该人员不是本次考评的对象")
        ratings[staff_id] = parse_rating(score=score)
    if set(ratings) != set(by_person):
        raise InvalidInput("请为每一位考评对象打分")
    async with db.transaction():
        used = (
            await ctx.update(RatingLink, {RatingLink.used_at: clock.now()})
            .where((RatingLink.id == form.link_id) & RatingLink.used_at.is_null())
            .returning(RatingLink.id)
        )
        if not used:  # the same link sent twice at once: the second finds it used
            raise NotFound("rating link")
        for staff_id, rating in ratings.items():
            await _save_rating(
                ctx,
                form.cycle_id,
                by_person[staff_id],
                Component.GRASSROOTS,
                rating,
                f"link:{form.link_id}",
                form.label,
                rater=None,
            )
    return len(ratings)


# --- progress, computation, results -------------------------------------------------------------


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


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


# 第七条 counts leave the person takes for themselves; official business and annual leave do not count.
EXCLUDING_KINDS = ("sick", "personal", "study")


async def absent_days(ctx: TenantContext, year: int) -> dict[int, Decimal]:
    """第七条: working days of the year each person was away for sickness, personal leave or study,
    each day once and by its share of office time (a one-hour absence is a fraction of a day)."""
    first, last = _year_bounds(year)
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


async def year_working_days(ctx: TenantContext, year: int) -> int:
    """The working days of the cycle year on the county's calendar."""
    return (await calendar_of(ctx)).working_days_between(date(year - 1, 12, 31), date(year, 12, 31))


Progress = Callable[[int], Awaitable[None]]


async def compute(ctx: TenantContext, cycle_id: int, report: Progress | None = None) -> int:
    """Score every subject from one read of the ratings (a consistent snapshot however many
    arrive meanwhile) and replace the results in one transaction; safe to repeat."""
    cycle = await get_cycle(ctx, cycle_id)
    subjects = await ctx.select(Subject, Subject.id, Subject.person).where(Subject.cycle == cycle.id)
    ratings: dict[int, dict[str, list[Decimal]]] = {}
    for row in await ctx.select(Rating, Rating.subject, Rating.component, Rating.score).where(Rating.cycle == cycle.id):
        ratings.setdefault(row["subject"], {}).setdefault(row["component"], []).append(Decimal(row["score"]))
    away = await absent_days(ctx, cycle.year)
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


def _result_row(ctx: TenantContext, cycle_id: int, subject: dict, outcome, away: dict, now: datetime) -> Result:
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
    # The subject's overdue-accountability records of the cycle's year (第十三条), shown beside them.
    accountability: list[Record]
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


async def results(ctx: TenantContext, cycle_id: int) -> list[ResultView]:
    """The computed results, best first, with the year's overdue-case records beside each."""
    ctx.actor.require(Permission.EVALUATION_RESULTS)
    return await _results(ctx, cycle_id)


async def _results(ctx: TenantContext, cycle_id: int, person: int | None = None) -> list[ResultView]:
    cycle = await get_cycle(ctx, cycle_id)
    query = ctx.select(
        Result,
        Result.all_columns(),
        Result.subject.person.as_alias("person"),
        Result.subject.person.name.as_alias("name"),
    ).where(Result.cycle == cycle.id)
    if person is not None:
        query = query.where(Result.subject.person == person)
    rows = await query.output(load_json=True)
    records = await records_of_year(ctx, cycle.year)
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
            accountability=records.get(row["person"], []),
            rectification=items.get(row["subject"]),
        )
        for row in rows
    ]
    return sorted(views, key=lambda v: (v.score is None, -(v.score or 0), v.name))


async def feedback(ctx: TenantContext, cycle_id: int, staff_id: int) -> ResultView | None:
    """A subject's own result, once the cycle reaches feedback; evaluators and admins any time."""
    cycle = await get_cycle(ctx, cycle_id)
    own = staff_id == ctx.actor.user_id
    if not ctx.actor.can(Permission.EVALUATION_RESULTS):
        if not own:
            raise Forbidden(Permission.EVALUATION_RESULTS)
        if cycle.step != "feedback" and not cycle.locked:
            return None
    found = await _results(ctx, cycle_id, person=staff_id)
    return found[0] if found else None


async def close_rectification(ctx: TenantContext, cycle_id: int, staff_id: int, note: str) -> None:
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    note = collapse_spaces(note)
    if not note:
        raise InvalidInput("请写明整改情况")
    async with db.transaction():
        subject = await _subject_of(ctx, cycle_id, staff_id)
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
