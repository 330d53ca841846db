"""No county sees or touches another's data: every county route, walked automatically.

New routes are covered without touching this file; a route with a path parameter this file
cannot fill makes the test fail, so whoever adds it says which object of county B to use.
"""

from __future__ import annotations

import os
import random
import re
from contextlib import AsyncExitStack
from dataclasses import replace

import httpx
import pytest
from litestar.routes import HTTPRoute
from piccolo.engine.sqlite import SQLiteEngine

from app import db
from app.audit.tables import AuditRecord
from app.tenancy.services import find_by_slug
from tests.helpers import EVERY_ROLE, api_token, county, csrf_of, person, portal, sign_in
from tests.objects import VERBS, objects_of

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

COUNTY_PREFIXES = ("/t/{tenant:str}", "/api/v1/t/{tenant:str}")
FOREIGN_MARKERS = ("萧县", "萧县管理员")  # data of county B (its slug is in the URL itself)
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def county_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(COUNTY_PREFIXES):
            continue
        for method in sorted(route.route_handler_map):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, route.path))
    return found


def fill(path: str, values: dict[str, object]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            pytest.fail(f"{path}: no object for path parameter {{{name}}}; add one to objects_of()")
        return str(values[name])

    return PARAMETER.sub(value, path)


@pytest.fixture
async def two_counties():
    await county("dangshan", "砀山县")
    await county("xiaoxian", "萧县")
    ours = await person("dangshan", "admin", EVERY_ROLE)
    theirs = await person("xiaoxian", "admin", EVERY_ROLE, name="萧县管理员")
    our_token = await api_token("dangshan", ours)
    await api_token("xiaoxian", theirs)
    return {"our_token": our_token, "theirs": await objects_of("xiaoxian", theirs)}


async def request_as_us(client, method: str, path: str, token: str):
    if not csrf_of(client):
        await client.get("/login")
    if path.startswith("/api/"):
        return await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, json={})
    return await client.request(method, path, headers={"x-csrftoken": csrf_of(client)}, data={})


MISSING = {
    "token_id": 987654,
    "staff_id": 987654,
    "code": "no_such_line",
    "absence_id": 987654,
    "notification_id": 987654,
    "job_id": f"substitution:t1:{'f' * 32}",
    "day": "2031-05-07",
    "case_id": 987654,
    "notice_id": 987654,
    "receipt_id": 987654,
    "objection_id": 987654,
    "cycle_id": 987654,
    "robot_id": 987654,
    "record_id": 987654,
    "enquiry_id": 987654,
    **VERBS,
}
# Every role alone, and all of them together (the widest permissions).
CALLERS = {role: [role] for role in EVERY_ROLE} | {"all": EVERY_ROLE}
# Random sets of ids per route and caller, besides county B's own (ISOLATION_ROUNDS=20 for a long run).
ROUNDS = int(os.environ.get("ISOLATION_ROUNDS", "1"))


def random_values(rng: random.Random, theirs: dict[str, object]) -> dict[str, object]:
    """For each path parameter: county B's object, or an id or code that nothing has."""

    def pick(name: str, foreign: object) -> object:
        if name in VERBS or rng.random() < 0.5:
            return foreign
        if isinstance(foreign, int):
            return rng.choice([rng.randint(10**5, 2**31 - 1), 0, -rng.randint(1, 10**6)])
        if name == "day":
            return f"{rng.randint(2032, 2099)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if name == "job_id":
            kind = rng.choice(["substitution", "reminders", "evaluation"])
            return f"{kind}:t{rng.randint(1, 99)}:{rng.randbytes(16).hex()}"
        return "".join(rng.choices("abcdefghijklmnopqrstuvwxyz_", k=rng.randint(2, 30)))

    return {name: pick(name, value) for name, value in theirs.items()}


def another_client(client) -> httpx.AsyncClient:
    """A second browser on the same app (its own cookies)."""
    transport = httpx.ASGITransport(app=client.app, client=("127.0.0.1", 50000))
    return httpx.AsyncClient(transport=transport, base_url=str(client.base_url))


