"""Group robots of WeCom (企业微信) and DingTalk (钉钉), the rules alone (SPEC §14): which inbox
messages a robot receives, what a group may read, the platforms' request and answer formats,
DingTalk's signature, the operator's host list and the retry schedule. No web, no database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote_plus, urlsplit

from app.i18n import N_


class Platform(StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"


PLATFORM_LABELS = {Platform.WECOM: N_("企业微信"), Platform.DINGTALK: N_("钉钉")}


class Event(StrEnum):
    REMINDER = "reminder"
    OVERDUE = "overdue"
    UNCOVERED = "uncovered"
    DOOR_NOTICE = "door_notice"
    APPROVAL = "approval"


EVENT_LABELS = {
    Event.REMINDER: N_("办理期限提醒"),
    Event.OVERDUE: N_("逾期（同时告知股长）"),
    Event.UNCOVERED: N_("无人办理的业务"),
    Event.DOOR_NOTICE: N_("全员外出告示"),
    Event.APPROVAL: N_("待审批事项"),
}


# The heading a group reads (messages to groups are Chinese, like the groups themselves).
TITLES = {
    Event.REMINDER: "办理期限提醒",
    Event.OVERDUE: "案件逾期，请股长督办",
    Event.UNCOVERED: "业务无人办理",
    Event.DOOR_NOTICE: "全员外出告示",
    Event.APPROVAL: "待审批",
}


def event_of(kind: str) -> Event | None:
    """The robot event an inbox message of ``kind`` belongs to; None: robots never hear of it."""
    if kind == "reminder.overdue":
        return Event.OVERDUE
    if kind.startswith("reminder."):
        return Event.REMINDER
    return {
        "case.uncovered": Event.UNCOVERED,
        "absence.all_out": Event.DOOR_NOTICE,
        "absence.pending": Event.APPROVAL,
    }.get(kind)


def message_key(dedupe_key: str, user_id: int) -> str:
    """What one event told to several people has in common: the inbox key without its person,
    so a group hears it once however many of its members were told."""
    return dedupe_key.removesuffix(f":{user_id}")


# What a group may read: names, never an ID number or a phone number. Messages are composed from
# names already; this is the backstop for a number typed into a free-text field, as people type
# them: in groups ("340321 19900101 1234", "139-1234-5678"), a mobile number after +86, in
# full-width digits (read as their ASCII twins first).
_PERSONAL_NUMBER = re.compile(
    r"(?<![0-9])(?:[0-9]{6}[\s-]?[0-9]{8}[\s-]?[0-9]{3}[0-9Xx]|[0-9]{15}"
    r"|(?:\+?86[\s-]?)?1[3-9][0-9][\s-]?[0-9]{4}[\s-]?[0-9]{4})(?![0-9])"
)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")


# A name or text typed in the portal is read as words in the group, never as a link or an HTML tag
# the portal's robot would vouch for: brackets become their full-width twins.
_MARKUP = str.maketrans("[]<>", "［］＜＞")


def scrub(text: str) -> str:
    return _PERSONAL_NUMBER.sub("＊＊＊", text.translate(_FULL_WIDTH)).translate(_MARKUP)


def markdown(title: str, text: str, recipients: list[str], url: str, keyword: str = "") -> str:
    """The message as both platforms' Markdown: a bold title, the text, who it concerns, a link.

    DingTalk's keyword option refuses a message that lacks the keyword, so it heads the title."""
    heading = f"【{keyword}】{title}" if keyword and keyword not in title + text else title
    lines = [f"**{heading}**", "", scrub(text)]
    if recipients:
        lines += ["", f"提醒：{scrub('、'.join(recipients))}"]
    if url:
        lines += ["", f"[查看详情]({url})"]
    return "\n".join(lines)


def payload(platform: Platform, title: str, content: str) -> dict:
    """The JSON body each platform's robot API takes for a Markdown message."""
    if platform is Platform.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": content}}
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, as its documentation gives it: HMAC-SHA256 of "timestamp\\nsecret"
    keyed by the secret, base64, then URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, now: datetime) -> str:
    """The webhook address to post to: DingTalk's with timestamp and sign when it has a secret."""
    if not secret:
        return url
    timestamp = int(now.timestamp() * 1000)
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"


# Both platforms answer HTTP 200 with the outcome in the body; these codes mean "too many, later".
RATE_LIMITED = {Platform.WECOM: 45009, Platform.DINGTALK: 130101}


class Outcome(StrEnum):
    SENT = "sent"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"


REASON_LIMIT = 300  # what the delivery log keeps of a reason


def outcome_of(platform: Platform, status: int, body: bytes) -> tuple[Outcome, str]:
    """What an answer means, and the reason to log when it is not a success (at most
    ``REASON_LIMIT`` characters, whatever the server sent)."""
    if status == 429:
        return Outcome.RATE_LIMITED, "HTTP 429"
    if status != 200:
        return Outcome.ERROR, f"HTTP {status}"
    try:
        answer = json.loads(body)
        code = int(answer.get("errcode", -1))
    except (ValueError, TypeError, AttributeError):
        return Outcome.ERROR, f"unreadable answer: {body[:120]!r}"[:REASON_LIMIT]
    if code == 0:
        return Outcome.SENT, ""
    reason = f"errcode {code}: {str(answer.get('errmsg', ''))[:200]}"
    return (Outcome.RATE_LIMITED if code == RATE_LIMITED[platform] else Outcome.ERROR), reason


MAX_ATTEMPTS = 5
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 25, 125))  # after failed attempts 1, 2, 3, 4
RATE_PAUSE = timedelta(minutes=1)  # both platforms allow 20 messages a minute per robot
PER_MINUTE = 20


def retry_after(attempts: int) -> timedelta:
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


# The operator's list -----------------------------------------------------------------------------

DEFAULT_HOSTS = frozenset({"qyapi.weixin.qq.com", "oapi.dingtalk.com"})
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Webhook:
    scheme: str
    host: str
    port: int

    @property
    def address(self) -> str:
        """``host`` or ``host:port`` as an operator writes it in PORTAL_WEBHOOK_HOSTS; an IPv6
        host in brackets, as in a URL (``::1:8291`` would also be a host of its own)."""
        return self.name if self.port == DEFAULT_PORTS[self.scheme] else self.name_and_port

    @property
    def name(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def name_and_port(self) -> str:
        """Also how an operator may list a host on its usual port (``host:443``)."""
        return f"{self.name}:{self.port}"


def webhook_of(url: str) -> Webhook | None:
    """The parts of a webhook address that matter, or None when it is not an http(s) address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        return None
    return Webhook(parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme])


def allowed(url: str, hosts: frozenset[str]) -> bool:
    """Whether the operator lets robots post to ``url``: its ``host[:port]`` is on the list
    (PORTAL_WEBHOOK_HOSTS; unset, the two platforms' own hosts over HTTPS)."""
    webhook = webhook_of(url)
    if webhook is None:
        return False
    if webhook.host in DEFAULT_HOSTS and webhook.scheme != "https":
        return False  # the platforms' own hosts only over HTTPS, listed or not: the URL is the key
    if not hosts:
        return webhook.address in DEFAULT_HOSTS
    return webhook.address in hosts or webhook.name_and_port in hosts
