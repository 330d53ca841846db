"""Each role's week in the portal, walked in a real browser at 1280 and 390 px on the demo's data.

The screenshots of the user guides (``docs/``) come from here: with ``PORTAL_DOCS_SCREENSHOTS=1``
(``bash ops/docs.sh``) they are written to ``docs/screenshots/``; otherwise to a temporary folder,
so a test run leaves the tree as it was. Every page must answer 200 and show its heading.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from app.accounts.services import set_password
from app.accounts.tables import User
from app.cases.tables import Case
from app.demo import DEMO_REGION, seed
from app.evaluation import cycles, grassroots, ratings
from app.flows import evaluation_inputs
from app.flows.substitution import sweep
from app.settings import PROJECT_ROOT
from tests.browser.conftest import CHROMIUM_FLAGS
from tests.helpers import OPERATOR, PASSWORD, context_of, start_leave
from workers.heartbeat import beat

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "redis")]

SLUG = "dangshan"
WIDTHS = {1280: 800, 390: 844}  # viewport width → height (a laptop; a phone)
JPEG_QUALITY = 70


@dataclass(frozen=True)
class Step:
    name: str  # the screenshot's name: <role>-<n>-<name>-<width>.jpg
    path: str
    heading: str  # text the page's first heading contains
    focus: str = ""  # the part of the page the guide is about, scrolled to the top
    act: Callable[[object], Awaitable[None]] | None = None  # what the person does there


@dataclass
class Demo:
    """What the journeys need from the seeded demo: ids and a single-use link."""

    cycle_id: int
    year: int
    wang_case: int
    link_token: str


SECTION = {"head": 84, "wangxiaolei": 91, "houweili": 86, "zhuwenjun": 76, "sunjing": 66}
"""The subjects of the evaluation and roughly where their ratings lie (one of each grade)."""


async def seeded() -> Demo:
    """The demo's counties, cases and history, everyone's password the tests' one, 朱文君 on leave
    (侯伟丽 acting for her), and this year's evaluation at 外部测评, rated by everyone but 王效雷's
    科室互评 (his journey gives it) and computed."""
    await seed(sorted((PROJECT_ROOT / "tenants").glob("*.toml")), OPERATOR)
    for user in await User.select(User.id):
        await set_password(OPERATOR, user["id"], PASSWORD)
    people = {row["username"]: row["id"] for row in await User.select(User.id, User.username)}
    admin = await context_of(SLUG, people["admin"])
    await start_leave({**people, "_approver": "leader"}, "zhuwenjun")
    await sweep(admin.tenant)  # her lines and cases to 侯伟丽 now, as the worker would within a minute
    cycle = await cycles.open_cycle(admin, admin.tenant.now().year)
    await cycles.set_step(admin, cycle.id, "external")
    for subject, level in SECTION.items():
        given = [(subject, "self", level + 4), ("admin", "grassroots", level - 2)]
        given += [(rater, "leadership", level + n) for n, rater in enumerate(("leader", "zhaoming"))]
        given += [(rater, "peer", level - 1) for rater in SECTION if rater not in (subject, "wangxiaolei")]
        for rater, component, score in given:
            label = "城关镇 张某" if component == "grassroots" else ""
            await ratings.rate(
                await context_of(SLUG, people[rater]),
                cycle.id,
                staff_id=people[subject],
                component=component,
                score=score,
                rater_label=label,
            )
    await evaluation_inputs.compute(admin, cycle.id)
    [link] = await grassroots.create_links(admin, cycle.id, 1, "城关镇测评人")
    case = (
        await Case.select(Case.id)
        .where(Case.handler == people["wangxiaolei"])
        .order_by(Case.received_on, ascending=False)
        .first()
    )
    return Demo(cycle.id, cycle.year, case["id"], link["token"])


async def rate_colleagues(page) -> None:
    """科室互评 in the grid: one score for each colleague, saved at once."""
    for cell in await page.locator("table[data-component=peer] input.score").all():
        await cell.fill("85")
    await page.click("#rating-grid button.primary")
    await page.wait_for_selector("#tasks [role=status]")


def journeys(demo: Demo) -> dict[str, list[Step]]:
    county, cycle = f"/t/{SLUG}", f"/t/{SLUG}/evaluations/{demo.cycle_id}"
    return {
        "admin": [
            Step("dashboard", f"{county}/", "您好"),
            Step("rota", f"{county}/rota", "A/B"),
            Step("staff", f"{county}/staff", "人员"),
            Step("evaluation", cycle, "工作效能考评", focus="#progress"),
            Step("audit", f"{county}/audit", "审计"),
        ],
        "head": [
            Step("dashboard", f"{county}/", "您好"),
            Step("absences", f"{county}/absences", "离岗"),
            Step("cases", f"{county}/cases", "案件"),
            Step("accountability", f"{county}/accountability", "问责"),
        ],
        "wangxiaolei": [
            Step("dashboard", f"{county}/", "您好"),
            Step("intake", f"{county}/cases/new", "受理"),
            Step("case", f"{county}/cases/{demo.wang_case}", ""),
            Step("absences", f"{county}/absences", "离岗"),
            Step("rating", cycle, "工作效能考评", focus="#tasks", act=rate_colleagues),
        ],
        "leader": [
            Step("dashboard", f"{county}/", "您好"),
            Step("stats", f"{county}/stats", "限时办结"),
            Step("rating", f"{cycle}?mode=dims", "工作效能考评", focus="#tasks"),
        ],
        "zhaoming": [
            Step("rating", cycle, "工作效能考评", focus="#tasks"),
            Step("results", f"{cycle}/results", "成绩"),
            Step("grassroots-link", f"/rate/{demo.link_token}", "考评"),
        ],
        "inspector": [
            Step("region", f"/r/{DEMO_REGION}", ""),
            Step("report", f"/r/{DEMO_REGION}/report", ""),
        ],
        "root": [
            Step("counties", "/admin/tenants", ""),
            Step("calendar", "/admin/calendar", "日历"),
        ],
    }


# The guides name roles, not usernames: 经办人 is 王效雷, the evaluator 赵明.
GUIDE_NAMES = {"wangxiaolei": "clerk", "zhaoming": "evaluator", "root": "superadmin"}


@pytest.fixture
def shots(tmp_path) -> Path:
    if os.environ.get("PORTAL_DOCS_SCREENSHOTS") == "1":
        folder = PROJECT_ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path


async def sign_in(page, base: str, username: str) -> None:
    """The county's members choose 砀山县; the operator and the inspector belong to no county."""
    outside = username in ("root", "inspector")
    await page.goto(f"{base}/login" + ("" if outside else f"?tenant={SLUG}"))
    if outside:
        await page.select_option("select[name=tenant]", "")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button.primary")
    await page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"{username} could not sign in"


async def test_every_role_walks_its_week_at_desktop_and_phone_width(live_server, chromium, shots, redis):

    demo = await seeded()
    await beat({"redis": redis})  # as if a worker ran: the dashboards show no warning about it
    taken = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        for width, height in WIDTHS.items():
            for username, steps in journeys(demo).items():
                context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                page = await context.new_page()
                await sign_in(page, live_server, username)
                for n, step in enumerate(steps, start=1):
                    answer = await page.goto(f"{live_server}{step.path}")
                    assert answer.status == 200, f"{username} {step.path}: {answer.status}"
                    heading = await page.inner_text("h1")
                    assert step.heading in heading, f"{username} {step.path}: {heading!r}"
                    if step.act:
                        await step.act(page)
                    if step.focus:
                        await page.locator(step.focus).evaluate("element => element.scrollIntoView()")
                    name = f"{GUIDE_NAMES.get(username, username)}-{n}-{step.name}-{width}.jpg"
                    await page.screenshot(path=shots / name, type="jpeg", quality=JPEG_QUALITY)
                    taken.append(name)
                await context.close()
        await browser.close()
    assert len(taken) == 2 * sum(len(steps) for steps in journeys(demo).values())
