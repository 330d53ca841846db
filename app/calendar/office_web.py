"""The county's office hours (admins, SPEC §4): the page ``/t/{tenant}/settings/office-hours`` and
``/api/v1/t/{tenant}/settings/office_hours``."""

from __future__ import annotations

import msgspec
from litestar import Request, get, post, put
from litestar.params import JSONBody
from litestar.response import Redirect, Template

from app.calendar.office import office_hours_of, set_office_hours
from app.domain.office_hours import SEASON_NAMES
from app.errors import InvalidInput
from app.tenancy.permissions import Permission
from app.web.feedback import Done, done
from app.web.guards import County, requires
from app.web.render import page

SESSIONS_SHOWN = 4  # rows on the form; empty ones are left out

Pair = tuple[str, str]


class SeasonBody(msgspec.Struct, forbid_unknown_fields=True):
    sessions: list[Pair]
    from_: str = msgspec.field(name="from")
    to: str


class OfficeHoursBody(msgspec.Struct, forbid_unknown_fields=True):
    """``{"sessions": [["08:00", "12:00"], ["14:30", "17:30"]]}``, optional ``summer`` / ``winter``
    with ``from`` and ``to`` as month-day (``"06-01"``) and their own sessions."""

    sessions: list[Pair]
    summer: SeasonBody | None = None
    winter: SeasonBody | None = None


@get("/settings/office_hours", name="api_office_hours", guards=[requires(Permission.SETTINGS_MANAGE)])
async def office_hours_settings(ctx: County) -> dict:
    return (await office_hours_of(ctx)).as_json()


@put("/settings/office_hours", name="api_office_hours_put", guards=[requires(Permission.SETTINGS_MANAGE)])
async def put_office_hours(ctx: County, data: JSONBody[OfficeHoursBody]) -> dict:
    raw = {key: value for key, value in msgspec.to_builtins(data).items() if value is not None}
    return (await set_office_hours(ctx, raw)).as_json()


def _sessions_from(form, prefix: str) -> list[list[str]]:
    """The filled rows of one schedule on the form (a row with both times empty is no session)."""
    rows = []
    for n in range(SESSIONS_SHOWN):
        start, end = form.get(f"{prefix}start{n}", "").strip(), form.get(f"{prefix}end{n}", "").strip()
        if start or end:
            rows.append([start, end])
    return rows


def _raw_from(form) -> dict:
    raw: dict = {"sessions": _sessions_from(form, "")}
    for name in SEASON_NAMES:
        if form.get(f"{name}_on") == "on":
            raw[name] = {
                "from": form.get(f"{name}_from", "").strip(),
                "to": form.get(f"{name}_to", "").strip(),
                "sessions": _sessions_from(form, f"{name}_"),
            }
    return raw


def _shown(raw: dict) -> dict:
    """What the form shows: the stored hours, or what was typed when it was refused."""
    return {"sessions": raw.get("sessions", []), **{name: raw.get(name) for name in SEASON_NAMES}}


@get("/settings/office-hours", name="office_hours", guards=[requires(Permission.SETTINGS_MANAGE)])
async def office_hours_page(request: Request, ctx: County) -> Template:
    hours = (await office_hours_of(ctx)).as_json()
    return page(request, "settings/office_hours.html", {"hours": _shown(hours), "rows": SESSIONS_SHOWN, "error": ""})


@post("/settings/office-hours", name="office_hours_save", guards=[requires(Permission.SETTINGS_MANAGE)])
async def save_office_hours(request: Request, ctx: County) -> Template | Redirect:
    raw = _raw_from(await request.form())
    try:
        await set_office_hours(ctx, raw)
    except InvalidInput as exc:
        context = {"hours": _shown(raw), "rows": SESSIONS_SHOWN, "error": exc.localized()}
        return page(request, "settings/office_hours.html", context, status_code=400)
    return done(request, Redirect(ctx.url("office_hours"), status_code=303), Done.SETTINGS_SAVED)


PAGES = [office_hours_page, save_office_hours]
API = [office_hours_settings, put_office_hours]
