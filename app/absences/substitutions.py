"""Who acted for whom, on which line, from when to when (第四条): the evidence the substitution
sweep leaves, for the absence's page (the case file reads it through app.flows.casefile).
"""

from __future__ import annotations

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
