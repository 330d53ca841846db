"""Group robots on PostgreSQL against a local robot server that answers as WeCom and DingTalk do
(``app.robots.sink``), never the real hosts: queued with the inbox message, posted once per
robot, DingTalk signed, retried on errors and rate limits, failures told to the admins."""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app import clock
from app.accounts.services import add_user
from app.domain.robot import MAX_ATTEMPTS, Platform
from app.errors import InvalidInput
from app.flows import reminders
from app.notifications import services as inbox
from app.notifications.services import Message, tell
from app.notifications.tables import Notification
from app.reminders.tables import Reminder
from app.robots import delivery, services
from app.robots.services import RobotSettings
from app.robots.sink import Received, RobotSink, SinkRobot
from app.robots.tables import Robot, RobotDelivery
from app.tenancy.services import find_by_slug
from tests.helpers import OPERATOR, PASSWORD, api_token, context_of, county, demo_county, portal, post_form, sign_in
from tests.integration.test_reminders import DUE, run_scan, urban_case, working_days_before
from workers.robots import ROBOTS

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

BASE_URL = "https://portal.example.gov.cn"
WECOM = SinkRobot(Platform.WECOM, "wecom-key-1")
DINGTALK = SinkRobot(Platform.DINGTALK, "ding-token-1", secret="SECabcdef0123456789", keyword="救助")
ID_NUMBER = "340321199001011234"


