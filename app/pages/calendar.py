"""The calendar page: a year of working days, the county's decisions (admins change them in place)
and a due-date calculator; the superadmin's page for decisions that hold in every county.

Both pages are the same year grid and editor (``templates/calendar/_year.html``) over a
``Scope``: which calendar is shown and where a decision goes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from app import clock
from app.calendar import services
from app.calendar import year as year_page
from app.domain.workdays import SOURCE_COUNTY, SOURCE_GLOBAL, DayInfo
from app.errors import InvalidInput
from app.flows import calendar as calendar_change
from app.tenancy.context import NotFound, TenantContext
from app.tenancy.permissions import Permission
from app.urls import url
from app.web.feedback import done
from app.web.guards import County, requires, superadmin_guard
from app.web.identity import services_of
from app.web.render import page

# HTMX asks for one of these regions by its id (hx-target); anything else gets the whole page.
FRAGMENTS = ("year", "due")


@dataclass(frozen=True)
class Scope:
    """One county's calendar, or every county's (superadmin): what is shown, where changes go."""

    template: str
    link: Callable[..., str]  # the page's URL, with a query: scope.link(year=2027)
    source: str  # the decisions this page changes: the county's or the superadmin's
    this_year: int
    editable: bool
    year: Callable[[int], Awaitable[year_page.YearView]]
    set_day: Callable[[date, bool, str], Awaitable[DayInfo]]
    clear_day: Callable[[date], Awaitable[DayInfo]]
    set_entered: Callable[[int, bool], Awaitable[bool]]

    @property
    def of_county(self) -> bool:
        return self.source == SOURCE_COUNTY


def county_scope(ctx: TenantContext) -> Scope:
    return Scope(
        template="calendar/county.html",
        link=lambda **query: ctx.url("calendar", query=query),
        source=SOURCE_COUNTY,
        this_year=ctx.tenant.now().year,
        editable=ctx.actor.can(Permission.CALENDAR_MANAGE),
        year=lambda year: year_page.county_year(ctx, year),
        set_day=lambda day, workday, note: calendar_change.set_day(ctx, day, workday, note),
        clear_day=lambda day: calendar_change.clear_day(ctx, day),
        set_entered=lambda year, entered: calendar_change.set_year_entered(ctx, year, entered),
    )


def global_scope(request: Request) -> Scope:
    actor = request.scope["user"].actor(request.state.get("address", ""))
    today = clock.now().astimezone(ZoneInfo(services_of(request).settings.default_timezone)).date()
    return Scope(
        template="calendar/global.html",
        link=lambda **query: url("global_calendar", query=query),
        source=SOURCE_GLOBAL,
        this_year=today.year,
        editable=True,
        year=lambda year: year_page.global_year(year, today),
        set_day=lambda day, workday, note: calendar_change.set_global_day(actor, day, workday, note),
        clear_day=lambda day: calendar_change.clear_global_day(actor, day),
        set_entered=lambda year, entered: calendar_change.set_global_year_entered(actor, year, entered),
    )


def _year_or_this(raw: str, scope: Scope) -> tuple[int, str]:
    """The year asked for, or this year and why the one asked for cannot be shown."""
    if not raw:
        return scope.this_year, ""
    try:
        return services.parse_year(raw), ""
    except InvalidInput as exc:
        return scope.this_year, exc.localized()


def _editor_form(info: DayInfo | None) -> dict:
    if info is None:
        return {"day": "", "workday": "0", "note": ""}
    return {"day": info.day.isoformat(), "workday": "1" if info.workday else "0", "note": info.note}


def _picked(raw: str, view: year_page.YearView) -> dict:
    """The day a click on the grid chose (``?day=``), preselected in the editor."""
    cells = (cell for grid in view.months for week in grid.weeks for cell in week if cell)
    chosen = next((cell.info for cell in cells if cell.info.day.isoformat() == raw), None) if raw else None
    return {"chosen": chosen, "form": _editor_form(chosen)}


def _render(request: Request, scope: Scope, view: year_page.YearView, *, status_code: int = 200, **extra) -> Template:
    context = {
        "view": view,
        "scope": scope,
        "error": "",
        "saved": None,
        "chosen": None,
        "form": _editor_form(None),
        "due": None,
        "due_form": {"start": "", "working_days": ""},
        "due_error": "",
        **extra,
    }
    return page(request, scope.template, context, status_code=status_code, fragments=FRAGMENTS)


async def _change(request: Request, scope: Scope) -> Template | Redirect:
    """Sets or clears a day from the editor; HTMX gets the year back in place, a plain form a redirect."""
    form = await request.form()
    values = {key: form.get(key, "") for key in ("day", "workday", "note")}
    shown, _ = _year_or_this(form.get("year", ""), scope)  # where to show a refusal
    if form.get("action") in ("entered", "not_entered"):
        return await _mark_year(request, scope, form.get("year", ""), form.get("action") == "entered")
    try:
        day = services.parse_day(values["day"])
        if form.get("action") == "clear":
            try:
                saved = await scope.clear_day(day)
            except NotFound:
                raise InvalidInput("{day} 没有可恢复的调整", day=day.isoformat()) from None
        else:
            saved = await scope.set_day(day, values["workday"] == "1", values["note"])
    except InvalidInput as exc:
        return _render(request, scope, await scope.year(shown), status_code=400, error=exc.localized(), form=values)
    if not request.headers.get("hx-request"):
        return done(request, Redirect(scope.link(year=day.year), status_code=303))
    view = await scope.year(day.year)
    return done(request, _render(request, scope, view, saved=saved, chosen=saved, form=_editor_form(saved)))


async def _mark_year(request: Request, scope: Scope, raw_year: str, entered: bool) -> Template | Redirect:
    """Marks the year's schedule as entered (or not): its days stop (or start) being guesses."""
    shown, _ = _year_or_this(raw_year, scope)
    try:
        await scope.set_entered(services.parse_year(raw_year), entered)
    except InvalidInput as exc:
        return _render(request, scope, await scope.year(shown), status_code=400, error=exc.localized())
    if not request.headers.get("hx-request"):
        return done(request, Redirect(scope.link(year=shown), status_code=303))
    return done(request, _render(request, scope, await scope.year(shown)))


