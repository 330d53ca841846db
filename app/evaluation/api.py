"""/api/v1/t/{tenant}/evaluations: cycles, subjects, ratings, the compute job and results."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from app.evaluation import cycles, grassroots, outcomes, ratings
from app.jobs import JobKind, enqueue
from app.tenancy.permissions import Permission
from app.text import SingleLine
from app.web.guards import County, requires
from app.web.identity import services_of


class NewCycle(msgspec.Struct, forbid_unknown_fields=True):
    year: int
    weights: dict[SingleLine, int | SingleLine] | None = None
    trim: bool = True


class NewSubject(msgspec.Struct, forbid_unknown_fields=True):
    staff_id: int


class NewRating(msgspec.Struct, forbid_unknown_fields=True):
    staff_id: int
    component: SingleLine
    # A number or a decimal string (both become a Decimal: msgspec allows one str-like type in a
    # union); at most 2 places (the scoring module says so if not).
    score: Decimal | int | None = None
    dimensions: dict[SingleLine, Decimal | int] | list[Decimal | int] | None = None
    rater_label: SingleLine = ""


class Step(msgspec.Struct, forbid_unknown_fields=True):
    step: SingleLine


class Finalise(msgspec.Struct, forbid_unknown_fields=True):
    policy: SingleLine = ""


class Reopen(msgspec.Struct, forbid_unknown_fields=True):
    reason: SingleLine


class NewLinks(msgspec.Struct, forbid_unknown_fields=True):
    count: int
    prefix: SingleLine = grassroots.DEFAULT_PREFIX


@get("/evaluations/cycles", name="api_evaluations", guards=[requires(Permission.EVALUATION_RATE)])
async def list_cycles(ctx: County) -> list[dict]:
    return [cycle.as_dict() for cycle in await cycles.list_cycles(ctx)]


@post("/evaluations/cycles", name="api_evaluation_open", guards=[requires(Permission.EVALUATION_MANAGE)])
async def open_cycle(ctx: County, data: JSONBody[NewCycle]) -> dict:
    return (await cycles.open_cycle(ctx, data.year, data.weights, data.trim)).as_dict()


@get("/evaluations/cycles/{cycle_id:int}", name="api_evaluation", guards=[requires(Permission.EVALUATION_RATE)])
async def get_cycle(ctx: County, cycle_id: FromPath[int]) -> dict:
    return (await cycles.get_cycle(ctx, cycle_id)).as_dict()


@post(
    "/evaluations/cycles/{cycle_id:int}/subjects",
    name="api_evaluation_subject_add",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def add_subject(ctx: County, cycle_id: FromPath[int], data: JSONBody[NewSubject]) -> dict:
    return await cycles.add_subject(ctx, cycle_id, data.staff_id)


@post(
    "/evaluations/cycles/{cycle_id:int}/ratings",
    name="api_evaluation_rate",
    guards=[requires(Permission.EVALUATION_RATE)],
)
async def rate(ctx: County, cycle_id: FromPath[int], data: JSONBody[NewRating]) -> dict:
    return await ratings.rate(
        ctx,
        cycle_id,
        staff_id=data.staff_id,
        component=data.component,
        score=data.score,
        dimensions=data.dimensions,
        rater_label=data.rater_label,
    )


@post(
    "/evaluations/cycles/{cycle_id:int}/step",
    name="api_evaluation_step",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def set_step(ctx: County, cycle_id: FromPath[int], data: JSONBody[Step]) -> dict:
    return (await cycles.set_step(ctx, cycle_id, data.step)).as_dict()


@post(
    "/evaluations/cycles/{cycle_id:int}/finalise",
    name="api_evaluation_finalise",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def finalise(ctx: County, cycle_id: FromPath[int], data: JSONBody[Finalise | None] = None) -> dict:
    return (await cycles.finalise(ctx, cycle_id, data.policy if data else "")).as_dict()


@post(
    "/evaluations/cycles/{cycle_id:int}/reopen",
    name="api_evaluation_reopen",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def reopen(ctx: County, cycle_id: FromPath[int], data: JSONBody[Reopen]) -> dict:
    return (await cycles.reopen(ctx, cycle_id, data.reason)).as_dict()


@post(
    "/evaluations/cycles/{cycle_id:int}/links",
    name="api_evaluation_links",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def create_links(ctx: County, cycle_id: FromPath[int], data: JSONBody[NewLinks]) -> list[dict]:
    links = await grassroots.create_links(ctx, cycle_id, data.count, data.prefix)
    return [{**link, "expires_at": link["expires_at"].isoformat()} for link in links]


@post(
    "/evaluations/cycles/{cycle_id:int}/compute",
    name="api_evaluation_compute",
    guards=[requires(Permission.EVALUATION_MANAGE)],
    status_code=HTTP_202_ACCEPTED,
)
async def compute(request: Request, ctx: County, cycle_id: FromPath[int]) -> dict:
    await cycles.get_cycle(ctx, cycle_id)
    return {"job_id": await enqueue(services_of(request).queue, JobKind.EVALUATION, ctx.tenant.id, cycle_id)}


@get(
    "/evaluations/cycles/{cycle_id:int}/results",
    name="api_evaluation_results",
    guards=[requires(Permission.EVALUATION_RESULTS)],
)
async def results(ctx: County, cycle_id: FromPath[int]) -> list[dict]:
    return [result.as_dict() for result in await outcomes.results(ctx, cycle_id)]


@get(
    "/evaluations/cycles/{cycle_id:int}/progress",
    name="api_evaluation_progress",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def progress(ctx: County, cycle_id: FromPath[int]) -> list[dict]:
    return await outcomes.progress(ctx, cycle_id)


API = [
    list_cycles,
    open_cycle,
    get_cycle,
    add_subject,
    rate,
    set_step,
    finalise,
    reopen,
    create_links,
    compute,
    results,
    progress,
]
