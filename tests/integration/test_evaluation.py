"""The annual evaluation (SPEC §9) on PostgreSQL with the demo county: opening a cycle, who may rate
what and when, grassroots links, and the computation checked against an independent computation
with ``fractions.Fraction``.

Refused calls are watched with ``refused``: the error, and not one row of the evaluation or the
audit changed.
"""

from __future__ import annotations

import asyncio
import io
import math
import re
from collections.abc import Awaitable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from chinese_calendar import is_workday
from openpyxl import load_workbook

from app.absences.services import record_afterwards
from app.absences.tables import Absence
from app.accounts.tables import User
from app.audit.services import AuditFilter, browse, recent_changes
from app.audit.tables import AuditRecord
from app.cases import intake, steps
from app.cases.accountability import record_overdue
from app.cases.tables import AccountabilityRecord
from app.errors import InvalidInput
from app.evaluation import cycles, grassroots, outcomes, ratings
from app.evaluation.tables import Cycle, Rating, RatingLink, Rectification, Result, Subject
from app.flows import evaluation_inputs
from app.flows import intake as intake_flow
from app.tenancy.context import Forbidden, NotFound, TenantContext
from tests.helpers import context_of, county, demo_county, person, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis", "office_time")

SLUG = "dangshan"
YEAR = 2026
YEAR_WORKING_DAYS = sum(is_workday(date(YEAR, 1, 1) + timedelta(days=n)) for n in range(365))
"""The absences of the exclusion test lie in this year, so they are over whenever the tests run after it."""
ZONE = ZoneInfo("Asia/Shanghai")
COMPONENTS = ("leadership", "peer", "self", "grassroots")
DEFAULT_WEIGHTS = {"leadership": 70, "peer": 10, "self": 10, "grassroots": 10}
SECTION = ("head", "wangxiaolei", "houweili", "zhuwenjun", "sunjing")
"""The demo county's staff and section head: the subjects of a new cycle."""


# === helpers shared with the API and worker tests ====================================================


@dataclass
class Demo:
    """The demo county: username → id, and each person's county context (their real roles)."""

    people: dict[str, int]
    contexts: dict[str, TenantContext] = field(default_factory=dict)

    def __getitem__(self, username: str) -> int:
        return self.people[username]

    async def ctx(self, username: str) -> TenantContext:
        if username not in self.contexts:
            self.contexts[username] = await context_of(SLUG, self.people[username])
        return self.contexts[username]

    async def add(self, username: str, roles=("staff",)) -> int:
        self.people[username] = await person(SLUG, username, roles=roles)
        return self.people[username]

    async def open(self, year: int = YEAR, step: str = "self", **options) -> cycles.CycleView:
        """A cycle opened by the admin and moved on to ``step``."""
        admin = await self.ctx("admin")
        cycle = await cycles.open_cycle(admin, year, **options)
        if step != cycle.step:
            cycle = await cycles.set_step(admin, cycle.id, step)
        return cycle

    async def rate(
        self, rater: str, cycle_id: int, subject: str, component: str, score=None, *, dimensions=None, label=""
    ) -> dict:
        return await ratings.rate(
            await self.ctx(rater),
            cycle_id,
            staff_id=self.people[subject],
            component=component,
            score=score,
            dimensions=dimensions,
            rater_label=label,
        )

    async def on_paper(self, cycle_id: int, subject: str, score, components=COMPONENTS, label: str = "纸质") -> None:
        """The admin enters paper ratings of ``subject`` for ``components`` (the cycle must accept them)."""
        for component in components:
            await self.rate("admin", cycle_id, subject, component, score, label=label)

    async def results(self, cycle_id: int) -> dict[str, outcomes.ResultView]:
        """username → result, as the admin sees them."""
        names = {v: k for k, v in self.people.items()}
        return {names[r.staff_id]: r for r in await evaluation_inputs.results(await self.ctx("admin"), cycle_id)}


@pytest.fixture
async def demo() -> Demo:
    return Demo(await demo_county())


TRACKED = (Cycle, Subject, Rating, RatingLink, Result, Rectification, AuditRecord)


async def snapshot() -> dict:
    """Every row count of the evaluation and the audit, and the rows a refused call could touch."""
    state: dict = {table._meta.tablename: await table.count() for table in TRACKED}
    state["ratings"] = await Rating.select(
        Rating.id, Rating.score, Rating.dimensions, Rating.rater_key, Rating.updated_at
    ).order_by(Rating.id)
    state["cycles"] = await Cycle.select(
        Cycle.id, Cycle.step, Cycle.locked, Cycle.finalise_policy, Cycle.weights, Cycle.computed_at
    ).order_by(Cycle.id)
    state["links"] = await RatingLink.select(RatingLink.id, RatingLink.used_at).order_by(RatingLink.id)
    state["rectifications"] = await Rectification.select(Rectification.id, Rectification.closed_at)
    return state


@asynccontextmanager
async def nothing_changes():
    before = await snapshot()
    yield
    assert await snapshot() == before


async def refused(action: Awaitable, error: type[Exception] = InvalidInput, message: str | None = None) -> Exception:
    """Awaits ``action``, which must raise ``error`` (with the msgid ``message``) and change nothing."""
    async with nothing_changes():
        with pytest.raises(error) as caught:
            await action
    if message is not None:
        assert caught.value.message == message, caught.value.message
    return caught.value


def half_up(value: Fraction) -> Decimal:
    """Rounded half-up to 2 places (value ≥ 0), independently of the scoring module."""
    return Decimal(math.floor(value * 100 + Fraction(1, 2))).scaleb(-2)


def grade_of(score: Decimal) -> str:
    if score >= 85:
        return "excellent"
    if score >= 70:
        return "competent"
    if score >= 60:
        return "basically_competent"
    return "incompetent"


@dataclass(frozen=True)
class Expected:
    status: str
    score: Decimal | None
    grade: str | None
    components: dict[str, str]
    missing: list[str]
    needs_rectification: bool


def independent(
    ratings: Mapping[str, list],
    weights: Mapping[str, int] = DEFAULT_WEIGHTS,
    *,
    trim: bool = True,
    reweight: bool = False,
    absent_days: int = 0,
) -> Expected:
    """SPEC §9 done again with fractions: trimmed means, Σ weight × mean / 100, half-up, the grade."""
    means = {}
    for component in COMPONENTS:
        values = sorted(Fraction(str(v)) for v in ratings.get(component, []))
        if trim and len(values) >= 5:
            values = values[1:-1]
        if values:
            means[component] = sum(values, Fraction(0)) / len(values)
    shown = {c: str(half_up(m)) for c, m in means.items()}
    missing = [c for c in COMPONENTS if weights[c] and c not in means]
    present = [c for c in COMPONENTS if weights[c] and c in means]
    if absent_days * 2 > YEAR_WORKING_DAYS:
        return Expected("excluded", None, None, shown, missing, False)
    if missing and not (reweight and present):
        return Expected("incomplete", None, None, shown, missing, False)
    exact = sum((weights[c] * means[c] for c in present), Fraction(0)) / sum(weights[c] for c in present)
    score = half_up(exact)
    return Expected("scored", score, grade_of(score), shown, missing, score < 70)


def seen(result: outcomes.ResultView) -> Expected:
    return Expected(
        result.status,
        result.score,
        result.grade or None,
        result.components,
        result.missing,
        result.needs_rectification,
    )


async def stored_ratings(cycle_id: int) -> dict[int, dict[str, list[Decimal]]]:
    """staff id → component → the scores stored for the cycle, read straight from the table."""
    rows = await Rating.select(Rating.subject.person.as_alias("person"), Rating.component, Rating.score).where(
        Rating.cycle == cycle_id
    )
    found: dict[int, dict[str, list[Decimal]]] = {}
    for row in rows:
        found.setdefault(row["person"], {}).setdefault(row["component"], []).append(Decimal(row["score"]))
    return found