# ---- a county -------------------------------------------------------------------------------------------------------


@get("/calendar", name="calendar", guards=[requires(Permission.CASE_VIEW)])
async def county_page(
    request: Request,
    ctx: County,
    year: FromQuery[str] = "",
    day: FromQuery[str] = "",
    start: FromQuery[str] = "",
    working_days: FromQuery[str] = "",
) -> Template:
    """The year; ``day`` preselects the editor, ``start`` and ``working_days`` compute a due date."""
    scope = county_scope(ctx)
    shown, error = _year_or_this(year, scope)
    due, due_error = None, ""
    if start or working_days:
        try:
            received_on, count = services.parse_day(start), services.parse_working_days(working_days)
            due = (await services.calendar_of(ctx)).due_date(received_on, count)
        except InvalidInput as exc:
            due_error = exc.localized()
    view = await scope.year(shown)
    return _render(
        request,
        scope,
        view,
        status_code=400 if error or due_error else 200,
        error=error,
        due=due,
        due_form={"start": start, "working_days": working_days},
        due_error=due_error,
        **_picked(day, view),
    )


@post("/calendar", name="calendar_change", guards=[requires(Permission.CALENDAR_MANAGE)])
async def county_change(request: Request, ctx: County) -> Template | Redirect:
    return await _change(request, county_scope(ctx))


# ---- every county (superadmin) --------------------------------------------------------------------------------------


@get("/admin/calendar", name="global_calendar", guards=[superadmin_guard])
async def global_page(request: Request, year: FromQuery[str] = "", day: FromQuery[str] = "") -> Template:
    scope = global_scope(request)
    shown, error = _year_or_this(year, scope)
    view = await scope.year(shown)
    return _render(request, scope, view, status_code=400 if error else 200, error=error, **_picked(day, view))


@post("/admin/calendar", name="global_calendar_change", guards=[superadmin_guard])
async def global_change(request: Request) -> Template | Redirect:
    return await _change(request, global_scope(request))


PAGES = [county_page, county_change]
PUBLIC = [global_page, global_change]
