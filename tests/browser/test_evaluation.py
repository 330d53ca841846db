"""The leader rates 王效雷 on the cycle page, the admin computes and watches the results fill in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.evaluation import cycles, ratings
from tests.browser import sign_in_as
from tests.helpers import context_of, demo_county
from workers.settings import build_worker

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "redis")]


async def cycle_at_external_step(people: dict[str, int]) -> tuple[int, int]:
    """This year's cycle at 外部测评, where 王效雷 already has his self, peer and paper grassroots ratings."""
    admin = await context_of("dangshan", people["admin"])
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    cycle = await cycles.open_cycle(admin, year)
    await cycles.set_step(admin, cycle.id, "external")
    wang = people["wangxiaolei"]
    await ratings.rate(await context_of("dangshan", wang), cycle.id, staff_id=wang, component="self", score="90")
    peer = await context_of("dangshan", people["houweili"])
    await ratings.rate(peer, cycle.id, staff_id=wang, component="peer", score="80")
    await ratings.rate(admin, cycle.id, staff_id=wang, component="grassroots", score="70", rater_label="李庄镇 王某")
    return cycle.id, year


async def test_an_evaluator_rates_and_the_admin_computes_the_results(live_server, browser_page, settings):
    people = await demo_county()
    cycle_id, year = await cycle_at_external_step(people)
    wang = people["wangxiaolei"]
    page = browser_page

    await sign_in_as(page, live_server, "leader")
    await page.click("nav >> text=考评")
    await page.click(f"text={year} 年度")
    await page.click("text=改为按德、能、勤、绩、廉五项打分")
    row = page.locator(f"#task-leadership-{wang}")
    for name, value in zip(("de", "neng", "qin", "ji", "lian"), ("18", "17", "18", "17", "18"), strict=True):
        await row.locator(f"input[name='leadership.{wang}.{name}']").fill(value)
    assert await row.locator("output.sum").inner_text() == "88.00"
    # Another row only half filled in: nothing is saved, and that row says why.
    hou = people["houweili"]
    await page.fill(f"input[name='leadership.{hou}.de']", "15")
    await page.click("#rating-grid button:has-text('保存全部评分')")
    await page.wait_for_selector(f"#task-leadership-{hou} >> text=五项分数须齐全")
    assert "未评分" in await row.inner_text()
    await page.fill(f"input[name='leadership.{hou}.de']", "")
    await page.click("#rating-grid button:has-text('保存全部评分')")
    await page.wait_for_selector(f"#task-leadership-{wang} >> text=已保存 88.00")
    assert await page.inner_text(f"#task-leadership-{wang} td.grade") == "优秀"
    # 科室互评 is for colleagues: the leader has no such table, and no self-rating either.
    assert await page.locator("#tasks h3", has_text="科室互评").count() == 0
    # The leader is no subject: nothing to rate of himself, and no self-rating table.
    assert await page.locator("#tasks h3", has_text="个人自评").count() == 0

    await page.context.clear_cookies()
    await sign_in_as(page, live_server, "admin")
    await page.goto(f"{live_server}/t/dangshan/evaluations/{cycle_id}")
    assert "尚未计算成绩" in await page.inner_text("#results")
    await page.click("#compute button:has-text('计算成绩')")
    await page.wait_for_selector("#compute progress")

    # The live server runs no worker: one burst worker here does the queued job.
    worker = build_worker(settings, burst=True, handle_signals=False, poll_delay=0.05)
    try:
        await worker.main()
    finally:
        await worker.close()

    # 70 × 88 + 10 × 80 + 10 × 90 + 10 × 70 = 8560 → 85.60, 优秀; the table reloads itself.
    await page.wait_for_selector(f"#result-{wang} >> text=85.60", timeout=15000)
    result = await page.inner_text(f"#result-{wang}")
    assert "优秀" in result and "已评分" in result
    assert "计算完成" in await page.inner_text("#compute")
    others = await page.inner_text(f"#result-{people['houweili']}")
    assert "评分不全" in others
