"""E-mail notifications on PostgreSQL against a real local SMTP server (aiosmtpd), no mocks:
queued with the inbox message, sent once, retried with backoff, reported to the admin."""

from __future__ import annotations

import asyncio
import email
import importlib
import socket
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from app import secrets
from app.accounts.services import add_user, keep_language
from app.audit.tables import AuditRecord
from app.i18n.messages import said
from app.notifications import mail
from app.notifications.services import Message, notify, notify_many
from app.notifications.tables import EmailOutbox, Notification
from app.settings import Settings
from app.tenancy.services import find_by_slug
from app.tenancy.tables import Tenant
from tests.helpers import OPERATOR, PASSWORD, api_token, context_of, county, person, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


async def deliver_now() -> dict:
    """What the worker's cron does for each county (``workers.partitioned``), for all at once."""
    return asdict(await mail.deliver_due())


MESSAGE = "城市低保：张三的申请今天到期（2026-11-16 到期）"
LINK = "/t/dangshan/cases/7"
PORTAL_URL = "https://portal.example.gov.cn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.content, policy=default_policy) for e in self.envelopes]


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


@pytest.fixture
async def dangshan():
    await county("dangshan", "砀山县")
    admin = await add_user(
        OPERATOR,
        tenant_slug="dangshan",
        username="admin",
        name="管理员",
        roles=["admin"],
        password=PASSWORD,
        email="admin@example.org",
    )
    clerk = await add_user(
        OPERATOR,
        tenant_slug="dangshan",
        username="wangxiaolei",
        name="王效雷",
        roles=["staff"],
        password=PASSWORD,
        email="wang@example.org",
    )
    nobody = await person("dangshan", "houweili")  # no address
    tenant = await find_by_slug("dangshan")
    return {"tenant": tenant.id, "admin": admin, "clerk": clerk, "no_address": nobody}


async def configure(people: dict, port: int, **changes) -> mail.MailSettings:
    values = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "from_address": "mzj@example.gov.cn",
        "portal_url": PORTAL_URL,
        **changes,
    }
    return await mail.save_settings(await context_of("dangshan", people["admin"]), values)


async def tell(people: dict, user: str = "clerk", key: str = "due:7", message: str = MESSAGE) -> bool:
    return await notify(
        people["tenant"], people[user], kind="reminder.due_today", message=message, dedupe_key=key, link=LINK, case_id=7
    )


async def outbox() -> list[dict]:
    return await EmailOutbox.select().order_by(EmailOutbox.id)


