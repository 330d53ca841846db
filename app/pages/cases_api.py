"""/api/v1/t/{tenant}/cases: intake, the register, each step of the pipeline, extensions, and
/accountability. The same services as the pages."""

from __future__ import annotations

from datetime import date

import msgspec
from litestar import Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from app.cases import accountability as records
from app.cases import casefile, enquiries, intake, posting, register, steps, survey
from app.errors import InvalidInput
from app.flows import intake as intake_flow
from app.tenancy.permissions import Permission
from app.text import MultiLine, SingleLine
from app.web.forms import day
from app.web.guards import County, requires


class Step(msgspec.Struct, forbid_unknown_fields=True):
    """accept, refuse (with the reason), or close."""

    action: SingleLine
    reason: SingleLine = ""


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    """审批: approve, or not with the reason."""

    approve: bool
    reason: SingleLine = ""


class Notice(msgspec.Struct, forbid_unknown_fields=True):
    items: list[SingleLine]
    reason: SingleLine = ""


class SurveyRecord(msgspec.Struct, forbid_unknown_fields=True):
    visited_on: date
    findings: MultiLine
    conclusion: MultiLine
    investigators: list[int]


class PostingStart(msgspec.Struct, forbid_unknown_fields=True):
    starts_on: date
    place: SingleLine


class NewObjection(msgspec.Struct, forbid_unknown_fields=True):
    raised_on: date
    content: MultiLine
    raised_by: SingleLine = ""


class Resolution(msgspec.Struct, forbid_unknown_fields=True):
    resolution: MultiLine


class ExtensionRequest(msgspec.Struct, forbid_unknown_fields=True):
    working_days: int
    reason: SingleLine


@post("/cases", name="api_case_create", guards=[requires(Permission.CASE_WORK)])
async def create_case(ctx: County, data: JSONBody[intake.Application]) -> dict:
    return (await intake_flow.intake(ctx, data)).as_dict()


@get("/cases", name="api_cases", guards=[requires(Permission.CASE_VIEW)])
async def list_cases(
    request: Request,
    ctx: County,
    line: FromQuery[str] = "",
    status: FromQuery[str] = "",
    handler_id: FromQuery[int | None] = None,
    due_from: FromQuery[str] = "",
    due_to: FromQuery[str] = "",
    overdue: FromQuery[bool] = False,
    uncovered: FromQuery[bool] = False,
    page: FromQuery[int] = 1,
    after: FromQuery[str] = "",
) -> dict:
    chosen = register.CaseFilter(
        line=line,
        status=status,
        handler_id=handler_id,
        due_from=day(due_from, "到期起"),
        due_to=day(due_to, "到期止"),
        overdue=overdue,
        uncovered=uncovered,
        page=page,
        after=register.Cursor.parse(after),
    )
    found = await register.list_cases(ctx, chosen)
    following = None
    if found.page < found.pages and found.last:
        # The next page seeks from this page's last case (``after``) instead of walking every case
        # before it, as the register's own pager does.
        query = {key: value for key, value in request.query_params.items() if key not in ("page", "after")}
        following = ctx.url("api_cases", query={**query, "page": found.page + 1, "after": str(found.last)})
    return {
        "cases": [case.as_dict() for case in found.cases],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        # True: at least ``total`` cases and ``pages`` pages; the count reaches ten pages past ``page``.
        "more": found.more,
        "next": following,
    }


@get("/cases/{case_id:int}", name="api_case", guards=[requires(Permission.CASE_VIEW)])
async def get_case(ctx: County, case_id: FromPath[int]) -> dict:
    return (await register.get_case(ctx, case_id)).as_dict()


@get("/cases/{case_id:int}/timeline", name="api_case_timeline", guards=[requires(Permission.CASE_VIEW)])
async def timeline(ctx: County, case_id: FromPath[int]) -> list[dict]:
    folder = await casefile.case_file(ctx, case_id)
    return [
        {
            "at": event.at.isoformat(),
            "kind": event.kind,
            "actor": event.actor_label,
            "from_status": event.from_status or None,
            "to_status": event.to_status or None,
            "note": event.note,
        }
        for event in folder.events
    ]


