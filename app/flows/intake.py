"""Intake (SPEC §6) across the rota and casework: the rota says which line takes the application
and who handles it (the line's A holder, or whoever acts for them while they are away; nobody,
while nobody present can: the case starts uncovered); casework checks, dates and records it.
"""

from __future__ import annotations

from app.cases.intake import Application, receive
from app.cases.register import CaseView
from app.errors import InvalidInput
from app.rota import services as rota
from app.tenancy.context import TenantContext


async def intake(ctx: TenantContext, application: Application) -> CaseView:
    line = await rota.active_line_row(ctx, application.line)
    handler = await rota.a_holder(ctx, line["id"])
    if handler is None:
        raise InvalidInput("{line}尚未设A岗，请管理员先在A/B岗设置中指定", line=line["name"])
    acting_handler = (await rota.snapshot(ctx)).case_acting(line["id"], handler)
    return await receive(ctx, application, line, handler=handler, acting_handler=acting_handler)