class ScriptedSink(RobotSink):
    """Answers from a script first (errors, rate limits), then as the platform does."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.script: list[dict] = []
        self.posts = 0

    def answer(self, received: Received):
        self.posts += 1
        return (200, self.script.pop(0)) if self.script else super().answer(received)


@pytest.fixture
def sink():
    server = ScriptedSink(None, [WECOM, DINGTALK]).start()
    yield server
    server.stop()


@pytest.fixture
def hosts(sink):
    return frozenset({sink.address})


@pytest.fixture
async def dangshan():
    await county("dangshan", "砀山县")
    people = {}
    for username, name, roles in (
        ("admin", "管理员", ["admin"]),
        ("wangxiaolei", "王效雷", ["staff"]),
        ("lihead", "李股长", ["section_head"]),
    ):
        people[username] = await add_user(
            OPERATOR, tenant_slug="dangshan", username=username, name=name, roles=roles, password=PASSWORD
        )
    people["tenant"] = (await find_by_slug("dangshan")).id
    return people


async def add_robots(people, sink, hosts, events=("reminder", "overdue", "approval")) -> dict:
    ctx = await context_of("dangshan", people["admin"])
    wecom = await services.add_robot(ctx, RobotSettings("wecom", "救助股工作群", sink.url(WECOM), events), hosts)
    ding = await services.add_robot(
        ctx,
        RobotSettings("dingtalk", "民政局钉钉群", sink.url(DINGTALK), events, DINGTALK.secret, DINGTALK.keyword),
        hosts,
    )
    return {"wecom": wecom["id"], "dingtalk": ding["id"]}


async def overdue(people, case_id: int = 7, message: str = "城市低保：张三的申请已逾期（2026-11-16 到期）") -> int:
    return await tell(
        people["tenant"],
        [people["wangxiaolei"], people["lihead"]],
        kind="reminder.overdue",
        message=message,
        key=f"reminder:case:{case_id}:overdue:2026-11-16",
        link=f"/t/dangshan/cases/{case_id}",
        case_id=case_id,
    )


async def due_today(people, cases: int) -> None:
    """Reminders of ``cases`` cases due today, told to the clerk, in case order (消息0, 消息1, …)."""
    for case_id in range(cases):
        await tell(
            people["tenant"],
            [people["wangxiaolei"]],
            kind="reminder.due_today",
            message=f"消息{case_id}",
            key=f"reminder:case:{case_id}:due_today:2026-11-16",
        )


async def deliver(hosts, now=None):
    return await delivery.deliver_due(hosts=hosts, base_url=BASE_URL, now=now)


async def ledger() -> list[dict]:
    return await RobotDelivery.select().order_by(RobotDelivery.id)


async def test_an_event_told_to_two_people_is_posted_once_to_each_robot(dangshan, sink, hosts):
    await add_robots(dangshan, sink, hosts)
    assert await overdue(dangshan) == 2  # the handler and the head each have it in their inbox
    assert await overdue(dangshan) == 0
    assert len(await ledger()) == 2  # one per robot

    report = await deliver(hosts)
    assert report.sent == 2
    wecom, ding = sorted(sink.received, key=lambda r: r.platform, reverse=True)
    assert wecom.platform == "wecom" and wecom.signature == "none"
    assert wecom.body["msgtype"] == "markdown" and set(wecom.body["markdown"]) == {"content"}
    assert ding.platform == "dingtalk" and ding.signature == "verified"
    assert ding.body["markdown"]["title"] == "案件逾期，请股长督办"
    for received in (wecom, ding):
        assert "张三的申请已逾期" in received.content
        assert "王效雷、李股长" in received.content  # overdue: the head is named with the handler
        assert f"({BASE_URL}/t/dangshan/cases/7)" in received.content
    assert "【救助】" in ding.content or "救助" in ding.content

    # Again, by the cron on another worker: nothing more.
    assert (await deliver(hosts)).sent == 0
    assert len(sink.received) == 2
    assert {row["status"] for row in await ledger()} == {"sent"}


async def test_a_listener_hears_each_new_message_once_however_often_it_is_registered(dangshan, monkeypatch):
    # The inbox calls no feature: the robots listen (the web app, the worker and the tests register
    # them at start, in one process possibly more than once).
    monkeypatch.setattr(inbox, "_listeners", [])
    heard = []

    async def listener(tenant_id: int, messages: list[Message]) -> None:
        heard.append((tenant_id, sorted((m.user_id, m.dedupe_key) for m in messages)))

    inbox.listen(listener)
    inbox.listen(listener)
    assert await overdue(dangshan) == 2
    assert await overdue(dangshan) == 0  # told already: nothing new to hear
    key = "reminder:case:7:overdue:2026-11-16"
    told = [(person, f"{key}:{person}") for person in (dangshan["wangxiaolei"], dangshan["lihead"])]
    assert [(county, batch) for county, batch in heard if batch] == [(dangshan["tenant"], told)]


async def test_one_robots_breakdown_leaves_the_others_run_whole(dangshan, sink, hosts, monkeypatch):
    ids = await add_robots(dangshan, sink, hosts, events=("reminder",))
    await due_today(dangshan, 3)
    posted = delivery.post

    async def post(target, *args):
        if target.id == ids["wecom"]:
            raise RuntimeError("the database went away")
        await asyncio.sleep(0.2)  # still posting when the other robot breaks down
        return await posted(target, *args)

    monkeypatch.setattr(delivery, "post", post)
    with pytest.raises(RuntimeError):
        await deliver(hosts)
    assert [r.platform for r in sink.received] == ["dingtalk"] * 3


@contextmanager
def answering(status: int, headers: dict[str, str], body: bytes = b""):
    """A server on this machine that answers every post alike, unlike either platform; its address."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def post_once_to(dangshan, address: str) -> dict:
    """An overdue message to a WeCom robot at ``address``, posted by one run; its ledger row."""
    ctx = await context_of("dangshan", dangshan["admin"])
    hosts = frozenset({address})
    await services.add_robot(
        ctx, RobotSettings("wecom", "群", f"http://{address}/cgi-bin/webhook/send?key=k", ("overdue",)), hosts
    )
    await overdue(dangshan)
    assert (await deliver(hosts)).retry == 1
    [row] = await ledger()
    return row


async def test_a_redirect_is_never_followed_past_the_operators_list(dangshan, sink):
    with answering(307, {"Location": sink.url(DINGTALK)}) as redirector:
        row = await post_once_to(dangshan, redirector)
    assert row["last_error"] == "HTTP 307" and sink.received == []


