"""A change says it worked, in a live region, and its undo takes it back (HTMX and plain forms)."""

from __future__ import annotations

import pytest

from tests.browser import sign_in_as
from tests.helpers import demo_county

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "redis")]


async def test_a_changed_post_is_confirmed_and_undone_from_the_confirmation(live_server, browser_page):
    await demo_county()
    page = browser_page
    await sign_in_as(page, live_server, "admin")
    await page.goto(f"{live_server}/t/dangshan/rota")
    row = page.locator("#line-urban_dibao")
    await row.locator("select[name=a]").select_option(label="侯伟丽")
    await row.locator("select[name=b]").select_option(label="王效雷")
    await row.locator("button", has_text="保存").click()  # HTMX: the board is swapped in place

    done = page.locator("#done")
    await done.wait_for(state="visible")
    assert await done.get_attribute("role") == "status" and await done.get_attribute("aria-live") == "polite"
    assert "A/B岗已保存" in await done.inner_text()
    assert await row.locator("td.a").inner_text() == "侯伟丽"

    await done.locator("button", has_text="撤销").click()  # a plain POST, then the page again
    await page.wait_for_selector("#line-urban_dibao td.a >> text=王效雷")
    assert await page.locator("#line-urban_dibao td.b").inner_text() == "侯伟丽"
    assert "A/B岗已保存" in await page.locator("#done").inner_text()  # shown after the redirect
