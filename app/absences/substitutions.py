"""Who acted for whom, on which line, from when to when (第四条): the evidence the substitution
sweep leaves, for the absence's page and the case file.
"""

from __future__ import annotations

from datetime import datetime

from app.absences.tables import Substitution
from app.tenancy.context import TenantContext


async def substitution_history(ctx: TenantContext, absence_id: int) -> list[dict]:
    """Who acted on which line during this absence, from when to when (evidence for inspections)."""
    rows = (
        await ctx.select(
            Substitution,
            Substitution.line.name,
            Substitution.substitute.name,
            Substitution.status,
            Substitution.started_at,
            Substitution.ended_at,
        )
        .where(Substitution.absence == absence_id)
        .order_by(Substitution.started_at)
    )
    for row in rows:
        for key in ("started_at", "ended_at"):
            row[key] = row[key].astimezone(ctx.tenant.zone) if row[key] else None
    return rows


async def substitutions_during(
    ctx: TenantContext, line_code: str, person_id: int, since: datetime, until: datetime | None
) -> list[dict]:
    """Who acted for ``person_id`` on the line between the two instants (第四条): a case's file."""
    query = ctx.select(
        Substitution,
        Substitution.started_at,
        Substitution.ended_at,
        Substitution.status,
        Substitution.substitute.name.as_alias("substitute_name"),
        Substitution.absence._.person._.name.as_alias("person_name"),
        Substitution.absence.reason.as_alias("reason"),
    ).where(
        (Substitution.line.code == line_code)
        & (Substitution.absence.person == person_id)
        & (Substitution.ended_at.is_null() | (Substitution.ended_at >= since))
    )
    if until:
        query = query.where(Substitution.started_at <= until)
    return await query.order_by(Substitution.started_at)
