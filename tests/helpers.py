"""Factories for rows and a signed-in test client."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import httpx

from app.absences import services as absences
from app.accounts.services import add_user, create_token
from app.asgi import create_app
from app.domain.absence import Action
from app.setup.services import create_tenant
from app.tenancy.context import Actor, TenantContext
from app.tenancy.permissions import Role
from app.tenancy.services import find_by_slug

OPERATOR = Actor(user_id=None, label="tests", address="127.0.0.1", is_superadmin=True)
PASSWORD = "correct horse battery"
EVERY_ROLE = [r.value for r in Role]


async def county(slug: str, name: str | None = None):
    return await create_tenant(OPERATOR, slug, name or f"{slug}县")


async def person(slug: str | None, username: str, roles=("staff",), password: str = PASSWORD, name: str = "") -> int:
    return await add_user(
        OPERATOR,
        tenant_slug=slug,
        username=username,
        name=name or username.title(),
        roles=list(roles),
        password=password,
    )


async def api_token(slug: str, user_id: int) -> str:
    tenant = await find_by_slug(slug)
    return (await create_token(TenantContext(tenant=tenant, actor=OPERATOR), user_id, "test")).token


@asynccontextmanager
async def portal(settings, base_url: str = "http://testserver.local"):
    """The app with its lifespan running, and an HTTP client for it, all on the test's event loop
    (Litestar's own test client runs the app on a loop of its own, apart from the test's pool)."""
    app = create_app(settings)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            client.app = app
            yield client


def csrf_of(client) -> str:
    return client.cookies.get("csrftoken", "")


async def sign_in(client, slug: str, username: str, password: str = PASSWORD):
    await client.get("/login")
    return await client.post(
        "/login", data={"tenant": slug, "username": username, "password": password, "_csrf_token": csrf_of(client)}
    )


async def post_form(client, path: str, data: dict | None = None, **kwargs):
    """A form post as the browser sends it: the CSRF token taken from its cookie."""
    if not csrf_of(client):
        await client.get("/login")
    return await client.post(path, data={**(data or {}), "_csrf_token": csrf_of(client)}, **kwargs)


async def demo_county() -> dict[str, int]:
    """The demo county 砀山县 from tenants/dangshan.toml, everyone with the test password; username → id."""
    from pathlib import Path

    from app.accounts.services import set_password
    from app.accounts.tables import User
    from app.setup import as_code

    await as_code.apply(as_code.load_file(Path(__file__).parent.parent / "tenants" / "dangshan.toml"), OPERATOR)
    ids = {u["username"]: u["id"] for u in await User.select(User.id, User.username)}
    for user_id in ids.values():
        await set_password(OPERATOR, user_id, PASSWORD)
    return ids


async def context_of(slug: str, user_id: int) -> TenantContext:
    """The county context a signed-in user gets (their real roles)."""
    from app.accounts.services import identity_of

    identity = await identity_of(user_id)
    return TenantContext(tenant=await find_by_slug(slug), actor=identity.actor("127.0.0.1"))


async def start_leave(people: dict[str, int], username: str, slug: str = "dangshan") -> None:
    """``username`` on an approved two-week personal leave from a minute ago (``people["_approver"]``
    approves). Two weeks hold working time whatever day it is: worker processes run on the real clock."""
    ctx = await context_of(slug, people[username])
    start = datetime.now().astimezone() - timedelta(minutes=1)
    absence = await absences.post(
        ctx,
        person_id=people[username],
        kind="personal",
        reason="请假",
        starts_at=start,
        ends_at=start + timedelta(days=14),
        handover="见交接单",
    )
    await absences.decide(await context_of(slug, people[people["_approver"]]), absence.id, Action.APPROVE)