async def assert_results_follow_the_stored_ratings(demo: Demo, cycle_id: int, **options) -> None:
    """One result per subject, each equal to the independent computation over the stored ratings."""
    stored = await stored_ratings(cycle_id)
    subjects = [row["person"] for row in await Subject.select(Subject.person).where(Subject.cycle == cycle_id)]
    results = {r.staff_id: r for r in await evaluation_inputs.results(await demo.ctx("admin"), cycle_id)}
    assert sorted(results) == sorted(subjects)
    assert await Result.count().where(Result.cycle == cycle_id) == len(subjects)
    for staff_id in subjects:
        assert seen(results[staff_id]) == independent(stored.get(staff_id, {}), **options), staff_id


async def audited(action: str) -> list[dict]:
    return (
        await AuditRecord.select().where(AuditRecord.action == action).order_by(AuditRecord.id).output(load_json=True)
    )


async def other_county() -> tuple[TenantContext, int]:
    """A second county with an admin and one staff member: (the admin's context, the staff id)."""
    await county("xiaoxian", "萧县")
    admin = await person("xiaoxian", "xadmin", roles=("admin",))
    staff = await person("xiaoxian", "xstaff")
    return await context_of("xiaoxian", admin), staff


# === opening a cycle ==================================================================================


async def test_a_cycle_opens_with_the_default_weights_and_the_whole_section_as_subjects(demo):
    gone = await demo.add("gone")
    await User.update({User.active: False}).where(User.id == gone)
    cycle = await demo.open()
    assert (cycle.year, cycle.step, cycle.locked, cycle.trim) == (YEAR, "self", False, True)
    assert cycle.as_dict()["weights"] == DEFAULT_WEIGHTS
    subjects = await Subject.select(Subject.person).where(Subject.cycle == cycle.id)
    # Not the admin, not the leader (leader + evaluator), not the evaluator alone, not someone inactive.
    assert sorted(row["person"] for row in subjects) == sorted(demo[u] for u in SECTION)
    [opened] = await audited("evaluation.open")
    assert opened["after"] == {"year": YEAR, "weights": DEFAULT_WEIGHTS, "trim": True}
    assert opened["actor"] == demo["admin"]


BAD_WEIGHTS = [
    ({"leadership": 70, "peer": 10, "self": 10, "grassroots": 9}, "各项权重之和须为 100，现为 {total}"),
    ({"leadership": 70, "peer": 10, "self": 10, "grassroots": 11}, "各项权重之和须为 100，现为 {total}"),
    (
        {"leadership": 110, "peer": -10, "self": 0, "grassroots": 0},
        "“{component}”的权重须为不小于 0 的整数，不是 {value}",
    ),
    (
        {"leadership": "69.5", "peer": "10.5", "self": 10, "grassroots": 10},
        "“{component}”的权重须为不小于 0 的整数，不是 {value}",
    ),
    (
        {"leadership": Decimal("70.5"), "peer": 10, "self": 10, "grassroots": Decimal("9.5")},
        "“{component}”的权重须为不小于 0 的整数，不是 {value}",
    ),
    (
        {"leadership": 70.0, "peer": 10, "self": 10, "grassroots": 10},
        "“{component}”的权重须为不小于 0 的整数，不是 {value}",
    ),
    (
        {"leadership": True, "peer": 10, "self": 10, "grassroots": 79},
        "“{component}”的权重须为不小于 0 的整数，不是 {value}",
    ),
    ({"leadership": 80, "peer": 10, "self": 10}, "缺少“{component}”的权重"),
    ({"leadership": 70, "peer": 10, "self": 10, "grassroots": 10, "bonus": 0}, "未知的考评项目：{component}"),
]


async def test_weights_must_be_whole_numbers_adding_up_to_100(demo):
    admin = await demo.ctx("admin")
    for weights, message in BAD_WEIGHTS:
        error = await refused(cycles.open_cycle(admin, YEAR, weights), message=message)
        if "total" in error.fields:
            assert error.fields["total"] == sum(weights.values())
    assert error.fields == {"component": "bonus"}
    negative = await refused(cycles.open_cycle(admin, YEAR, BAD_WEIGHTS[2][0]))
    assert negative.fields["value"] == "-10"
    cycle = await demo.open(weights={"leadership": 60, "peer": "20", "self": 0, "grassroots": 20}, trim=False)
    stored = await Cycle.select(Cycle.weights, Cycle.trim).where(Cycle.id == cycle.id).output(load_json=True).first()
    assert stored == {"weights": {"leadership": 60, "peer": 20, "self": 0, "grassroots": 20}, "trim": False}


async def test_one_cycle_per_year_and_only_the_admin_opens_one(demo):
    await demo.open()
    admin = await demo.ctx("admin")
    await refused(cycles.open_cycle(admin, YEAR), message="{year} 年度的考评已经开始")
    await refused(cycles.open_cycle(admin, 1999), message="考评年度须为 {low}–{high} 年")
    for username in ("leader", "zhaoming", "wangxiaolei"):
        await refused(cycles.open_cycle(await demo.ctx(username), YEAR + 1), Forbidden)
    assert [row["year"] for row in await Cycle.select(Cycle.year)] == [YEAR]


async def test_subjects_are_added_once_and_only_from_the_county(demo):
    cycle = await demo.open()
    admin = await demo.ctx("admin")
    added = await cycles.add_subject(admin, cycle.id, demo["zhaoming"])
    assert (added["staff_id"], added["name"], added["cycle_id"]) == (demo["zhaoming"], "赵明", cycle.id)
    assert await Subject.count().where(Subject.cycle == cycle.id) == len(SECTION) + 1
    assert (await audited("evaluation.subject"))[0]["after"] == {"staff_id": demo["zhaoming"]}
    await refused(cycles.add_subject(admin, cycle.id, demo["zhaoming"]), message="{name} 已是本次考评的对象")
    await refused(cycles.add_subject(admin, cycle.id, 999_999), message="考评对象须为本县在职人员")
    await refused(cycles.add_subject(await demo.ctx("leader"), cycle.id, demo["admin"]), Forbidden)
    xiaoxian_admin, xiaoxian_staff = await other_county()
    await refused(cycles.add_subject(admin, cycle.id, xiaoxian_staff), message="考评对象须为本县在职人员")
    # The other county's admin cannot reach this county's cycle: it does not exist for them.
    await refused(cycles.add_subject(xiaoxian_admin, cycle.id, xiaoxian_staff), NotFound)
    await refused(
        ratings.rate(xiaoxian_admin, cycle.id, staff_id=demo["wangxiaolei"], component="self", score=90), NotFound
    )
    await refused(evaluation_inputs.compute(xiaoxian_admin, cycle.id), NotFound)


# === who rates what, and when =========================================================================


async def test_self_rating_only_by_the_subject_and_peer_rating_never_of_oneself(demo):
    cycle = await demo.open(step="internal")
    saved = await demo.rate("wangxiaolei", cycle.id, "wangxiaolei", "self", "91.5")
    assert saved == {
        "cycle_id": cycle.id,
        "staff_id": demo["wangxiaolei"],
        "component": "self",
        "score": "91.50",
        "dimensions": None,
        "rater_label": None,
    }
    await refused(demo.rate("houweili", cycle.id, "wangxiaolei", "self", 90), message="个人自评只能由本人填写")
    await refused(demo.rate("leader", cycle.id, "wangxiaolei", "self", 90), message="个人自评只能由本人填写")
    await refused(demo.rate("wangxiaolei", cycle.id, "wangxiaolei", "peer", 99), message="科室互评不能给自己评分")
    await demo.rate("houweili", cycle.id, "wangxiaolei", "peer", 80)
    rows = await Rating.select(Rating.component, Rating.rater, Rating.score).order_by(Rating.id)
    assert rows == [
        {"component": "self", "rater": demo["wangxiaolei"], "score": Decimal("91.50")},
        {"component": "peer", "rater": demo["houweili"], "score": Decimal("80.00")},
    ]


