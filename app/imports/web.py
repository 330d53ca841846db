"""The import page (admins): a template to download, an upload previewed with every problem in
place, then the same file applied."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Response, Template

from app.domain.sheet_rows import OUTCOME_LABELS
from app.errors import InvalidInput
from app.imports import services
from app.imports.services import KIND_LABELS, Kind
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission
from app.web.excel import download
from app.web.guards import County, requires
from app.web.render import page

TEMPLATE_NAMES = {Kind.STAFF: "staff-template.xlsx", Kind.CASES: "cases-template.xlsx"}


def _context(**results) -> dict:
    return {"kinds": list(Kind), "kind_labels": KIND_LABELS, "outcome_labels": OUTCOME_LABELS, "results": results}


@get("/imports", name="imports", guards=[requires(Permission.DATA_IMPORT)])
async def imports_page(request: Request, ctx: County) -> Template:
    return page(request, "imports/page.html", _context())


async def _upload(request: Request, ctx: TenantContext, kind: Kind) -> Template:
    """Preview (or, with ``apply=1``, import) the uploaded file; the kind's result block answers HTMX."""
    form = await request.form()
    upload = form.get("file")
    apply = form.get("apply") == "1"
    result: dict[str, object]
    try:
        if not isinstance(upload, UploadFile):
            raise InvalidInput("请选择要导入的 Excel 文件（.xlsx）")
        report = await services.run(ctx, kind, await upload.read(), apply=apply)
        result, status = {"report": report}, 200 if report.ok else 400
    except InvalidInput as exc:
        result, status = {"error": exc.localized()}, 400
    return page(
        request,
        "imports/page.html",
        _context(**{kind.value: result}),
        status_code=status,
        fragments=(f"{kind.value}_result",),
    )


@post("/imports/staff", name="import_staff", guards=[requires(Permission.DATA_IMPORT)])
async def upload_staff(request: Request, ctx: County) -> Template:
    return await _upload(request, ctx, Kind.STAFF)


@post("/imports/cases", name="import_cases", guards=[requires(Permission.DATA_IMPORT)])
async def upload_cases(request: Request, ctx: County) -> Template:
    return await _upload(request, ctx, Kind.CASES)


@get("/imports/staff/template.xlsx", name="import_staff_template", guards=[requires(Permission.DATA_IMPORT)])
async def staff_template(ctx: County) -> Response:
    return download(await services.template(ctx, Kind.STAFF), TEMPLATE_NAMES[Kind.STAFF])


@get("/imports/cases/template.xlsx", name="import_cases_template", guards=[requires(Permission.DATA_IMPORT)])
async def cases_template(ctx: County) -> Response:
    return download(await services.template(ctx, Kind.CASES), TEMPLATE_NAMES[Kind.CASES])


PAGES = [imports_page, upload_staff, upload_cases, staff_template, cases_template]