async def test_an_answer_of_garbage_is_an_error_the_delivery_log_keeps(dangshan):
    with answering(200, {"Content-Type": "application/json"}, bytes(range(128, 256)) * 8) as garbage:
        row = await post_once_to(dangshan, garbage)
    assert row["status"] == "pending" and row["last_error"].startswith("unreadable answer")


async def test_a_robot_whose_server_is_down_tries_once_a_run(dangshan, sink, hosts):
    await add_robots(dangshan, sink, hosts, events=("reminder",))
    await Robot.update({Robot.active: False}).where(Robot.platform == "dingtalk")
    await due_today(dangshan, 3)
    sink.stop()
    report = await deliver(hosts)
    assert report.retry == 1 and report.sent == 0
    assert [row["attempts"] for row in await ledger()] == [1, 0, 0]


async def test_a_robot_switched_off_posts_nothing_of_what_was_waiting(dangshan, sink, hosts):
    await add_robots(dangshan, sink, hosts)
    await overdue(dangshan)
    await Robot.update({Robot.active: False}).where(Robot.platform == "wecom")
    assert (await deliver(hosts)).cancelled == 1
    assert [r.platform for r in sink.received] == ["dingtalk"]
    assert sorted(row["status"] for row in await ledger()) == ["cancelled", "sent"]


async def test_robots_hear_only_their_events_and_only_their_county(dangshan, sink, hosts):
    await add_robots(dangshan, sink, hosts, events=("approval",))
    await overdue(dangshan)
    await tell(dangshan["tenant"], [dangshan["admin"]], kind="absence.approve", message="x", key="absence:1:approve")
    assert await ledger() == []
    await county("xiaoxian", "萧县")
    other = await add_user(OPERATOR, tenant_slug="xiaoxian", username="admin", name="萧县管理员", roles=["admin"])
    xiaoxian = (await find_by_slug("xiaoxian")).id
    await tell(xiaoxian, [other], kind="absence.pending", message="萧县的离岗告示待您审批：x", key="absence:9:pending")
    assert await ledger() == []


async def test_what_a_group_reads_has_names_only(dangshan, sink, hosts):
    await add_robots(dangshan, sink, hosts)
    # An approver's inbox has the reason; the group reads who asked, not why.
    await tell(
        dangshan["tenant"],
        [dangshan["lihead"]],
        kind="absence.pending",
        message="王效雷的离岗告示待您审批：住院检查，身份证 " + ID_NUMBER,
        shared="王效雷的离岗告示待审批",
        key="absence:3:pending",
    )
    await overdue(dangshan, 8, message=f"城市低保：张三（{ID_NUMBER}）的申请已逾期")
    await deliver(hosts)
    assert len(sink.received) == 4
    for received in sink.received:
        assert ID_NUMBER not in str(received.body) and "住院" not in str(received.body)
    assert any("王效雷的离岗告示待审批" in r.content for r in sink.received)


async def test_secrets_are_sealed_at_rest_and_never_shown(dangshan, sink, hosts):
    ids = await add_robots(dangshan, sink, hosts)
    row = await Robot.select().where(Robot.id == ids["dingtalk"]).first()
    assert row["url"].startswith("sealed:v1:") and DINGTALK.token not in row["url"]
    assert row["secret"].startswith("sealed:v1:") and DINGTALK.secret not in row["secret"]
    shown = await services.get_robot(await context_of("dangshan", dangshan["admin"]), ids["dingtalk"])
    assert DINGTALK.token not in str(shown) and DINGTALK.secret not in str(shown) and shown["secret_set"]