async def test_an_evaluator_who_is_also_a_subject_never_gives_their_own_leadership_rating(demo):
    await demo.add("judge", roles=("staff", "evaluator"))
    cycle = await demo.open(step="internal")
    await refused(demo.rate("judge", cycle.id, "judge", "leadership", 100), message="领导小组考核不能给自己评分")
    await demo.rate("judge", cycle.id, "wangxiaolei", "leadership", 90)
    tasks = await ratings.my_tasks(await demo.ctx("judge"), cycle.id)
    assert (demo["judge"], "leadership") not in {(t.staff_id, t.component) for t in tasks}
    assert (demo["wangxiaolei"], "leadership") in {(t.staff_id, t.component) for t in tasks}


async def test_no_peer_tasks_for_the_leadership_group_or_the_admin_and_computed_results_stay(demo):
    """科室互评 is for colleagues: the leader, the evaluator and the admin get no such task and are refused;
    a rating such a person gave before the rule stays, so a computed cycle scores the same again."""
    await demo.add("judge", roles=("staff", "evaluator"))
    cycle = await demo.open(step="internal")
    wang = await Subject.select(Subject.id).where(Subject.person == demo["wangxiaolei"]).first()
    given_before_the_rule = Rating(
        tenant=(await demo.ctx("admin")).tenant.id,
        cycle=cycle.id,
        subject=wang["id"],
        component="peer",
        rater_key=f"user:{demo['leader']}",
        rater=demo["leader"],
        score=Decimal("60"),
        entered_by=demo["leader"],
        updated_at=datetime.now(ZONE),
    )
    await given_before_the_rule.save()
    await evaluation_inputs.compute(await demo.ctx("admin"), cycle.id)
    before = await Result.select(Result.subject, Result.status, Result.components).order_by(Result.subject)
    for username in ("leader", "zhaoming", "admin", "judge"):
        tasks = await ratings.my_tasks(await demo.ctx(username), cycle.id)
        assert "peer" not in {t.component for t in tasks}, username
        await refused(
            demo.rate(username, cycle.id, "wangxiaolei", "peer", 90),
            message="科室互评由本股室同事填写，领导小组成员和管理员不参加",
        )
    colleagues = {
        t.staff_id for t in await ratings.my_tasks(await demo.ctx("houweili"), cycle.id) if t.component == "peer"
    }
    assert colleagues == {demo[u] for u in SECTION} - {demo["houweili"]} | {demo["judge"]}
    await evaluation_inputs.compute(await demo.ctx("admin"), cycle.id)
    assert await Result.select(Result.subject, Result.status, Result.components).order_by(Result.subject) == before
    assert (await demo.results(cycle.id))["wangxiaolei"].components["peer"] == "60.00"


async def test_leadership_only_by_evaluators_and_grassroots_only_by_link_or_on_paper(demo):
    cycle = await demo.open(step="external")
    for username in ("houweili", "head", "admin"):
        await refused(
            demo.rate(username, cycle.id, "wangxiaolei", "leadership", 90), message="领导小组考核须由考评小组成员评分"
        )
    dims = await demo.rate("leader", cycle.id, "wangxiaolei", "leadership", dimensions=[18, "17.5", 19, 18, "19.25"])
    assert dims["score"] == "91.75"
    assert dims["dimensions"] == {"de": "18.00", "neng": "17.50", "qin": "19.00", "ji": "18.00", "lian": "19.25"}
    await demo.rate("zhaoming", cycle.id, "wangxiaolei", "leadership", 88)
    for username in ("houweili", "leader", "admin"):
        await refused(
            demo.rate(username, cycle.id, "wangxiaolei", "grassroots", 80),
            message="基层测评通过测评链接填写，或由管理员录入纸质评分",
        )
    await refused(demo.rate("houweili", cycle.id, "wangxiaolei", "grassroots", 80, label="张三"), Forbidden)
    await refused(demo.rate("admin", cycle.id, "wangxiaolei", "grassroots", 80, label="张" * 61))
    # A blank label names nobody: it is no paper rating (and no anonymous "paper:" rater).
    await refused(
        demo.rate("admin", cycle.id, "wangxiaolei", "grassroots", 80, label="   "),
        message="基层测评通过测评链接填写，或由管理员录入纸质评分",
    )
    paper = await demo.rate("admin", cycle.id, "wangxiaolei", "grassroots", 77, label="  城关镇  张三 ")
    assert paper["rater_label"] == "城关镇 张三"
    row = await Rating.select().where(Rating.component == "grassroots").first()
    assert (row["rater_key"], row["rater_label"], row["rater"], row["entered_by"]) == (
        "paper:城关镇 张三",
        "城关镇 张三",
        None,
        demo["admin"],
    )
    [entered] = [a for a in await audited("evaluation.rate") if a["after"]["rater"].startswith("paper:")]
    assert entered["actor"] == demo["admin"] and "城关镇 张三" in entered["summary"]


async def test_out_of_range_scores_and_subjects_outside_the_cycle_are_refused(demo):
    cycle = await demo.open(step="internal")
    for score in (-1, "100.01", 101, "90.005", "abc", 90.5, None):
        await refused(demo.rate("houweili", cycle.id, "wangxiaolei", "peer", score))
    for dimensions in ([21, 18, 18, 18, 18], [18, 18, "-0.5", 18, 18], [18, 18, 18, 18], {"de": 18, "neng": 18}):
        await refused(demo.rate("houweili", cycle.id, "wangxiaolei", "peer", dimensions=dimensions))
    await refused(demo.rate("houweili", cycle.id, "wangxiaolei", "peer", 80, dimensions=[16, 16, 16, 16, 16]))
    await refused(demo.rate("houweili", cycle.id, "wangxiaolei", "bonus", 80), message="未知的考评项目：{component}")
    # Neither the admin nor an evaluator alone is a subject of this cycle.
    for subject in ("admin", "zhaoming"):
        await refused(demo.rate("houweili", cycle.id, subject, "peer", 80), message="该人员不是本次考评的对象")
    await refused(demo.rate("houweili", 999_999, "wangxiaolei", "peer", 80), NotFound)
    await demo.rate("houweili", cycle.id, "wangxiaolei", "peer", "100")
    await demo.rate(
        "zhuwenjun",
        cycle.id,
        "wangxiaolei",
        "peer",
        dimensions={"de": 20, "neng": 0, "qin": "0", "ji": 20, "lian": "20.00"},
    )
    assert sorted(row["score"] for row in await Rating.select(Rating.score)) == [Decimal("60.00"), Decimal("100.00")]


ACCEPTED_AT = {
    "self": {"self"},
    "internal": {"self", "leadership", "peer"},
    "external": {"self", "leadership", "peer", "grassroots"},
    "group_review": {"self", "leadership", "peer", "grassroots"},
    "feedback": set(),
}


