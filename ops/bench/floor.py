"""What the portal is compared with, served exactly like ``portal serve`` (uvicorn, N processes
on one shared TCP listener, the app's pool and role): a constant Litestar page (the floor: what
any page costs before its own work) and piccolo_admin over the same cases table, signed in.

    python ops/bench/floor.py --port 8251 --workers 4     (DATABASE_URL as for the portal)
"""

from __future__ import annotations

import argparse
from contextlib import asynccontextmanager

from litestar import Litestar, MediaType, asgi, get
from litestar.types import Receive, Scope, Send
from piccolo.apps.user.tables import BaseUser
from piccolo_admin.endpoints import create_admin
from piccolo_api.session_auth.tables import SessionsBase

from app import db
from app.cases.tables import Case
from app.settings import Settings

ADMIN_USER, ADMIN_PASSWORD = "benchadmin", "bench-admin-password"
CONSTANT = "<!doctype html><title>floor</title><p>" + "县级社会救助工作平台 " * 20


@get("/floor", media_type=MediaType.HTML)
async def floor() -> str:
    return CONSTANT


def create_app() -> Litestar:
    settings = Settings.from_env()
    admin = create_admin(
        tables=[Case],
        auth_table=BaseUser,
        session_table=SessionsBase,
        production=False,
        allowed_hosts=["127.0.0.1", "localhost"],
        site_name="bench",
    )

    @asgi("/admin", is_mount=True)
    async def piccolo_admin(scope: Scope, receive: Receive, send: Send) -> None:
        await admin(scope, receive, send)

    @asynccontextmanager
    async def lifespan(_: Litestar):
        async with db.connected(settings):
            for table in (BaseUser, SessionsBase):
                table._meta.db = db.engine()
            yield

    return Litestar([floor, piccolo_admin], lifespan=[lifespan])


async def prepare_admin() -> None:
    """piccolo_admin's own tables and one admin user (inside ``db.connected``, as the owner)."""
    for table in (BaseUser, SessionsBase):
        table._meta.db = db.engine()
        await table.create_table(if_not_exists=True)
    if not await BaseUser.exists().where(BaseUser.username == ADMIN_USER):
        await BaseUser.create_user(
            username=ADMIN_USER,
            password=ADMIN_PASSWORD,
            email="bench@example.org",
            active=True,
            admin=True,
            superuser=True,
        )


if __name__ == "__main__":
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from app.cli import tcp_listener

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    options = {"factory": True, "host": "127.0.0.1", "port": arguments.port, "proxy_headers": False}
    config = uvicorn.Config("floor:create_app", workers=arguments.workers, log_level="warning", **options)
    Multiprocess(config, sockets=[tcp_listener("127.0.0.1", arguments.port)]).run()
