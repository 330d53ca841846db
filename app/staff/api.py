"""/api/v1/t/{tenant}/staff"""

from __future__ import annotations

import msgspec
from litestar import get, patch, post
from litestar.params import FromPath, JSONBody

from app.staff import services
from app.tenancy.permissions import Permission
from app.text import SingleLine
from app.web.guards import County, requires


class NewStaff(msgspec.Struct, forbid_unknown_fields=True):
    username: SingleLine
    name: SingleLine
    roles: list[SingleLine] = msgspec.field(default_factory=lambda: ["staff"])
    phone: SingleLine = ""
    email: SingleLine = ""
    qualifications: list[SingleLine] = msgspec.field(default_factory=list)
    password: str | None = None


class StaffChanges(msgspec.Struct, forbid_unknown_fields=True):
    name: SingleLine | msgspec.UnsetType = msgspec.UNSET
    phone: SingleLine | msgspec.UnsetType = msgspec.UNSET
    email: SingleLine | msgspec.UnsetType = msgspec.UNSET
    roles: list[SingleLine] | msgspec.UnsetType = msgspec.UNSET
    qualifications: list[SingleLine] | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


@get("/staff", name="api_staff", guards=[requires(Permission.STAFF_VIEW)])
async def list_staff(ctx: County) -> list[dict]:
    return [person.as_dict() for person in await services.list_staff(ctx)]


@post("/staff", name="api_staff_create", guards=[requires(Permission.STAFF_MANAGE)])
async def create_staff(ctx: County, data: JSONBody[NewStaff]) -> dict:
    created = await services.create_staff(ctx, **msgspec.structs.asdict(data))
    return created.as_dict()


@get("/staff/{staff_id:int}", name="api_staff_person", guards=[requires(Permission.STAFF_VIEW)])
async def get_staff(ctx: County, staff_id: FromPath[int]) -> dict:
    return (await services.get_staff(ctx, staff_id)).as_dict()


@patch("/staff/{staff_id:int}", name="api_staff_person_update", guards=[requires(Permission.STAFF_MANAGE)])
async def update_staff(ctx: County, staff_id: FromPath[int], data: JSONBody[StaffChanges]) -> dict:
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    return (await services.update_staff(ctx, staff_id, **changes)).as_dict()


API = [list_staff, create_staff, get_staff, update_staff]