async def test_each_component_opens_at_its_step_and_every_rating_closes_at_feedback(demo):
    cycle = await demo.open()
    for score, (step, accepted) in enumerate(ACCEPTED_AT.items(), start=80):
        await cycles.set_step(await demo.ctx("admin"), cycle.id, step)
        attempts = {
            "self": demo.rate("wangxiaolei", cycle.id, "wangxiaolei", "self", score),
            "leadership": demo.rate("leader", cycle.id, "wangxiaolei", "leadership", score),
            "peer": demo.rate("houweili", cycle.id, "wangxiaolei", "peer", score),
            "grassroots": demo.rate("admin", cycle.id, "wangxiaolei", "grassroots", score, label="张三"),
        }
        for component, attempt in attempts.items():
            if component in accepted:
                assert (await attempt)["score"] == f"{score}.00"
            else:
                await refused(attempt, message="当前步骤为“{step}”，不能填写{component}")
    # Rating again replaced each: every component keeps what group review (83) took; feedback took nothing.
    rows = await Rating.select(Rating.component, Rating.score)
    assert {row["component"]: row["score"] for row in rows} == {
        "self": Decimal("83.00"),
        "leadership": Decimal("83.00"),
        "peer": Decimal("83.00"),
        "grassroots": Decimal("83.00"),
    }
    assert len(rows) == 4
    assert len(await audited("evaluation.rate")) == 4 + 3 + 3 + 2  # self, leadership, peer, grassroots


async def test_rating_again_replaces_the_rating_and_both_are_audited(demo):
    cycle = await demo.open(step="internal")
    await demo.rate("houweili", cycle.id, "wangxiaolei", "peer", 80)
    await demo.rate("houweili", cycle.id, "wangxiaolei", "peer", dimensions=[17, 17, 17, 17, "17.5"])
    [row] = await Rating.select().where(Rating.component == "peer").output(load_json=True)
    assert row["score"] == Decimal("85.50") and row["dimensions"]["lian"] == "17.50"
    first, second = await audited("evaluation.rate")
    key = f"user:{demo['houweili']}"
    assert (first["before"], first["after"]) == (None, {"score": "80.00", "rater": key})
    assert (second["before"], second["after"]) == ({"score": "80.00"}, {"score": "85.50", "rater": key})
    assert first["actor"] == second["actor"] == demo["houweili"]
    # Another rater of the same subject and component is another row.
    await demo.rate("zhuwenjun", cycle.id, "wangxiaolei", "peer", 70)
    assert await Rating.count() == 2


async def test_who_rated_whom_stays_out_of_the_audit_a_leader_reads(demo):
    # The leader reads the audit and is an evaluator too: the ratings' records name rater and subject.
    cycle = await demo.open(step="internal")
    await demo.rate("houweili", cycle.id, "wangxiaolei", "peer", 80)
    await demo.rate("zhaoming", cycle.id, "wangxiaolei", "leadership", 88)
    seen_by_leader = (await browse(await demo.ctx("leader"), AuditFilter())).rows
    assert [row for row in seen_by_leader if row["action"] == "evaluation.rate"] == []
    assert any(row["action"] == "evaluation.open" for row in seen_by_leader)
    seen_by_admin = (await browse(await demo.ctx("admin"), AuditFilter(action="evaluation.rate"))).rows
    assert len(seen_by_admin) == 2
    # The dashboard's newest rows too.
    newest = await recent_changes(await demo.ctx("leader"), 8)
    assert newest and "evaluation.rate" not in {row["action"] for row in newest}
    assert [row["action"] for row in await recent_changes(await demo.ctx("admin"), 2)] == ["evaluation.rate"] * 2


async def test_a_finalised_cycle_refuses_every_rating_until_the_admin_reopens_it_with_a_reason(demo):
    cycle = await demo.open(step="external")
    await demo.rate("houweili", cycle.id, "wangxiaolei", "peer", 80)
    admin = await demo.ctx("admin")
    await refused(cycles.finalise(await demo.ctx("leader"), cycle.id), Forbidden)
    await refused(cycles.finalise(admin, cycle.id, "generous"), message="没有“{policy}”这个定稿方式")
    await refused(cycles.reopen(admin, cycle.id, "改分"), message="该考评尚未定稿")
    locked = await cycles.finalise(admin, cycle.id)
    assert (locked.locked, locked.finalise_policy) == (True, "")
    for attempt in (
        demo.rate("houweili", cycle.id, "wangxiaolei", "peer", 90),
        demo.rate("zhuwenjun", cycle.id, "wangxiaolei", "peer", 90),
        demo.rate("wangxiaolei", cycle.id, "wangxiaolei", "self", 90),
        demo.rate("leader", cycle.id, "wangxiaolei", "leadership", 90),
        demo.rate("admin", cycle.id, "wangxiaolei", "grassroots", 90, label="张三"),
        cycles.set_step(admin, cycle.id, "feedback"),
        cycles.add_subject(admin, cycle.id, demo["zhaoming"]),
        grassroots.create_links(admin, cycle.id, 2),
        cycles.finalise(admin, cycle.id),
    ):
        await refused(attempt, message="{year} 年度考评已定稿锁定，不能再修改")
    for username in ("leader", "zhaoming", "houweili"):
        await refused(cycles.reopen(await demo.ctx(username), cycle.id, "改分"), Forbidden)
    await refused(cycles.reopen(admin, cycle.id, "   "), message="重新打开已定稿的考评须写明理由（300 字以内）")
    await refused(cycles.reopen(admin, cycle.id, "理" * 301))
    reopened = await cycles.reopen(admin, cycle.id, "  侯伟丽  的评分录入有误 ")
    assert reopened.locked is False
    [record] = await audited("evaluation.reopen")
    assert (record["actor"], record["before"], record["after"]) == (
        demo["admin"],
        {"locked": True, "policy": ""},
        {"locked": False, "reason": "侯伟丽 的评分录入有误"},
    )
    await demo.rate("houweili", cycle.id, "wangxiaolei", "peer", 90)
    assert [row["score"] for row in await Rating.select(Rating.score)] == [Decimal("90.00")]


# === grassroots links =================================================================================


async def links_of(demo: Demo, cycle_id: int, count: int) -> list[str]:
    return [link["token"] for link in await grassroots.create_links(await demo.ctx("admin"), cycle_id, count)]


def every_subject(demo: Demo, score, **special) -> dict[int, object]:
    return {demo[u]: special.get(u, score) for u in SECTION}


async def test_a_link_shows_the_subjects_rates_them_all_once_and_is_used_up(demo):
    cycle = await demo.open(step="external")
    links = await grassroots.create_links(await demo.ctx("admin"), cycle.id, 2, prefix="城关镇")
    assert [link["label"] for link in links] == ["城关镇1", "城关镇2"]
    assert await RatingLink.count().where(RatingLink.token_hash.is_in([link["token"] for link in links])) == 0
    token = links[0]["token"]
    form = await grassroots.open_link(token)
    assert (form.year, form.label, form.tenant.slug) == (YEAR, "城关镇1", SLUG)
    assert sorted(s["person"] for s in form.subjects) == sorted(demo[u] for u in SECTION)
    await refused(grassroots.rate_by_link(token, every_subject(demo, 80, sunjing=None)))
    await refused(grassroots.rate_by_link(token, every_subject(demo, 80, sunjing=101)))
    await refused(grassroots.rate_by_link(token, {demo["wangxiaolei"]: 80}), message="请为每一位考评对象打分")
    await refused(
        grassroots.rate_by_link(token, {**every_subject(demo, 80), demo["zhaoming"]: 80}),
        message="该人员不是本次考评的对象",
    )
    assert await grassroots.rate_by_link(token, every_subject(demo, 80, wangxiaolei="85.5")) == len(SECTION)
    await refused(grassroots.open_link(token), NotFound)
    await refused(grassroots.rate_by_link(token, every_subject(demo, 60)), NotFound)
    await refused(grassroots.open_link("not-a-token"), NotFound)
    rows = await Rating.select(Rating.rater_key, Rating.rater_label, Rating.rater, Rating.score).where(
        Rating.subject.person == demo["wangxiaolei"]
    )
    assert rows == [
        {"rater_key": f"link:{links[0]['id']}", "rater_label": "城关镇1", "rater": None, "score": Decimal("85.50")}
    ]
    assert len(await audited("evaluation.rate")) == len(SECTION)


