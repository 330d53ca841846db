"""The demo's sample life of a county: a pending absence, cases at every stage, and a year of
decided applications and absences for the history and the figures. Each runs once: a second run
changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

# A year of decided cases in each county of the demo region, so its ranking and trends show something.
HISTORY_COUNTIES = {"dangshan": (3, Decimal("0.08")), "xiaoxian": (2, Decimal("0.22"))}  # cases a day, share late


async def liven_up(slug: str) -> None:
    """A little of daily life on the first run: 孙静 asks for a brief absence tomorrow morning, so the
    section head has something to approve."""
    from app.absences.services import post
    from app.absences.tables import Absence
    from app.accounts.services import identity_of
    from app.accounts.tables import User
    from app.tenancy.context import TenantContext
    from app.tenancy.services import find_by_slug

    tenant = await find_by_slug(slug)
    clerk = (
        await User.select(User.id)
        .where((User.tenant == (tenant.id if tenant else 0)) & (User.username == "sunjing"))
        .first()
    )
    if tenant is None or clerk is None or await Absence.exists().where(Absence.tenant == tenant.id):
        return
    identity = await identity_of(clerk["id"])
    if identity is None:  # the clerk's account was switched off: nobody to be away
        return
    tomorrow = (tenant.now() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    await post(
        TenantContext(tenant=tenant, actor=identity.actor("demo")),
        person_id=clerk["id"],
        kind="official",
        reason="到乡镇核查低保申请材料",
        starts_at=tomorrow,
        ends_at=tomorrow + timedelta(hours=2),
        contact="13905571014",
    )


def _demo_id_number(serial: int) -> str:
    """A well-formed (checksummed) ID number of a fictional person born in 砀山县 (341321)."""
    from app.domain.idnumber import check_character

    first_17 = f"341321{1950 + serial * 7}0{1 + serial % 9}1{serial % 10}{serial:03d}"
    return first_17 + check_character(first_17)


async def sample_cases(slug: str) -> None:
    """Cases at every stage on the first run: one waiting for its notice, one near its due date,
    one overdue, one whose posting has ended and waits for the leader's approval, a medical case
    received on Saturday with the village's and the town's review, and two enquiries."""
    from datetime import date, datetime, time

    from app import clock
    from app.accounts.services import identity_of
    from app.accounts.tables import User
    from app.calendar.services import calendar_of
    from app.cases import enquiries, posting, steps, survey
    from app.cases import intake as case_intake
    from app.cases.tables import Case
    from app.domain.casework import PriorReview
    from app.flows import intake as intake_flow
    from app.tenancy.context import TenantContext
    from app.tenancy.services import find_by_slug

    tenant = await find_by_slug(slug)
    if tenant is None or await Case.exists().where(Case.tenant == tenant.id):
        return
    ids = {u["username"]: u["id"] for u in await User.select(User.id, User.username).where(User.tenant == tenant.id)}
    if not {"wangxiaolei", "houweili", "zhuwenjun"} <= ids.keys():
        return

    async def as_user(username: str) -> TenantContext:
        identity = await identity_of(ids[username])
        if identity is None:
            raise LookupError(f"the demo's {username} is not active")
        return TenantContext(tenant=tenant, actor=identity.actor("demo"))

    today = tenant.now().date()
    calendar = await calendar_of(await as_user("wangxiaolei"))

    def working_days_ago(n: int) -> date:
        day, counted = today, 0
        while counted < n:
            day -= timedelta(days=1)
            counted += calendar.is_workday(day)
        return day

    real_now = tenant.now()

    def on(day: date, hour: int, minute: int = 0):
        """The clock of a step: that day and time in the county, never later than now."""
        return clock.pinned(min(datetime.combine(day, time(hour, minute), tenant.zone), real_now))

    async def intake(serial: int, clerk: str, line: str, name: str, days_ago: int, **extra) -> int:
        application = case_intake.Application(
            line=line,
            applicant_name=name,
            applicant_id_number=_demo_id_number(serial),
            household_size=1 + serial % 4,
            received_on=working_days_ago(days_ago),
            first_receiver_id=ids[clerk],
            address=f"砀山县砀城镇{serial}号",
            **extra,
        )
        with on(application.received_on, 9, 7 * serial):
            return (await intake_flow.intake(await as_user(clerk), application)).id

    async def accept(ctx: TenantContext, case_id: int, days_ago: int) -> None:
        with on(working_days_ago(days_ago), 11, 0):
            await steps.decide_intake(ctx, case_id, True)

    wang, hou, zhu = [await as_user(u) for u in ("wangxiaolei", "houweili", "zhuwenjun")]
    await intake(1, "wangxiaolei", "urban_dibao", "张桂兰", 0, monthly_income="260")
    waiting = await intake(2, "wangxiaolei", "temporary", "赵建国", 2)
    with on(working_days_ago(1), 10):
        await steps.issue_notice(wang, waiting, ["遭遇困难的证明材料（事故、疾病、灾害等）", "家庭成员收入证明"])
    near = await intake(3, "houweili", "rural_dibao", "李长顺", 8, monthly_income="95")
    await accept(hou, near, 7)
    overdue = await intake(4, "zhuwenjun", "medical", "王秀英", 7)
    await accept(zhu, overdue, 6)
    posted = await intake(5, "wangxiaolei", "urban_dibao", "陈玉梅", 9, monthly_income="210")
    await accept(wang, posted, 9)
    with on(working_days_ago(6), 16):
        await survey.record_survey(
            wang,
            posted,
            visited_on=working_days_ago(6),
            findings="家中两口人，均无固定收入，住房为自有老旧平房。",
            conclusion="收入低于城市低保标准，建议纳入。",
            investigators=[ids["wangxiaolei"], ids["houweili"]],
        )
    with on(working_days_ago(6), 17):
        await survey.sign_survey(hou, posted)
    with on(today - timedelta(days=7), 9):
        await posting.start_posting(wang, posted, today - timedelta(days=7), "砀城镇人民路社区公示栏")
    await intake(6, "houweili", "urban_dibao", "刘明", 1, separated_household=True)
    # 城乡医疗救助: received on Saturday, reviewed and posted by the village and the town before; once
    # accepted it waits only for the leader's approval, well inside its 5 working days.
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    medical = case_intake.Application(
        line="medical",
        applicant_name="孙秀兰",
        applicant_id_number=_demo_id_number(7),
        household_size=2,
        received_on=saturday,
        first_receiver_id=ids["zhuwenjun"],
        address="砀山县葛集镇7号",
        prior_reviews=[
            PriorReview(
                "village",
                saturday - timedelta(days=12),
                saturday - timedelta(days=11),
                saturday - timedelta(days=5),
                "同意上报",
                "葛集村审〔2026〕7号",
            ),
            PriorReview("town", saturday - timedelta(days=3), outcome="同意上报", document="葛集镇审〔2026〕3号"),
        ],
    )
    with on(saturday, 10):
        medical_id = (await intake_flow.intake(zhu, medical)).id
    with on(saturday, 11):
        await steps.decide_intake(zhu, medical_id, True)
    await enquiries.log_enquiry(
        hou,
        enquiries.NewEnquiry(
            visitor="周大爷",
            channel="visit",
            question="孙子上学能否申请临时救助？",
            answer="告知临时救助的条件和所需材料",
        ),
    )
    await enquiries.log_enquiry(
        wang,
        enquiries.NewEnquiry(
            visitor="吴女士",
            channel="phone",
            question="失业保险金怎么领取？",
            referred_to="县人力资源和社会保障局",
            referred_on=today,
        ),
    )


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = ["秀英", "桂兰", "建国", "玉梅", "长顺", "明", "丽", "强", "芳", "军", "红", "伟", "静", "敏", "德华"]


async def year_of_history(slug: str) -> None:
    """A year of decided applications (the two weeks before today left to the sample cases), each
    line's cases with its A holder, a county-specific share decided after the due day; once only."""
    import random
    from datetime import date, datetime, time

    from app.calendar.services import calendar_of
    from app.cases.tables import Case
    from app.domain.casework import case_dates
    from app.domain.idnumber import check_character
    from app.rota.tables import Assignment, Line
    from app.tenancy.context import TenantContext, cli_actor
    from app.tenancy.services import find_by_slug

    tenant = await find_by_slug(slug)
    if tenant is None:
        return
    today = tenant.now().date()
    history_ends = today - timedelta(days=14)
    # The sample cases are all from the last few weeks: anything older is history already made.
    if await Case.exists().where((Case.tenant == tenant.id) & (Case.received_on <= today - timedelta(days=60))):
        return
    per_day, late_share = HISTORY_COUNTIES[slug]
    calendar = await calendar_of(TenantContext(tenant=tenant, actor=cli_actor("demo")))
    lines = await Line.select(Line.id, Line.working_days).where((Line.tenant == tenant.id) & Line.active.eq(True))
    holders = {
        row["line"]: row["a"]
        for row in await Assignment.select(Assignment.line, Assignment.a).where(
            (Assignment.tenant == tenant.id) & Assignment.valid_to.is_null()
        )
    }
    lines = [line for line in lines if line["id"] in holders]
    rng = random.Random(slug)
    rows = []
    day = history_ends - timedelta(days=365)
    while day <= history_ends:
        for _ in range(rng.randint(0, 2 * per_day) if calendar.is_workday(day) else 0):
            line = rng.choice(lines)
            extension = 5 if rng.random() < 0.03 else 0
            dates = case_dates(calendar, day, line["working_days"], extension)
            late = rng.random() < float(late_share)
            decided_on = (
                calendar.add_working_days(dates.due_on, rng.randint(1, 4)).due_on
                if late
                else calendar.add_working_days(day, rng.randint(1, line["working_days"] + extension)).due_on
            )
            decided_on = min(decided_on, today - timedelta(days=1))  # never a decision still to come
            decided_at = datetime.combine(decided_on, time(rng.randint(8, 17), rng.randint(0, 59)), tenant.zone)
            born = date(rng.randint(1940, 2000), rng.randint(1, 12), rng.randint(1, 28))
            first_17 = f"341321{born:%Y%m%d}{rng.randint(0, 999):03d}"
            holder = holders[line["id"]]
            rows.append(
                Case(
                    tenant=tenant.id,
                    line=line["id"],
                    applicant_name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
                    applicant_id_number=first_17 + check_character(first_17),
                    household_size=rng.randint(1, 5),
                    received_on=day,
                    working_days=line["working_days"],
                    extension_days=extension,
                    original_due_on=dates.original_due_on,
                    due_on=dates.due_on,
                    due_provisional=dates.provisional,
                    notice_due_on=dates.notice_due_on,
                    first_receiver=holder,
                    handler=holder,
                    acting_handler=holder,
                    status=rng.choice(["approved", "approved", "approved", "rejected", "not_accepted"]),
                    status_changed_at=decided_at,
                    decided_at=decided_at,
                    created_at=datetime.combine(day, time(9), tenant.zone),
                )
            )
        day += timedelta(days=1)
    for start in range(0, len(rows), 500):
        await Case.insert(*rows[start : start + 500])
    print(f"  {slug}: {len(rows)} decided cases of the past year")
    await _absence_history(tenant, calendar, holders, history_ends, rng)


