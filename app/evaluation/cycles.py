"""The annual evaluation's cycles (SPEC §9): its steps, weights and subjects, finalising and reopening."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from piccolo.query import Raw

from app import clock, db
from app.accounts.tables import RoleGrant, User
from app.audit.services import record_in
from app.domain import scoring
from app.domain.scoring import Component, Weights
from app.errors import InvalidInput
from app.evaluation.tables import Cycle, Subject
from app.i18n import N_, messages
from app.i18n.messages import said
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission, Role
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
POLICIES = ("", "reweight")


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


def unlocked_cycles(ctx: TenantContext) -> Raw:
    """How many cycles still take ratings or changes, as a query for ``db.counts`` (written out:
    the badge every page polls asks)."""
    return Cycle.raw("SELECT count(*) AS count FROM evaluation_cycle WHERE tenant = {} AND NOT locked", ctx.tenant.id)


async def list_cycles(ctx: TenantContext) -> list[CycleView]:
    rows = await ctx.select(Cycle).order_by(Cycle.year, ascending=False).output(load_json=True)
    return [_cycle_view(row) for row in rows]


async def _section_staff(ctx: TenantContext) -> list[int]:
    rows = await ctx.select(RoleGrant, RoleGrant.user).where(
        RoleGrant.role.is_in(list(SUBJECT_ROLES)) & RoleGrant.user._.active.eq(True)
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


async def open_cycle_row(ctx: TenantContext, cycle_id: int) -> CycleView:
    """The cycle, refusing any change once it is locked."""
    cycle = await get_cycle(ctx, cycle_id)
    if cycle.locked:
        raise InvalidInput("{year} 年度考评已定稿锁定，不能再修改", year=cycle.year)
    return cycle


async def add_subject(ctx: TenantContext, cycle_id: int, staff_id: int) -> dict:
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    async with db.transaction():
        cycle = await open_cycle_row(ctx, cycle_id)
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
        cycle = await open_cycle_row(ctx, cycle_id)
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
        cycle = await open_cycle_row(ctx, cycle_id)
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


async def subject_of(ctx: TenantContext, cycle_id: int, staff_id: int) -> dict:
    row = (
        await ctx.select(Subject, Subject.id, Subject.person, Subject.person.name.as_alias("name"))
        .where((Subject.cycle == cycle_id) & (Subject.person == staff_id))
        .first()
    )
    if row is None:
        raise InvalidInput("该人员不是本次考评的对象")
    return row