async def test_a_notification_goes_by_email_once_with_subject_body_and_link(dangshan, smtp):
    await configure(dangshan, smtp.port)
    assert await tell(dangshan) is True
    assert await tell(dangshan) is False  # told already: neither a second message nor a second e-mail
    (queued,) = await outbox()
    notification = await Notification.select(Notification.id).first()
    assert queued["status"] == "pending" and queued["notification"] == notification["id"]
    assert queued["to_address"] == "wang@example.org" and queued["user"] == dangshan["clerk"]

    report = await deliver_now()
    assert report["sent"] == 1
    (received,) = smtp.messages
    assert received["To"] == "wang@example.org"
    assert received["Subject"] == f"【砀山县社会救助股】{MESSAGE}"
    raw_subject = next(line for line in smtp.envelopes[0].content.split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in raw_subject  # encoded for the wire, decoded intact above
    assert str(make_header(decode_header(received["From"]))) == "砀山县社会救助股 <mzj@example.gov.cn>"
    assert smtp.envelopes[0].rcpt_tos == ["wang@example.org"]
    body = received.get_content()
    assert MESSAGE in body and f"{PORTAL_URL}{LINK}" in body

    # Delivering again, all that is due or this very row, sends nothing more.
    assert (await deliver_now())["sent"] == 0
    assert await mail.deliver(queued["id"]) == "skipped"
    assert len(smtp.envelopes) == 1
    (sent,) = await outbox()
    assert sent["status"] == "sent" and sent["attempts"] == 1 and sent["sent_at"] is not None


async def test_each_recipient_reads_the_email_in_the_language_of_their_account(dangshan, smtp):
    await configure(dangshan, smtp.port)
    await keep_language(dangshan["admin"], "en")
    receipt = said("书面凭证第 {number} 号", number=3)
    await notify(dangshan["tenant"], dangshan["admin"], kind="note", message=receipt, dedupe_key="en", link=LINK)
    await notify(dangshan["tenant"], dangshan["clerk"], kind="note", message=receipt, dedupe_key="zh", link=LINK)
    english, chinese = await outbox()
    assert english["subject"] == "[砀山县 Social Assistance] written receipt no. 3"
    assert "Open: " in english["body"] and "书面凭证" not in english["body"] and "社会救助股" not in english["body"]
    assert chinese["subject"] == "【砀山县社会救助股】书面凭证第 3 号" and "查看：" in chinese["body"]


async def test_a_catch_up_queues_thousands_of_emails_at_once_each_in_its_reader_language(dangshan, smtp):
    """One message object told many times (as the reminder scan tells a case to its handler and
    the heads) is rendered per reader's language; more rows than one statement's parameters allow."""
    await configure(dangshan, smtp.port)
    await keep_language(dangshan["admin"], "en")
    receipt = said("书面凭证第 {number} 号", number=3)
    messages = [
        Message(dangshan[user], kind="note", message=receipt, dedupe_key=f"{user}:{n}", link=LINK)
        for n in range(2500)
        for user in ("admin", "clerk", "no_address")
    ]
    assert await notify_many(dangshan["tenant"], messages) == 7500
    assert await notify_many(dangshan["tenant"], messages) == 0  # told already: nothing twice
    queued = await EmailOutbox.select(EmailOutbox.user, EmailOutbox.subject)
    assert len(queued) == 5000  # the person without an address gets the inbox only
    subjects = {(row["user"], row["subject"]) for row in queued}
    assert subjects == {
        (dangshan["admin"], "[砀山县 Social Assistance] written receipt no. 3"),
        (dangshan["clerk"], "【砀山县社会救助股】书面凭证第 3 号"),
    }


async def test_a_message_with_a_line_break_is_sent_with_a_one_line_subject(dangshan, smtp):
    # An absence's reason is typed in a text area: "出差\n去市局" is in the approver's message.
    await configure(dangshan, smtp.port)
    await tell(dangshan, message="王效雷的离岗告示待您审批：出差\r\n去市局")
    assert (await deliver_now())["sent"] == 1
    (received,) = smtp.messages
    assert received["Subject"] == "【砀山县社会救助股】王效雷的离岗告示待您审批：出差 去市局"
    assert "出差" in received.get_content() and "去市局" in received.get_content()


async def test_two_deliveries_at_once_send_each_email_once(dangshan, smtp):
    await configure(dangshan, smtp.port)
    for n in range(12):
        await tell(dangshan, key=f"k{n}", message=f"消息 {n}")
    reports = await asyncio.gather(mail.deliver_due(), mail.deliver_due(), mail.deliver_due())
    assert sum(report.sent for report in reports) == 12
    subjects = sorted(message["Subject"] for message in smtp.messages)
    assert subjects == sorted(f"【砀山县社会救助股】消息 {n}" for n in range(12))


async def test_no_email_without_county_settings_or_address(dangshan, smtp):
    assert await tell(dangshan, key="before") is True  # the county has not enabled e-mail
    await configure(dangshan, smtp.port)
    assert await tell(dangshan, user="no_address", key="no-address") is True
    await configure(dangshan, smtp.port, enabled=False)
    assert await tell(dangshan, key="disabled") is True
    assert await Notification.count() == 3
    assert await outbox() == []
    # Another county with e-mail on does not make this county send.
    await county("xiaoxian", "萧县")
    other_admin = await add_user(OPERATOR, tenant_slug="xiaoxian", username="admin", name="萧县管理员", roles=["admin"])
    await mail.save_settings(
        await context_of("xiaoxian", other_admin),
        {"enabled": True, "host": "127.0.0.1", "port": smtp.port, "tls": "none", "from_address": "x@example.org"},
    )
    assert await tell(dangshan, key="still-off") is True
    assert await outbox() == []


async def test_turning_email_off_cancels_what_waits(dangshan, smtp):
    await configure(dangshan, smtp.port)
    await tell(dangshan)
    await configure(dangshan, smtp.port, enabled=False)
    assert (await deliver_now())["sent"] == 0
    assert [row["status"] for row in await outbox()] == ["cancelled"]
    assert smtp.envelopes == []


async def test_a_failing_server_is_retried_with_backoff_then_reported(settings, dangshan, smtp):
    await configure(dangshan, free_port())  # nobody listens there
    await tell(dangshan)
    start = datetime.now(UTC)
    pauses = []
    at = start
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        report = await mail.deliver_due(now=at)
        assert (report.retry, report.failed) == ((1, 0) if attempt < mail.MAX_ATTEMPTS else (0, 1)), attempt
        (row,) = await outbox()
        assert row["attempts"] == attempt and row["last_error"]
        assert await mail.deliver_due(now=at) == mail.DeliveryReport()  # not due again yet
        if attempt < mail.MAX_ATTEMPTS:
            assert row["status"] == "pending"
            pauses.append(row["next_attempt_at"] - at)
            at = row["next_attempt_at"]
    assert pauses == list(mail.BACKOFF)
    assert row["status"] == "failed"
    assert await mail.deliver_due(now=at + timedelta(days=1)) == mail.DeliveryReport()  # given up for good

    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        page = await client.get("/t/dangshan/settings")
        dashboard = await client.get("/t/dangshan/")
        token = await api_token("dangshan", dangshan["admin"])
        listed = await client.get(
            "/api/v1/t/dangshan/settings/email/deliveries", headers={"Authorization": f"Bearer {token}"}
        )
    assert page.status_code == 200
    assert 'class="mail-failed"' in page.text and "发送失败" in page.text
    assert "wang@example.org" in page.text and row["last_error"][:30] in page.text
    assert "最近 7 天有 1 封邮件最终发送失败" in page.text
    assert 'id="email-failures"' in dashboard.text and "最近 7 天有 1 封通知邮件发送失败" in dashboard.text
    (failed,) = listed.json()
    assert (
        failed["status"] == "failed" and failed["attempts"] == mail.MAX_ATTEMPTS and failed["to"] == "wang@example.org"
    )

    # The server is back (the admin fixed the port): what still waits is delivered.
    await tell(dangshan, key="later")
    assert (await mail.deliver_due()).retry == 1
    await configure(dangshan, smtp.port)
    report = await mail.deliver_due(now=datetime.now(UTC) + mail.BACKOFF[0])
    assert report.sent == 1
    assert [message["Subject"] for message in smtp.messages] == [f"【砀山县社会救助股】{MESSAGE}"]
    assert [row["status"] for row in await outbox()] == ["failed", "sent"]


async def test_settings_page_is_for_admins_checks_input_and_never_shows_the_password(settings, dangshan, smtp):
    await configure(dangshan, smtp.port, username="mzj", password="s3cret-smtp-pw")
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        assert (await client.get("/t/dangshan/settings")).status_code == 403
        assert (await post_form(client, "/t/dangshan/settings", {"host": "evil.example"})).status_code == 403
        assert (await post_form(client, "/t/dangshan/settings/test-email")).status_code == 403
        assert "/t/dangshan/settings" not in (await client.get("/t/dangshan/")).text
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        shown = await client.get("/t/dangshan/settings")
        assert shown.status_code == 200 and 'href="/t/dangshan/settings"' in shown.text
        assert "s3cret-smtp-pw" not in shown.text and "已设置，留空则不变" in shown.text
        form = {
            "enabled": "on",
            "host": "127.0.0.1",
            "port": "70000",
            "tls": "none",
            "username": "mzj",
            "password": "another-pw",
            "from_address": "mzj@example.gov.cn",
        }
        refused = await post_form(client, "/t/dangshan/settings", form)
        assert refused.status_code == 400
        assert "端口须为 1–65535 之间的整数，不能是 70000" in refused.text
        assert "another-pw" not in refused.text and "s3cret-smtp-pw" not in refused.text
        assert (await mail.settings_of(await context_of("dangshan", dangshan["admin"]))).port == smtp.port
        bad_from = await post_form(client, "/t/dangshan/settings", {**form, "port": "25", "from_address": "mzj@"})
        assert bad_from.status_code == 400 and "发件地址 mzj@ 无效" in bad_from.text

        saved = await post_form(client, "/t/dangshan/settings", {**form, "port": "2525", "password": ""})
        assert saved.status_code == 303
        stored = await mail.settings_of(await context_of("dangshan", dangshan["admin"]))
        assert stored.port == 2525 and stored.password == "s3cret-smtp-pw"  # blank keeps the old one
        await post_form(
            client, "/t/dangshan/settings", {**form, "port": "2525", "password": "", "clear_password": "on"}
        )
        assert (await mail.settings_of(await context_of("dangshan", dangshan["admin"]))).password == ""

        token = await api_token("dangshan", dangshan["admin"])
        headers = {"Authorization": f"Bearer {token}"}
        api_bad = await client.put("/api/v1/t/dangshan/settings/email", headers=headers, json={"port": 0})
        assert api_bad.status_code == 400 and api_bad.json()["detail"].startswith("The port must be")
        body = {"enabled": True, "host": "127.0.0.1", "port": smtp.port, "tls": "none", "password": "pw-by-api"}
        api_saved = await client.put(
            "/api/v1/t/dangshan/settings/email", headers=headers, json={**body, "from_address": "mzj@example.gov.cn"}
        )
        assert api_saved.status_code == 200, api_saved.text
        fetched = (await client.get("/api/v1/t/dangshan/settings/email", headers=headers)).json()
        assert fetched["password_set"] is True and "password" not in fetched and fetched["port"] == smtp.port
        clerk = await api_token("dangshan", dangshan["clerk"])
        refused_api = await client.get(
            "/api/v1/t/dangshan/settings/email", headers={"Authorization": f"Bearer {clerk}"}
        )
        assert refused_api.status_code == 403

    audited = await AuditRecord.select(AuditRecord.before, AuditRecord.after).where(
        AuditRecord.action == "settings.email"
    )
    assert len(audited) == 4
    text = str(audited)
    assert "s3cret-smtp-pw" not in text and "pw-by-api" not in text and "******" in text


async def test_the_test_email_goes_to_the_admin_at_once(settings, dangshan, smtp):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        early = await post_form(client, "/t/dangshan/settings/test-email")
        assert early.status_code == 400 and "请先填写并保存 SMTP 服务器地址和发件地址" in early.text
        await configure(dangshan, smtp.port, enabled=False)  # may be tried before it is turned on
        sent = await post_form(client, "/t/dangshan/settings/test-email")
        assert sent.status_code == 200 and "测试邮件已发送至 admin@example.org" in sent.text
        (received,) = smtp.messages
        assert received["To"] == "admin@example.org" and received["Subject"] == "【砀山县社会救助股】测试邮件"

        await configure(dangshan, free_port(), enabled=False)
        failed = await post_form(client, "/t/dangshan/settings/test-email")
        assert failed.status_code == 200 and 'id="test-result"' in failed.text and "测试邮件发送失败" in failed.text


async def test_staff_email_addresses_are_checked(settings, dangshan):
    token = await api_token("dangshan", dangshan["admin"])
    headers = {"Authorization": f"Bearer {token}"}
    async with portal(settings) as client:
        bad = await client.post(
            "/api/v1/t/dangshan/staff", headers=headers, json={"username": "li", "name": "李", "email": "li@"}
        )
        assert bad.status_code == 400 and "li@" in bad.json()["detail"]
        created = await client.post(
            "/api/v1/t/dangshan/staff",
            headers=headers,
            json={"username": "li", "name": "李", "email": "li@example.org"},
        )
        assert created.status_code == 201 and created.json()["email"] == "li@example.org"
        staff_id = created.json()["id"]
        patched = await client.patch(f"/api/v1/t/dangshan/staff/{staff_id}", headers=headers, json={"email": ""})
        assert patched.json()["email"] == ""

        await sign_in(client, "dangshan", "admin")
        form = {"name": "李", "roles": "staff", "email": "not an address", "active": "on"}
        refused = await post_form(client, f"/t/dangshan/staff/{staff_id}", form)
        assert refused.status_code == 400 and "电子邮箱地址 not an address 无效" in refused.text
        saved = await post_form(client, f"/t/dangshan/staff/{staff_id}", {**form, "email": " li@example.org "})
        assert saved.status_code == 303
        listed = await client.get("/t/dangshan/staff")
        assert "li@example.org" in listed.text


async def test_a_case_due_today_reaches_its_acting_handler_in_the_inbox_and_by_email(smtp):
    from app.accounts.tables import User
    from app.flows.reminders import scan
    from tests.helpers import demo_county
    from tests.integration.test_reminders import DUE, urban_case

    people = await demo_county()
    await User.update({User.email: "wang@example.org"}).where(User.id == people["wangxiaolei"])
    await configure({"admin": people["admin"]}, smtp.port)
    case_id = await urban_case(people)
    for _ in range(2):  # a second scan tells nothing new
        await scan(await context_of("dangshan", people["admin"]), DUE)
        await deliver_now()
    (received,) = smtp.messages
    assert received["To"] == "wang@example.org" and "张三" in received["Subject"]
    assert f"{PORTAL_URL}/t/dangshan/cases/{case_id}" in received.get_content()
    told = await Notification.select(Notification.id).where(Notification.user == people["wangxiaolei"])
    assert [row["notification"] for row in await outbox()] == [row["id"] for row in told]


async def test_queue_claim_and_retry_work_on_both_databases(any_db, smtp):
    await county("dangshan", "砀山县")
    admin = await add_user(
        OPERATOR, tenant_slug="dangshan", username="admin", name="管理员", roles=["admin"], email="admin@example.org"
    )
    people = {"tenant": (await find_by_slug("dangshan")).id, "admin": admin}
    await configure(people, free_port())
    await tell(people, user="admin")
    start = datetime.now(UTC)
    assert (await mail.deliver_due(now=start)).retry == 1
    (row,) = await outbox()
    assert row["attempts"] == 1 and row["next_attempt_at"] == start + mail.BACKOFF[0]
    await configure(people, smtp.port)
    assert (await mail.deliver_due(now=start + mail.BACKOFF[0])).sent == 1
    assert (await mail.deliver_due(now=start + timedelta(days=1))).sent == 0
    assert [message["To"] for message in smtp.messages] == ["admin@example.org"]


async def test_the_operator_can_limit_the_mail_servers_a_county_may_use(settings, dangshan, smtp):
    limited = replace(settings, smtp_hosts=frozenset({"smtp.example.gov.cn"}))
    form = {"enabled": "on", "host": "10.0.0.5", "port": "25", "tls": "none", "from_address": "mzj@example.gov.cn"}
    async with portal(limited) as client:
        await sign_in(client, "dangshan", "admin")
        refused = await post_form(client, "/t/dangshan/settings", form)
        allowed = await post_form(client, "/t/dangshan/settings", {**form, "host": "SMTP.example.gov.cn"})
    assert refused.status_code == 400 and "本平台只能使用这些邮件服务器：smtp.example.gov.cn" in refused.text
    assert allowed.status_code == 303
    from_env = Settings.from_env({"SECRET_KEY": "k" * 40, "PORTAL_SMTP_HOSTS": " a.cn, B.cn ,"})
    assert from_env.smtp_hosts == {"a.cn", "b.cn"}


async def stored_email_settings(tenant_id: int) -> dict:
    row = await Tenant.select(Tenant.settings).where(Tenant.id == tenant_id).output(load_json=True).first()
    return row["settings"]["email"]


async def test_the_smtp_password_is_sealed_in_the_database_and_opened_to_send(dangshan, smtp):
    await configure(dangshan, smtp.port, username="mzj", password="s3cret-smtp-pw")
    stored = await stored_email_settings(dangshan["tenant"])
    assert secrets.is_sealed(stored["password"]) and "s3cret" not in str(stored)
    assert (await mail.settings_of(await context_of("dangshan", dangshan["admin"]))).password == "s3cret-smtp-pw"


async def test_the_migration_seals_a_password_stored_in_plain_text(any_db, dangshan):
    legacy = {"email": {"enabled": False, "host": "smtp.example.org", "password": "plain-from-before"}}
    await Tenant.update({Tenant.settings: legacy}).where(Tenant.id == dangshan["tenant"])
    migration = importlib.import_module("app.notifications.piccolo_migrations.notifications_2026_12_04t22_30_00_000000")
    for _ in range(2):  # twice: a sealed value is left alone
        await (await migration.forwards()).run()
    stored = await stored_email_settings(dangshan["tenant"])
    assert secrets.is_sealed(stored["password"]) and stored["host"] == "smtp.example.org"
    assert (await mail.settings_of(await context_of("dangshan", dangshan["admin"]))).password == "plain-from-before"
