"""Who covers for an absent person (同岗替代): what an absence does to the rota, shown before the
notice is sent and while it is decided, and the section head's pick when A and B are both away.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from app import clock, db
from app.absences.services import AbsenceView, Substitute, category_of, get_absence
from app.absences.tables import EscalationPick
from app.accounts.tables import RoleGrant
from app.audit.services import record_in
from app.domain.absence import Category, approver_role
from app.domain.rota import Status as RotaStatus
from app.errors import InvalidInput
from app.flows import acting
from app.i18n.messages import said
from app.rota import services as rota
from app.tenancy.context import TenantContext


async def substitutes_for(ctx: TenantContext, person_id: int, at: datetime) -> tuple[Substitute, ...]:
    """What the person's absence at ``at`` (or now, if ``at`` has passed) does to the rota: who takes
    over each line they hold as A, and any other line whose acting holder it changes (B leaving
    while A is away leaves the line escalated or uncovered: the approver sees it first)."""
    moment = max(at, clock.now())
    before = {row.line.id: row.entry for row in await acting.rota(ctx, moment)}
    after = await acting.rota(ctx, moment, also_away={person_id})
    return tuple(
        Substitute(row.line.code, row.line.name, row.entry.acting, row.name(row.entry.acting), row.entry.status.value)
        for row in after
        if row.entry.a == person_id
        or (row.entry.acting, row.entry.status) != (before[row.line.id].acting, before[row.line.id].status)
    )


@dataclass(frozen=True)
class Preview:
    """What a notice will be before it is sent: its category, who approves, what it does to the rota."""

    category: Category
    approver: str | None
    substitutes: tuple[Substitute, ...]


async def preview(ctx: TenantContext, person_id: int, starts_at: datetime, ends_at: datetime) -> Preview:
    category = await category_of(ctx, starts_at, ends_at)
    roles = [r["role"] for r in await ctx.select(RoleGrant, RoleGrant.role).where(RoleGrant.user == person_id)]
    substitutes = await substitutes_for(ctx, person_id, starts_at) if category is not Category.NONE else ()
    return Preview(category, approver_role(category, roles), substitutes)


async def covered(ctx: TenantContext, absence: AbsenceView) -> AbsenceView:
    """The notice with who takes over its lines (none for a brief absence or a 补录)."""
    if absence.category == Category.NONE or absence.recorded_afterwards:
        return absence
    return replace(absence, substitutes=await substitutes_for(ctx, absence.person_id, absence.starts_at))


async def covered_absence(ctx: TenantContext, absence_id: int) -> AbsenceView:
    return await covered(ctx, await get_absence(ctx, absence_id))


async def pick(ctx: TenantContext, code: str, person_id: int) -> None:
    """The section head (or leader) chooses who acts on a line whose A and B are both away."""
    line = await rota.line(ctx, code)
    now = clock.now()
    # Judged as if nobody were picked yet, so the head can also switch to another qualified person.
    rows = await acting.rota(ctx, now, with_picks=False)
    entry = next((row.entry for row in rows if row.line.code == code), None)
    if entry is None or entry.status != RotaStatus.ESCALATED:
        raise InvalidInput("{line} 目前不需要指定替岗人员", line=line.name)
    people = await rota.people(ctx, [person_id])
    if person_id not in entry.candidates:
        raise InvalidInput(
            "{name} 不能替岗 {line}：须熟悉该岗位业务且在岗", name=people[person_id].name, line=line.name
        )
    async with db.transaction():
        await db.serialize(EscalationPick, ctx.tenant.id, line.id)  # two heads choosing at once: one after the other
        await ctx.update(EscalationPick, {EscalationPick.ended_at: now}).where(
            (EscalationPick.line == line.id) & EscalationPick.ended_at.is_null()
        )
        await ctx.new(EscalationPick, line=line.id, acting=person_id, chosen_by=ctx.actor.user_id, chosen_at=now).save()
        await record_in(
            ctx,
            action="escalation.pick",
            entity="line",
            entity_id=line.id,
            summary=said("{line}：由 {person} 替岗", line=line.name, person=people[person_id].name),
            after={"acting": person_id},
        )
