"""A county administrator signs in and works in the portal, in a real browser."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, county, person

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "redis")]


async def test_admin_signs_in_and_sees_the_dashboard(live_server, browser_page):
    await county("dangshan", "砀山县")
    await person("dangshan", "admin", ["admin"], name="李国栋")
    page = browser_page
    await page.goto(f"{live_server}/")
    assert "/login" in page.url
    await page.select_option("select[name=tenant]", "dangshan")
    await page.fill("input[name=username]", "admin")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button.primary")
    await page.wait_for_url(f"{live_server}/t/dangshan/")
    assert await page.inner_text("h1") == "您好，李国栋"
    assert "砀山县" in await page.inner_text(".brand")
    assert "最近变更" in await page.inner_text("main")


async def test_token_is_created_in_place_and_language_switches(live_server, browser_page):
    await county("dangshan", "砀山县")
    await person("dangshan", "admin", ["admin"])
    page = browser_page
    await page.goto(f"{live_server}/login?tenant=dangshan")
    await page.fill("input[name=username]", "admin")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button.primary")
    await page.wait_for_url(f"{live_server}/t/dangshan/")
    await page.click("text=API 令牌")
    await page.fill("input[name=label]", "月报脚本")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    await page.click("text=创建令牌")
    await page.wait_for_selector("#new-token")
    assert (await page.inner_text("#new-token")).startswith("cp_")
    assert "月报脚本" in await page.inner_text("#tokens table")
    assert navigations == []  # HTMX swapped the region; the page did not reload
    await page.click("button[lang=en]")
    await page.wait_for_selector("text=API tokens")
    assert await page.inner_text("h1") == "API tokens"