async def test_an_expired_link_or_a_link_before_the_external_step_is_not_found(demo):
    cycle = await demo.open(step="internal")
    early, expired, late = await grassroots.create_links(await demo.ctx("admin"), cycle.id, 3)
    await refused(grassroots.rate_by_link(early["token"], every_subject(demo, 80)), NotFound)
    await cycles.set_step(await demo.ctx("admin"), cycle.id, "external")
    await RatingLink.update({RatingLink.expires_at: datetime.now().astimezone() - timedelta(seconds=1)}).where(
        RatingLink.id == expired["id"]
    )
    await refused(grassroots.open_link(expired["token"]), NotFound)
    await refused(grassroots.rate_by_link(expired["token"], every_subject(demo, 80)), NotFound)
    assert await grassroots.rate_by_link(early["token"], every_subject(demo, 80)) == len(SECTION)
    await cycles.finalise(await demo.ctx("admin"), cycle.id)
    await refused(grassroots.rate_by_link(late["token"], every_subject(demo, 80)), NotFound)
    unused = await RatingLink.select(RatingLink.id).where(RatingLink.used_at.is_null()).order_by(RatingLink.id)
    assert unused == [{"id": expired["id"]}, {"id": late["id"]}]


async def test_the_same_link_sent_twice_at_once_rates_once(demo):
    cycle = await demo.open(step="external")
    [token] = await links_of(demo, cycle.id, 1)
    tries = await asyncio.gather(
        grassroots.rate_by_link(token, every_subject(demo, 80)),
        grassroots.rate_by_link(token, every_subject(demo, 60)),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in tries) == ["NotFound", "int"], tries
    scores = {row["score"] for row in await Rating.select(Rating.score)}
    assert await Rating.count() == len(SECTION) and len(scores) == 1
    assert len(await audited("evaluation.rate")) == len(SECTION)
    assert await RatingLink.count().where(RatingLink.used_at.is_not_null()) == 1


# === the computation ==================================================================================


async def test_a_worked_example_with_trimming_matches_an_independent_computation(demo):
    for n in range(1, 5):
        await demo.add(f"judge{n}", roles=("evaluator",))
    cycle = await demo.open()
    given: dict[str, dict[str, list]] = {u: {} for u in SECTION}

    async def give(rater, subject, component, score=None, dimensions=None, label=""):
        saved = await demo.rate(rater, cycle.id, subject, component, score, dimensions=dimensions, label=label)
        given[subject].setdefault(component, []).append(saved["score"])

    await give("wangxiaolei", "wangxiaolei", "self", 93)
    await give("houweili", "houweili", "self", "88.5")
    await give("head", "head", "self", 60)
    await cycles.set_step(await demo.ctx("admin"), cycle.id, "internal")
    # 王效雷: six leadership raters, so the highest (95.5) and the lowest (79) are dropped.
    await give("leader", "wangxiaolei", "leadership", dimensions=[18, "17.5", 19, 18, "19.25"])  # 91.75
    for rater, score in (("zhaoming", 88), ("judge1", "95.5"), ("judge2", 79), ("judge3", "90.33"), ("judge4", 86)):
        await give(rater, "wangxiaolei", "leadership", score)
    for rater, score in (("houweili", 85), ("zhuwenjun", "82.5"), ("sunjing", 90), ("head", 77)):
        await give(rater, "wangxiaolei", "peer", score)  # four: no trimming
    # 刘晓梅: five leadership raters (70 and 58 dropped), below 70 in the end.
    for rater, score in (("leader", 65), ("zhaoming", 62), ("judge1", 70), ("judge2", 58), ("judge3", 66)):
        await give(rater, "head", "leadership", score)
    await give("wangxiaolei", "head", "peer", 68)
    await give("houweili", "head", "peer", 64)
    await give("sunjing", "houweili", "peer", 80)  # 侯伟丽 has no leadership rating
    await cycles.set_step(await demo.ctx("admin"), cycle.id, "external")
    for token, scores in zip(
        await links_of(demo, cycle.id, 2),
        (every_subject(demo, 75, wangxiaolei=80), every_subject(demo, 70, wangxiaolei="85.5")),
        strict=True,
    ):
        await grassroots.rate_by_link(token, scores)
        for staff_id, score in scores.items():
            given[next(u for u in SECTION if demo[u] == staff_id)].setdefault("grassroots", []).append(score)
    await give("admin", "wangxiaolei", "grassroots", 71, label="城关镇 张三")

    assert await evaluation_inputs.compute(await demo.ctx("admin"), cycle.id) == len(SECTION)
    found = await demo.results(cycle.id)
    for username in SECTION:
        assert seen(found[username]) == independent(given[username]), username
    # The worked example, by hand: leadership (86 + 88 + 90.33 + 91.75) / 4 = 89.02, peer 334.5 / 4 = 83.625,
    # self 93, grassroots (80 + 85.5 + 71) / 3 = 78.8333…;
    # (70 × 89.02 + 10 × 83.625 + 10 × 93 + 10 × 78.8333…) / 100 = 87.8598… → 87.86.
    wang = found["wangxiaolei"]
    assert (wang.status, wang.score, wang.grade, wang.needs_rectification) == (
        "scored",
        Decimal("87.86"),
        "excellent",
        False,
    )
    assert wang.components == {"leadership": "89.02", "peer": "83.63", "self": "93.00", "grassroots": "78.83"}
    assert wang.raters == {"leadership": 6, "peer": 4, "self": 1, "grassroots": 3}
    # (70 × 64.333… + 10 × 66 + 10 × 60 + 10 × 72.5) / 100 = 64.8833… → 64.88
    head = found["head"]
    assert (head.status, head.score, head.grade, head.needs_rectification) == (
        "scored",
        Decimal("64.88"),
        "basically_competent",
        True,
    )
    assert (found["houweili"].status, found["houweili"].score, found["houweili"].missing) == (
        "incomplete",
        None,
        ["leadership"],
    )
    assert found["sunjing"].missing == ["leadership", "peer", "self"]
    assert found["sunjing"].components == {"grassroots": "72.50"}
    # Best first, the unscored after.
    assert [r.staff_id for r in await evaluation_inputs.results(await demo.ctx("admin"), cycle.id)][:2] == [
        demo["wangxiaolei"],
        demo["head"],
    ]
    assert await Rectification.count() == 1


async def test_trimming_off_and_chosen_weights_are_followed(demo):
    for n in range(1, 4):
        await demo.add(f"judge{n}", roles=("evaluator",))
    weights = {"leadership": 50, "peer": 30, "self": 0, "grassroots": 20}
    cycle = await demo.open(step="external", weights=weights, trim=False)
    given = {"leadership": [100, 60, 61, 62, "99.99"], "peer": [77, "77.77"], "grassroots": [33], "self": [10]}
    for rater, score in zip(("leader", "zhaoming", "judge1", "judge2", "judge3"), given["leadership"], strict=True):
        await demo.rate(rater, cycle.id, "sunjing", "leadership", score)
    for rater, score in zip(("houweili", "head"), given["peer"], strict=True):
        await demo.rate(rater, cycle.id, "sunjing", "peer", score)
    await demo.rate("admin", cycle.id, "sunjing", "grassroots", 33, label="张三")
    await demo.rate("sunjing", cycle.id, "sunjing", "self", 10)  # weighted 0: reported, not counted
    await demo.on_paper(cycle.id, "houweili", 90, components=("leadership", "peer", "grassroots"))
    await evaluation_inputs.compute(await demo.ctx("admin"), cycle.id)
    found = await demo.results(cycle.id)
    assert seen(found["sunjing"]) == independent(given, weights, trim=False)
    assert found["sunjing"].score == Decimal("68.11")  # (50 × 76.598 + 30 × 77.385 + 20 × 33) / 100 = 68.1145
    assert (found["houweili"].status, found["houweili"].score, found["houweili"].missing) == (
        "scored",
        Decimal("90.00"),
        [],
    )
    assert found["zhuwenjun"].missing == ["leadership", "peer", "grassroots"]
    await assert_results_follow_the_stored_ratings(demo, cycle.id, weights=weights, trim=False)