@post("/cases/{case_id:int}/steps", name="api_case_step", guards=[requires(Permission.CASE_WORK)])
async def step(ctx: County, case_id: FromPath[int], data: JSONBody[Step]) -> dict:
    await register.get_case(ctx, case_id)
    if data.action in ("accept", "refuse"):
        case = await steps.decide_intake(ctx, case_id, data.action == "accept", data.reason)
    elif data.action == "close":
        case = await steps.close(ctx, case_id, data.reason)
    else:
        raise InvalidInput("没有“{action}”这个办理步骤", action=data.action)
    return case.as_dict()


@post("/cases/{case_id:int}/decision", name="api_case_decide", guards=[requires(Permission.CASE_DECIDE)])
async def decide(ctx: County, case_id: FromPath[int], data: JSONBody[Decision]) -> dict:
    return (await steps.decide(ctx, case_id, data.approve, data.reason)).as_dict()


@post("/cases/{case_id:int}/notices", name="api_case_notice", guards=[requires(Permission.CASE_WORK)])
async def issue_notice(ctx: County, case_id: FromPath[int], data: JSONBody[Notice]) -> dict:
    notice_id = await steps.issue_notice(ctx, case_id, data.items, data.reason)
    return {"id": notice_id, "case": (await register.get_case(ctx, case_id)).as_dict()}


@post("/cases/{case_id:int}/survey", name="api_case_survey", guards=[requires(Permission.CASE_WORK)])
async def record_survey(ctx: County, case_id: FromPath[int], data: JSONBody[SurveyRecord]) -> dict:
    survey_id = await survey.record_survey(
        ctx,
        case_id,
        visited_on=data.visited_on,
        findings=data.findings,
        conclusion=data.conclusion,
        investigators=data.investigators,
    )
    return {"id": survey_id, "case": (await register.get_case(ctx, case_id)).as_dict()}


@post("/cases/{case_id:int}/survey/sign", name="api_case_survey_sign", guards=[requires(Permission.CASE_WORK)])
async def sign_survey(ctx: County, case_id: FromPath[int]) -> dict:
    await survey.sign_survey(ctx, case_id)
    return (await register.get_case(ctx, case_id)).as_dict()


@post("/cases/{case_id:int}/postings", name="api_case_posting", guards=[requires(Permission.CASE_WORK)])
async def start_posting(ctx: County, case_id: FromPath[int], data: JSONBody[PostingStart]) -> dict:
    posting_id = await posting.start_posting(ctx, case_id, data.starts_on, data.place)
    return {"id": posting_id, "case": (await register.get_case(ctx, case_id)).as_dict()}


@post("/cases/{case_id:int}/objections", name="api_case_objection", guards=[requires(Permission.CASE_WORK)])
async def record_objection(ctx: County, case_id: FromPath[int], data: JSONBody[NewObjection]) -> dict:
    return {"id": await posting.record_objection(ctx, case_id, data.raised_on, data.raised_by, data.content)}


@post(
    "/cases/{case_id:int}/objections/{objection_id:int}/resolve",
    name="api_case_objection_resolve",
    guards=[requires(Permission.CASE_WORK)],
)
async def resolve_objection(
    ctx: County, case_id: FromPath[int], objection_id: FromPath[int], data: JSONBody[Resolution]
) -> dict:
    await posting.resolve_objection(ctx, case_id, objection_id, data.resolution)
    return {"id": objection_id, "resolved": True}


@post("/cases/{case_id:int}/extend", name="api_case_extend", guards=[requires(Permission.CASE_EXTEND)])
async def extend(ctx: County, case_id: FromPath[int], data: JSONBody[ExtensionRequest]) -> dict:
    return (await steps.extend(ctx, case_id, data.working_days, data.reason)).as_dict()


