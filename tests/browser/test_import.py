"""An administrator previews a staff sheet, sees its problem in place, and imports the fixed one."""

from __future__ import annotations

import pytest

from app.accounts.tables import User
from tests.browser import sign_in_as
from tests.helpers import county, person
from tests.integration.test_imports import STAFF_HEADERS, xlsx

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "redis")]


async def test_preview_shows_the_problem_in_place_and_the_fixed_sheet_imports(live_server, browser_page, tmp_path):
    await county("dangshan", "砀山县")
    await person("dangshan", "admin", ["admin"], name="李国栋")
    wrong, fixed = tmp_path / "wrong.xlsx", tmp_path / "fixed.xlsx"
    wrong.write_bytes(xlsx(STAFF_HEADERS, [["li", "李四", "科长", "", ""], ["wu", "吴五", "staff", "", ""]]))
    fixed.write_bytes(xlsx(STAFF_HEADERS, [["li", "李四", "工作人员", "", ""], ["wu", "吴五", "staff", "", ""]]))
    page = browser_page
    await sign_in_as(page, live_server, "admin")
    await page.click("nav >> text=更多")
    await page.click("nav >> text=导入")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    staff = page.locator("section", has_text="人员名单")
    await staff.locator("input[type=file]").set_input_files(str(wrong))
    await staff.locator("button[value='1']").click()
    await page.wait_for_selector("#staff_result td.problem")
    assert "科长" in await page.inner_text("#staff_result td.problem")
    assert await User.count().where(User.username.is_in(["li", "wu"])) == 0
    await staff.locator("input[type=file]").set_input_files(str(fixed))
    await staff.locator("button[value='0']").click()
    await page.wait_for_selector("#staff_result >> text=将新建 2 条")
    await staff.locator("button[value='1']").click()
    await page.wait_for_selector("#staff_result >> text=已导入：新建 2 条")
    assert await User.count().where(User.username.is_in(["li", "wu"])) == 2
    assert navigations == []  # each answer swapped its region in place
