"""The case page and the evidence pack: the case file, with who acted for its handler while the
case was open (第四条), which the absences know.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.cases import casefile
from app.cases.casefile import CaseFile, Part
from app.tenancy.context import TenantContext


class SubstitutionRow(msgspec.Struct):
    started_at: datetime
    ended_at: datetime | None
    status: str
    substitute_name: str | None
    person_name: str | None
    reason: str


# The substitutions of the case's handler on the case's line between its receipt and its decision,
# read in the case file's own statement (the case is ``c``).
SUBSTITUTIONS = Part(
    SubstitutionRow,
    """SELECT s.started_at, s.ended_at, s.status, u.name AS substitute_name, who.name AS person_name, a.reason
    FROM substitution s
    JOIN absence a ON a.id = s.absence
    LEFT JOIN portal_user u ON u.id = s.substitute
    LEFT JOIN portal_user who ON who.id = a.person
    WHERE s.tenant = {tenant} AND s.line = c.line AND a.person = c.handler
    AND (s.ended_at IS NULL OR s.ended_at >= c.created_at)
    AND (c.decided_at IS NULL OR s.started_at <= c.decided_at)""",
    "started_at",
)


async def case_file(ctx: TenantContext, case_id: int) -> CaseFile:
    return await casefile.case_file(ctx, case_id, substitutions=SUBSTITUTIONS)
