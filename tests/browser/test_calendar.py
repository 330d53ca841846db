"""The admin enters next year's New Year holiday on the calendar page (in place) and computes a due date."""

from __future__ import annotations

import pytest

from tests.browser.test_leave import sign_in_as
from tests.helpers import demo_county

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "redis")]


async def test_admin_enters_a_holiday_in_place_and_computes_a_due_date(live_server, browser_page):
    await demo_county()
    page = browser_page
    await sign_in_as(page, live_server, "admin")
    await page.click("nav >> text=更多")
    await page.click("nav >> text=工作日历")
    await page.fill("input[name=start]", "2025-09-30")
    await page.fill("input[name=working_days]", "10")
    await page.click(".due-calc button")
    await page.wait_for_selector("#due >> text=2025-10-21")

    await page.goto(f"{live_server}/t/dangshan/calendar?year=2027")
    assert "暂按周一至周五计算，待录入本年度安排" in await page.inner_text("#year")
    await page.locator("table.month").first.locator("a", has_text="1").first.click()
    await page.wait_for_selector("input[name=day][value='2027-01-01']")
    await page.select_option("select[name=workday]", "0")
    await page.fill("input[name=note]", "元旦")
    await page.click(".editor button.primary")
    await page.wait_for_selector("#year >> text=已保存")
    assert page.url.endswith("/t/dangshan/calendar?year=2027")  # swapped in place, no navigation
    january_first = page.locator("table.month").first.locator("td.src-override")
    assert await january_first.count() == 1
    assert "休" in await january_first.inner_text()
    assert "元旦" in await page.inner_text("table.overrides")