async def away(demo: Demo, username: str, kind: str, start: datetime, end: datetime) -> None:
    await record_afterwards(
        await demo.ctx("admin"), person_id=demo[username], kind=kind, reason="补录", starts_at=start, ends_at=end
    )


async def also_away(demo: Demo, username: str, kind: str, status: str, start: datetime, end: datetime) -> None:
    """An absence row as the notice workflow leaves it, written directly (overlaps are not refused here)."""
    ctx = await demo.ctx("admin")
    await Absence.insert(
        ctx.new(
            Absence,
            person=demo[username],
            kind=kind,
            reason="请假",
            starts_at=start,
            ends_at=end,
            category="leave",
            status=status,
            returned_at=end if status == "returned" else None,
            created_at=start,
        )
    )


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)


def working_days_of(first: date, last: date) -> list[date]:
    """Independently of the portal: the statutory working days from ``first`` to ``last``."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1) if is_workday(first + timedelta(days=n))]


async def test_more_than_half_the_years_working_days_away_excludes(demo):
    """第七条: sick, personal and study absences, in working days; official trips and annual leave don't count."""
    working = working_days_of(date(YEAR, 1, 1), date(YEAR, 12, 31))
    half = len(working) // 2  # exactly half (or just under it) is still evaluated
    # 朱文君: personal then sick leave covering the first ``half`` working days, split between two notices;
    # her official trip and an annual leave over the same weeks count for nothing.
    middle = working[half // 2]
    await away(demo, "zhuwenjun", "personal", at(working[0], 8), at(middle, 12))
    await away(demo, "zhuwenjun", "sick", at(middle, 12), at(working[half - 1], 18))
    await away(demo, "zhuwenjun", "official", at(working[half + 5], 8), at(working[half + 40], 18))
    await also_away(demo, "zhuwenjun", "annual", "returned", at(working[3], 8), at(working[30], 18))
    # 孙静: a leave begun the year before, then study: one working day more than half.
    await away(demo, "sunjing", "personal", at(date(YEAR - 1, 12, 1), 8), at(working[1], 18))
    await away(demo, "sunjing", "study", at(working[2], 8), at(working[half], 18))
    # 侯伟丽: official business for most of the year, and a leave she withdrew.
    await away(demo, "houweili", "official", at(working[0], 8), at(working[half + 20], 18))
    await also_away(demo, "houweili", "personal", "cancelled", at(working[half + 21], 8), at(working[half + 30], 18))
    cycle = await demo.open(step="external")
    for username in ("zhuwenjun", "sunjing", "houweili"):
        await demo.on_paper(cycle.id, username, 90)
    assert await evaluation_inputs.absent_days(await demo.ctx("admin"), YEAR) == {
        demo["zhuwenjun"]: Decimal(half),
        demo["sunjing"]: Decimal(half + 1),
    }
    await evaluation_inputs.compute(await demo.ctx("admin"), cycle.id)
    found = await demo.results(cycle.id)
    assert (found["zhuwenjun"].status, found["zhuwenjun"].score, found["zhuwenjun"].absent_days) == (
        "scored",
        Decimal("90.00"),
        Decimal(half),
    )
    sun = found["sunjing"]
    assert (sun.status, sun.score, sun.grade, sun.absent_days, sun.needs_rectification) == (
        "excluded",
        None,
        "",
        Decimal(half + 1),
        False,
    )
    assert sun.components == {c: "90.00" for c in COMPONENTS}
    assert (found["houweili"].status, found["houweili"].absent_days) == ("scored", Decimal(0))
    # The previous year saw only its own working days of 孙静's leave.
    december = working_days_of(date(YEAR - 1, 12, 1), date(YEAR - 1, 12, 31))
    assert await evaluation_inputs.absent_days(await demo.ctx("admin"), YEAR - 1) == {
        demo["sunjing"]: Decimal(len(december))
    }


async def test_hours_away_count_as_shares_of_a_working_day(demo):
    """A one-hour absence and an overnight one are fractions of a day, not three days (SPEC §9)."""
    day = working_days_of(date(YEAR, 3, 2), date(YEAR, 3, 31))[:2]
    await away(demo, "zhuwenjun", "personal", at(day[0], 9), at(day[0], 10))
    await away(
        demo, "zhuwenjun", "sick", at(day[0], 17), datetime(day[1].year, day[1].month, day[1].day, 9, tzinfo=ZONE)
    )
    days = await evaluation_inputs.absent_days(await demo.ctx("admin"), YEAR)
    assert days == {demo["zhuwenjun"]: Decimal("0.36")}  # (60 + 30 + 60) of 420 office minutes


async def test_below_70_opens_one_rectification_item_which_the_admin_closes(demo):
    cycle = await demo.open(step="external")
    await demo.on_paper(cycle.id, "head", "69.99")
    await demo.on_paper(cycle.id, "wangxiaolei", 70)
    admin = await demo.ctx("admin")
    await evaluation_inputs.compute(admin, cycle.id)
    await evaluation_inputs.compute(admin, cycle.id)
    [item] = await Rectification.select()
    assert (item["subject"], item["closed_at"]) == (
        (await Subject.select(Subject.id).where(Subject.person == demo["head"]).first())["id"],
        None,
    )
    found = await demo.results(cycle.id)
    assert (found["head"].score, found["head"].grade, found["head"].needs_rectification) == (
        Decimal("69.99"),
        "basically_competent",
        True,
    )
    assert (found["wangxiaolei"].grade, found["wangxiaolei"].needs_rectification) == ("competent", False)
    await refused(outcomes.close_rectification(await demo.ctx("leader"), cycle.id, demo["head"], "已整改"), Forbidden)
    await refused(outcomes.close_rectification(admin, cycle.id, demo["head"], "  "), message="请写明整改情况")
    await refused(outcomes.close_rectification(admin, cycle.id, demo["wangxiaolei"], "无"), message="没有待整改的事项")
    await outcomes.close_rectification(admin, cycle.id, demo["head"], "已谈话，制定整改措施")
    await refused(outcomes.close_rectification(admin, cycle.id, demo["head"], "再次"), message="没有待整改的事项")
    await evaluation_inputs.compute(admin, cycle.id)
    [item] = await Rectification.select()
    assert item["note"] == "已谈话，制定整改措施" and item["closed_by"] == demo["admin"] and item["closed_at"]
    assert (await demo.results(cycle.id))["head"].rectification["note"] == "已谈话，制定整改措施"
    assert len(await audited("evaluation.rectified")) == 1


async def test_finalising_with_reweight_scores_the_present_components(demo):
    cycle = await demo.open(step="external")
    given = {"peer": [80], "self": [95], "grassroots": [71]}
    await demo.on_paper(cycle.id, "wangxiaolei", 80, components=("peer",))
    await demo.rate("wangxiaolei", cycle.id, "wangxiaolei", "self", 95)
    await demo.rate("admin", cycle.id, "wangxiaolei", "grassroots", 71, label="张三")
    admin = await demo.ctx("admin")
    await evaluation_inputs.compute(admin, cycle.id)
    assert (await demo.results(cycle.id))["wangxiaolei"].status == "incomplete"
    await cycles.finalise(admin, cycle.id)
    await evaluation_inputs.compute(admin, cycle.id)
    assert (await demo.results(cycle.id))["wangxiaolei"].status == "incomplete"  # no policy: still incomplete
    await cycles.reopen(admin, cycle.id, "按现有项目折算")
    await cycles.finalise(admin, cycle.id, "reweight")
    await evaluation_inputs.compute(admin, cycle.id)
    found = await demo.results(cycle.id)
    wang = found["wangxiaolei"]
    # (10 × 80 + 10 × 95 + 10 × 71) / 30 = 82
    assert (wang.status, wang.score, wang.grade, wang.missing) == (
        "scored",
        Decimal("82.00"),
        "competent",
        ["leadership"],
    )
    assert seen(wang) == independent(given, reweight=True)
    assert found["houweili"].status == "incomplete"  # nothing to re-weight
    await assert_results_follow_the_stored_ratings(demo, cycle.id, reweight=True)
    await cycles.reopen(admin, cycle.id, "继续收集领导小组评分")
    await evaluation_inputs.compute(admin, cycle.id)
    assert (await demo.results(cycle.id))["wangxiaolei"].status == "incomplete"


async def test_computing_again_gives_the_same_results(demo):
    cycle = await demo.open(step="external")
    for n, username in enumerate(SECTION):
        await demo.on_paper(cycle.id, username, 60 + 7 * n, components=COMPONENTS[: 4 - n % 4])
    admin = await demo.ctx("admin")

    async def rows():
        columns = [c for c in Result._meta.columns if c._meta.name not in ("id", "computed_at")]
        return await Result.select(*columns).order_by(Result.subject).output(load_json=True)

    assert await evaluation_inputs.compute(admin, cycle.id) == len(SECTION)
    first = await rows()
    assert await evaluation_inputs.compute(admin, cycle.id) == len(SECTION)
    assert await rows() == first and len(first) == len(SECTION)
    assert await Rectification.count() == 1  # head: 60 on all four components
    await assert_results_follow_the_stored_ratings(demo, cycle.id)


async def test_the_years_overdue_case_records_are_shown_beside_each_subject(demo, settings):
    clerk = await demo.ctx("wangxiaolei")
    # Three cases falling due on one day are one occasion; a fourth a week earlier is another.
    for n, days_ago in enumerate((21, 21, 21, 28)):
        application = intake.Application(
            line="urban_dibao",
            applicant_name=f"申请人{n}",
            applicant_id_number="11010519491231002X",
            household_size=2,
            received_on=date.today() - timedelta(days=days_ago),
            first_receiver_id=demo["wangxiaolei"],
        )
        await steps.decide_intake(clerk, (await intake_flow.intake(clerk, application)).id, True)
    assert await record_overdue(await demo.ctx("admin"), date.today()) == 4
    records = await AccountabilityRecord.select().order_by(AccountabilityRecord.occasion_on)
    assert [(row["person"], row["level"]) for row in records] == [(demo["wangxiaolei"], "admonition")] * 2
    year = records[0]["year"]
    await AccountabilityRecord.update({AccountabilityRecord.year: year - 1}).where(
        AccountabilityRecord.id == records[0]["id"]
    )
    cycle = await demo.open(year=year)
    await evaluation_inputs.compute(await demo.ctx("admin"), cycle.id)
    found = await demo.results(cycle.id)
    beside = {u: [(a.level, a.occasion_on, len(a.case_ids)) for a in r.accountability] for u, r in found.items()}
    expected = [("admonition", records[1]["occasion_on"], 3)]
    assert beside == {u: expected if u == "wangxiaolei" else [] for u in SECTION}
    async with portal(settings) as client:
        await sign_in(client, SLUG, "admin")
        page = await client.get(f"/t/{SLUG}/evaluations/{cycle.id}/results")
        feedback = await client.get(f"/t/{SLUG}/evaluations/{cycle.id}/feedback/{demo['wangxiaolei']}")
    assert "诫勉教育" in feedback.text and f"/accountability/staff/{demo['wangxiaolei']}" in feedback.text
    row = page.text.split('id="result-{}"'.format(demo["wangxiaolei"]))[1].split("</tr>")[0]
    assert "诫勉教育" in row and str(records[1]["occasion_on"]) in row


async def test_computing_while_ratings_arrive_reads_one_consistent_snapshot(demo):
    cycle = await demo.open(step="external")
    for username in SECTION:
        await demo.on_paper(cycle.id, username, 80, label="第一批")
    admin = await demo.ctx("admin")
    burst = [
        demo.rate("admin", cycle.id, username, component, 50 + 3 * n + i, label=f"第二批{n}")
        for n, username in enumerate(SECTION)
        for i, component in enumerate(COMPONENTS)
    ]
    burst += [demo.rate(rater, cycle.id, "wangxiaolei", "peer", 61) for rater in ("houweili", "zhuwenjun", "sunjing")]
    counted = await asyncio.gather(
        evaluation_inputs.compute(admin, cycle.id), *burst, evaluation_inputs.compute(admin, cycle.id)
    )
    assert counted[0] == counted[-1] == len(SECTION)
    assert await Rating.count() == len(SECTION) * 4 * 2 + 3
    await evaluation_inputs.compute(admin, cycle.id)
    await assert_results_follow_the_stored_ratings(demo, cycle.id)


async def test_the_cycle_as_a_whole_from_opening_to_locked_results(demo):
    admin = await demo.ctx("admin")
    cycle = await demo.open()
    await demo.rate("wangxiaolei", cycle.id, "wangxiaolei", "self", "90")
    await cycles.set_step(admin, cycle.id, "internal")
    await demo.rate("leader", cycle.id, "wangxiaolei", "leadership", dimensions=[18, 18, 19, 18, 19])
    await demo.rate("houweili", cycle.id, "wangxiaolei", "peer", 85)
    await cycles.set_step(admin, cycle.id, "external")
    [token] = await links_of(demo, cycle.id, 1)
    await grassroots.rate_by_link(token, every_subject(demo, "80"))
    assert await evaluation_inputs.compute(admin, cycle.id) == len(SECTION)
    # 70 × 92 + 10 × 85 + 10 × 90 + 10 × 80 = 8990 → 89.90
    wang = (await demo.results(cycle.id))["wangxiaolei"]
    assert (wang.status, wang.score, wang.grade) == ("scored", Decimal("89.90"), "excellent")
    await cycles.set_step(admin, cycle.id, "feedback")
    own = await evaluation_inputs.feedback(await demo.ctx("wangxiaolei"), cycle.id, demo["wangxiaolei"])
    assert own.score == Decimal("89.90")
    await refused(evaluation_inputs.feedback(await demo.ctx("wangxiaolei"), cycle.id, demo["houweili"]), Forbidden)
    await refused(evaluation_inputs.results(await demo.ctx("wangxiaolei"), cycle.id), Forbidden)
    await cycles.finalise(admin, cycle.id)
    assert await evaluation_inputs.compute(admin, cycle.id) == len(SECTION)
    assert await Result.count() == len(SECTION)
    assert (await cycles.get_cycle(admin, cycle.id)).locked is True


async def test_a_late_return_counts_until_the_return_and_someone_overdue_is_still_away(demo):
    ctx = await demo.ctx("admin")
    today = ctx.tenant.now()
    year = today.year
    planned_end = at(date(year, 1, 10), 18)
    for username, status, returned in (
        ("zhuwenjun", "returned", at(date(year, 1, 20), 18)),  # back ten days late
        ("sunjing", "overdue", None),  # not back at all
    ):
        await Absence.insert(
            ctx.new(
                Absence,
                person=demo[username],
                kind="personal",
                reason="请假",
                starts_at=at(date(year, 1, 1), 8),
                ends_at=planned_end,
                category="leave",
                status=status,
                returned_at=returned,
                created_at=planned_end,
            )
        )
    days = await evaluation_inputs.absent_days(ctx, year)
    assert days[demo["zhuwenjun"]] == len(working_days_of(date(year, 1, 1), date(year, 1, 20)))
    # Still away now: every working day up to yesterday, and today's office time up to now.
    before_today = len(working_days_of(date(year, 1, 1), today.date() - timedelta(days=1)))
    assert before_today <= days[demo["sunjing"]] <= before_today + 1


async def test_the_results_export_to_excel_with_chinese_headers_and_the_cycles_weights(demo, settings):
    cycle = await demo.open(step="external", weights={"leadership": 60, "peer": 20, "self": 10, "grassroots": 10})
    await demo.on_paper(cycle.id, "wangxiaolei", "88.5")
    await evaluation_inputs.compute(await demo.ctx("admin"), cycle.id)
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        answer = await client.get(f"/t/dangshan/evaluations/{cycle.id}/results.xlsx")
        await sign_in(client, "dangshan", "houweili")
        refused = await client.get(f"/t/dangshan/evaluations/{cycle.id}/results.xlsx")
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert refused.status_code == 403
    sheet = load_workbook(io.BytesIO(answer.content)).active
    headers = [cell.value for cell in sheet[1]]
    assert headers[:3] == ["姓名", "状态", "领导小组考核（60%）"] and "科室互评（20%）" in headers
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "王效雷")
    assert row[1] == "已评分" and float(row[headers.index("总分")]) == 88.5


