"""/api/v1/t/{tenant}/lines and /rota"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from litestar import get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from app.flows import acting
from app.rota import services
from app.rota.posts import LineSpec
from app.tenancy.permissions import Permission
from app.text import SingleLine
from app.web.forms import parse_instant
from app.web.guards import County, requires

# A PATCH body: any of a line's settings (``LineSpec`` but its code), and ``active``. A struct made
# at run time is no type to the checker: to it, any struct.
if TYPE_CHECKING:
    LineChanges = msgspec.Struct
else:
    LineChanges = msgspec.defstruct(
        "LineChanges",
        [
            *(
                (field.name, field.type | msgspec.UnsetType, msgspec.UNSET)
                for field in msgspec.structs.fields(LineSpec)
                if field.name != "code"
            ),
            ("active", bool | msgspec.UnsetType, msgspec.UNSET),
        ],
        forbid_unknown_fields=True,
    )


class NewAssignment(msgspec.Struct, forbid_unknown_fields=True):
    a: int
    b: int
    approved_by: int | None = None
    reason: SingleLine = ""


def line_json(line: services.LineView) -> dict:
    return {
        "code": line.code,
        **line.settings(),
        "active": line.active,
        "a": line.a.id if line.a else None,
        "b": line.b.id if line.b else None,
    }


@get("/lines", name="api_lines", guards=[requires(Permission.ROTA_VIEW)])
async def list_lines(ctx: County) -> list[dict]:
    return [line_json(line) for line in await services.lines(ctx, include_inactive=True)]


@post("/lines", name="api_line_create", guards=[requires(Permission.ROTA_MANAGE)])
async def create_line(ctx: County, data: JSONBody[LineSpec]) -> dict:
    return line_json(await services.create_line(ctx, data))


@patch("/lines/{code:str}", name="api_line_update", guards=[requires(Permission.ROTA_MANAGE)])
async def update_line(ctx: County, code: FromPath[str], data: JSONBody[LineChanges]) -> dict:
    current = await services.line(ctx, code)
    values = {**current.settings(), "active": current.active}
    values.update({k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET})
    active = values.pop("active")
    return line_json(await services.update_line(ctx, code, LineSpec(code, **values), active=active))


@put("/lines/{code:str}/assignment", name="api_line_assignment", guards=[requires(Permission.ROTA_MANAGE)])
async def set_assignment(ctx: County, code: FromPath[str], data: JSONBody[NewAssignment]) -> dict:
    line = await services.assign(ctx, code, data.a, data.b, approved_by=data.approved_by, reason=data.reason)
    return line_json(line)


@get("/lines/{code:str}/history", name="api_line_history", guards=[requires(Permission.ROTA_VIEW)])
async def assignment_history(ctx: County, code: FromPath[str]) -> list[dict]:
    return [
        {
            "a": row["a"],
            "b": row["b"],
            "from": row["valid_from"].isoformat(),
            "to": row["valid_to"].isoformat() if row["valid_to"] else None,
            "changed_by": row["changed_by_label"],
            "approved_by": row["approved_by"],
            "reason": row["reason"],
        }
        for row in await services.history(ctx, code)
    ]


@get("/rota", name="api_rota", guards=[requires(Permission.ROTA_VIEW)])
async def rota(ctx: County, at: FromQuery[str] = "") -> list[dict]:
    return [
        {
            "line": row.line.code,
            "a": row.entry.a,
            "b": row.entry.b,
            "acting": row.entry.acting,
            "status": row.entry.status.value,
            "candidates": list(row.entry.candidates),
        }
        for row in await acting.rota(ctx, parse_instant(ctx, at))
    ]


API = [list_lines, create_line, update_line, set_assignment, assignment_history, rota]
