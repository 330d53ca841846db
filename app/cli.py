"""``portal``: run, migrate and administer County Portal from the command line.

Every error ends in one line on standard error, never a traceback (set PORTAL_DEBUG=1 for one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import sys
import warnings
from pathlib import Path

from app.errors import InvalidInput
from app.settings import Mode, Settings, SettingsError


async def _with_db(settings: Settings, work):
    from redis.asyncio import Redis

    from app import db
    from app.tenancy import cache

    redis = Redis.from_url(settings.redis_url)
    try:
        # What a command changes (people, lines, posts) reaches the running web processes at once.
        async with db.connected(settings):
            with cache.invalidated_by_writes(redis):
                return await work()
    finally:
        await redis.aclose()


def cmd_migrate(args, settings: Settings) -> None:
    from app import db

    asyncio.run(db.migrate(settings))
    print("migrations applied")


def cmd_backup(args, settings: Settings) -> None:
    from app.operations import backup

    counts = asyncio.run(backup.row_counts(settings.database_url))
    backup.backup(settings.database_url, Path(args.file))
    print(f"backup written to {args.file} ({backup.summary(counts)})")


def cmd_restore(args, settings: Settings) -> None:
    from app.operations import backup

    backup.restore(settings.database_url, Path(args.file))
    counts = asyncio.run(backup.row_counts(settings.database_url))
    print(f"restored from {args.file} ({backup.summary(counts)})")


def cmd_check(args, settings_unused) -> int:
    from app.operations.check import check_deployment, failed

    env = dict(os.environ)
    try:
        settings = Settings.from_env(env)
    except SettingsError:
        # A missing or short SECRET_KEY is one of the lines, not a reason to look at nothing else.
        settings = Settings.from_env({**env, "PORTAL_MODE": Mode.TEST}, mode=Mode.PRODUCTION)
    findings = asyncio.run(check_deployment(settings))
    for finding in findings:
        print(f"{finding.level.value:<4} {finding.text()}" + (f" ({finding.detail})" if finding.detail else ""))
    return 1 if failed(findings) else 0


def cmd_tenant(args, settings: Settings) -> None:
    from app.setup import as_code as counties
    from app.setup import regions_as_code as regions
    from app.tenancy.context import cli_actor

    path = Path(args.file)
    # tenants/regions.toml declares the regions; every other file one county.
    loader = regions if regions.is_regions_file(path) else counties
    spec = loader.load_file(path)

    async def work():
        if args.action == "diff":
            return await loader.diff(spec)
        return await loader.apply(spec, cli_actor(f"tenant load {args.file}"))

    changes = asyncio.run(_with_db(settings, work))
    for change in changes:
        print(change.describe())
    verb = "would change" if args.action == "diff" else "changed"
    what = path.name if loader is regions else spec.slug
    print(f"{what}: {len(changes)} change(s) {verb}" if changes else f"{what}: no changes")


def cmd_user_add(args, settings: Settings) -> None:
    from app.accounts.services import add_user
    from app.regions.services import INSPECTOR_ROLE, add_inspector
    from app.tenancy.context import cli_actor

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else secrets.token_urlsafe(12)

    async def work():
        if args.region:
            return await add_inspector(
                cli_actor("user add"),
                region_slug=args.region,
                username=args.username,
                name=args.name,
                password=password,
                phone=args.phone,
            )
        return await add_user(
            cli_actor("user add"),
            tenant_slug=None if args.superadmin else args.tenant,
            username=args.username,
            name=args.name,
            roles=args.role,
            password=password,
            phone=args.phone,
        )

    if sum(map(bool, (args.superadmin, args.tenant, args.region))) != 1:
        raise InvalidInput("需要 --tenant、--region 或 --superadmin 之一")
    if args.region and args.role != [INSPECTOR_ROLE]:
        raise InvalidInput("市里的用户只能是督查：--role {role}", role=INSPECTOR_ROLE)
    user_id = asyncio.run(_with_db(settings, work))
    print(f"user {args.username} created (id {user_id})")
    if not args.password_stdin:
        print(f"password: {password}")


def cmd_token_create(args, settings: Settings) -> None:
    from app.accounts.services import create_token
    from app.accounts.tables import User
    from app.regions.services import create_token as create_inspector_token
    from app.tenancy.context import TenantContext, cli_actor
    from app.tenancy.services import find_by_slug

    if bool(args.tenant) == bool(args.region):
        raise InvalidInput("需要 --tenant 或 --region 之一")

    async def work():
        if args.region:
            return await create_inspector_token(
                cli_actor("token create"), region_slug=args.region, username=args.user, label=args.label
            )
        tenant = await find_by_slug(args.tenant)
        if tenant is None:
            raise InvalidInput("没有代码为 {slug} 的县", slug=args.tenant)
        user = await User.select(User.id).where((User.tenant == tenant.id) & (User.username == args.user)).first()
        if user is None:
            raise InvalidInput("{slug} 没有用户 {username}", slug=args.tenant, username=args.user)
        ctx = TenantContext(tenant=tenant, actor=cli_actor("token create"))
        return await create_token(ctx, user["id"], args.label)

    token = asyncio.run(_with_db(settings, work))
    print(f"token for {args.user}@{args.tenant or args.region} (id {token.id}); it is shown only now:")
    print(token.token)


def cmd_serve(args, settings: Settings) -> None:
    import uvicorn

    os.environ.setdefault("PORTAL_MODE", settings.mode.value)
    options = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "proxy_headers": False,
        "log_level": "info",
        # A line per request costs every request; nginx in front keeps the access log.
        "access_log": args.access_log,
    }
    if args.workers <= 1:
        uvicorn.run("app.asgi:create_app", **options)
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("app.asgi:create_app", workers=args.workers, **options)
    Multiprocess(config, sockets=[tcp_listener(args.host, args.port)]).run()


def tcp_listener(host: str, port: int) -> socket.socket:
    """The listening socket the worker processes share, made as TCP explicitly.

    uvicorn's own (``--workers N``) leaves ``proto`` at 0, so accepted connections never get
    TCP_NODELAY and every keep-alive request waits ~40 ms for a delayed ACK (uvicorn #3149).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InvalidInput("无法监听 {address}：{problem}", address=f"{host}:{port}", problem=exc.strerror) from None
    sock.set_inheritable(True)
    return sock


def cmd_worker(args, settings: Settings) -> None:
    import logging.config

    from arq.logs import default_log_config

    from workers.settings import build_worker

    config = default_log_config(verbose=False)
    # The periodic work's reports and troubles (workers/partitioned.py) beside arq's own lines.
    config["loggers"]["portal"] = {"handlers": ["arq.standard"], "level": "INFO"}
    logging.config.dictConfig(config)
    build_worker(settings).run()


def cmd_demo(args, settings_unused) -> None:
    from app.demo import run_demo

    run_demo(host=args.host, port=args.port, reset_passwords=args.reset_passwords)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="County Portal (县级社会救助工作平台)")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="everything on this machine: SQLite, embedded Redis, demo county, web + worker")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--reset-passwords", action="store_true", help="print new passwords for the demo logins")
    demo.set_defaults(func=cmd_demo, needs_settings=False)

    serve = sub.add_parser("serve", help="run the web application")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--access-log", action="store_true", help="log every request (nginx in front keeps its own)")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="run the background worker (arq)").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("check", help="one line per item: OK, WARN or FAIL; exit status 1 on any FAIL").set_defaults(
        func=cmd_check, needs_settings=False
    )

    backup = sub.add_parser("backup", help="write the whole database to FILE (pg_dump -Fc, or SQLite's backup)")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="fill an EMPTY database from FILE written by portal backup")
    restore.add_argument("file")
    restore.set_defaults(func=cmd_restore)

    tenant = sub.add_parser("tenant", help="tenants as code")
    tenant.add_argument("action", choices=["load", "diff"])
    tenant.add_argument("file")
    tenant.set_defaults(func=cmd_tenant)

    user = sub.add_parser("user", help="accounts").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create a user (password printed, or read from stdin)")
    add.add_argument("--tenant", help="county slug")
    add.add_argument("--region", help="region slug (for an inspector: --role inspector)")
    add.add_argument("--superadmin", action="store_true")
    add.add_argument("--username", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", action="append", default=[], help="repeat for several roles")
    add.add_argument("--phone", default="")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=cmd_user_add)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="create an API token; printed alone on the last line")
    create.add_argument("--tenant", help="county slug")
    create.add_argument("--region", help="region slug (an inspector's token)")
    create.add_argument("--user", required=True)
    create.add_argument("--label", default="created with portal token create")
    create.set_defaults(func=cmd_token_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not os.environ.get("PORTAL_DEBUG"):
        warnings.simplefilter("ignore")  # library warnings would break the one-line promise
    try:
        settings = Settings.from_env() if getattr(args, "needs_settings", True) else None
        from app.asgi import load_routes  # every command may build links (the worker's messages)

        load_routes()
        status = args.func(args, settings)
    except KeyboardInterrupt:
        return 130
    except (SettingsError, InvalidInput) as exc:
        print(f"portal: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"portal: error: cannot connect to the database or Redis: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get("PORTAL_DEBUG"):
            raise
        print(f"portal: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
