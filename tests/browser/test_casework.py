"""王效雷 receives an application for temporary assistance, issues the one-time notice, accepts it,
surveys the household with 侯伟丽 (who signs with her own account), posts it, and the leader approves."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_leave import sign_in_as
from tests.helpers import demo_county
from tests.integration.test_cases import (
    CONCLUSION,
    FINDINGS,
    PLACE,
    POSTING_OVER,
    VALID_ID,
    nth_working_day_after,
    today,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "redis")]


async def as_user(page, base: str, username: str, case_url: str) -> None:
    """Signs out, signs in as ``username`` and opens the case."""
    await page.context.clear_cookies()
    await sign_in_as(page, base, username)
    await page.goto(case_url)


async def test_an_application_goes_from_intake_to_approval(live_server, browser_page):
    await demo_county()
    page = browser_page
    await sign_in_as(page, live_server, "wangxiaolei")

    await page.click("nav >> text=案件")
    await page.click("text=受理新申请")
    await page.wait_for_selector("#due-preview >> text=应于")  # the first line, received today
    await page.check("input[name=line][value=temporary]")
    await page.wait_for_selector("#due-preview >> text=办结时限 10 个工作日")
    assert str(nth_working_day_after(today(), 10)) in await page.inner_text("#due-preview")
    received_on = today() - POSTING_OVER  # a week ago, so that a posting put up that day is over today
    await page.fill("input[name=received_on]", received_on.isoformat())
    await page.locator("input[name=received_on]").dispatch_event("change")
    await page.wait_for_selector(f"#due-preview >> text={nth_working_day_after(received_on, 10)}")
    await page.fill("input[name=applicant_name]", "赵大娘")
    await page.fill("input[name=applicant_id_number]", VALID_ID)
    await page.fill("input[name=household_size]", "2")
    await page.click("button:has-text('登记')")
    await page.wait_for_url(re.compile(r".*/t/dangshan/cases/\d+$"))
    case_url = page.url
    assert "1101**********002X" in await page.inner_text("main")
    assert VALID_ID not in await page.content()

    notice = page.locator("form[action$='/notice']")
    await notice.locator("input[name=items]").first.check()
    await notice.locator("textarea[name=other_items]").fill("银行卡复印件")
    await notice.locator("button").click()
    await page.wait_for_selector("#work >> text=一次性告知书（")

    await page.click("button:has-text('受理并出具受理凭证')")
    await page.wait_for_selector("#work >> text=受理凭证 第 1 号")

    survey = page.locator("form[action$='/survey']")
    await survey.locator("label", has_text="侯伟丽").locator("input").check()
    await survey.locator("textarea[name=findings]").fill(FINDINGS)
    await survey.locator("textarea[name=conclusion]").fill(CONCLUSION)
    await survey.locator("button").click()
    await page.wait_for_selector("#work >> text=入户调查：等待调查人签字")

    await as_user(page, live_server, "houweili", case_url)
    await page.click("button:has-text('我已参加调查，签字确认')")
    await page.wait_for_selector("#work .status >> text=已入户调查")

    await as_user(page, live_server, "wangxiaolei", case_url)
    posting = page.locator("form[action$='/posting']")
    await posting.locator("input[name=starts_on]").fill(received_on.isoformat())
    await posting.locator("input[name=place]").fill(PLACE)
    await posting.locator("button").click()
    await page.wait_for_selector("#work >> text=公示期满")

    await as_user(page, live_server, "leader", case_url)
    await page.click("button:has-text('审批同意')")
    await page.wait_for_selector("#work .status >> text=已审批（同意）")
    assert "赵大娘" in await page.inner_text("h1")


async def test_ticking_separated_household_gives_the_15_day_preview_the_server_computes(live_server, browser_page):
    """人户分离: the preview asks with the form's own field, so it says what intake will compute."""
    await demo_county()
    page = browser_page
    await sign_in_as(page, live_server, "wangxiaolei")
    await page.goto(f"{live_server}/t/dangshan/cases/new")
    await page.check("input[name=line][value=urban_dibao]")
    await page.wait_for_selector("#due-preview >> text=办结时限 10 个工作日")
    await page.check("input[name=separated_household]")
    await page.wait_for_selector("#due-preview >> text=办结时限 15 个工作日")
    assert str(nth_working_day_after(today(), 15)) in await page.inner_text("#due-preview")
    await page.uncheck("input[name=separated_household]")
    await page.wait_for_selector("#due-preview >> text=办结时限 10 个工作日")