async def test_no_route_shows_or_changes_another_countys_data_to_any_role(settings, tmp_path, any_db, two_counties):
    """Every county route × every role × county B's ids and random ids, under our slug and under
    B's: each answer is exactly what a nonexistent object gets (404; 403 when the role may not use
    the route at all; a 400 for an API body that fails validation first), never a 2xx, a redirect or
    a 500, never a trace of B's data; and B's data is unchanged."""
    seed = int(os.environ.get("ISOLATION_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    theirs = two_counties["theirs"]
    on_sqlite = isinstance(db.engine(), SQLiteEngine)
    if on_sqlite:  # the file the sqlite_db fixture migrated and bound
        settings = replace(settings, database_url=f"sqlite:///{tmp_path / 'portal.sqlite'}")
    users = {name: await person("dangshan", f"user_{name}", roles) for name, roles in CALLERS.items()}
    tokens = {name: await api_token("dangshan", user) for name, user in users.items()}
    ours_id = (await find_by_slug("dangshan")).id
    audit_before = await AuditRecord.count().where(AuditRecord.tenant != ours_id)
    attempts = 0
    async with portal(settings) as first, AsyncExitStack() as stack:
        clients = {}
        for name in CALLERS:
            clients[name] = await stack.enter_async_context(another_client(first))
            await sign_in(clients[name], "dangshan", f"user_{name}")
        routes = county_routes(first.app)
        for method, pattern in routes:
            takes_objects = bool(set(PARAMETER.findall(pattern)) - {"tenant", *VERBS})
            ours, foreign = (pattern.replace("{tenant:str}", slug) for slug in ("dangshan", "xiaoxian"))
            for name, client in clients.items():
                where = f"{name}: {method} {pattern}"
                values = [theirs, *(random_values(rng, theirs) for _ in range(ROUNDS))] if takes_objects else [theirs]
                expected = {foreign: 404}
                if takes_objects:  # under our own slug: whatever a missing object gets
                    missing = await request_as_us(client, method, fill(ours, MISSING), tokens[name])
                    assert missing.status_code in (403, 404) or (
                        missing.status_code == 400 and pattern.startswith("/api/")
                    ), f"{where}: a missing object gave {missing.status_code}"
                    expected[ours] = missing.status_code
                for slugged, status in expected.items():
                    for filled in (fill(slugged, one) for one in values):
                        response = await request_as_us(client, method, filled, tokens[name])
                        attempts += 1
                        assert response.status_code == status, (
                            f"{name}: {method} {filled} gave {response.status_code}, not {status} (seed {seed})"
                        )
                        assert not any(marker in response.text for marker in FOREIGN_MARKERS), f"{where} leaked"
    assert await AuditRecord.count().where(AuditRecord.tenant != ours_id) == audit_before
    assert attempts >= 1000
    print(
        f"isolation ({'sqlite' if on_sqlite else 'postgres'}): {attempts} attempts, {len(routes)} routes, "
        f"{len(CALLERS)} callers, 0 violations (seed {seed})"
    )


async def test_a_county_that_does_not_exist_looks_the_same(settings, two_counties):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        missing = await client.get("/t/nowhere/audit")
        foreign = await client.get("/t/xiaoxian/audit")
        assert missing.status_code == foreign.status_code == 404
        assert missing.text.replace("nowhere", "xiaoxian") == foreign.text
        api_missing = await client.get(
            "/api/v1/t/nowhere/me", headers={"Authorization": f"Bearer {two_counties['our_token']}"}
        )
        api_foreign = await client.get(
            "/api/v1/t/xiaoxian/me", headers={"Authorization": f"Bearer {two_counties['our_token']}"}
        )
        assert api_missing.status_code == api_foreign.status_code == 404
        assert api_missing.json() == api_foreign.json()


async def test_superadmin_is_not_a_member_of_any_county(settings, two_counties):
    await person(None, "root", roles=())
    async with portal(settings) as client:
        response = await sign_in(client, "", "root")
        assert response.headers["location"] == "/admin/tenants"
        assert (await client.get("/t/dangshan/")).status_code == 404
        assert (await client.get("/admin/tenants")).status_code == 200


async def test_county_user_cannot_reach_superadmin_pages(settings, two_counties):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        assert (await client.get("/admin/tenants")).status_code == 403