async def test_hosts_outside_the_operators_list_are_refused_at_save_and_at_send(dangshan, sink, hosts):
    ctx = await context_of("dangshan", dangshan["admin"])
    with pytest.raises(InvalidInput):
        await services.add_robot(
            ctx, RobotSettings("wecom", "群", "http://10.0.0.8:8080/send?key=k", ("reminder",)), hosts
        )
    with pytest.raises(InvalidInput):  # unset, only the platforms' own hosts
        await services.add_robot(ctx, RobotSettings("wecom", "群", sink.url(WECOM), ("reminder",)), frozenset())
    assert await Robot.count() == 0
    await add_robots(dangshan, sink, hosts)
    await overdue(dangshan)
    report = await deliver(frozenset({"127.0.0.1:1"}))  # the operator narrowed the list since
    assert report.retry == 2 and sink.posts == 0
    assert all("not allowed" in row["last_error"] for row in await ledger())


async def test_a_rate_limit_pauses_the_robot_without_counting_an_attempt(dangshan, sink, hosts):
    await add_robots(dangshan, sink, hosts, events=("reminder",))
    await Robot.update({Robot.active: False}).where(Robot.platform == "dingtalk")
    await due_today(dangshan, 3)
    sink.script = [{"errcode": 45009, "errmsg": "api freq out of limit"}]
    now = clock.now()
    report = await deliver(hosts, now)
    assert report.rate_limited == 1 and report.sent == 0 and sink.posts == 1  # the others waited
    rows = await ledger()
    assert all(row["status"] == "pending" and row["next_attempt_at"] >= now + timedelta(seconds=59) for row in rows)
    assert rows[0]["attempts"] == 0 and "45009" in rows[0]["last_error"]
    assert (await deliver(hosts, now + timedelta(seconds=30))).sent == 0
    assert (await deliver(hosts, now + timedelta(minutes=6))).sent == 3
    assert [r.content.split("\n")[2] for r in sink.received] == ["消息0", "消息1", "消息2"]  # in order


async def test_errors_are_retried_with_backoff_then_the_admins_are_told_once(dangshan, sink, hosts):
    await add_robots(dangshan, sink, hosts, events=("overdue",))
    await Robot.update({Robot.active: False}).where(Robot.platform == "wecom")
    await overdue(dangshan, 7)
    await overdue(dangshan, 8)
    sink.script = [{"errcode": 310000, "errmsg": "sign not match"}] * (2 * MAX_ATTEMPTS)
    at = clock.now()
    for _ in range(2 * MAX_ATTEMPTS):  # a run stops at its first error: the other message waits
        await deliver(hosts, at)
        at += timedelta(hours=3)  # past any pause
    rows = await ledger()
    assert [row["status"] for row in rows] == ["failed", "failed"]
    assert all(row["attempts"] == MAX_ATTEMPTS and "310000" in row["last_error"] for row in rows)
    told = await Notification.select().where(Notification.kind == "robot.failed")
    assert [row["user"] for row in told] == [dangshan["admin"]]  # two failures, one message
    assert "民政局钉钉群" in told[0]["message"]
    assert (await deliver(hosts, at)).failed == 0 and sink.posts == 2 * MAX_ATTEMPTS


async def test_a_wrong_dingtalk_secret_is_refused_by_the_platform(dangshan, sink, hosts):
    ids = await add_robots(dangshan, sink, hosts)
    ctx = await context_of("dangshan", dangshan["admin"])
    await services.update_robot(
        ctx,
        ids["dingtalk"],
        RobotSettings("dingtalk", "民政局钉钉群", "", ("overdue",), "SECwrong", DINGTALK.keyword),
        hosts,
    )
    tested = await delivery.send_test(ctx, ids["dingtalk"], hosts=hosts, base_url=BASE_URL)
    assert tested["status"] == "failed" and "sign not match" in tested["last_error"]
    tested = await delivery.send_test(ctx, ids["wecom"], hosts=hosts, base_url=BASE_URL)
    assert tested["status"] == "sent"
    # A failed test is not the worker's to retry, nor a failure the admins are told of.
    later = await deliver(hosts, clock.now() + timedelta(hours=3))
    assert later == delivery.DeliveryReport() and len(sink.received) == 1
    assert await Notification.count().where(Notification.kind == "robot.failed") == 0


