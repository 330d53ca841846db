"""E-mail, the inbox's optional second channel (SPEC §8): per county, through its own SMTP server.

What the inbox is told also goes by e-mail when the county has e-mail enabled and the person has
an address. ``notify`` writes the message to ``email_outbox`` in its own transaction, so a message
is queued exactly when the notification is new; the worker's cron (``deliver_due``) sends what is
due. A row is claimed by a conditional UPDATE (two workers never send the same one, a sent row is
never sent again); a failed attempt is retried with growing pauses, and after the last one the
row is marked failed, which the admin sees on the settings page and the dashboard.

SMTP itself cannot be exactly once: a worker that dies after the server accepted a message but
before the row was marked sent sends it again once the lease has passed. Each message carries a
Message-ID made from its row, so the copies are recognisably the same message.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from enum import StrEnum

import aiosmtplib
from piccolo.columns import Column
from piccolo.query import Count

from app import clock, db, i18n
from app.accounts.services import EMAIL_LIMIT, EMAIL_PATTERN
from app.accounts.tables import User
from app.audit.services import record_in
from app.errors import InvalidInput
from app.i18n import N_, gettext, messages
from app.notifications.tables import EmailOutbox
from app.secrets import seal, unseal
from app.tenancy import services as tenancy
from app.tenancy.context import TenantContext
from app.tenancy.tables import Tenant
from app.text import collapse_spaces

SETTINGS_KEY = "email"  # Tenant.settings["email"]
TLS_MODES = ("none", "starttls", "ssl")
TLS_LABELS = {"none": N_("不加密"), "starttls": "STARTTLS", "ssl": "SSL/TLS"}
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}

MAX_ATTEMPTS = 5
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 25, 125))  # after attempts 1, 2, 3, 4
LEASE = timedelta(minutes=5)  # a claimed row is left alone this long (longer than one send can take)
SMTP_TIMEOUT = 20  # seconds, per connection step
BATCH = 100
CONCURRENCY = 5
MOST_PER_RUN = 2000
RECENT = 50
SUBJECT_LENGTH = 60
HOST_LIMIT, SECRET_LIMIT, URL_LIMIT = 200, 200, 200
HOST_PATTERN = re.compile(r"^[A-Za-z0-9.\-:\[\]]+$")


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the county turned e-mail off before it was sent


STATUS_LABELS = {
    Status.PENDING: N_("待发送"),
    Status.SENT: N_("已发送"),
    Status.FAILED: N_("发送失败"),
    Status.CANCELLED: N_("已取消"),
}


class MailSettingsError(InvalidInput):
    pass


@dataclass(frozen=True)
class MailSettings:
    """A county's SMTP settings as stored in ``Tenant.settings["email"]``."""

    enabled: bool = False
    host: str = ""
    port: int = 587
    tls: str = "starttls"
    username: str = ""
    password: str = ""
    from_address: str = ""
    portal_url: str = ""  # the portal's address, so links in e-mails can be followed

    @classmethod
    def of(cls, raw: object) -> MailSettings:
        """Whatever is stored, read leniently (a malformed value is simply not configured)."""
        if not isinstance(raw, dict):
            return cls()
        known = {key: raw[key] for key in cls.__dataclass_fields__ if key in raw}
        try:
            settings = cls(**known)
            port = int(settings.port)
        except (TypeError, ValueError):
            return cls()
        return replace(settings, port=port, enabled=bool(settings.enabled), password=unseal(str(settings.password)))

    @property
    def complete(self) -> bool:
        """Enough to send: a server and a sender."""
        return bool(self.host and self.from_address)

    @property
    def sending(self) -> bool:
        return self.enabled and self.complete

    def stored(self) -> dict:
        """As kept in the database: the password sealed (``app.secrets``)."""
        return {**asdict(self), "password": seal(self.password)}

    def public(self) -> dict:
        """For pages and the API: everything but the password, which is never shown back."""
        shown = {key: value for key, value in asdict(self).items() if key != "password"}
        return {**shown, "password_set": bool(self.password)}

    def audited(self) -> dict:
        return {**asdict(self), "password": "******" if self.password else ""}


@dataclass(frozen=True)
class CountyMail:
    """What ``notify`` needs to know about a county's e-mail, read in one query."""

    tenant_id: int
    name: str
    settings: MailSettings


async def county_mail(tenant_id: int) -> CountyMail | None:
    row = await Tenant.select(Tenant.name, Tenant.settings).where(Tenant.id == tenant_id).output(load_json=True).first()
    if row is None:
        return None
    return CountyMail(tenant_id, row["name"], MailSettings.of((row["settings"] or {}).get(SETTINGS_KEY)))


async def settings_of(ctx: TenantContext) -> MailSettings:
    county = await county_mail(ctx.tenant.id)
    return county.settings if county else MailSettings()


