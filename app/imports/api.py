"""/api/v1/t/{tenant}/staff/import and /cases/import (SPEC §14): a multipart ``file``; with
``dry_run`` (the default) only checked. Any problem: 400 with every row's, and nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Response, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromQuery

from app.imports import services
from app.imports.services import Kind
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission
from app.web.guards import County, requires
from app.web.openapi import Refusal


@dataclass
class Upload:
    file: UploadFile


class RowProblem(msgspec.Struct):
    row: int
    column: str
    detail: str


class ImportAnswer(msgspec.Struct):
    """What the file does (or would do, with ``dry_run``); ``errors`` by row and column."""

    applied: bool  # false: a dry run, or refused for its problems
    created: int
    updated: int
    unchanged: int
    errors: list[RowProblem]


ANSWERS = {
    400: ResponseSpec(
        # A union is what the schema shows (one of two bodies); ResponseSpec's annotation admits one type.
        data_container=ImportAnswer | Refusal,  # type: ignore[arg-type]
        description="Rows with problems (every one listed; nothing written), or a file that is no such sheet.",
        generate_examples=False,
    )
}
UPLOAD = Body(media_type=RequestEncodingType.MULTI_PART)


async def _answer(ctx: TenantContext, kind: Kind, data: Upload, dry_run: bool) -> Response[ImportAnswer]:
    report = await services.run(ctx, kind, await data.file.read(), apply=not dry_run)
    return Response(msgspec.convert(report.as_dict(), ImportAnswer), status_code=200 if report.ok else 400)


@post(
    "/staff/import",
    name="api_import_staff",
    guards=[requires(Permission.DATA_IMPORT)],
    status_code=200,
    responses=ANSWERS,
)
async def import_staff(
    ctx: County, data: Annotated[Upload, UPLOAD], dry_run: FromQuery[bool] = True
) -> Response[ImportAnswer]:
    return await _answer(ctx, Kind.STAFF, data, dry_run)


@post(
    "/cases/import",
    name="api_import_cases",
    guards=[requires(Permission.DATA_IMPORT)],
    status_code=200,
    responses=ANSWERS,
)
async def import_cases(
    ctx: County, data: Annotated[Upload, UPLOAD], dry_run: FromQuery[bool] = True
) -> Response[ImportAnswer]:
    return await _answer(ctx, Kind.CASES, data, dry_run)


API = [import_staff, import_cases]
