"""``portal check`` and the operator's part of the admin dashboard: one line per item, each
``OK``, ``WARN`` or ``FAIL`` (SPEC §15). FAIL: the portal cannot work (database unreachable or not
migrated, Redis unreachable, a weak secret key); WARN: it works but something will go wrong later
(no live worker, next year's calendar not entered, a mail or robot server out of reach).

Items are registered with ``@item``; a feature with servers of its own to reach adds a host
source to ``HOST_SOURCES`` (e-mail and the robots so far): one line each.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.tables import Migration
from redis.asyncio import Redis

from app import clock, i18n
from app.calendar.tables import CalendarYear, GlobalCalendarYear
from app.domain.robot import webhook_of
from app.i18n import N_
from app.notifications.mail import SETTINGS_KEY, MailSettings
from app.robots.tables import Robot
from app.secrets import unseal
from app.settings import Settings
from app.tenancy.tables import Tenant
from workers.heartbeat import live_workers

SHOWN_KEY = "portal:check:shown"
SHOWN_FOR_SECONDS = 60
ITEM_SECONDS = 10  # a server that does not answer within this is as good as down
CONNECT_SECONDS = 3
# Keys that appear in examples and documents: anyone who read them could forge sessions.
KNOWN_KEYS = frozenset({"", "CHANGE_ME", "change-me", "changeme", "secret", "secret-key", "dev", "test"})
LEAST_KEY_LENGTH = 32
LEAST_DISTINCT_CHARACTERS = 10


class Level(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    label: str  # Chinese msgid of the item
    level: Level
    message: str  # Chinese msgid with {fields}
    fields: dict = field(default_factory=dict)
    # Names of servers: for the operator (the command, the superadmin), not for a county's admin,
    # since the servers of other counties are theirs to know.
    detail: str = ""

    def text(self, language: str = "en") -> str:
        with i18n.language(language):
            return f"{i18n.gettext(self.label)}: {i18n.gettext(self.message).format(**self.fields)}"


@dataclass
class Probe:
    """What the items look at: the settings and a Redis client (the database is ``app.db``'s)."""

    settings: Settings
    redis: Redis


Outcome = tuple[Level, str, dict] | tuple[Level, str, dict, str]


@dataclass(frozen=True)
class Item:
    label: str
    run: Callable[[Probe], Awaitable[Outcome]]
    broken: Level  # what it means when the item cannot even be looked at


ITEMS: list[Item] = []
# Servers the portal must reach, by the label of their line: () → {(host, port)}.
HOST_SOURCES: dict[str, Callable[[], Awaitable[set[tuple[str, int]]]]] = {}


def item(label: str, broken: Level):
    def register(run: Callable[[Probe], Awaitable[Outcome]]):
        ITEMS.append(Item(label, run, broken))
        return run

    return register


async def run_all(probe: Probe) -> list[Finding]:
    findings = [await _look(probe, each) for each in ITEMS]
    for label, source in HOST_SOURCES.items():
        findings.append(await _look(probe, Item(label, _reaching(source), Level.WARN)))
    return findings


async def recent(probe: Probe) -> list[Finding]:
    """For the pages: the findings of the last ``SHOWN_FOR_SECONDS``, so that admins opening their
    dashboards do not each knock on every county's mail server."""
    cached = await probe.redis.get(SHOWN_KEY)
    if cached is not None:
        return [Finding(**{**found, "level": Level(found["level"])}) for found in json.loads(cached)]
    findings = await run_all(probe)
    await probe.redis.set(SHOWN_KEY, json.dumps([asdict(found) for found in findings]), ex=SHOWN_FOR_SECONDS)
    return findings


def failed(findings: list[Finding]) -> bool:
    return any(finding.level is Level.FAIL for finding in findings)


async def _look(probe: Probe, each: Item) -> Finding:
    try:
        outcome = await asyncio.wait_for(each.run(probe), ITEM_SECONDS)
    except Exception as exc:  # noqa: BLE001 - whatever stops the look is the finding
        return Finding(each.label, each.broken, N_("无法检查：{problem}"), {"problem": _problem(exc)})
    return Finding(each.label, *outcome)


def _problem(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {ITEM_SECONDS} s"
    return (f"{type(exc).__name__}: {exc}".splitlines() or ["?"])[0][:200]


@item(N_("数据库"), Level.FAIL)
async def database(probe: Probe) -> Outcome:
    finder = BaseMigrationManager()
    known = {
        (module.APP_CONFIG.app_name, migration_id)
        for module in finder.get_app_modules()
        for migration_id in finder.get_migration_ids(
            finder.get_migration_modules(module.APP_CONFIG.resolved_migrations_folder_path)
        )
    }
    if not await Migration.table_exists():
        return Level.FAIL, N_("可以连接，但从未迁移（portal migrate）"), {}
    ran = {(row["app_name"], row["name"]) for row in await Migration.select(Migration.app_name, Migration.name)}
    pending = len(known - ran)
    if pending:
        return Level.FAIL, N_("可以连接，但有 {pending} 个迁移未执行（portal migrate）"), {"pending": pending}
    return Level.OK, N_("可以连接，{applied} 个迁移均已执行"), {"applied": len(known)}


@item("Redis", Level.FAIL)
async def redis(probe: Probe) -> Outcome:
    await probe.redis.ping()
    return Level.OK, N_("可以连接"), {}


@item(N_("密钥"), Level.FAIL)
async def secret_key(probe: Probe) -> Outcome:
    key = probe.settings.secret_key
    if key in KNOWN_KEYS:
        return Level.FAIL, N_("SECRET_KEY 未设置或是示例值"), {}
    if len(key) < LEAST_KEY_LENGTH or len(set(key)) < LEAST_DISTINCT_CHARACTERS:
        return Level.FAIL, N_("SECRET_KEY 太弱：至少 {length} 个随机字符"), {"length": LEAST_KEY_LENGTH}
    return Level.OK, N_("已设置"), {}


@item(N_("后台任务进程"), Level.WARN)
async def workers(probe: Probe) -> Outcome:
    alive = await live_workers(probe.redis)
    if not alive:
        return Level.WARN, N_("没有在运行的后台任务进程（3 分钟内无心跳）：提醒、替岗和邮件都不会进行"), {}
    hosts = {name.rsplit(":", 1)[0] for name in alive}
    return Level.OK, N_("{count} 个在运行，分布在 {hosts} 台主机"), {"count": len(alive), "hosts": len(hosts)}


@item(N_("明年日历"), Level.WARN)
async def next_year_calendar(probe: Probe) -> Outcome:
    year = clock.now().year + 1
    if await GlobalCalendarYear.exists().where(GlobalCalendarYear.year == year):
        return Level.OK, N_("{year} 年的节假日安排已录入"), {"year": year}
    counties = await Tenant.count()
    entered = len(
        {row["tenant"] for row in await CalendarYear.select(CalendarYear.tenant).where(CalendarYear.year == year)}
    )
    if counties and entered == counties:
        return Level.OK, N_("{year} 年的节假日安排各县均已录入"), {"year": year}
    return (
        Level.WARN,
        N_("{year} 年的节假日安排尚未录入（{missing} 个县没有）：期限按周一至周五推算"),
        {"year": year, "missing": counties - entered},
    )


async def mail_servers() -> set[tuple[str, int]]:
    rows = await Tenant.select(Tenant.settings).output(load_json=True)
    chosen = [MailSettings.of((row["settings"] or {}).get(SETTINGS_KEY)) for row in rows]
    return {(mail.host, mail.port) for mail in chosen if mail.sending}


async def robot_servers() -> set[tuple[str, int]]:
    rows = await Robot.select(Robot.url).where(Robot.active.eq(True))
    webhooks = [webhook_of(unseal(row["url"])) for row in rows]
    return {(webhook.host, webhook.port) for webhook in webhooks if webhook is not None}


HOST_SOURCES[N_("发信服务器")] = mail_servers
HOST_SOURCES[N_("机器人服务器")] = robot_servers


def _reaching(source: Callable[[], Awaitable[set[tuple[str, int]]]]) -> Callable[[Probe], Awaitable[Outcome]]:
    async def reach(probe: Probe) -> Outcome:
        hosts = sorted(await source())
        if not hosts:
            return Level.OK, N_("没有县启用"), {}
        answers = await asyncio.gather(*(_answers(host, port) for host, port in hosts))
        down = [f"{host}:{port}" for (host, port), answered in zip(hosts, answers, strict=True) if not answered]
        if down:
            return Level.WARN, N_("{count} 个连不上"), {"count": len(down)}, ", ".join(down)
        return Level.OK, N_("{count} 个均可连接"), {"count": len(hosts)}

    return reach


async def _answers(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_SECONDS)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def check_deployment(settings: Settings) -> list[Finding]:
    """Every item, for ``portal check``: without a pool (a database that is down fails one line)."""
    from app import db

    db.configure(settings)
    client = Redis.from_url(settings.redis_url, socket_connect_timeout=CONNECT_SECONDS, socket_timeout=ITEM_SECONDS)
    try:
        return await run_all(Probe(settings, client))
    finally:
        await client.aclose()
