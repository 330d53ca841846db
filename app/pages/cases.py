"""Case pages: the register (filters, pages, Excel), intake, the case page with each step in
place, the printed notice, receipt and evidence pack, and the accountability records."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from app.accounts.services import people_holding
from app.accounts.tables import User
from app.cases import accountability as records
from app.cases import casefile, enquiries, posting, steps, survey
from app.cases import intake as case_intake
from app.cases import register as case_register
from app.cases.events import EVENT_LABELS
from app.cases.export import workbook
from app.domain.casework import (
    CHANNEL_LABELS,
    ENQUIRY_STATUS_LABELS,
    LEVEL_LABELS,
    REVIEW_LEVEL_LABELS,
    Channel,
    EnquiryStatus,
    PriorReview,
    ReviewLevel,
    checklist,
)
from app.domain.pipeline import ACTION_LABELS, OPEN, STATUS_LABELS, Status
from app.errors import InvalidInput
from app.flows import casefile as flow_casefile
from app.flows import intake as intake_flow
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission, Role
from app.web.excel import download
from app.web.feedback import Done, done
from app.web.forms import day, whole_number
from app.web.guards import County, requires
from app.web.render import page

LABELS = {
    "status": STATUS_LABELS,
    "action": ACTION_LABELS,
    "level": LEVEL_LABELS,
    "event": EVENT_LABELS,
    "review_level": REVIEW_LEVEL_LABELS,
    "channel": CHANNEL_LABELS,
    "enquiry_status": ENQUIRY_STATUS_LABELS,
    "eligibility": {"below": "低于低保标准", "above": "高于低保标准", "n/a": ""},
    # A status's colour: refused in red, decided otherwise in green, open in amber.
    "status_tone": {
        status: "bad" if status in (Status.REJECTED, Status.NOT_ACCEPTED) else "warn" if status in OPEN else "ok"
        for status in Status
    },
}
# Who can receive, investigate or handle a case: the section's active staff and its head.
CASE_WORKERS = {Role.STAFF, Role.SECTION_HEAD}
REVIEW_FIELD_PREFIXES = tuple(f"{level}_" for level in ReviewLevel)
# Where in the register a link points, not what it filters: the pager's links set them afresh.
PLACE = {"page", "after", "before"}


def _filter_from(query: dict) -> case_register.CaseFilter:
    handler = query.get("handler_id", "")
    return case_register.CaseFilter(
        line=query.get("line", ""),
        status=query.get("status", ""),
        handler_id=whole_number(handler, "经办人") if handler else None,
        due_from=day(query.get("due_from", ""), "到期起"),
        due_to=day(query.get("due_to", ""), "到期止"),
        overdue=query.get("overdue", "") in ("1", "true", "on"),
        uncovered=query.get("uncovered", "") in ("1", "true", "on"),
        open_only=query.get("open", "") in ("1", "true", "on"),
        applicant=query.get("q", ""),
        page=whole_number(query.get("page", "1") or "1", "页码"),
        after=case_register.Cursor.parse(query.get("after", "")),
        before=case_register.Cursor.parse(query.get("before", "")),
    )


@get("/cases", name="cases", guards=[requires(Permission.CASE_VIEW)])
async def register(request: Request, ctx: County) -> Template:
    error = ""
    try:
        chosen = _filter_from(dict(request.query_params))
        found = await case_register.list_cases(ctx, chosen)
    except InvalidInput as exc:
        error, found = exc.localized(), await case_register.list_cases(ctx, case_register.CaseFilter())
    query = {k: v for k, v in request.query_params.items() if k not in PLACE and v}
    context = {
        "found": found,
        "query": query,
        "lines": await intake_flow.lines(ctx),
        "people": await people_holding(ctx, CASE_WORKERS),
        "statuses": list(Status),
        "labels": LABELS,
        "error": error,
    }
    return page(request, "cases/register.html", context, fragments=("results",))


@get("/cases/export.xlsx", name="cases_export", guards=[requires(Permission.CASE_VIEW)])
async def export(request: Request, ctx: County) -> Response:
    cases = await case_register.all_cases(ctx, _filter_from(dict(request.query_params)))
    return download(workbook(cases, ctx.tenant.name), f"cases-{ctx.tenant.slug}-{ctx.tenant.now():%Y%m%d}.xlsx")


async def _intake_context(ctx: TenantContext, form: dict, error: str = "") -> dict:
    return {
        "lines": await intake_flow.lines(ctx),
        "people": await people_holding(ctx, CASE_WORKERS),
        "form": form,
        "error": error,
        "today": ctx.tenant.now().date(),
        "review_levels": list(ReviewLevel),
        # Reviews typed before a refused intake stay in view.
        "reviews_entered": any(value for key, value in form.items() if key.startswith(REVIEW_FIELD_PREFIXES)),
        "labels": LABELS,
    }


@get("/cases/new", name="case_new", guards=[requires(Permission.CASE_WORK)])
async def intake_form(request: Request, ctx: County) -> Template:
    return page(request, "cases/new.html", await _intake_context(ctx, {}))


@get("/cases/due-preview", name="case_due_preview", guards=[requires(Permission.CASE_VIEW)])
async def due_preview(
    request: Request,
    ctx: County,
    line: FromQuery[str] = "",
    received_on: FromQuery[str] = "",
    separated_household: FromQuery[str] = "",
) -> Template:
    """The due date as soon as the line and the day of receipt are chosen (the form's own field names)."""
    context: dict = {"dates": None, "days": None, "problem": ""}
    try:
        received = day(received_on, "接收日期")
        preview = await intake_flow.due_preview(ctx, line, received, separated_household == "on") if received else None
        if preview:
            context.update(days=preview[0], dates=preview[1])
    except InvalidInput as exc:
        context["problem"] = exc.localized()
    return page(request, "cases/due_preview.html", context)


@post("/cases", name="case_intake", guards=[requires(Permission.CASE_WORK)])
async def intake(request: Request, ctx: County) -> Template | Redirect:
    form = dict(await request.form())
    try:
        case = await intake_flow.intake(
            ctx,
            case_intake.Application(
                line=form.get("line", ""),
                applicant_name=form.get("applicant_name", ""),
                applicant_id_number=form.get("applicant_id_number", ""),
                household_size=whole_number(form.get("household_size", ""), "家庭人口"),
                received_on=day(form.get("received_on", ""), "接收日期", required=True),
                first_receiver_id=whole_number(form.get("first_receiver_id", ""), "首问责任人"),
                separated_household=form.get("separated_household", "") == "on",
                address=form.get("address", ""),
                phone=form.get("phone", ""),
                monthly_income=form.get("monthly_income", ""),
                prior_reviews=_prior_reviews(form),
            ),
        )
    except InvalidInput as exc:
        return page(request, "cases/new.html", await _intake_context(ctx, form, exc.localized()), status_code=400)
    return done(request, Redirect(ctx.url("case", case_id=case.id), status_code=303), Done.CASE_CREATED)


def _prior_reviews(form: dict) -> list[PriorReview]:
    """The village's and the town's review and posting, as the intake form names their fields."""
    return [
        PriorReview(
            level=level.value,
            reviewed_on=day(form.get(f"{level}_reviewed_on", ""), "审核日期"),
            posted_from=day(form.get(f"{level}_posted_from", ""), "公示开始日期"),
            posted_to=day(form.get(f"{level}_posted_to", ""), "公示结束日期"),
            outcome=form.get(f"{level}_outcome", ""),
            document=form.get(f"{level}_document", ""),
        )
        for level in ReviewLevel
    ]


async def _case_page(
    request: Request,
    ctx: TenantContext,
    case_id: int,
    error: str = "",
    status_code: int = 200,
    *,
    failed_step: str = "",
    form=None,
):
    """The case page; after a refused step, that step's form comes back with what was typed."""
    folder = await flow_casefile.case_file(ctx, case_id)
    context = {
        "f": folder,
        "c": folder.case,
        "labels": LABELS,
        "error": error,
        "checklist": checklist(folder.case.line_code, folder.materials),
        "people": await people_holding(ctx, CASE_WORKERS),
        "today": ctx.tenant.now().date(),
        "full_id": "",
        "failed_step": failed_step,
        "kept": form if failed_step else None,
    }
    return page(request, "cases/detail.html", context, status_code=status_code, fragments=("work",))


@get("/cases/{case_id:int}", name="case", guards=[requires(Permission.CASE_VIEW)])
async def case_page(request: Request, ctx: County, case_id: FromPath[int]) -> Template:
    return await _case_page(request, ctx, case_id)


async def _notice(ctx: TenantContext, case_id: int, form) -> None:
    items = [*form.getall("items", []), *form.get("other_items", "").splitlines()]
    await steps.issue_notice(ctx, case_id, items, form.get("reason", ""))


async def _survey(ctx: TenantContext, case_id: int, form) -> None:
    await survey.record_survey(
        ctx,
        case_id,
        visited_on=day(form.get("visited_on", ""), "调查日期", required=True),
        findings=form.get("findings", ""),
        conclusion=form.get("conclusion", ""),
        investigators=[whole_number(raw, "调查人") for raw in form.getall("investigators", []) if raw],
    )


async def _posting(ctx: TenantContext, case_id: int, form) -> None:
    await posting.start_posting(
        ctx, case_id, day(form.get("starts_on", ""), "公示开始日期", required=True), form.get("place", "")
    )


async def _objection(ctx: TenantContext, case_id: int, form) -> None:
    await posting.record_objection(
        ctx,
        case_id,
        day(form.get("raised_on", ""), "异议日期", required=True),
        form.get("raised_by", ""),
        form.get("content", ""),
    )


async def _resolve(ctx: TenantContext, case_id: int, form) -> None:
    await posting.resolve_objection(
        ctx, case_id, whole_number(form.get("objection_id", ""), "异议"), form.get("resolution", "")
    )


async def _extend(ctx: TenantContext, case_id: int, form) -> None:
    await steps.extend(ctx, case_id, whole_number(form.get("working_days", ""), "延期天数"), form.get("reason", ""))


# Each step of the case page: the permission it needs and what it does with the form.
STEPS = {
    "accept": (Permission.CASE_WORK, lambda ctx, case_id, form: steps.decide_intake(ctx, case_id, True)),
    "refuse": (
        Permission.CASE_WORK,
        lambda ctx, case_id, form: steps.decide_intake(ctx, case_id, False, form.get("reason", "")),
    ),
    "notice": (Permission.CASE_WORK, _notice),
    "survey": (Permission.CASE_WORK, _survey),
    "sign": (Permission.CASE_WORK, lambda ctx, case_id, form: survey.sign_survey(ctx, case_id)),
    "posting": (Permission.CASE_WORK, _posting),
    "objection": (Permission.CASE_WORK, _objection),
    "resolve": (Permission.CASE_WORK, _resolve),
    "approve": (Permission.CASE_DECIDE, lambda ctx, case_id, form: steps.decide(ctx, case_id, True)),
    "reject": (
        Permission.CASE_DECIDE,
        lambda ctx, case_id, form: steps.decide(ctx, case_id, False, form.get("reason", "")),
    ),
    "close": (Permission.CASE_WORK, lambda ctx, case_id, form: steps.close(ctx, case_id, form.get("reason", ""))),
    "extend": (Permission.CASE_EXTEND, _extend),
}


@post("/cases/{case_id:int}/{step:str}", name="case_step", guards=[requires(Permission.CASE_VIEW)])
async def take_step(request: Request, ctx: County, case_id: FromPath[int], step: FromPath[str]) -> Template | Redirect:
    await case_register.get_case(ctx, case_id)
    if step not in STEPS:
        raise NotFoundException(f"no step {step!r}")
    permission, act = STEPS[step]
    ctx.actor.require(permission)
    form = await request.form()
    try:
        await act(ctx, case_id, form)
    except InvalidInput as exc:
        return await _case_page(request, ctx, case_id, exc.localized(), status_code=400, failed_step=step, form=form)
    if request.headers.get("hx-request"):
        return done(request, await _case_page(request, ctx, case_id), Done.CASE_STEP)
    return done(request, Redirect(ctx.url("case", case_id=case_id), status_code=303), Done.CASE_STEP)


@post("/cases/{case_id:int}/id-number", name="case_id_number", guards=[requires(Permission.CASE_VIEW)])
async def reveal_id_number(request: Request, ctx: County, case_id: FromPath[int]) -> Template:
    number = await steps.reveal_id_number(ctx, case_id)
    return page(request, "cases/id_number.html", {"number": number})


@get("/cases/{case_id:int}/notices/{notice_id:int}", name="case_notice", guards=[requires(Permission.CASE_VIEW)])
async def print_notice(request: Request, ctx: County, case_id: FromPath[int], notice_id: FromPath[int]) -> Template:
    return page(request, "cases/print_notice.html", await casefile.notice_payload(ctx, case_id, notice_id))


@get("/cases/{case_id:int}/receipts/{receipt_id:int}", name="case_receipt", guards=[requires(Permission.CASE_VIEW)])
async def print_receipt(request: Request, ctx: County, case_id: FromPath[int], receipt_id: FromPath[int]) -> Template:
    return page(request, "cases/print_receipt.html", await casefile.receipt_payload(ctx, case_id, receipt_id))


@get("/cases/{case_id:int}/evidence", name="case_evidence", guards=[requires(Permission.CASE_VIEW)])
async def evidence(request: Request, ctx: County, case_id: FromPath[int]) -> Template:
    """Everything about the case on paper, in one go, for an inspection."""
    folder = await flow_casefile.case_file(ctx, case_id)
    return page(request, "cases/evidence.html", {"f": folder, "c": folder.case, "labels": LABELS})


@get("/accountability", name="accountability", guards=[requires(Permission.CASE_VIEW)])
async def accountability(request: Request, ctx: County, year: FromQuery[int | None] = None) -> Template:
    by_person: dict[tuple[int, str], list] = {}
    for record in await records.list_records(ctx, year=year):
        by_person.setdefault((record.person_id, record.person_name), []).append(record)
    return page(
        request,
        "cases/accountability.html",
        {"by_person": by_person, "year": year, "labels": LABELS, "this_year": ctx.tenant.now().year},
    )


async def _person_page(
    request: Request, ctx: TenantContext, staff_id: int, *, error: str = "", failed: int | None = None, form=None
) -> Template:
    person = await ctx.select_one(User, staff_id, User.id, User.name)
    context = {
        "person": person,
        "records": await records.list_records(ctx, staff_id=staff_id),
        "labels": LABELS,
        "error": error,
        "failed": failed,
        "kept": form,
        "today": ctx.tenant.now().date(),
    }
    return page(request, "cases/accountability_person.html", context, status_code=400 if error else 200)


@get("/accountability/staff/{staff_id:int}", name="accountability_person", guards=[requires(Permission.CASE_VIEW)])
async def accountability_person(request: Request, ctx: County, staff_id: FromPath[int]) -> Template:
    """One person's records: each occasion with its cases, a warning's remedy, a sanction's head record."""
    return await _person_page(request, ctx, staff_id)


@post(
    "/accountability/{record_id:int}/remedy",
    name="accountability_remedy",
    guards=[requires(Permission.ACCOUNTABILITY_MANAGE)],
)
async def remedy(request: Request, ctx: County, record_id: FromPath[int]) -> Template | Redirect:
    record = await records.get_record(ctx, record_id)
    form = await request.form()
    try:
        await records.set_remedy(
            ctx,
            record_id,
            form.get("remedy", ""),
            day(form.get("remedy_due_on", ""), "补救期限"),
            day(form.get("remedy_done_on", ""), "完成日期"),
        )
    except InvalidInput as exc:
        return await _person_page(request, ctx, record.person_id, error=exc.localized(), failed=record_id, form=form)
    back = ctx.url("accountability_person", staff_id=record.person_id, anchor=f"record-{record_id}")
    return done(request, Redirect(back, status_code=303))


# --- first-receiver register (首问负责) --------------------------------------------------------------


def _enquiry_filter(query: dict) -> enquiries.EnquiryFilter:
    receiver = query.get("receiver_id", "")
    return enquiries.EnquiryFilter(
        status=query.get("status", ""),
        channel=query.get("channel", ""),
        receiver_id=whole_number(receiver, "首问责任人") if receiver else None,
        text=query.get("q", ""),
        page=whole_number(query.get("page", "1") or "1", "页码"),
    )


async def _register_page(request: Request, ctx: TenantContext, *, form=None, error: str = "") -> Template:
    query = dict(request.query_params)
    try:
        found = await enquiries.list_enquiries(ctx, _enquiry_filter(query))
    except InvalidInput as exc:
        error, found = error or exc.localized(), await enquiries.list_enquiries(ctx, enquiries.EnquiryFilter())
    context = {
        "found": found,
        "query": {k: v for k, v in query.items() if k != "page" and v},
        "people": await people_holding(ctx, CASE_WORKERS),
        "channels": list(Channel),
        "statuses": list(EnquiryStatus),
        "labels": LABELS,
        "form": form or {},
        "error": error,
        "today": ctx.tenant.now().date(),
    }
    return page(request, "cases/enquiries.html", context, status_code=400 if form else 200, fragments=("results",))


@get("/enquiries", name="enquiries", guards=[requires(Permission.CASE_VIEW)])
async def enquiry_register(request: Request, ctx: County) -> Template:
    return await _register_page(request, ctx)


@post("/enquiries", name="enquiry_log", guards=[requires(Permission.CASE_WORK)])
async def log_enquiry(request: Request, ctx: County) -> Template | Redirect:
    form = await request.form()
    try:
        case_id = form.get("case_id", "").strip()
        enquiry = await enquiries.log_enquiry(
            ctx,
            enquiries.NewEnquiry(
                visitor=form.get("visitor", ""),
                channel=form.get("channel", ""),
                question=form.get("question", ""),
                answer=form.get("answer", ""),
                referred_to=form.get("referred_to", ""),
                referred_on=day(form.get("referred_on", ""), "转办日期"),
                case_id=whole_number(case_id, "案件编号") if case_id else None,
                contact=form.get("contact", ""),
            ),
        )
    except InvalidInput as exc:
        return await _register_page(request, ctx, form=form, error=exc.localized())
    return done(
        request,
        Redirect(ctx.url("enquiry", enquiry_id=enquiry.id), status_code=303),
        Done.ENQUIRY_LOGGED,
    )


async def _enquiry_page(
    request: Request, ctx: TenantContext, enquiry_id: int, *, error: str = "", form=None
) -> Template:
    context = {
        "e": await enquiries.get_enquiry(ctx, enquiry_id),
        "labels": LABELS,
        "error": error,
        "kept": form or {},
        "today": ctx.tenant.now().date(),
    }
    return page(request, "cases/enquiry.html", context, status_code=400 if error else 200)


@get("/enquiries/{enquiry_id:int}", name="enquiry", guards=[requires(Permission.CASE_VIEW)])
async def enquiry_page(request: Request, ctx: County, enquiry_id: FromPath[int]) -> Template:
    return await _enquiry_page(request, ctx, enquiry_id)


@post("/enquiries/{enquiry_id:int}/{change:str}", name="enquiry_change", guards=[requires(Permission.CASE_WORK)])
async def change_enquiry(
    request: Request, ctx: County, enquiry_id: FromPath[int], change: FromPath[str]
) -> Template | Redirect:
    """``confirm``: the other office took the referral over; ``link``: it became this case."""
    await enquiries.get_enquiry(ctx, enquiry_id)
    form = await request.form()
    try:
        if change == "confirm":
            await enquiries.confirm_referral(
                ctx, enquiry_id, day(form.get("confirmed_on", ""), "确认日期", required=True), form.get("note", "")
            )
        elif change == "link":
            await enquiries.link_case(ctx, enquiry_id, whole_number(form.get("case_id", ""), "案件编号"))
        else:
            raise NotFoundException(f"no change {change!r}")
    except InvalidInput as exc:
        return await _enquiry_page(request, ctx, enquiry_id, error=exc.localized(), form=form)
    return done(request, Redirect(ctx.url("enquiry", enquiry_id=enquiry_id), status_code=303))


PAGES = [
    register,
    export,
    intake_form,
    due_preview,
    intake,
    case_page,
    take_step,
    reveal_id_number,
    print_notice,
    print_receipt,
    evidence,
    accountability,
    accountability_person,
    remedy,
    enquiry_register,
    log_enquiry,
    enquiry_page,
    change_enquiry,
]
