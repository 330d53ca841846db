"""The robot rules alone: events, message keys, DingTalk's signature, answers, the host list."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from app.domain import robot as rules
from app.domain.robot import Event, Outcome, Platform


@pytest.mark.parametrize(
    ("kind", "event"),
    [
        ("reminder.due_in_3", Event.REMINDER),
        ("reminder.due_today", Event.REMINDER),
        ("reminder.notice_day_2", Event.REMINDER),
        ("reminder.overdue", Event.OVERDUE),
        ("case.uncovered", Event.UNCOVERED),
        ("absence.all_out", Event.DOOR_NOTICE),
        ("absence.pending", Event.APPROVAL),
        ("absence.approve", None),
        ("survey_signature", None),
        ("robot.failed", None),  # a robot's own failure never goes to robots
    ],
)
def test_which_inbox_messages_robots_hear_of(kind, event):
    assert rules.event_of(kind) == event


def test_the_message_key_drops_the_person_so_a_group_hears_an_event_once():
    assert rules.message_key("reminder:case:7:overdue:2026-11-16:12", 12) == "reminder:case:7:overdue:2026-11-16"
    assert rules.message_key("absence:3:pending:40", 40) == "absence:3:pending"
    assert rules.message_key("absence:3:approve", 40) == "absence:3:approve"


def test_dingtalk_signature_as_its_documentation_computes_it():
    secret, timestamp = "SEC0123456789abcdef", 1577262236757
    string_to_sign = f"{timestamp}\n{secret}"
    expected = base64.b64encode(
        hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    )
    sign = rules.dingtalk_sign(secret, timestamp)
    assert "%" in sign and "+" not in sign and "/" not in sign  # URL-encoded
    assert parse_qs(f"sign={sign}")["sign"][0] == expected.decode()


def test_a_signed_url_carries_timestamp_and_sign_and_an_unsigned_one_is_unchanged():
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    signed = rules.signed_url(url, "SECx", now)
    query = parse_qs(urlsplit(signed).query)
    assert query["access_token"] == ["abc"]
    assert query["timestamp"] == [str(int(now.timestamp() * 1000))]
    assert rules.signed_url(url, "", now) == url


@pytest.mark.parametrize(
    ("platform", "status", "body", "outcome"),
    [
        (Platform.WECOM, 200, {"errcode": 0, "errmsg": "ok"}, Outcome.SENT),
        (Platform.WECOM, 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, Outcome.RATE_LIMITED),
        (Platform.WECOM, 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, Outcome.ERROR),
        (Platform.DINGTALK, 200, {"errcode": 130101, "errmsg": "send too fast"}, Outcome.RATE_LIMITED),
        (Platform.DINGTALK, 200, {"errcode": 310000, "errmsg": "sign not match"}, Outcome.ERROR),
        (Platform.DINGTALK, 200, {"errcode": 45009}, Outcome.ERROR),  # WeCom's code means nothing here
        (Platform.DINGTALK, 429, {}, Outcome.RATE_LIMITED),
        (Platform.DINGTALK, 502, {}, Outcome.ERROR),
    ],
)
def test_answers_are_read_from_errcode(platform, status, body, outcome):
    got, reason = rules.outcome_of(platform, status, json.dumps(body).encode())
    assert got is outcome
    assert (reason == "") == (outcome is Outcome.SENT)


def test_an_unreadable_answer_is_an_error():
    assert rules.outcome_of(Platform.WECOM, 200, b"<html>")[0] is Outcome.ERROR


@pytest.mark.parametrize(
    "body", [bytes(range(128, 256)) * 4, ('{"errcode": 1, "errmsg": "' + "错" * 1000 + '"}').encode()]
)
def test_a_reason_fits_the_delivery_log_whatever_the_server_sent(body):
    outcome, reason = rules.outcome_of(Platform.DINGTALK, 200, body)
    assert outcome is Outcome.ERROR and 0 < len(reason) <= rules.REASON_LIMIT


def test_hosts_default_to_the_platforms_own_over_https():
    none = frozenset()
    assert rules.allowed("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", none)
    assert rules.allowed("https://oapi.dingtalk.com/robot/send?access_token=t", none)
    assert not rules.allowed("http://oapi.dingtalk.com/robot/send?access_token=t", none)
    assert not rules.allowed("https://intranet.example/robot/send", none)


def test_the_operators_list_names_hosts_with_their_port():
    hosts = frozenset({"127.0.0.1:8221", "robots.example.gov.cn"})
    assert rules.allowed("http://127.0.0.1:8221/robot/send?access_token=t", hosts)
    assert not rules.allowed("http://127.0.0.1:8222/robot/send", hosts)
    assert rules.allowed("https://robots.example.gov.cn/x", hosts)
    assert not rules.allowed("https://robots.example.gov.cn:8443/x", hosts)
    assert not rules.allowed("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", hosts)
    assert not rules.allowed("ftp://robots.example.gov.cn/x", hosts)
    assert not rules.allowed("https://user:pw@robots.example.gov.cn/x", hosts)


def test_a_host_listed_with_its_usual_port_is_the_host():
    hosts = frozenset({"robots.example.gov.cn:443"})
    assert rules.allowed("https://robots.example.gov.cn/x", hosts)
    assert rules.allowed("https://robots.example.gov.cn:443/x", hosts)
    assert not rules.allowed("http://robots.example.gov.cn/x", hosts)


def test_the_platforms_own_hosts_are_reached_over_https_only_even_when_listed():
    hosts = frozenset({"qyapi.weixin.qq.com", "oapi.dingtalk.com:80"})
    assert rules.allowed("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", hosts)
    assert not rules.allowed("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", hosts)
    assert not rules.allowed("http://oapi.dingtalk.com/robot/send?access_token=t", hosts)


def test_an_ipv6_host_is_listed_in_brackets_so_its_port_is_never_part_of_another_address():
    hosts = frozenset({"[::1]:8291"})
    assert rules.allowed("http://[::1]:8291/robot/send", hosts)
    assert not rules.allowed("https://[::1:8291]/robot/send", frozenset({"::1:8291"}) | hosts)
    assert rules.webhook_of("https://[::1:8291]/x").address == "[::1:8291]"


def test_markdown_has_title_text_people_and_link_and_no_personal_numbers():
    text = rules.markdown(
        "办理期限提醒",
        "城市低保：张三（340321199001011234，电话13912345678）的申请今天到期",
        ["王效雷", "李股长"],
        "https://portal.example/t/dangshan/cases/7",
        keyword="社会救助",
    )
    assert text.startswith("**【社会救助】办理期限提醒**")
    assert "张三" in text and "王效雷、李股长" in text
    assert "[查看详情](https://portal.example/t/dangshan/cases/7)" in text
    assert "340321199001011234" not in text and "13912345678" not in text


@pytest.mark.parametrize(
    "number",
    [
        "340321199001011234",
        "34032119900101123x",
        "340321 19900101 1234",
        "３４０３２１１９９００１０１１２３４",
        "340321900101123",
        "13912345678",
        "139-1234-5678",
        "139 1234 5678",
        "+8613912345678",
        "+86 139 1234 5678",
        "１３９１２３４５６７８",
    ],
)
def test_personal_numbers_are_scrubbed_however_they_are_typed(number):
    assert rules.scrub(f"张三（{number}）申请") == "张三（＊＊＊）申请"


def test_typed_links_and_tags_are_words_in_the_group_and_the_portals_link_stays_a_link():
    text = rules.markdown(
        "办理期限提醒",
        "城市低保：[点此领取补贴](https://evil.example)的申请今天到期<font color=red>！</font>",
        ["王[效](https://evil.example)雷"],
        "https://portal.example/t/dangshan/cases/7",
    )
    assert "](https://evil.example)" not in text and "<font" not in text
    assert "［点此领取补贴］" in text and "[查看详情](https://portal.example/t/dangshan/cases/7)" in text


def test_dates_counts_and_case_numbers_are_left_alone():
    text = "2026-11-16 到期，共 12 件，第 20261116 号，2026年11月16日"
    assert rules.scrub(text) == text


def test_payloads_are_each_platforms_markdown_message():
    assert rules.payload(Platform.WECOM, "t", "c") == {"msgtype": "markdown", "markdown": {"content": "c"}}
    assert rules.payload(Platform.DINGTALK, "t", "c") == {
        "msgtype": "markdown",
        "markdown": {"title": "t", "text": "c"},
    }


def test_backoff_grows_and_stops():
    assert [rules.retry_after(n).seconds // 60 for n in range(1, 5)] == [1, 5, 25, 125]