@pytest.fixture
async def demo_on_any_db(any_db) -> Demo:
    return Demo(await demo_county())


async def test_on_either_database_scores_keep_their_two_decimal_places(demo_on_any_db):
    demo = demo_on_any_db
    cycle = await demo.open(step="external")
    await demo.on_paper(cycle.id, "wangxiaolei", "89.2")
    await evaluation_inputs.compute(await demo.ctx("admin"), cycle.id)
    found = await demo.results(cycle.id)
    assert found["wangxiaolei"].as_dict()["score"] == "89.20"


async def test_printed_grassroots_links_carry_a_qr_code_of_each_link(demo, settings):
    cycle = await demo.open(step="external")
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        printed = await post_form(
            client, f"/t/dangshan/evaluations/{cycle.id}/links", {"count": "2", "prefix": "城关镇"}
        )
    urls = re.findall(r'class="mono link-url">([^<]+)<', printed.text)
    assert printed.status_code == 201 and len(urls) == 2
    for url in urls:
        assert f"<title>{url}</title>" in printed.text  # the SVG of this very link
    assert printed.text.count("<svg") == 2


# === the rating grid (one form, one save) ==========================================================


async def test_the_rating_grid_saves_every_filled_row_at_once_and_leaves_blank_rows(demo, settings):
    cycle = await demo.open(step="internal")
    wang, zhu = demo["wangxiaolei"], demo["zhuwenjun"]
    async with portal(settings) as client:
        await sign_in(client, SLUG, "leader")
        page = await client.get(f"/t/{SLUG}/evaluations/{cycle.id}")
        assert f'name="leadership.{wang}.score"' in page.text and page.text.count('id="rating-grid"') == 1
        saved = await post_form(
            client,
            f"/t/{SLUG}/evaluations/{cycle.id}/ratings",
            {"mode": "total", f"leadership.{wang}.score": "88", f"leadership.{zhu}.score": "59.5"},
            headers={"HX-Request": "true", "HX-Target": "tasks"},
        )
        again = await post_form(
            client,
            f"/t/{SLUG}/evaluations/{cycle.id}/ratings",
            {"mode": "total", f"leadership.{wang}.score": "88.00", f"leadership.{zhu}.score": "59.5"},
            headers={"HX-Request": "true", "HX-Target": "tasks"},
        )
    assert saved.status_code == 200 and "已保存 2 项评分" in saved.text
    assert 'id="tasks"' in saved.text and "<html" not in saved.text  # the block alone, swapped in place
    assert "已保存 88.00" in saved.text and "不称职" in saved.text  # 59.50: its grade beside it
    assert "评分没有变化" in again.text
    rows = await Rating.select(Rating.subject.person.as_alias("person"), Rating.score).order_by(Rating.id)
    assert [(r["person"], r["score"]) for r in rows] == [(wang, Decimal("88.00")), (zhu, Decimal("59.50"))]
    assert len(await audited("evaluation.rate")) == 2  # saving the same again wrote nothing


