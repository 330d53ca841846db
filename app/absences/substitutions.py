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


# Written out: building its four joins cost Piccolo more CPU than PostgreSQL spends answering (every
# case page asks).
SUBSTITUTIONS_DURING = """
SELECT s.started_at, s.ended_at, s.status, u.name AS substitute_name, p.name AS person_name, a.reason
FROM substitution s
JOIN line l ON l.id = s.line
JOIN absence a ON a.id = s.absence
LEFT JOIN portal_user u ON u.id = s.substitute
LEFT JOIN portal_user p ON p.id = a.person
WHERE s.tenant = {} AND l.code = {} AND a.person = {} AND (s.ended_at IS NULL OR s.ended_at >= {})
"""


async def substitutions_during(
    ctx: TenantContext, line_code: str, person_id: int, since: datetime, until: datetime | None
) -> list[dict]:
    """Who acted for ``person_id`` on the line between the two instants (第四条): a case's file."""
    before, values = ("AND s.started_at <= {} ", (until,)) if until else ("", ())
    sql = SUBSTITUTIONS_DURING + before + "ORDER BY s.started_at"
    return await Substitution.raw(sql, ctx.tenant.id, line_code, person_id, since, *values)
