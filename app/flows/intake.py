"""Intake (SPEC §6) across the rota and casework: the rota says which line takes the application
and who handles it (the line's A holder, or whoever acts for them while they are away; nobody,
while nobody present can: the case starts uncovered); casework checks, dates and records it.
"""

from __future__ import annotations

from datetime import date

from app.calendar.services import calendar_of
from app.cases.intake import Application, receive, working_days_of
from app.cases.register import CaseView
from app.domain.casework import CaseDates, case_dates
from app.errors import InvalidInput
from app.flows import acting
from app.rota import services as rota
from app.tenancy.context import TenantContext


async def intake(ctx: TenantContext, application: Application) -> CaseView:
    line = await rota.active_line_row(ctx, application.line)
    handler = await rota.a_holder(ctx, line["id"])
    if handler is None:
        raise InvalidInput("{line}尚未设A岗，请管理员先在A/B岗设置中指定", line=line["name"])
    acting_handler = (await acting.snapshot(ctx)).case_acting(line["id"], handler)
    return await receive(ctx, application, line, handler=handler, acting_handler=acting_handler)


async def lines(ctx: TenantContext) -> list[dict]:
    """The lines an application may be received on (and the register is filtered by)."""
    return await rota.line_rows(ctx)


async def due_preview(
    ctx: TenantContext, line_code: str, received_on: date, separated_household: bool
) -> tuple[int, CaseDates] | None:
    """The working days and the dates a case of the line received that day would get (None for no
    such line): the intake form shows them before the application is sent."""
    line = await rota.line_row(ctx, line_code)
    if line is None:
        return None
    days = working_days_of(line, separated_household)
    return days, case_dates(await calendar_of(ctx), received_on, days)