def _text(values: dict, key: str, limit: int, message: str) -> str:
    value = str(values.get(key) or "").strip()
    if len(value) > limit:
        raise MailSettingsError(message, limit=limit)
    return value


def check_settings(values: dict, current: MailSettings, allowed_hosts: frozenset[str] = frozenset()) -> MailSettings:
    """New settings from a form or the API; a blank password keeps the stored one.

    ``allowed_hosts`` (the operator's PORTAL_SMTP_HOSTS) limits the servers a county may use."""
    tls = str(values.get("tls") or current.tls).strip()
    if tls not in TLS_MODES:
        raise MailSettingsError("未知的加密方式：{value}（可用：{known}）", value=tls, known="、".join(TLS_MODES))
    raw_port = values.get("port")
    if raw_port is None or str(raw_port).strip() == "":
        port = DEFAULT_PORTS[tls]
    else:
        try:
            port = int(str(raw_port).strip())
        except ValueError:
            port = 0
        if isinstance(raw_port, bool) or not 1 <= port <= 65535:
            raise MailSettingsError("端口须为 1–65535 之间的整数，不能是 {value}", value=str(raw_port))
    host = _text(values, "host", HOST_LIMIT, N_("SMTP 服务器地址不能超过 {limit} 个字符"))
    if host and not HOST_PATTERN.match(host):
        raise MailSettingsError("SMTP 服务器地址 {host} 无效", host=host)
    if host and allowed_hosts and host.lower() not in allowed_hosts:
        raise MailSettingsError("本平台只能使用这些邮件服务器：{hosts}", hosts="、".join(sorted(allowed_hosts)))
    username = _text(values, "username", SECRET_LIMIT, N_("SMTP 用户名不能超过 {limit} 个字符"))
    password = str(values.get("password") or "")
    if len(password) > SECRET_LIMIT:
        raise MailSettingsError("SMTP 密码不能超过 {limit} 个字符", limit=SECRET_LIMIT)
    if not password and not values.get("clear_password"):
        password = current.password
    from_address = _text(values, "from_address", EMAIL_LIMIT, N_("发件地址不能超过 {limit} 个字符"))
    if from_address and not EMAIL_PATTERN.match(from_address):
        raise MailSettingsError("发件地址 {address} 无效", address=from_address)
    portal_url = _text(values, "portal_url", URL_LIMIT, N_("门户网址不能超过 {limit} 个字符")).rstrip("/")
    if portal_url and not re.match(r"^https?://[^\s/]+", portal_url):
        raise MailSettingsError("门户网址须以 http:// 或 https:// 开头，例如 https://portal.example.gov.cn")
    enabled = bool(values.get("enabled"))
    if enabled and not (host and from_address):
        raise MailSettingsError("启用邮件通知需要填写 SMTP 服务器地址和发件地址")
    return MailSettings(enabled, host, port, tls, username, password, from_address, portal_url)


