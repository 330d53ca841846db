"""王效雷 posts a two-week leave, the leader approves it from the dashboard, the board shows the backups."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser import sign_in_as
from tests.helpers import demo_county

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "redis")]


async def test_leave_posted_approved_and_covered(live_server, browser_page):
    await demo_county()
    page = browser_page
    await sign_in_as(page, live_server, "wangxiaolei")
    await page.click("nav >> text=离岗告示")
    start = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(minutes=5)
    await page.select_option("select[name=kind]", "personal")
    await page.fill("input[name=reason]", "家中老人住院")
    await page.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    # Two weeks always hold more than half a day of office time (the server runs on the real clock).
    await page.fill("input[name=ends_at]", (start + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"))
    await page.locator("input[name=ends_at]").dispatch_event("change")
    await page.wait_for_selector("#preview >> text=请假期间替岗")
    preview = await page.inner_text("#preview")
    assert "由分管领导审批" in preview and "城市低保：侯伟丽" in preview and "临时救助：朱文君" in preview
    await page.fill("input[name=contact]", "13905571011")
    await page.fill("textarea[name=handover]", "城市低保3户材料在柜中第二层")
    await page.click("form button.primary")
    await page.wait_for_selector("text=待审批")

    await page.context.clear_cookies()
    await sign_in_as(page, live_server, "leader")
    approvals = page.locator("#approvals")
    assert "王效雷" in await approvals.inner_text()
    await approvals.locator("button", has_text="批准").first.click()
    await page.wait_for_url(f"{live_server}/t/dangshan/")
    assert await page.locator("#approvals").count() == 0

    await page.click("nav >> text=A/B岗")
    assert await page.inner_text("#line-urban_dibao td.acting") == "侯伟丽"
    assert await page.inner_text("#line-temporary td.acting") == "朱文君"
    assert "B岗替代中" in await page.inner_text("#line-urban_dibao td.state")
