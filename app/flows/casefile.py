"""The case page and the evidence pack: the case file, with who acted for its handler while the
case was open (第四条), which the absences know.
"""

from __future__ import annotations

from dataclasses import replace

from app.absences.substitutions import substitutions_during
from app.cases import casefile
from app.cases.casefile import CaseFile
from app.tenancy.context import TenantContext


async def case_file(ctx: TenantContext, case_id: int) -> CaseFile:
    folder = await casefile.case_file(ctx, case_id)
    case = folder.case
    substitutions = await substitutions_during(
        ctx, case.line_code, case.handler_id, since=case.created_at, until=case.decided_at
    )
    return replace(folder, substitutions=substitutions)
