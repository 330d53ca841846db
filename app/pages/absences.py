"""Absence pages: post a notice (category and substitutes shown before sending), decide in place,
record afterwards (补录), the printable door notice, and the section head's pick on the board."""

from __future__ import annotations

from datetime import datetime

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import clock
from app.absences import overview, services, substitutions
from app.absences.month import Month
from app.accounts.services import members
from app.domain.absence import Action, Kind, Notice, check_action
from app.errors import InvalidInput
from app.flows import cover, door
from app.pages.absences_api import sweep_soon
from app.rota import services as rota
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission
from app.web.feedback import Done, done
from app.web.forms import parse_instant
from app.web.guards import County, requires
from app.web.render import page

DECIDED = {
    Action.APPROVE: Done.ABSENCE_APPROVED,
    Action.REJECT: Done.ABSENCE_REJECTED,
    Action.CANCEL: Done.ABSENCE_CANCELLED,
    Action.RETURN: Done.ABSENCE_RETURNED,
}


def _when(ctx: TenantContext, raw: str, field: str) -> datetime:
    parsed = parse_instant(ctx, raw)
    if parsed is None:
        raise InvalidInput("请填写{field}", field=field)
    return parsed


def _person(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput("请选择人员") from None


async def _list_context(ctx: TenantContext, **extra) -> dict:
    people = [p for p in await members(ctx) if p.active] if ctx.actor.can(Permission.ABSENCE_MANAGE) else []
    return {
        "mine": await services.list_absences(ctx, person_id=ctx.actor.user_id, limit=20),
        "current": await services.list_absences(ctx, active_at=ctx.tenant.now()),
        "kinds": list(Kind),
        "people": people,
        "error": "",
        "form": {},
        "door": await door.door_notice(ctx),
        "labels": services,
        **extra,
    }


@get("/absences", name="absences", guards=[requires(Permission.ABSENCE_POST)])
async def absences_page(request: Request, ctx: County) -> Template:
    return page(request, "absences/list.html", await _list_context(ctx))


@get("/absences/overview", name="absences_overview", guards=[requires(Permission.ABSENCE_OVERVIEW)])
async def overview_page(
    request: Request,
    ctx: County,
    staff_id: FromQuery[int | None] = None,
    kind: FromQuery[str] = "",
    status: FromQuery[str] = "",
    month: FromQuery[str] = "",
) -> Template:
    """Everyone's absences: away today, coming up, waiting for a decision, and a month's calendar."""
    context = {"people": await members(ctx), "labels": services, "error": "", "shown": None, "query": None}
    try:
        query = overview.OverviewQuery(Month.parse(month, ctx.tenant.now().date()), staff_id, kind, status)
    except InvalidInput as exc:
        context["error"] = exc.localized()
        query = overview.OverviewQuery(Month.parse("", ctx.tenant.now().date()))
    context.update(query=query, shown=await overview.overview(ctx, query))
    return page(request, "absences/overview.html", context, status_code=400 if context["error"] else 200)


@get("/absences/preview", name="absence_preview", guards=[requires(Permission.ABSENCE_POST)])
async def preview(
    request: Request,
    ctx: County,
    starts_at: FromQuery[str] = "",
    ends_at: FromQuery[str] = "",
    staff_id: FromQuery[int | None] = None,
) -> Template:
    """What the notice will be: category, who approves, who takes over (before it is sent)."""
    context: dict = {"category": None, "approver": None, "substitutes": (), "problem": "", "labels": services}
    person_id = staff_id if staff_id and ctx.actor.can(Permission.ABSENCE_MANAGE) else ctx.actor.require_user()
    try:
        start, end = _when(ctx, starts_at, "离岗时间"), _when(ctx, ends_at, "预计返回时间")
        planned = await cover.preview(ctx, person_id, start, end)
        context.update(category=planned.category.value, approver=planned.approver, substitutes=planned.substitutes)
    except InvalidInput as exc:
        context["problem"] = exc.localized()
    return page(request, "absences/preview.html", context)


@post("/absences", name="absence_post", guards=[requires(Permission.ABSENCE_POST)])
async def post_absence(request: Request, ctx: County) -> Template | Redirect:
    form = await request.form()
    fields = ("kind", "reason", "starts_at", "ends_at", "contact", "handover", "staff_id", "show_contact")
    values = {k: form.get(k, "") for k in fields}
    try:
        person_id = _person(values["staff_id"]) if values["staff_id"] else ctx.actor.require_user()
        absence = await services.post(
            ctx,
            person_id=person_id,
            kind=values["kind"],
            reason=values["reason"],
            starts_at=_when(ctx, values["starts_at"], "离岗时间"),
            ends_at=_when(ctx, values["ends_at"], "预计返回时间"),
            contact=values["contact"],
            handover=values["handover"],
            show_contact=values["show_contact"] == "1",
        )
    except InvalidInput as exc:
        context = await _list_context(ctx, error=exc.localized(), form=values)
        return page(request, "absences/list.html", context, status_code=400)
    await sweep_soon(request, ctx)
    path = ctx.url("absence", absence_id=absence.id)
    undo = ctx.url("absence_decide", absence_id=absence.id, action="cancel") if _cancellable(absence) else ""
    return done(request, Redirect(path, status_code=303), Done.ABSENCE_POSTED, undo=undo)


def _cancellable(absence: services.AbsenceView) -> bool:
    """Whether the notice may still be withdrawn (what its undo does)."""
    try:
        check_action(Action.CANCEL, Notice.of(absence), clock.now())
    except InvalidInput:
        return False
    return True


@get("/absences/afterwards", name="absence_afterwards", guards=[requires(Permission.ABSENCE_MANAGE)])
async def afterwards_form(request: Request, ctx: County) -> Template:
    people = await members(ctx)
    return page(
        request,
        "absences/afterwards.html",
        {"people": people, "kinds": list(Kind), "error": "", "form": {}, "labels": services},
    )


@post("/absences/afterwards", name="absence_afterwards_record", guards=[requires(Permission.ABSENCE_MANAGE)])
async def record_afterwards(request: Request, ctx: County) -> Template | Redirect:
    form = await request.form()
    values = {k: form.get(k, "") for k in ("staff_id", "kind", "reason", "starts_at", "ends_at")}
    try:
        absence = await services.record_afterwards(
            ctx,
            person_id=_person(values["staff_id"]),
            kind=values["kind"],
            reason=values["reason"],
            starts_at=_when(ctx, values["starts_at"], "离岗时间"),
            ends_at=_when(ctx, values["ends_at"], "返回时间"),
        )
    except InvalidInput as exc:
        return page(
            request,
            "absences/afterwards.html",
            {
                "people": await members(ctx),
                "kinds": list(Kind),
                "error": exc.localized(),
                "form": values,
                "labels": services,
            },
            status_code=400,
        )
    return done(
        request,
        Redirect(ctx.url("absence", absence_id=absence.id), status_code=303),
        Done.ABSENCE_RECORDED,
    )


@get("/absences/door-notice", name="door_notice", guards=[requires(Permission.ABSENCE_POST)])
async def door_notice(request: Request, ctx: County) -> Template:
    return page(request, "absences/door.html", {"door": await door.door_notice(ctx), "labels": services})


async def _detail(
    request: Request, ctx: TenantContext, absence_id: int, error: str = "", status_code: int = 200
) -> Template:
    absence = await cover.covered_absence(ctx, absence_id)
    deciders = await services.approvers_of(ctx, absence.approver_role, absence.person_id)
    context = {
        "a": absence,
        "can_decide": absence.status == "pending" and ctx.actor.user_id in deciders,
        "history": await substitutions.substitution_history(ctx, absence_id),
        "labels": services,
        "error": error,
    }
    return page(request, "absences/detail.html", context, status_code=status_code, fragments=("decision",))


@get("/absences/{absence_id:int}", name="absence", guards=[requires(Permission.ABSENCE_POST)])
async def absence_page(request: Request, ctx: County, absence_id: FromPath[int]) -> Template:
    return await _detail(request, ctx, absence_id)


@post("/absences/{absence_id:int}/{action:str}", name="absence_decide", guards=[requires(Permission.ABSENCE_POST)])
async def decide(
    request: Request, ctx: County, absence_id: FromPath[int], action: FromPath[str]
) -> Template | Redirect:
    await services.get_absence(ctx, absence_id)
    try:
        chosen = Action(action)
    except ValueError:
        raise NotFoundException(f"no action {action!r}") from None
    form = await request.form()
    back = form.get("back", "")
    try:
        await services.decide(ctx, absence_id, chosen, form.get("note", ""))
    except InvalidInput as exc:
        return await _detail(request, ctx, absence_id, exc.localized(), status_code=400)
    await sweep_soon(request, ctx)
    if request.headers.get("hx-request") and not back:
        return done(request, await _detail(request, ctx, absence_id), DECIDED[chosen])
    inside_county = back.startswith(ctx.url("dashboard"))
    target = back if inside_county else ctx.url("absence", absence_id=absence_id)
    return done(request, Redirect(target, status_code=303), DECIDED[chosen])


@post("/rota/{code:str}/pick", name="rota_pick", guards=[requires(Permission.ESCALATION_PICK)])
async def pick(request: Request, ctx: County, code: FromPath[str]) -> Redirect:
    await rota.line(ctx, code)  # another county's line (or none) is a 404 before the form is read
    form = await request.form()
    try:
        person_id = int(form.get("staff_id", ""))
    except ValueError:
        raise InvalidInput("请选择替岗人员") from None
    await cover.pick(ctx, code, person_id)
    await sweep_soon(request, ctx)
    return done(request, Redirect(ctx.url("rota"), status_code=303), Done.PICKED)


PAGES = [
    absences_page,
    overview_page,
    preview,
    post_absence,
    afterwards_form,
    record_afterwards,
    door_notice,
    absence_page,
    decide,
    pick,
]
