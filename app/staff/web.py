"""Staff pages: the list, a new person, one person's details (edited in place by admins)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.domain.staff_search import StaffQuery, find
from app.errors import InvalidInput
from app.rota.services import lines
from app.staff import services
from app.tenancy.context import TenantContext
from app.tenancy.permissions import ROLE_LABELS, Permission
from app.web.feedback import Done, done
from app.web.guards import County, requires
from app.web.render import page


async def _form_context(ctx: TenantContext, **extra) -> dict:
    return {"lines": await lines(ctx, include_inactive=True), "roles": list(ROLE_LABELS), "error": "", **extra}


def _person_form(form) -> dict:
    return {
        "name": form.get("name", "").strip(),
        "phone": form.get("phone", "").strip(),
        "email": form.get("email", "").strip(),
        "roles": form.getall("roles", []),
        "qualifications": form.getall("qualifications", []),
    }


@get("/staff", name="staff", guards=[requires(Permission.STAFF_VIEW)])
async def staff_list(
    request: Request,
    ctx: County,
    q: FromQuery[str] = "",
    role: FromQuery[str] = "",
    line: FromQuery[str] = "",
    status: FromQuery[str] = "all",
) -> Template:
    everyone = await services.list_staff(ctx)
    query = StaffQuery.of(q, role, line, status)
    names = {line.code: line.name for line in await lines(ctx, include_inactive=True)}
    context = {"people": find(everyone, query), "total": len(everyone), "query": query, "line_names": names}
    return page(request, "staff/list.html", context, fragments=("people",))


@get("/staff/new", name="staff_new", guards=[requires(Permission.STAFF_MANAGE)])
async def new_person(request: Request, ctx: County) -> Template:
    empty = services.StaffView(0, "", "", "", ("staff",), (), True)
    return page(request, "staff/form.html", await _form_context(ctx, person=empty))


@post("/staff", name="staff_create", guards=[requires(Permission.STAFF_MANAGE)])
async def create_person(request: Request, ctx: County) -> Template | Redirect:
    form = await request.form()
    values = _person_form(form)
    username = form.get("username", "").strip()
    try:
        created = await services.create_staff(ctx, username=username, password=form.get("password") or None, **values)
    except InvalidInput as exc:
        attempted = services.StaffView(
            0,
            username,
            values["name"],
            values["phone"],
            tuple(values["roles"]),
            tuple(values["qualifications"]),
            True,
            values["email"],
        )
        context = await _form_context(ctx, person=attempted, error=exc.localized())
        return page(request, "staff/form.html", context, status_code=400)
    return done(
        request,
        Redirect(ctx.url("staff_person", staff_id=created.id), status_code=303),
        Done.STAFF_CREATED,
    )


@get("/staff/{staff_id:int}", name="staff_person", guards=[requires(Permission.STAFF_VIEW)])
async def person(request: Request, ctx: County, staff_id: FromPath[int]) -> Template:
    return page(request, "staff/form.html", await _form_context(ctx, person=await services.get_staff(ctx, staff_id)))


@post("/staff/{staff_id:int}", name="staff_person_save", guards=[requires(Permission.STAFF_MANAGE)])
async def update_person(request: Request, ctx: County, staff_id: FromPath[int]) -> Template | Redirect:
    form = await request.form()
    values = _person_form(form)
    try:
        await services.update_staff(ctx, staff_id, active=form.get("active") == "on", **values)
    except InvalidInput as exc:
        current = await services.get_staff(ctx, staff_id)
        context = await _form_context(ctx, person=current, error=exc.localized())
        return page(request, "staff/form.html", context, status_code=400)
    return done(
        request,
        Redirect(ctx.url("staff_person", staff_id=staff_id), status_code=303),
        Done.STAFF_SAVED,
    )


PAGES = [staff_list, new_person, create_person, person, update_person]