async def save_settings(ctx: TenantContext, values: dict, allowed_hosts: frozenset[str] = frozenset()) -> MailSettings:
    """Check and store the county's settings (audited, password masked). Turning e-mail off
    cancels what was still waiting to be sent."""
    async with db.transaction():
        await db.serialize(Tenant, ctx.tenant.id)  # two admins saving at once: one after the other
        stored = await tenancy.settings_of(ctx.tenant.id)
        current = MailSettings.of(stored.get(SETTINGS_KEY))
        wanted = check_settings(values, current, allowed_hosts)
        if wanted == current:
            return current
        await Tenant.update({Tenant.settings: {**stored, SETTINGS_KEY: wanted.stored()}}).where(
            Tenant.id == ctx.tenant.id
        )
        # Only what changed; the password is masked (a changed one shows as masked on both sides).
        changed = [key for key, value in asdict(wanted).items() if asdict(current)[key] != value]
        before, after = current.audited(), wanted.audited()
        await record_in(
            ctx,
            action="settings.email",
            entity="tenant",
            entity_id=ctx.tenant.id,
            summary=messages.said("邮件通知设置"),
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
        if not wanted.enabled:
            await ctx.update(EmailOutbox, {EmailOutbox.status: Status.CANCELLED.value}).where(
                (EmailOutbox.status == Status.PENDING.value) & EmailOutbox.notification.is_not_null()
            )
    return wanted


def compose(county: CountyMail, message: str, link: str = "") -> tuple[str, str]:
    """Subject and body of the e-mail that goes with an inbox message, in the current language."""
    # One line: a header with a line break (a reason typed in a text area) cannot be sent at all.
    line = collapse_spaces(message)
    short = line if len(line) <= SUBJECT_LENGTH else line[: SUBJECT_LENGTH - 1] + "…"
    subject = gettext("【{county}社会救助股】{message}").format(county=county.name, message=short)
    lines = [message, ""]
    if link:
        url = county.settings.portal_url + link if link.startswith("/") else link
        lines += [gettext("查看：{url}").format(url=url), ""]
    lines += [
        "——",
        gettext("{county}民政局社会救助股 · 县级社会救助工作平台").format(county=county.name),
        gettext("此邮件由系统自动发送，请勿回复。全部消息见平台的“消息”页面。"),
    ]
    return subject[:200], "\n".join(lines)


async def queue_for(tenant_id: int, notifications: list[dict]) -> int:
    """Queue the e-mail of new notifications (``id, user, message(_key, _params), link``), if the
    county sends e-mail and the person has an address, in the person's language. Called by
    ``notify_many`` inside its transaction."""
    if not notifications:
        return 0
    county = await county_mail(tenant_id)
    if county is None or not county.settings.sending:
        return 0
    users = {row["user"] for row in notifications}
    recipients = {
        row["id"]: row
        for row in await User.select(User.id, User.email, User.language).where(
            User.id.is_in(list(users)) & User.active.eq(True)
        )
        if row["email"]
    }
    now = clock.now()
    # The same message to many people (a reminder to the handler and the heads) is rendered once a language.
    rendered: dict[tuple, str] = {}
    rows = []
    for notification in notifications:
        recipient = recipients.get(notification["user"])
        if recipient is None:
            continue
        said_as = (
            recipient["language"],
            notification["message"],
            notification["message_key"],
            notification["message_params"],
        )
        with i18n.language(recipient["language"]):
            if said_as not in rendered:
                rendered[said_as] = messages.of_row(notification, "message")
            subject, body = compose(county, rendered[said_as], notification["link"])
        rows.append(
            {
                "tenant": tenant_id,
                "notification": notification["id"],
                "user": notification["user"],
                "to_address": recipient["email"],
                "subject": subject,
                "body": body,
                "status": Status.PENDING.value,
                "attempts": 0,
                "last_error": "",
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    # One statement however many (one array per column: no limit on parameters); nothing is skipped,
    # the outbox has no key but its id.
    await db.insert_new(EmailOutbox, rows, returning=("id",))
    return len(rows)


# Sending ---------------------------------------------------------------------------------------


def _message(county: CountyMail, row: dict) -> EmailMessage:
    settings = county.settings
    message = EmailMessage()
    message["From"] = formataddr((f"{county.name}社会救助股", settings.from_address))
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = formatdate(localtime=True)
    domain = settings.from_address.rsplit("@", 1)[-1]
    message["Message-ID"] = f"<portal-t{row['tenant']}-{row['id']}@{domain}>"
    message.set_content(row["body"])
    return message


async def _smtp_send(county: CountyMail, row: dict) -> None:
    settings = county.settings
    await aiosmtplib.send(
        _message(county, row),
        hostname=settings.host,
        port=settings.port,
        username=settings.username or None,
        password=(settings.password or None) if settings.username else None,
        use_tls=settings.tls == "ssl",
        start_tls=settings.tls == "starttls",
        timeout=SMTP_TIMEOUT,
    )


def _reason(exc: BaseException) -> str:
    text, kind = str(exc).strip(), type(exc).__name__
    return (f"{kind}: {text}" if text else kind)[:500]


async def _finish(row: dict, values: dict) -> None:
    await EmailOutbox.update(values).where((EmailOutbox.id == row["id"]) & (EmailOutbox.status == Status.PENDING.value))


async def deliver(outbox_id: int, *, now: datetime | None = None) -> str:
    """Send one row if it is due and unclaimed; returns what became of it (``skipped`` if it was
    not ours to send: sent already, failed for good, or being sent by someone else)."""
    now = now or clock.now()
    row = await db.claim_due(EmailOutbox, outbox_id, now, LEASE)
    if row is None:
        return "skipped"
    county = await county_mail(row["tenant"])
    if county is None or (row["notification"] is not None and not county.settings.enabled):
        await _finish(row, {EmailOutbox.status: Status.CANCELLED.value})
        return Status.CANCELLED.value
    try:
        if not county.settings.complete:
            raise RuntimeError("邮件设置不完整：缺少 SMTP 服务器或发件地址")
        await _smtp_send(county, row)
    except Exception as exc:  # any failure of this attempt: recorded, retried later or given up
        given_up = row["attempts"] >= MAX_ATTEMPTS
        values: dict[Column, object] = {EmailOutbox.last_error: _reason(exc)}
        if given_up:
            values[EmailOutbox.status] = Status.FAILED.value
        else:
            values[EmailOutbox.next_attempt_at] = now + BACKOFF[min(row["attempts"], len(BACKOFF)) - 1]
        await _finish(row, values)
        return Status.FAILED.value if given_up else "retry"
    await _finish(row, {EmailOutbox.status: Status.SENT.value, EmailOutbox.sent_at: clock.now()})
    return Status.SENT.value


@dataclass
class DeliveryReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0


async def deliver_due(
    *, now: datetime | None = None, most: int = MOST_PER_RUN, tenant_id: int | None = None
) -> DeliveryReport:
    """Send every row that is due (of one county, or all), a batch at a time, a few at once.

    A claimed row moves out of the due set, so each batch is new rows and the loop ends.
    """
    now = now or clock.now()
    report = DeliveryReport()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(outbox_id: int) -> None:
        async with gate:
            outcome = await deliver(outbox_id, now=now)
        setattr(report, outcome, getattr(report, outcome) + 1)

    due_now = (EmailOutbox.status == Status.PENDING.value) & (EmailOutbox.next_attempt_at <= now)
    if tenant_id is not None:
        due_now &= EmailOutbox.tenant == tenant_id
    done = 0
    while done < most:
        due = (
            await EmailOutbox.select(EmailOutbox.id)
            .where(due_now)
            .order_by(EmailOutbox.next_attempt_at)
            .limit(min(BATCH, most - done))
        )
        if not due:
            break
        await asyncio.gather(*(one(row["id"]) for row in due))
        done += len(due)
    return report


# The admin's view ------------------------------------------------------------------------------


async def send_test(ctx: TenantContext) -> dict:
    """A test message to the admin's own address, sent now; returns its outbox row afterwards."""
    county = await county_mail(ctx.tenant.id)
    if county is None or not county.settings.complete:
        raise MailSettingsError("请先填写并保存 SMTP 服务器地址和发件地址")
    me = await ctx.select(User, User.email).where(User.id == ctx.actor.user_id).first()
    if me is None or not me["email"]:
        raise MailSettingsError("您的人员资料中没有电子邮箱，请先在“人员”页面填写")
    now = clock.now()
    row = ctx.new(
        EmailOutbox,
        notification=None,
        user=ctx.actor.user_id,
        to_address=me["email"],
        subject=f"【{county.name}社会救助股】测试邮件",
        body="\n".join(
            [
                "这是一封测试邮件：本县的邮件通知设置可以正常发送。",
                "",
                f"由 {ctx.actor.label} 于 {ctx.tenant.now():%Y-%m-%d %H:%M} 在设置页面发送。",
            ]
        ),
        status=Status.PENDING.value,
        next_attempt_at=now,
        created_at=now,
    )
    await row.save()
    await deliver(row.id, now=now)
    return await _row(ctx, row.id)


_COLUMNS = (
    EmailOutbox.id,
    EmailOutbox.notification,
    EmailOutbox.to_address,
    EmailOutbox.subject,
    EmailOutbox.status,
    EmailOutbox.attempts,
    EmailOutbox.last_error,
    EmailOutbox.next_attempt_at,
    EmailOutbox.last_attempt_at,
    EmailOutbox.sent_at,
    EmailOutbox.created_at,
    EmailOutbox.user.name.as_alias("user_name"),
)


def _local(ctx: TenantContext, row: dict) -> dict:
    for key in ("next_attempt_at", "last_attempt_at", "sent_at", "created_at"):
        if row[key] is not None:
            row[key] = row[key].astimezone(ctx.tenant.zone)
    return row


async def _row(ctx: TenantContext, outbox_id: int) -> dict:
    return _local(ctx, await ctx.select_one(EmailOutbox, outbox_id, *_COLUMNS))


async def recent(ctx: TenantContext, limit: int = RECENT) -> list[dict]:
    """The county's latest e-mails, newest first (the settings page's table)."""
    rows = await ctx.select(EmailOutbox, *_COLUMNS).order_by(EmailOutbox.id, ascending=False).limit(limit)
    return [_local(ctx, row) for row in rows]


def failures_since(ctx: TenantContext, days: int = 7) -> Count:
    """E-mails of the county given up on in the last ``days`` days (the dashboard's warning), as a
    count query: awaited alone, or with others by ``db.counts``."""
    since = clock.now() - timedelta(days=days)
    return ctx.count(EmailOutbox).where(
        (EmailOutbox.status == Status.FAILED.value) & (EmailOutbox.last_attempt_at >= since)
    )


def as_json(row: dict) -> dict:
    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": row["id"],
        "to": row["to_address"],
        "user_name": row["user_name"],
        "subject": row["subject"],
        "status": row["status"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "test": row["notification"] is None,
        "created_at": when(row["created_at"]),
        "last_attempt_at": when(row["last_attempt_at"]),
        "next_attempt_at": when(row["next_attempt_at"]) if row["status"] == Status.PENDING else None,
        "sent_at": when(row["sent_at"]),
    }
