"""The rota board (who is acting on each line, now or at any time), the printable A/B table,
and the lines with their statutory time limits."""

from __future__ import annotations

from datetime import datetime

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.calendar.services import parse_working_days
from app.errors import InvalidInput
from app.flows import acting
from app.rota import services
from app.rota.posts import LineSpec
from app.rota.qualifications import candidates
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission
from app.web.feedback import Done, done
from app.web.forms import parse_instant
from app.web.guards import County, requires
from app.web.render import page

CHINESE_NUMERALS = "一二三四五六七八九十"


async def _board(request: Request, ctx: TenantContext, at: datetime | None, error: str = "", status_code: int = 200):
    rows = await acting.rota(ctx, at)
    shown_at = (at or ctx.tenant.now()).astimezone(ctx.tenant.zone)
    context = {
        "rows": rows,
        "at": shown_at,
        "at_given": at is not None,
        "error": error,
        "people": await candidates(ctx),
    }
    return page(request, "rota/board.html", context, status_code=status_code, fragments=("board",))


@get("/rota", name="rota", guards=[requires(Permission.ROTA_VIEW)])
async def board(request: Request, ctx: County, at: FromQuery[str] = "") -> Template:
    try:
        instant = parse_instant(ctx, at)
    except InvalidInput as exc:
        return await _board(request, ctx, None, exc.localized(), status_code=400)
    return await _board(request, ctx, instant)


@post("/rota/{code:str}/assignment", name="rota_assignment", guards=[requires(Permission.ROTA_MANAGE)])
async def change_post(request: Request, ctx: County, code: FromPath[str]) -> Template | Redirect:
    before = await services.line(ctx, code)  # another county's line is not found, whatever the form says
    form = await request.form()
    try:
        a, b = int(form.get("a", "")), int(form.get("b", ""))
    except ValueError:
        return await _board(request, ctx, None, InvalidInput("请选择A岗和B岗人员").localized(), status_code=400)
    try:
        await services.assign(ctx, code, a, b, reason=form.get("reason", ""))
    except InvalidInput as exc:
        return await _board(request, ctx, None, exc.localized(), status_code=400)
    # Undo = the same form with the previous holders (a new post, so the history keeps both changes).
    undo = ""
    if before.a and before.b and (before.a.id, before.b.id) != (a, b):
        undo = ctx.url("rota_assignment", code=code, query={"a": before.a.id, "b": before.b.id})
    if request.headers.get("hx-request"):
        return done(request, await _board(request, ctx, None), Done.POST_CHANGED, undo=undo)
    return done(request, Redirect(ctx.url("rota"), status_code=303), Done.POST_CHANGED, undo=undo)


@get("/rota/print", name="rota_print", guards=[requires(Permission.ROTA_VIEW)])
async def printable(request: Request, ctx: County) -> Template:
    posted = [line for line in await services.lines(ctx) if line.a and line.b]
    numbered = [
        (CHINESE_NUMERALS[i] if i < len(CHINESE_NUMERALS) else str(i + 1), line) for i, line in enumerate(posted)
    ]
    return page(request, "rota/print.html", {"numbered": numbered, "today": ctx.tenant.now().date()})


@get("/rota/{code:str}/history", name="rota_history", guards=[requires(Permission.ROTA_VIEW)])
async def post_history(request: Request, ctx: County, code: FromPath[str]) -> Template:
    line = await services.line(ctx, code)
    rows = await services.history(ctx, code)
    for row in rows:
        for key in ("valid_from", "valid_to"):
            row[key] = row[key].astimezone(ctx.tenant.zone) if row[key] else None
    return page(request, "rota/history.html", {"line": line, "rows": rows})


@get("/lines", name="lines", guards=[requires(Permission.ROTA_VIEW)])
async def lines_page(request: Request, ctx: County) -> Template:
    return page(request, "rota/lines.html", {"lines": await services.lines(ctx, include_inactive=True), "error": ""})


def _optional_days(raw: str) -> int | None:
    return parse_working_days(raw) if raw.strip() else None


def _line_spec(code: str, form) -> LineSpec:
    return LineSpec(
        code,
        form.get("name", ""),
        parse_working_days(form.get("working_days", "")),
        _optional_days(form.get("separated_working_days", "")),
        needs_survey=form.get("needs_survey") == "on",
        needs_posting=form.get("needs_posting") == "on",
        materials=form.get("materials", ""),
    )


@post("/lines", name="line_add", guards=[requires(Permission.ROTA_MANAGE)])
async def add_line(request: Request, ctx: County) -> Template | Redirect:
    form = await request.form()
    try:
        await services.create_line(ctx, _line_spec(form.get("code", "").strip(), form))
    except InvalidInput as exc:
        context = {"lines": await services.lines(ctx, include_inactive=True), "error": exc.localized()}
        return page(request, "rota/lines.html", context, status_code=400)
    return done(request, Redirect(ctx.url("lines"), status_code=303))


@post("/lines/{code:str}", name="line_save", guards=[requires(Permission.ROTA_MANAGE)])
async def edit_line(request: Request, ctx: County, code: FromPath[str]) -> Template | Redirect:
    await services.line(ctx, code)  # another county's line is not found, whatever the form says
    form = await request.form()
    try:
        await services.update_line(ctx, code, _line_spec(code, form), active=form.get("active") == "on")
    except InvalidInput as exc:
        context = {"lines": await services.lines(ctx, include_inactive=True), "error": exc.localized()}
        return page(request, "rota/lines.html", context, status_code=400)
    return done(request, Redirect(ctx.url("lines"), status_code=303))


PAGES = [board, change_post, printable, post_history, lines_page, add_line, edit_line]
