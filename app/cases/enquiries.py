"""First-receiver register (首问负责制, SPEC §6): every enquiry, by visit, call, letter or online,
logged by whoever first took it, with its answer, its referral to another office (the first
receiver stays responsible until that office confirms) or the case it became."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import msgspec
from piccolo.custom_types import Combinable
from piccolo.query import Raw, WhereRaw

from app import clock, db
from app.audit.services import record_in
from app.cases.intake import clean_text
from app.cases.tables import Case, Enquiry
from app.domain.casework import Channel, EnquiryStatus, check_enquiry_outcome, enquiry_status
from app.errors import InvalidInput
from app.i18n.messages import said
from app.tenancy.context import NotFound, TenantContext

PAGE_SIZE = 50


class NewEnquiry(msgspec.Struct, forbid_unknown_fields=True):
    """What the first receiver logs: the API's body, and what the form is read into."""

    visitor: str
    channel: str
    question: str
    answer: str = ""
    referred_to: str = ""
    referred_on: date | None = None
    case_id: int | None = None
    contact: str = ""


@dataclass(frozen=True)
class EnquiryView:
    id: int
    first_receiver_id: int
    first_receiver_name: str
    visitor: str
    contact: str
    channel: str
    question: str
    answer: str
    referred_to: str
    referred_on: date | None
    referral_confirmed_on: date | None
    referral_note: str
    case_id: int | None
    created_at: datetime

    @property
    def status(self) -> EnquiryStatus:
        return enquiry_status(self.referred_to, self.referral_confirmed_on, self.case_id)

    def as_dict(self) -> dict:
        def day(value: date | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "first_receiver_id": self.first_receiver_id,
            "visitor": self.visitor,
            "contact": self.contact,
            "channel": self.channel,
            "question": self.question,
            "answer": self.answer,
            "referred_to": self.referred_to or None,
            "referred_on": day(self.referred_on),
            "referral_confirmed_on": day(self.referral_confirmed_on),
            "case_id": self.case_id,
            "status": self.status.value,
            "created_at": self.created_at.isoformat(),
        }


_COLUMNS = (Enquiry.all_columns(), Enquiry.first_receiver.name.as_alias("first_receiver_name"))


def _view(row: dict) -> EnquiryView:
    return EnquiryView(
        id=row["id"],
        first_receiver_id=row["first_receiver"],
        first_receiver_name=row["first_receiver_name"],
        visitor=row["visitor"],
        contact=row["contact"],
        channel=row["channel"],
        question=row["question"],
        answer=row["answer"],
        referred_to=row["referred_to"],
        referred_on=row["referred_on"],
        referral_confirmed_on=row["referral_confirmed_on"],
        referral_note=row["referral_note"],
        case_id=row["case"],
        created_at=row["created_at"],
    )


async def _case_of_county(ctx: TenantContext, case_id: int) -> int:
    try:
        return (await ctx.select_one(Case, case_id, Case.id))["id"]
    except NotFound:
        raise InvalidInput("没有编号为 {id} 的案件", id=case_id) from None


async def get_enquiry(ctx: TenantContext, enquiry_id: int) -> EnquiryView:
    return _view(await ctx.select_one(Enquiry, enquiry_id, *_COLUMNS))


async def log_enquiry(ctx: TenantContext, data: NewEnquiry) -> EnquiryView:
    """The signed-in person is the first receiver; the enquiry is theirs from now on."""
    try:
        channel = Channel(data.channel)
    except ValueError:
        raise InvalidInput("没有“{channel}”这种来访方式", channel=data.channel) from None
    visitor = clean_text(data.visitor, "来访人", 60)
    question = clean_text(data.question, "咨询事项", 2000)
    answer = clean_text(data.answer, "答复内容", 2000, required=False)
    referred_to = clean_text(data.referred_to, "转办单位", 100, required=False)
    today = ctx.tenant.now().date()
    check_enquiry_outcome(answer, referred_to, data.referred_on, today, data.case_id is not None)
    case_id = await _case_of_county(ctx, data.case_id) if data.case_id is not None else None
    async with db.transaction():
        row = ctx.new(
            Enquiry,
            first_receiver=ctx.actor.user_id,
            visitor=visitor,
            contact=clean_text(data.contact, "联系方式", 60, required=False),
            channel=channel.value,
            question=question,
            answer=answer,
            referred_to=referred_to,
            referred_on=data.referred_on,
            case=case_id,
            created_at=clock.now(),
        )
        await row.save()
        await record_in(
            ctx,
            action="enquiry.create",
            entity="enquiry",
            entity_id=row.id,
            summary=(
                said(
                    "{visitor}：{question}（转{referred_to}）",
                    visitor=visitor,
                    question=question[:40],
                    referred_to=referred_to,
                )
                if referred_to
                else said("{visitor}：{question}", visitor=visitor, question=question[:40])
            ),
        )
    return await get_enquiry(ctx, row.id)