async def test_pages_and_api(settings, dangshan, sink, hosts):
    settings = replace(settings, webhook_hosts=hosts, base_url=BASE_URL)
    token = await api_token("dangshan", dangshan["admin"])
    auth = {"Authorization": f"Bearer {token}"}
    async with portal(settings) as client:
        body = {
            "kind": "dingtalk",
            "name": "钉钉群",
            "url": sink.url(DINGTALK),
            "secret": DINGTALK.secret,
            "keyword": DINGTALK.keyword,
            "events": ["reminder", "approval"],
        }
        answer = await client.post("/api/v1/t/dangshan/settings/robots", json=body, headers=auth)
        assert answer.status_code == 201, answer.text
        created = answer.json()
        assert created["kind"] == "dingtalk" and created["secret_set"] is True and created["host"] == sink.address
        assert DINGTALK.secret not in answer.text and DINGTALK.token not in answer.text
        refused = await client.post(
            "/api/v1/t/dangshan/settings/robots", json={**body, "url": "https://evil.example/x"}, headers=auth
        )
        assert refused.status_code == 400 and "PORTAL_WEBHOOK_HOSTS" in refused.json()["detail"]
        listed = (await client.get("/api/v1/t/dangshan/settings/robots", headers=auth)).json()
        assert [robot["id"] for robot in listed] == [created["id"]]

        await sign_in(client, "dangshan", "admin")
        page = await client.get("/t/dangshan/settings/robots")
        assert page.status_code == 200 and "钉钉群" in page.text and DINGTALK.token not in page.text
        added = await post_form(
            client,
            "/t/dangshan/settings/robots",
            {"platform": "wecom", "name": "企业微信群", "url": sink.url(WECOM), "events": ["overdue"], "active": "on"},
        )
        assert added.status_code == 303
        wecom_id = int(added.headers["location"].split("/")[-1].split("?")[0])
        tested = await post_form(client, f"/t/dangshan/settings/robots/{wecom_id}/test")
        assert tested.status_code == 200 and "测试消息已发送" in tested.text
        assert sink.received[-1].platform == "wecom" and "测试消息" in sink.received[-1].content
        log = (await client.get("/api/v1/t/dangshan/settings/robots/deliveries", headers=auth)).json()
        assert log[0]["status"] == "sent" and log[0]["robot_name"] == "企业微信群"

        # Edited in the form: a blank address keeps the stored one, which is never shown back.
        edited = await post_form(
            client,
            f"/t/dangshan/settings/robots/{wecom_id}",
            {"platform": "wecom", "name": "企业微信工作群", "url": "", "events": ["overdue", "uncovered"]},
        )
        assert edited.status_code == 303
        robot = await services.get_robot(await context_of("dangshan", dangshan["admin"]), wecom_id)
        assert (robot["name"], robot["events"], robot["active"]) == ("企业微信工作群", ["overdue", "uncovered"], False)
        page = await client.get(f"/t/dangshan/settings/robots/{wecom_id}")
        assert "企业微信工作群" in page.text and WECOM.token not in page.text and "测试消息" in page.text
        refused = await post_form(
            client,
            f"/t/dangshan/settings/robots/{wecom_id}",
            {"platform": "wecom", "name": "x", "url": "https://evil.example/x", "events": ["overdue"]},
        )
        assert refused.status_code == 400 and "PORTAL_WEBHOOK_HOSTS" in refused.text

        deleted = await client.delete(f"/api/v1/t/dangshan/settings/robots/{created['id']}", headers=auth)
        assert deleted.status_code == 204
        assert await Robot.count() == 1


