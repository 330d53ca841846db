"""Issue 16 (everyday use): confirmations with undo, the absences overview, 我的待办."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from app.absences import services
from app.domain.absence import Action
from app.rota.services import line
from app.web.feedback import COOKIE
from tests.helpers import context_of, demo_county, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis", "office_time")

HTMX = {"HX-Request": "true"}


@pytest.fixture
async def people():
    return await demo_county()


def local(at: datetime) -> str:
    return at.astimezone().strftime("%Y-%m-%dT%H:%M")


async def post_leave(client, *, starts=timedelta(days=1), length=timedelta(days=2)):
    start = datetime.now().astimezone() + starts
    form = {
        "kind": "personal",
        "reason": "家中有事",
        "starts_at": local(start),
        "ends_at": local(start + length),
        "contact": "139",
        "handover": "材料在柜中",
    }
    return await post_form(client, "/t/dangshan/absences", form)


def event_of(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["portal:saved"]


async def test_a_posted_notice_is_confirmed_once_and_can_be_undone(settings, people):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        posted = await post_leave(client)
        assert posted.status_code == 303 and client.cookies.get(COOKIE)
        shown = await client.get(posted.headers["location"])
        assert "离岗告示已发布" in shown.text
        absence_id = int(posted.headers["location"].rsplit("/", 1)[1])
        assert f'action="/t/dangshan/absences/{absence_id}/cancel"' in shown.text
        assert "离岗告示已发布" not in (await client.get(posted.headers["location"])).text  # said once

        undone = await post_form(client, f"/t/dangshan/absences/{absence_id}/cancel")
        assert undone.status_code == 303
        assert "离岗告示已撤销" in (await client.get(undone.headers["location"])).text
    ctx = await context_of("dangshan", people["admin"])
    assert (await services.get_absence(ctx, absence_id)).status == "cancelled"


async def test_a_notice_already_running_offers_no_undo(settings, people):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "sunjing")
        posted = await post_leave(client, starts=timedelta(minutes=-1), length=timedelta(minutes=20))
        shown = await client.get(posted.headers["location"])
        assert "离岗告示已发布" in shown.text and "/cancel" not in shown.text.split('id="done"')[1].split("</div>")[0]


async def test_an_htmx_decision_carries_the_event_in_its_answer(settings, people):
    ctx = await context_of("dangshan", people["wangxiaolei"])
    start = datetime.now().astimezone() + timedelta(days=1)
    absence = await services.post(
        ctx, person_id=people["wangxiaolei"], kind="personal", reason="家中有事",
        starts_at=start, ends_at=start + timedelta(days=2), contact="139", handover="材料在柜中",
    )  # fmt: skip
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "leader")
        decided = await post_form(client, f"/t/dangshan/absences/{absence.id}/approve", headers=HTMX)
        assert decided.status_code == 200
        assert event_of(decided) == {"message": "已批准离岗申请", "undo": ""}
        assert decided.headers["HX-Trigger"].isascii()  # header values are Latin-1


async def test_changing_a_post_can_be_undone_from_the_confirmation(settings, people):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        form = {"a": people["houweili"], "b": people["wangxiaolei"]}
        changed = await post_form(client, "/t/dangshan/rota/urban_dibao/assignment", form, headers=HTMX)
        assert changed.status_code == 200
        saved = event_of(changed)
        assert saved["message"] == "A/B岗已保存"
        path, query = saved["undo"].split("?")
        assert path == "/t/dangshan/rota/urban_dibao/assignment"
        assert query == f"a={people['wangxiaolei']}&b={people['houweili']}"
        fields = dict(pair.split("=") for pair in query.split("&"))
        restored = await post_form(client, path, fields)
        assert restored.status_code == 303
    post = await line(await context_of("dangshan", people["admin"]), "urban_dibao")
    assert (post.a.id, post.b.id) == (people["wangxiaolei"], people["houweili"])


@pytest.mark.parametrize(
    "cookie",
    ["NOT_A_MESSAGE ", quote("ABSENCE_POSTED /t/otherplace/absences/1/cancel", safe=""), quote("SAVED javascript:x")],
)
async def test_a_forged_confirmation_shows_at_most_one_of_our_messages(settings, people, cookie):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        client.cookies.set(COOKIE, cookie)
        shown = (await client.get("/t/dangshan/rota")).text
        toast = shown.split('id="done"')[1].split("</div>")[0]
        assert "otherplace" not in toast and "javascript" not in toast and "<form" not in toast


async def test_the_overview_shows_today_pending_and_the_month(settings, people):
    leader = await context_of("dangshan", people["leader"])
    running = await post_as(people, "wangxiaolei", starts=timedelta(minutes=-1), length=timedelta(days=2))
    await services.decide(leader, running.id, Action.APPROVE)
    waiting = await post_as(people, "houweili", starts=timedelta(days=3), length=timedelta(days=1))
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "head")
        page = await client.get("/t/dangshan/absences/overview")
        assert page.status_code == 200
        today = page.text.split('id="away-today"')[1].split("</section>")[0]
        pending = page.text.split('id="pending"')[1].split("</section>")[0]
        calendar = page.text.split('class="away-month"')[1].split("</table>")[0]
        assert f"/absences/{running.id}" in today and f"/absences/{waiting.id}" not in today
        assert f"/absences/{waiting.id}" in pending
        assert f"/absences/{running.id}" in calendar
        month = datetime.now().astimezone().strftime("%Y-%m")
        assert f'value="{month}"' in page.text

        only_houweili = await client.get(f"/t/dangshan/absences/overview?staff_id={people['houweili']}")
        assert f"/absences/{running.id}" not in only_houweili.text
        assert f"/absences/{waiting.id}" in only_houweili.text

        bad = await client.get("/t/dangshan/absences/overview?month=2026-13")
        assert bad.status_code == 400 and "月份格式应为" in bad.text

        assert "/t/dangshan/absences/overview" in (await client.get("/t/dangshan/")).text  # from 今日离岗

        await sign_in(client, "dangshan", "wangxiaolei")
        assert (await client.get("/t/dangshan/absences/overview")).status_code == 403
        assert "/t/dangshan/absences/overview" not in (await client.get("/t/dangshan/")).text


async def post_as(people, username: str, *, starts: timedelta, length: timedelta):
    ctx = await context_of("dangshan", people[username])
    start = datetime.now().astimezone() + starts
    return await services.post(
        ctx, person_id=people[username], kind="personal", reason="家中有事",
        starts_at=start, ends_at=start + length, contact="139", handover="材料在柜中",
    )  # fmt: skip


async def test_my_tasks_lists_what_waits_and_the_badge_counts_it(settings, people):
    waiting = await post_as(people, "wangxiaolei", starts=timedelta(days=1), length=timedelta(days=2))
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "leader")
        page = await client.get("/t/dangshan/todo")
        assert page.status_code == 200
        assert f"/t/dangshan/absences/{waiting.id}" in page.text.split('id="todo-absences"')[1]
        badge = await client.get("/t/dangshan/todo/count", headers=HTMX)
        assert '<span class="count"' in badge.text

        await post_form(client, f"/t/dangshan/absences/{waiting.id}/approve", headers=HTMX)
        assert 'id="todo-absences"' not in (await client.get("/t/dangshan/todo")).text

        await sign_in(client, "dangshan", "sunjing")
        page = await client.get("/t/dangshan/todo")
        assert page.status_code == 200 and "眼下没有等您处理的事项" in page.text
        assert '<span class="count"' not in (await client.get("/t/dangshan/todo/count", headers=HTMX)).text
