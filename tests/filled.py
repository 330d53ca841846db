"""A database with something in every table, made through the services as people would: the
counties and region of tenants/, a year of decided cases and the demo's open ones, absences and
their substitutions, reminders, accountability, an evaluation with results, enquiries, the
calendar, e-mail waiting to go, tokens, jobs. For the backup and upgrade tests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app import clock
from app.accounts.passwords import use_fast_hashing
from app.accounts.services import create_token
from app.accounts.tables import User
from app.cases import posting, steps
from app.cases.enquiries import NewEnquiry, log_enquiry
from app.cases.tables import Case
from app.demo import _demo_mail
from app.demo_samples import HISTORY_COUNTIES, liven_up, sample_cases, year_of_history
from app.domain.robot import Event
from app.evaluation import cycles, grassroots, ratings
from app.flows import evaluation_inputs
from app.flows.calendar import set_day, set_global_day, set_global_year_entered, set_year_entered
from app.flows.substitution import sweep
from app.jobs import JobKind, enqueue
from app.regions.services import add_inspector
from app.regions.services import create_token as inspector_token
from app.robots import services as robots
from app.setup import as_code
from app.setup import regions_as_code as regions
from app.stats import tally
from app.tenancy.services import find_by_slug
from tests.helpers import OPERATOR, context_of, start_leave
from workers.deadlines import _deadlines

TENANTS = Path(__file__).parents[1] / "tenants"
COUNTY = "dangshan"


async def fill(queue=None) -> None:
    """Everything the portal keeps, in the database bound now (``queue``: arq's, for a job row)."""
    use_fast_hashing(True)
    files = sorted(TENANTS.glob("*.toml"))
    for path in (path for path in files if not regions.is_regions_file(path)):
        await as_code.apply(as_code.load_file(path), OPERATOR)
    for path in filter(regions.is_regions_file, files):
        await regions.apply(regions.load_file(path), OPERATOR)
    await liven_up(COUNTY)
    await sample_cases(COUNTY)
    for slug in HISTORY_COUNTIES:
        await year_of_history(slug)
    await _demo_mail(COUNTY, 2525, "http://127.0.0.1:8000/")
    tenant = await find_by_slug(COUNTY)
    people = {
        row["username"]: row["id"] for row in await User.select(User.id, User.username).where(User.tenant == tenant.id)
    }

    async def as_person(username: str):
        return await context_of(COUNTY, people[username])

    admin, leader = await as_person("admin"), await as_person("leader")
    # A clerk away for two weeks: a substitution opens, her cases follow the substitute.
    await start_leave({**people, "_approver": "leader"}, "wangxiaolei", COUNTY)
    await sweep(tenant)
    # A group robot of the county, told of every event (the deadline scan below queues it some).
    webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=backup-test"
    await robots.add_robot(admin, robots.RobotSettings("wecom", "工作群", webhook, tuple(Event)), frozenset())
    await _deadlines(tenant, remind=True)  # reminders (inbox, e-mail outbox) and accountability
    year = clock.now().year
    await set_day(admin, clock.now().date() + timedelta(days=40), False, "县里放假")
    await set_year_entered(admin, year, True)
    await set_global_year_entered(OPERATOR, year, True)
    await set_global_day(OPERATOR, clock.now().date() + timedelta(days=50), False, "全市放假")
    await _case_moves(admin, leader)
    await tally.rebuild(tenant, clock.now())  # the statistics' summary of those cases
    await log_enquiry(
        admin, NewEnquiry(visitor="张三", channel="phone", question="低保怎么申请？", answer="带身份证来")
    )
    cycle = await cycles.open_cycle(admin, year - 1)
    await grassroots.create_links(admin, cycle.id, 2)
    clerk = await as_person("sunjing")
    await ratings.rate(clerk, cycle.id, staff_id=people["sunjing"], component="self", score=92)
    await evaluation_inputs.compute(admin, cycle.id)
    await create_token(admin, people["admin"], "backup test")
    await add_inspector(OPERATOR, region_slug="suzhou", username="inspector", name="督查")
    await inspector_token(OPERATOR, region_slug="suzhou", username="inspector", label="backup test")
    if queue is not None:
        await enqueue(queue, JobKind.SUBSTITUTION, tenant.id)


async def _case_moves(admin, leader) -> None:
    """An objection to the case on public posting, an extension of another open case."""
    posted = await admin.select(Case, Case.id).where(Case.status == "posted").first()
    await posting.record_objection(admin, posted["id"], clock.now().date(), "邻居", "家里有车")
    waiting = await admin.select(Case, Case.id).where(Case.status.is_in(["received", "accepted"])).first()
    await steps.extend(leader, waiting["id"], 5, "需补充材料")
