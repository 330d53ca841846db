"""An object of each kind that county routes take by id, made in one county: what the isolation
suite asks another county for, and what the API fuzzing finds under real ids."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.absences.services import post as post_absence
from app.accounts.services import my_tokens
from app.cases.tables import AccountabilityRecord, Case, Enquiry, MaterialNotice, Objection, Posting, Receipt
from app.evaluation.cycles import open_cycle
from app.flows.calendar import set_day
from app.notifications.services import notify
from app.notifications.tables import Notification
from app.robots.services import RobotSettings, add_robot
from app.rota.posts import LineSpec
from app.rota.services import create_line
from app.tenancy.context import Actor, TenantContext
from app.tenancy.services import find_by_slug
from tests.helpers import EVERY_ROLE, OPERATOR

# Path parameters that name an action, not an object: the same in every county.
VERBS = {"action": "approve", "kind": "substitution", "step": "accept", "change": "confirm", "year": 2031}


async def objects_of(slug: str, user_id: int) -> dict[str, object]:
    """An object of each kind that county routes take by id, all belonging to county ``slug``.

    Codes are names within a county, so the line used is one only county ``slug`` has.
    """
    ctx = TenantContext(tenant=await find_by_slug(slug), actor=OPERATOR)
    ctx_of_user = TenantContext(tenant=ctx.tenant, actor=Actor(user_id=user_id, label="x"))
    own_line = await create_line(ctx, LineSpec(f"{slug}_only", "萧县特有事项", 15))
    start = datetime.now().astimezone() + timedelta(days=1)
    absence = await post_absence(
        ctx_of_user,
        person_id=user_id,
        kind="official",
        reason="萧县公出",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    await notify(ctx.tenant.id, user_id, kind="test", message="萧县消息", dedupe_key="isolation")
    case_rows = await case_with_documents(ctx, own_line.id, user_id)
    notification = (await Notification.select(Notification.id).where(Notification.user == user_id).first())["id"]
    own_day = (await set_day(ctx, date(2031, 5, 6), workday=False, note="萧县县庆")).day
    admin_of_county = TenantContext(
        tenant=ctx.tenant, actor=Actor(user_id=user_id, label="x", roles=frozenset(EVERY_ROLE))
    )
    cycle = await open_cycle(admin_of_county, 2031)
    robot = await add_robot(
        ctx,
        RobotSettings(
            "wecom", "萧县工作群", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=xiaoxian", ("reminder",)
        ),
        frozenset(),
    )
    return {
        "token_id": (await my_tokens(ctx_of_user))[0]["id"],
        "staff_id": user_id,
        "code": own_line.code,
        "absence_id": absence.id,
        "notification_id": notification,
        "job_id": f"substitution:t{ctx.tenant.id}:{'0' * 32}",
        "day": own_day.isoformat(),
        "cycle_id": cycle.id,
        "robot_id": robot["id"],
        **case_rows,
        **VERBS,
    }


async def case_with_documents(ctx: TenantContext, line_id: int, user_id: int) -> dict[str, int]:
    """A case of the county with a notice, a receipt, an objection, an accountability record and an
    enquiry, stored as they are."""
    today, now = date.today(), datetime.now().astimezone()
    case = ctx.new(
        Case,
        line=line_id,
        applicant_name="萧县申请人",
        applicant_id_number="11010519491231002X",
        household_size=1,
        received_on=today,
        working_days=15,
        original_due_on=today,
        due_on=today,
        notice_due_on=today,
        first_receiver=user_id,
        handler=user_id,
        acting_handler=user_id,
        status="posted",
        status_changed_at=now,
        created_at=now,
    )
    await case.save()
    notice = ctx.new(MaterialNotice, case=case.id, items=["萧县材料"], issued_at=now)
    receipt = ctx.new(Receipt, case=case.id, number=1, kind="accepted", issued_at=now)
    posting = ctx.new(Posting, case=case.id, starts_on=today, ends_on=today, place="萧县公开栏", posted_at=now)
    for row in (notice, receipt, posting):
        await row.save()
    objection = ctx.new(Objection, case=case.id, posting=posting.id, raised_on=today, content="萧县异议")
    record = ctx.new(
        AccountabilityRecord,
        person=user_id,
        occasion_on=today,
        year=today.year,
        level="warning",
        recorded_on=today,
        remedy="萧县补救",
        created_at=now,
    )
    enquiry = ctx.new(
        Enquiry,
        first_receiver=user_id,
        visitor="萧县来访人",
        channel="visit",
        question="萧县咨询",
        referred_to="萧县人社局",
        referred_on=today,
        created_at=now,
    )
    for row in (objection, record, enquiry):
        await row.save()
    return {
        "case_id": case.id,
        "notice_id": notice.id,
        "receipt_id": receipt.id,
        "objection_id": objection.id,
        "record_id": record.id,
        "enquiry_id": enquiry.id,
    }
