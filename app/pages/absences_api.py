"""/api/v1/t/{tenant}/absences, the escalation pick and the door notice."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody

from app.absences import services
from app.domain.absence import Action
from app.flows import cover, door
from app.jobs import JobKind, enqueue
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission
from app.text import MultiLine, SingleLine
from app.web.forms import parse_instant
from app.web.guards import County, requires
from app.web.identity import services_of


class NewAbsence(msgspec.Struct, forbid_unknown_fields=True):
    staff_id: int
    kind: SingleLine
    reason: SingleLine
    starts_at: datetime
    ends_at: datetime
    contact: SingleLine = ""
    handover: MultiLine = ""
    show_contact: bool = False  # the contact may appear on the door notice


class PastAbsence(msgspec.Struct, forbid_unknown_fields=True):
    staff_id: int
    kind: SingleLine
    reason: SingleLine
    starts_at: datetime
    ends_at: datetime


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    note: SingleLine = ""


class Pick(msgspec.Struct, forbid_unknown_fields=True):
    staff_id: int


async def sweep_soon(request: Request, ctx: TenantContext) -> None:
    """After any change that may move people's posts, the substitution sweep runs for the county."""
    await enqueue(services_of(request).queue, JobKind.SUBSTITUTION, ctx.tenant.id)


@post("/absences", name="api_absence_post", guards=[requires(Permission.ABSENCE_POST)])
async def post_absence(request: Request, ctx: County, data: JSONBody[NewAbsence]) -> dict:
    absence = await services.post(
        ctx,
        person_id=data.staff_id,
        kind=data.kind,
        reason=data.reason,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        contact=data.contact,
        handover=data.handover,
        show_contact=data.show_contact,
    )
    await sweep_soon(request, ctx)
    return (await cover.covered(ctx, absence)).as_dict()


@post("/absences/afterwards", name="api_absence_afterwards", guards=[requires(Permission.ABSENCE_MANAGE)])
async def record_afterwards(ctx: County, data: JSONBody[PastAbsence]) -> dict:
    absence = await services.record_afterwards(
        ctx, person_id=data.staff_id, kind=data.kind, reason=data.reason, starts_at=data.starts_at, ends_at=data.ends_at
    )
    return absence.as_dict()


@get("/absences", name="api_absences", guards=[requires(Permission.ABSENCE_POST)])
async def list_absences(ctx: County, active_at: FromQuery[str] = "") -> list[dict]:
    return [a.as_dict() for a in await services.list_absences(ctx, active_at=parse_instant(ctx, active_at))]


@get("/absences/{absence_id:int}", name="api_absence", guards=[requires(Permission.ABSENCE_POST)])
async def get_absence(ctx: County, absence_id: FromPath[int]) -> dict:
    return (await cover.covered_absence(ctx, absence_id)).as_dict()


@post("/absences/{absence_id:int}/{action:str}", name="api_absence_decide", guards=[requires(Permission.ABSENCE_POST)])
async def decide(
    request: Request,
    ctx: County,
    absence_id: FromPath[int],
    action: FromPath[str],
    data: JSONBody[Decision | None] = None,
) -> dict:
    await services.get_absence(ctx, absence_id)  # another county's notice: not found, whatever the action
    try:
        chosen = Action(action)
    except ValueError:
        raise NotFoundException(f"no action {action!r}") from None
    absence = await services.decide(ctx, absence_id, chosen, data.note if data else "")
    await sweep_soon(request, ctx)
    return (await cover.covered(ctx, absence)).as_dict()


@post("/lines/{code:str}/pick", name="api_rota_pick", guards=[requires(Permission.ESCALATION_PICK)])
async def pick(request: Request, ctx: County, code: FromPath[str], data: JSONBody[Pick]) -> dict:
    await cover.pick(ctx, code, data.staff_id)
    await sweep_soon(request, ctx)
    return {"line": code, "acting": data.staff_id}


@get("/door-notice", name="api_door_notice", guards=[requires(Permission.ABSENCE_POST)])
async def door_notice(ctx: County) -> dict:
    notice = await door.door_notice(ctx)
    entries = notice.entries if notice else []
    return {
        "all_out": notice is not None,
        "entries": [
            {"name": e.person_name, "reason": e.reason, "ends_at": e.ends_at.isoformat(), "phone": e.phone}
            for e in entries
        ],
    }


API = [post_absence, record_afterwards, list_absences, get_absence, decide, pick, door_notice]