@pytest.mark.usefixtures("office_time")
async def test_a_reminder_scan_posts_each_reminder_once_to_each_robot(sink, hosts):
    people = await demo_county()
    people["tenant"] = (await find_by_slug("dangshan")).id
    await add_robots(people, sink, hosts)
    await urban_case(people)
    days = (working_days_before(DUE, 3), working_days_before(DUE, 1), DUE, DUE + timedelta(days=1))
    for today in days:
        await asyncio.gather(run_scan(people, today), run_scan(people, today))  # twice, at once
        await asyncio.gather(deliver(hosts), deliver(hosts))
    assert await Reminder.count() == 4
    for platform in ("wecom", "dingtalk"):
        contents = [r.content for r in sink.received if r.platform == platform]
        assert len(contents) == 4, contents
        assert [c.split("\n")[0] for c in contents] == (
            ["**办理期限提醒**"] * 3 + ["**案件逾期，请股长督办**"]
            if platform == "wecom"
            else ["**【救助】办理期限提醒**"] * 3 + ["**【救助】案件逾期，请股长督办**"]
        )
        assert all("张三" in c and "11010519491231002X" not in c for c in contents)
    assert {r.signature for r in sink.received if r.platform == "dingtalk"} == {"verified"}


@pytest.mark.usefixtures("office_time")
async def test_a_summed_up_catch_up_told_to_two_people_is_one_group_message(sink, hosts, monkeypatch):
    monkeypatch.setattr(reminders, "SUMMED_UP_FROM", 2)
    people = await demo_county()
    people["tenant"] = (await find_by_slug("dangshan")).id
    await add_robots(people, sink, hosts, events=("overdue",))
    for _ in range(2):
        await urban_case(people)
    await run_scan(people, DUE + timedelta(days=3))
    await deliver(hosts)
    # The handler's two and the head's two are the same reminders: the group reads of them once.
    contents = [r.content for r in sink.received if r.platform == "wecom"]
    assert len(contents) == 1 and "已超期：2 件申请" in contents[0], contents


async def test_the_ledger_keeps_each_message_once_per_robot_on_either_database(any_db, sink, hosts):
    await county("dangshan", "砀山县")
    admin = await add_user(OPERATOR, tenant_slug="dangshan", username="admin", name="管理员", roles=["admin"])
    head = await add_user(OPERATOR, tenant_slug="dangshan", username="lihead", name="李股长", roles=["section_head"])
    people = {"tenant": (await find_by_slug("dangshan")).id, "admin": admin, "lihead": head, "wangxiaolei": admin}
    await add_robots(people, sink, hosts)
    await overdue(people)
    await overdue(people, 8)
    rows = await ledger()
    assert len(rows) == 4 and {row["recipients"] for row in rows} == {"管理员、李股长"}
    # The same event queued again (another worker's scan) adds nothing: the unique (robot, key).
    again = Message(head, "reminder.overdue", "又一次", f"reminder:case:7:overdue:2026-11-16:{head}")
    assert await services.queue_for(people["tenant"], [again]) == 0
    assert (await deliver(hosts)).sent == 4 and (await deliver(hosts)).sent == 0


async def test_a_run_posts_at_most_twenty_a_robot_so_the_platforms_limit_holds(dangshan, sink, hosts):
    await add_robots(dangshan, sink, hosts, events=("reminder",))
    await due_today(dangshan, 25)
    assert (await deliver(hosts)).sent == 40  # 20 to each robot
    assert (await deliver(hosts)).sent == 10
    assert len([r for r in sink.received if r.platform == "wecom"]) == 25


async def test_the_workers_cron_posts_with_the_operators_settings(settings, redis, dangshan, sink, hosts):
    await add_robots(dangshan, sink, hosts)
    await overdue(dangshan)
    worker = {"settings": replace(settings, webhook_hosts=hosts, base_url=BASE_URL), "redis": redis}
    assert (await ROBOTS.run(worker))["sent"] == 2
    assert all(f"({BASE_URL}/t/dangshan/cases/7)" in r.content for r in sink.received)
    assert (await deliver(hosts)).sent == 0
