"""A county administrator signs in and works in the portal, in a real browser."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

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
    await page.click("nav >> text=更多")
    await page.click("nav >> text=API 令牌")
    await page.fill("input[name=label]", "月报脚本")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    await page.click("text=创建令牌")
    await page.wait_for_selector("#new-token")
    assert (await page.inner_text("#new-token")).startswith("cp_")
    assert "月报脚本" in await page.inner_text("#tokens table")
    assert navigations == []  # HTMX swapped the region; the page did not reload
    await page.click("button[lang=en]")
    await page.wait_for_selector("h1 >> text=API tokens")
    assert await page.inner_text("h1") == "API tokens"


async def test_admin_changes_a_backup_on_the_board_without_a_reload(live_server, browser_page):
    from pathlib import Path

    from app.accounts.services import set_password
    from app.accounts.tables import User
    from app.setup import as_code
    from tests.helpers import OPERATOR

    await as_code.apply(as_code.load_file(Path("tenants/dangshan.toml")), OPERATOR)
    admin = await User.select(User.id).where(User.username == "admin").first()
    await set_password(OPERATOR, admin["id"], PASSWORD)
    page = browser_page
    await page.goto(f"{live_server}/login?tenant=dangshan")
    await page.fill("input[name=username]", "admin")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button.primary")
    await page.wait_for_url(f"{live_server}/t/dangshan/")
    await page.click("nav >> text=A/B岗")
    row = page.locator("#line-urban_dibao")
    assert await row.locator("td.b").inner_text() == "侯伟丽"
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    await row.locator("select[name=b]").select_option(label="孙静")
    await row.locator("button").click()
    # A locator, not wait_for_function: the CSP forbids the page to evaluate strings as script.
    await expect(page.locator("#line-urban_dibao td.b")).to_have_text("孙静")
    assert navigations == []
    await row.locator("select[name=b]").select_option(label="朱文君（未登记资格）")
    await page.locator("#line-urban_dibao button").click()
    await page.wait_for_selector("#board .error")
    assert "不熟悉该岗位业务" in await page.inner_text("#board .error")
    assert await page.locator("#line-urban_dibao td.b").inner_text() == "孙静"