async def _absence_history(tenant, calendar, holders: dict[int, int], history_ends, rng) -> None:
    """A year of leave taken by the lines' A holders (about one a month each, back on time), and
    now and then a morning when neither A nor B could act: the statistics' absence figures."""
    from datetime import datetime, time

    from app.absences.tables import Absence, Substitution

    kinds = ["official", "official", "personal", "sick", "annual", "study"]
    made = 0
    for line, person in holders.items():
        day = history_ends - timedelta(days=365)
        while day <= history_ends:
            day += timedelta(days=rng.randint(15, 45))
            if not calendar.is_workday(day) or day > history_ends:
                continue
            starts = datetime.combine(day, time(8), tenant.zone)
            ends = starts + timedelta(hours=rng.choice([4, 9, 33, 57]))  # a morning, a day, two, three
            absence = Absence(
                tenant=tenant.id,
                person=person,
                kind=rng.choice(kinds),
                reason="请假",
                starts_at=starts,
                ends_at=ends,
                category="leave",
                status="returned",
                approver_role="leader",
                decided_at=starts - timedelta(days=1),
                returned_at=ends,
                created_at=starts - timedelta(days=1),
            )
            await absence.save()
            made += 1
            if rng.random() < 0.15:  # the B holder away too: the line went uncovered for a while
                await Substitution(
                    tenant=tenant.id,
                    absence=absence.id,
                    line=line,
                    substitute=None,
                    status="uncovered",
                    started_at=starts,
                    ended_at=starts + timedelta(hours=rng.choice([1, 2, 4])),
                ).save()
    print(f"  {tenant.slug}: {made} leaves of the past year")