async def confirm_referral(ctx: TenantContext, enquiry_id: int, confirmed_on: date, note: str = "") -> EnquiryView:
    """The other office confirmed it took the matter over: from then on it is theirs."""
    note = clean_text(note, "确认情况", 200, required=False)
    async with db.transaction():
        current = await ctx.select_one(Enquiry, enquiry_id, Enquiry.id, Enquiry.referred_on, Enquiry.referred_to)
        if not current["referred_to"]:
            raise InvalidInput("该事项没有转办，无须确认")
        if not current["referred_on"] <= confirmed_on <= ctx.tenant.now().date():
            raise InvalidInput("确认日期须在转办日期与今天之间")
        changed = (
            await ctx.update(Enquiry, {Enquiry.referral_confirmed_on: confirmed_on, Enquiry.referral_note: note})
            .where((Enquiry.id == enquiry_id) & Enquiry.referral_confirmed_on.is_null())
            .returning(Enquiry.id)
        )
        if not changed:
            raise InvalidInput("该转办已经确认过")
        await record_in(
            ctx,
            action="enquiry.confirm",
            entity="enquiry",
            entity_id=enquiry_id,
            summary=said(
                "{referred_to}已确认接收（{day}）", referred_to=current["referred_to"], day=confirmed_on.isoformat()
            ),
        )
    return await get_enquiry(ctx, enquiry_id)


async def link_case(ctx: TenantContext, enquiry_id: int, case_id: int) -> EnquiryView:
    """The enquiry became this application."""
    async with db.transaction():
        await ctx.select_one(Enquiry, enquiry_id, Enquiry.id)
        found = await _case_of_county(ctx, case_id)
        await ctx.update(Enquiry, {Enquiry.case: found}).where(Enquiry.id == enquiry_id)
        await record_in(
            ctx,
            action="enquiry.link",
            entity="enquiry",
            entity_id=enquiry_id,
            summary=said("关联案件 #{case}", case=found),
        )
    return await get_enquiry(ctx, enquiry_id)


@dataclass(frozen=True)
class EnquiryFilter:
    status: str = ""
    channel: str = ""
    receiver_id: int | None = None
    text: str = ""
    page: int = 1


@dataclass
class EnquiryPage:
    enquiries: list[EnquiryView]
    total: int
    page: int
    pages: int


def _filtered(query, chosen: EnquiryFilter):
    if chosen.status:
        try:
            status = EnquiryStatus(chosen.status)
        except ValueError:
            raise InvalidInput("没有“{status}”这个办理情况", status=chosen.status) from None
        query = query.where(_STATUS_WHERE[status]())
    if chosen.channel:
        query = query.where(Enquiry.channel == chosen.channel)
    if chosen.receiver_id is not None:
        query = query.where(Enquiry.first_receiver == chosen.receiver_id)
    if chosen.text.strip():
        pattern = f"%{chosen.text.strip()}%"
        query = query.where(Enquiry.visitor.ilike(pattern) | Enquiry.question.ilike(pattern))
    return query


# ``enquiry_status`` as SQL, so the register filters in the database. Referred and not yet
# confirmed is written out: the counts every dashboard and badge asks use it too.
_REFERRED = """"case" IS NULL AND referred_to <> '' AND referral_confirmed_on IS NULL"""
_STATUS_WHERE: dict[EnquiryStatus, Callable[[], Combinable]] = {
    EnquiryStatus.BECAME_CASE: lambda: Enquiry.case.is_not_null(),
    EnquiryStatus.REFERRED: lambda: WhereRaw(_REFERRED),
    EnquiryStatus.REFERRAL_CONFIRMED: lambda: (
        Enquiry.case.is_null() & (Enquiry.referred_to != "") & Enquiry.referral_confirmed_on.is_not_null()
    ),
    EnquiryStatus.ANSWERED: lambda: Enquiry.case.is_null() & (Enquiry.referred_to == ""),
}


async def list_enquiries(ctx: TenantContext, chosen: EnquiryFilter, *, page_size: int = PAGE_SIZE) -> EnquiryPage:
    """The register, newest first, one page at a time."""
    total = await _filtered(ctx.count(Enquiry), chosen)
    pages = max(1, -(-total // page_size))
    current = min(max(chosen.page, 1), pages)
    rows = await (
        _filtered(ctx.select(Enquiry, *_COLUMNS), chosen)
        .order_by(Enquiry.id, ascending=False)
        .limit(page_size)
        .offset((current - 1) * page_size)
    )
    return EnquiryPage([_view(row) for row in rows], total, current, pages)


_OPEN_REFERRALS = "SELECT count(*) AS count FROM enquiry WHERE tenant = {} AND first_receiver = {} AND " + _REFERRED


def my_open_referrals(ctx: TenantContext, user_id: int) -> Raw:
    """Referrals still the person's own, for their dashboard: the other office has not confirmed
    (a count query for ``db.counts``)."""
    return Enquiry.raw(_OPEN_REFERRALS, ctx.tenant.id, user_id)