@get("/accountability", name="api_accountability", guards=[requires(Permission.CASE_VIEW)])
async def accountability(
    ctx: County, staff_id: FromQuery[int | None] = None, year: FromQuery[int | None] = None
) -> list:
    """Records by occasion: ``id, staff_id, level, occasion_on, case_ids, remedy, remedy_due_on,
    remedy_done_on, head_record_id`` (and ``sanction_id`` on a head's record)."""
    return [record.as_dict() for record in await records.list_records(ctx, staff_id=staff_id, year=year)]


class Remedy(msgspec.Struct, forbid_unknown_fields=True):
    """The remedy a warning ordered: its wording, its due date, the day it was done (null: not yet)."""

    remedy: str
    remedy_due_on: date
    remedy_done_on: date | None = None


@put(
    "/accountability/{record_id:int}/remedy",
    name="api_accountability_remedy",
    guards=[requires(Permission.ACCOUNTABILITY_MANAGE)],
)
async def set_remedy(ctx: County, record_id: FromPath[int], data: JSONBody[Remedy]) -> dict:
    record = await records.set_remedy(ctx, record_id, data.remedy, data.remedy_due_on, data.remedy_done_on)
    return record.as_dict()


@get("/enquiries", name="api_enquiries", guards=[requires(Permission.CASE_VIEW)])
async def list_enquiries(
    ctx: County,
    status: FromQuery[str] = "",
    channel: FromQuery[str] = "",
    receiver_id: FromQuery[int | None] = None,
    q: FromQuery[str] = "",
    page: FromQuery[int] = 1,
) -> dict:
    chosen = enquiries.EnquiryFilter(status=status, channel=channel, receiver_id=receiver_id, text=q, page=page)
    found = await enquiries.list_enquiries(ctx, chosen)
    return {
        "enquiries": [enquiry.as_dict() for enquiry in found.enquiries],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
    }


@post("/enquiries", name="api_enquiry_log", guards=[requires(Permission.CASE_WORK)])
async def log_enquiry(ctx: County, data: JSONBody[enquiries.NewEnquiry]) -> dict:
    return (await enquiries.log_enquiry(ctx, data)).as_dict()


@get("/enquiries/{enquiry_id:int}", name="api_enquiry", guards=[requires(Permission.CASE_VIEW)])
async def get_enquiry(ctx: County, enquiry_id: FromPath[int]) -> dict:
    return (await enquiries.get_enquiry(ctx, enquiry_id)).as_dict()


class Confirmation(msgspec.Struct, forbid_unknown_fields=True):
    confirmed_on: date
    note: str = ""


@post("/enquiries/{enquiry_id:int}/confirm", name="api_enquiry_confirm", guards=[requires(Permission.CASE_WORK)])
async def confirm_referral(ctx: County, enquiry_id: FromPath[int], data: JSONBody[Confirmation]) -> dict:
    return (await enquiries.confirm_referral(ctx, enquiry_id, data.confirmed_on, data.note)).as_dict()


class CaseLink(msgspec.Struct, forbid_unknown_fields=True):
    case_id: int


@post("/enquiries/{enquiry_id:int}/link", name="api_enquiry_link", guards=[requires(Permission.CASE_WORK)])
async def link_case(ctx: County, enquiry_id: FromPath[int], data: JSONBody[CaseLink]) -> dict:
    return (await enquiries.link_case(ctx, enquiry_id, data.case_id)).as_dict()


API = [
    create_case,
    list_cases,
    get_case,
    timeline,
    step,
    decide,
    issue_notice,
    record_survey,
    sign_survey,
    start_posting,
    record_objection,
    resolve_objection,
    extend,
    accountability,
    set_remedy,
    list_enquiries,
    log_enquiry,
    get_enquiry,
    confirm_referral,
    link_case,
]
