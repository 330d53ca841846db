"""``/api/v1/t/{tenant}/settings/office_hours``: the county's office hours (admins), SPEC §4."""

from __future__ import annotations

import msgspec
from litestar import get, put
from litestar.params import JSONBody

from app.calendar.office import office_hours_of, set_office_hours
from app.tenancy.permissions import Permission
from app.web.guards import County, requires

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


@get("/settings/office_hours", guards=[requires(Permission.SETTINGS_MANAGE)])
async def office_hours_settings(ctx: County) -> dict:
    return (await office_hours_of(ctx)).as_json()


@put("/settings/office_hours", guards=[requires(Permission.SETTINGS_MANAGE)])
async def put_office_hours(ctx: County, data: JSONBody[OfficeHoursBody]) -> dict:
    raw = {key: value for key, value in msgspec.to_builtins(data).items() if value is not None}
    return (await set_office_hours(ctx, raw)).as_json()


API = [office_hours_settings, put_office_hours]
