"""Every main page of every role fits a 390 px phone without sideways scrolling (wide tables
scroll inside themselves), and the navigation is one line at 1280 px."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.absences import services as absences
from app.cases.intake import Application
from app.domain.absence import Action
from app.evaluation.cycles import open_cycle, set_step
from app.flows.intake import intake
from tests.browser import sign_in_as
from tests.helpers import context_of, demo_county

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "redis")]

ZONE = ZoneInfo("Asia/Shanghai")
ROLES = ("admin", "leader", "head", "wangxiaolei", "zhaoming")  # admin, leader, section head, clerk, evaluator
PAGES = (
    "/",
    "/todo",
    "/rota",
    "/rota/print",
    "/rota/urban_dibao/history",
    "/cases",
    "/cases/new",
    "/cases/{case}",
    "/enquiries",
    "/absences",
    "/absences/overview",
    "/absences/{absence}",
    "/absences/door-notice",
    "/staff",
    "/staff/{person}",
    "/lines",
    "/calendar",
    "/evaluations",
    "/evaluations/{cycle}",
    "/accountability",
    "/stats",
    "/stats/report",
    "/imports",
    "/health",
    "/audit",
    "/settings",
    "/settings/office-hours",
    "/settings/robots",
    "/tokens",
    "/inbox",
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# The top of each item of the bar (links and the 更多 menu's summary): one line = one top.
NAV_TOPS = (
    "[...document.querySelectorAll('nav.mainnav > a, nav.mainnav > details > summary')]"
    ".map(e => Math.round(e.getBoundingClientRect().top))"
)


async def _county_with_a_day_of_work() -> dict[str, str]:
    people = await demo_county()
    clerk = await context_of("dangshan", people["wangxiaolei"])
    now = datetime.now(ZONE)
    case = await intake(
        clerk,
        Application(
            line="urban_dibao",
            applicant_name="张三",
            applicant_id_number="11010519491231002X",
            household_size=3,
            received_on=now.date(),
            first_receiver_id=people["houweili"],
            address="砀山县砀城镇人民路 12 号 3 单元 502 室",
        ),
    )
    # A leave of two weeks (always more than half a day of office time on the real clock), approved.
    absence = await absences.post(
        clerk,
        person_id=people["wangxiaolei"],
        kind="personal",
        reason="家中老人住院",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(days=14),
        contact="13905571011",
        handover="城市低保3户材料在柜中第二层",
    )
    await absences.decide(await context_of("dangshan", people["leader"]), absence.id, Action.APPROVE)
    admin = await context_of("dangshan", people["admin"])
    cycle = await set_step(admin, (await open_cycle(admin, now.year)).id, "internal")  # ratings due
    return {"case": str(case.id), "absence": str(absence.id), "person": str(people["houweili"]), "cycle": str(cycle.id)}


async def test_no_page_scrolls_sideways_on_a_phone_and_the_menu_is_one_line_on_a_desktop(live_server, browser_page):
    ids = await _county_with_a_day_of_work()
    page = browser_page
    too_wide, wrapped = [], []
    for username in ROLES:
        await page.context.clear_cookies()
        await page.set_viewport_size(DESKTOP)
        await sign_in_as(page, live_server, username)
        if len(set(await page.evaluate(NAV_TOPS))) != 1:
            wrapped.append(username)
        await page.set_viewport_size(PHONE)
        for path in PAGES:
            response = await page.goto(f"{live_server}/t/dangshan{path.format(**ids)}")
            if response.status == 403:  # not this role's page
                continue
            assert response.ok, (username, path, response.status)
            overflow = await page.evaluate(OVERFLOW)
            if overflow > 0:
                too_wide.append((username, path, overflow))
    # English labels are longer: the administrator's bar (the longest) still fits.
    await page.context.clear_cookies()
    await page.set_viewport_size(DESKTOP)
    await sign_in_as(page, live_server, "admin")
    await page.click("button[lang=en]")
    await page.wait_for_selector("nav >> text=My tasks")
    if len(set(await page.evaluate(NAV_TOPS))) != 1:
        wrapped.append("admin in English")
    assert wrapped == [], f"the navigation wraps at 1280 px for {wrapped}"
    assert too_wide == [], f"pages wider than a 390 px phone (user, page, extra px): {too_wide}"


async def test_the_more_menu_opens_and_closes_with_the_keyboard(live_server, browser_page):
    await demo_county()
    page = browser_page
    await page.set_viewport_size(DESKTOP)
    await sign_in_as(page, live_server, "admin")
    await page.focus("details.more summary")
    await page.keyboard.press("Enter")
    assert await page.is_visible("nav >> text=审计日志")
    await page.keyboard.press("Escape")
    assert not await page.is_visible("nav >> text=审计日志")
    assert await page.evaluate("document.activeElement.tagName") == "SUMMARY"