async def test_one_bad_cell_saves_nothing_and_each_bad_row_says_why_in_chinese(demo, settings):
    cycle = await demo.open(step="internal")
    wang, hou, zhu = demo["wangxiaolei"], demo["houweili"], demo["zhuwenjun"]
    path = f"/t/{SLUG}/evaluations/{cycle.id}/ratings"
    async with portal(settings) as client:
        await sign_in(client, SLUG, "head")
        async with nothing_changes():
            answer = await post_form(
                client,
                path,
                {
                    "mode": "dims",
                    **{f"peer.{wang}.{d}": "18" for d in ("de", "neng", "qin", "ji", "lian")},
                    **{
                        f"peer.{hou}.{d}": v
                        for d, v in zip(
                            ("de", "neng", "qin", "ji", "lian"), ("17", "25", "18", "18", "18"), strict=True
                        )
                    },
                    f"peer.{zhu}.de": "15",
                },
                headers={"HX-Request": "true", "HX-Target": "tasks"},
            )
        page = await post_form(client, path, {"mode": "total", f"peer.{wang}.score": "abc"})
    assert answer.status_code == 400
    assert "2 处评分有误，均未保存" in answer.text
    assert "“能”须在 0 到 20 分之间" in answer.text and "五项分数须齐全" in answer.text
    assert answer.text.count('aria-invalid="true"') == 10  # 侯伟丽's and 朱文君's five cells
    assert (
        f'name="peer.{hou}.de" class="dim" type="number" min="0" max="20" step="0.01" inputmode="decimal" value="17"'
        in answer.text
    )
    assert page.status_code == 400 and "<html" in page.text and "“总分”须为数字" in page.text


async def test_rate_all_refuses_the_whole_grid_when_one_row_may_not_be_given(demo):
    cycle = await demo.open(step="internal")
    wang, hou = demo["wangxiaolei"], demo["houweili"]
    rows = [ratings.Entry(hou, "peer", score="80"), ratings.Entry(wang, "peer", score="99")]
    caught = await refused(ratings.rate_all(await demo.ctx("wangxiaolei"), cycle.id, rows))
    assert {key: e.message for key, e in caught.by_entry.items()} == {f"peer.{wang}": "科室互评不能给自己评分"}
    assert await ratings.rate_all(await demo.ctx("wangxiaolei"), cycle.id, rows[:1]) == 1


async def test_a_cycle_of_more_subjects_than_one_statement_holds_opens_and_computes(demo):
    """Above 2,730 subjects one INSERT of every result passed PostgreSQL's 32,767 parameters."""
    admin = await demo.ctx("admin")
    tenant = admin.tenant.id
    many = 3000
    await User.raw(
        "INSERT INTO portal_user (tenant, username, name, created_at) "
        "SELECT {}, 'many' || n, '人员' || n, now() FROM generate_series(1, {}) n",
        tenant,
        many,
    )
    await User.raw(
        "INSERT INTO role_grant (tenant, \"user\", role) SELECT tenant, id, 'staff' FROM portal_user "
        "WHERE username LIKE 'many%'"
    )
    cycle = await demo.open(step="external")
    await demo.on_paper(cycle.id, "head", 60)
    assert await evaluation_inputs.compute(admin, cycle.id) == many + len(SECTION)
    assert await Result.count().where(Result.cycle == cycle.id) == many + len(SECTION)
    assert await Rectification.count() == 1  # the head, 60 everywhere
    # Computing again replaces the results, still in batches.
    assert await evaluation_inputs.compute(admin, cycle.id) == many + len(SECTION)
    assert await Result.count().where(Result.cycle == cycle.id) == many + len(SECTION)
