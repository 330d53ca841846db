"""/api/v1/t/{tenant}/calendar: due dates, and the county's decisions about single days."""

from __future__ import annotations

import msgspec
from litestar import delete, get, put
from litestar.params import FromPath, FromQuery, JSONBody

from app.calendar import services
from app.domain.workdays import DayInfo
from app.flows import calendar as calendar_change
from app.tenancy.permissions import Permission
from app.text import SingleLine
from app.web.guards import County, requires


class YearMark(msgspec.Struct, forbid_unknown_fields=True):
    entered: bool


class DayDecision(msgspec.Struct, forbid_unknown_fields=True):
    workday: bool
    note: SingleLine = ""


def day_json(info: DayInfo) -> dict:
    return {
        "day": info.day.isoformat(),
        "workday": info.workday,
        "note": info.note,
        "source": info.source,
        "provisional": info.provisional,
    }


@get("/calendar/due", name="api_calendar_due", guards=[requires(Permission.CASE_VIEW)])
async def due(ctx: County, start: FromQuery[str] = "", working_days: FromQuery[str] = "") -> dict:
    received_on = services.parse_day(start)
    count = services.parse_working_days(working_days)
    result = (await services.calendar_of(ctx)).due_date(received_on, count)
    return {"due_on": result.due_on.isoformat(), "provisional": result.provisional}


@get("/calendar/days", name="api_calendar_days", guards=[requires(Permission.CASE_VIEW)])
async def year_days(ctx: County, year: FromQuery[str] = "") -> list[dict]:
    wanted = services.parse_year(year) if year else ctx.tenant.now().year
    calendar = await services.calendar_of(ctx)
    return [day_json(info) for month in range(1, 13) for info in calendar.month(wanted, month)]


@put("/calendar/days/{day:str}", name="api_calendar_day_set", guards=[requires(Permission.CALENDAR_MANAGE)])
async def set_day(ctx: County, day: FromPath[str], data: JSONBody[DayDecision]) -> dict:
    return day_json(await calendar_change.set_day(ctx, services.parse_day(day), data.workday, data.note))


@delete(
    "/calendar/days/{day:str}",
    name="api_calendar_day_clear",
    guards=[requires(Permission.CALENDAR_MANAGE)],
    status_code=200,
)
async def clear_day(ctx: County, day: FromPath[str]) -> dict:
    return day_json(await calendar_change.clear_day(ctx, services.parse_day(day)))


@put("/calendar/years/{year:int}", name="api_calendar_year_mark", guards=[requires(Permission.CALENDAR_MANAGE)])
async def mark_year(ctx: County, year: FromPath[int], data: JSONBody[YearMark]) -> dict:
    """The county's schedule of the year is complete (or not): only then are its due dates final."""
    return {"year": year, "entered": await calendar_change.set_year_entered(ctx, year, data.entered)}


API = [due, year_days, set_day, clear_day, mark_year]
