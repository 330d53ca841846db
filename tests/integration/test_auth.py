"""Sign-in, sessions, CSRF, the login limit and API tokens against real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import threading

import pytest
from redis.asyncio import Redis

from app.accounts import passwords
from app.accounts.ratelimit import LoginLimits, LoginThrottle
from app.accounts.services import authenticate, set_active
from app.accounts.sessions import COOKIE_NAME, SessionStore
from app.tenancy.context import TenantContext
from app.tenancy.services import find_by_slug
from tests.conftest import REDIS_URL
from tests.helpers import OPERATOR, PASSWORD, api_token, county, csrf_of, person, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


async def test_sign_in_lands_on_the_county_dashboard(settings):
    await county("dangshan", "砀山县")
    await person("dangshan", "admin", ["admin"], name="李国栋")
    async with portal(settings) as client:
        response = await sign_in(client, "dangshan", "admin")
        assert response.status_code == 302
        assert response.headers["location"] == "/t/dangshan/"
        page = await client.get("/t/dangshan/")
        assert page.status_code == 200
        assert "您好，李国栋" in page.text
        assert "砀山县" in page.text


async def test_wrong_password_is_refused_without_saying_which_part_was_wrong(settings):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    async with portal(settings) as client:
        response = await sign_in(client, "dangshan", "admin", "wrong password!")
        assert response.status_code == 401
        assert "县、用户名或密码不正确" in response.text
        assert COOKIE_NAME not in client.cookies
        unknown = await sign_in(client, "dangshan", "nobody", "wrong password!")
        assert unknown.status_code == 401
        assert "县、用户名或密码不正确" in unknown.text


async def test_session_id_changes_at_sign_in(settings):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        first = client.cookies[COOKIE_NAME]
        await sign_in(client, "dangshan", "admin")
        second = client.cookies[COOKIE_NAME]
        assert first != second
        # The old id is dead, not merely replaced in this browser.
        store = client.app.state.services.sessions
        assert await store.load(first) is None
        assert await store.load(second) is not None


async def test_the_csrf_token_is_the_sessions_own_made_at_sign_in(settings):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    await person("dangshan", "clerk", ["admin"])
    async with portal(settings) as client, portal(settings) as other:
        await client.get("/login")
        before = client.cookies["csrftoken"]
        await sign_in(client, "dangshan", "admin")
        await sign_in(other, "dangshan", "clerk")
        own = client.cookies["csrftoken"]

        async def create_token_with(token: str, cookie: str | None = None):
            if cookie is not None:  # a cookie planted in the browser (a sibling domain can set one)
                client.cookies.set("csrftoken", cookie)
            return await client.post("/t/dangshan/tokens", data={"label": "x", "_csrf_token": token})

        from_before = await create_token_with(before, cookie=before)
        of_another_session = await create_token_with(other.cookies["csrftoken"], cookie=other.cookies["csrftoken"])
        client.cookies.set("csrftoken", own)
        its_own = await create_token_with(own)
    assert own != before
    assert from_before.status_code == 403 and of_another_session.status_code == 403
    assert its_own.status_code == 200


@pytest.mark.parametrize("slug", ["api", "healthzx", "schema"])
async def test_counties_named_like_excluded_paths_still_need_the_csrf_token(settings, slug):
    await county(slug)
    await person(slug, "admin", ["admin"])
    async with portal(settings) as client:
        await sign_in(client, slug, "admin")
        forged = await client.post(f"/t/{slug}/tokens", data={"label": "forged"})
        allowed = await post_form(client, f"/t/{slug}/tokens", {"label": "mine"})
    assert forged.status_code == 403 and allowed.status_code == 200


async def test_state_change_without_csrf_token_is_refused(settings):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        refused = await client.post("/t/dangshan/tokens", data={"label": "no token"})
        assert refused.status_code == 403
        wrong = await client.post("/t/dangshan/tokens", data={"label": "forged"}, headers={"x-csrftoken": "forged"})
        assert wrong.status_code == 403
        tokens = await client.get("/t/dangshan/tokens")
        assert "no token" not in tokens.text and "forged" not in tokens.text
        accepted = await post_form(client, "/t/dangshan/tokens", {"label": "报表脚本"})
        assert accepted.status_code == 200
        assert "报表脚本" in accepted.text


async def test_logout_ends_the_session_on_the_server(settings):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        session_id = client.cookies[COOKIE_NAME]
        await post_form(client, "/logout")
        assert await client.app.state.services.sessions.load(session_id) is None
        client.cookies.set(COOKIE_NAME, session_id)  # replaying the old cookie does not help
        response = await client.get("/t/dangshan/")
        assert response.status_code == 302
        assert response.headers["location"].startswith("/login")


async def test_disabling_a_user_kills_their_session_at_once(settings):
    await county("dangshan")
    user_id = await person("dangshan", "wangxiaolei", ["staff"])
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        assert (await client.get("/t/dangshan/")).status_code == 200
        ctx = TenantContext(tenant=await find_by_slug("dangshan"), actor=OPERATOR)
        await set_active(ctx, user_id, False)
        response = await client.get("/t/dangshan/")
        assert response.status_code == 302 and response.headers["location"].startswith("/login")
        again = await sign_in(client, "dangshan", "wangxiaolei")
        assert again.status_code == 401


async def test_disabled_user_token_stops_working(settings):
    await county("dangshan")
    user_id = await person("dangshan", "admin", ["admin"])
    token = await api_token("dangshan", user_id)
    async with portal(settings) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/t/dangshan/me", headers=headers)).status_code == 200
        ctx = TenantContext(tenant=await find_by_slug("dangshan"), actor=OPERATOR)
        await set_active(ctx, user_id, False)
        response = await client.get("/api/v1/t/dangshan/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["detail"]


async def test_login_limit_holds_across_two_web_processes(settings):
    """Two apps share nothing but Redis: the failures of both count against one limit."""
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    async with portal(settings) as first, portal(settings) as second:
        for attempt in range(settings.login_attempts_per_account):
            client = first if attempt % 2 else second
            assert (await sign_in(client, "dangshan", "admin", "wrong password!")).status_code == 401
        blocked = await sign_in(first, "dangshan", "admin")  # even the right password now waits
        assert blocked.status_code == 429
        assert "登录失败次数过多" in blocked.text
        assert COOKIE_NAME not in first.cookies


async def test_login_limit_per_address_covers_many_accounts(redis):
    throttle = LoginThrottle(redis, LoginLimits(per_account=100, per_address=3, window_seconds=60))
    assert [await throttle.admit(f"dangshan/user{n}", "10.1.1.1") for n in range(3)] == [True] * 3
    assert not await throttle.admit("dangshan/someone-else", "10.1.1.1")
    assert await throttle.admit("dangshan/someone-else", "10.1.1.2")


async def test_a_sign_in_gives_its_attempt_back_to_the_address(redis):
    throttle = LoginThrottle(redis, LoginLimits(per_account=100, per_address=2, window_seconds=60))
    for n in range(5):  # five colleagues behind one office router sign in one after the other
        assert await throttle.admit(f"dangshan/user{n}", "10.1.1.1")
        await throttle.succeeded(f"dangshan/user{n}", "10.1.1.1")


async def test_concurrent_attempts_never_check_more_than_the_limit(redis):
    """40 attempts at once, each on its own connection (as from many web processes)."""
    limits = LoginLimits(per_account=5, per_address=20, window_seconds=60)
    clients = [Redis.from_url(REDIS_URL) for _ in range(40)]
    try:
        admitted = await asyncio.gather(
            *(LoginThrottle(c, limits).admit("dangshan/admin", f"10.0.0.{n % 2}") for n, c in enumerate(clients))
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    assert sum(admitted) == 5


async def test_forty_concurrent_wrong_logins_on_two_processes_check_only_the_limit(settings):
    """The probe's race: 40 wrong passwords at once, then the right one; only the limit is checked."""
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    async with portal(settings) as first, portal(settings) as second:
        await first.get("/login")
        await second.get("/login")

        async def attempt(n: int, password: str):
            client = (first, second)[n % 2]
            data = {"tenant": "dangshan", "username": "admin", "password": password}
            return await client.post("/login", data={**data, "_csrf_token": csrf_of(client)})

        answers = await asyncio.gather(*(attempt(n, "wrong password!") for n in range(40)))
        right = await attempt(0, PASSWORD)
    statuses = [a.status_code for a in answers]
    assert statuses.count(401) == settings.login_attempts_per_account
    assert statuses.count(429) == 40 - settings.login_attempts_per_account
    assert right.status_code == 429
    print(f"40 concurrent wrong passwords: {statuses.count(401)} checked, {statuses.count(429)} refused")


async def test_argon2_runs_off_the_event_loop_and_unknown_users_cost_a_verify(settings, monkeypatch):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    threads: list[int] = []
    real_verify = passwords._verify

    def counted(password_hash: str, password: str) -> bool:
        threads.append(threading.get_ident())
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "_verify", counted)
    assert await authenticate("dangshan", "admin", "wrong password!") is None
    assert await authenticate("dangshan", "nobody-of-that-name", "wrong password!") is None
    assert await authenticate("dangshan", "admin", PASSWORD) is not None
    assert len(threads) == 3 and threading.get_ident() not in threads


async def test_session_idle_timeout_and_absolute_lifetime(redis):
    idle = SessionStore(redis, idle_seconds=1, max_age_seconds=60, csrf_secret="s")
    session = await idle.create(7)
    assert await idle.load(session.id) is not None
    await asyncio.sleep(1.2)
    assert await idle.load(session.id) is None

    short_lived = SessionStore(redis, idle_seconds=60, max_age_seconds=1, csrf_secret="s")
    session = await short_lived.create(7)
    assert await short_lived.load(session.id) is not None
    await asyncio.sleep(1.1)
    assert await short_lived.load(session.id) is None


async def test_all_sessions_of_a_user_can_be_ended(redis):
    store = SessionStore(redis, idle_seconds=60, max_age_seconds=600, csrf_secret="s")
    sessions = [await store.create(9) for _ in range(3)]
    other = await store.create(10)
    assert await store.destroy_all_for(9) == 3
    assert all([await store.load(s.id) is None for s in sessions])
    assert await store.load(other.id) is not None


async def test_cookies_are_http_only_and_secure_outside_demo(settings):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    from dataclasses import replace

    from app.settings import Mode

    production = replace(settings, mode=Mode.PRODUCTION)
    async with portal(production, base_url="https://portal.example") as client:
        await client.get("/login")
        response = await client.post(
            "/login",
            data={
                "tenant": "dangshan",
                "username": "admin",
                "password": "correct horse battery",
                "_csrf_token": client.cookies.get("csrftoken", ""),
            },
        )
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE_NAME))
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie


async def test_api_takes_bearer_tokens_and_never_the_cookie(settings):
    await county("dangshan")
    user_id = await person("dangshan", "admin", ["admin"])
    token = await api_token("dangshan", user_id)
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        assert (await client.get("/api/v1/t/dangshan/me")).status_code == 401
        response = await client.get("/api/v1/t/dangshan/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert response.json()["tenant"]["slug"] == "dangshan"
        assert (
            await client.get("/api/v1/t/dangshan/me", headers={"Authorization": "Bearer cp_nope"})
        ).status_code == 401


async def test_revoked_token_is_refused(settings):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        created = await post_form(client, "/t/dangshan/tokens", {"label": "脚本"})
        token = created.text.split('id="new-token">')[1].split("<")[0]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/t/dangshan/me", headers=headers)).status_code == 200
        token_id = created.text.split("/tokens/")[1].split("/revoke")[0]
        assert (await post_form(client, f"/t/dangshan/tokens/{token_id}/revoke")).status_code == 200
        assert (await client.get("/api/v1/t/dangshan/me", headers=headers)).status_code == 401


async def test_get_never_changes_state(settings):
    """Every GET route of the app is free of writes: the audit trail does not grow."""
    from app.audit.tables import AuditRecord

    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        before = await AuditRecord.count()
        for path in ("/", "/t/dangshan/", "/t/dangshan/audit", "/t/dangshan/tokens", "/login", "/logout"):
            await client.get(path)
        assert await AuditRecord.count() == before
        assert (await client.get("/logout")).status_code == 405
        assert (await client.get("/t/dangshan/")).status_code == 200  # still signed in


async def test_the_favicon_is_served_to_anyone(settings):
    async with portal(settings) as client:
        icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert "max-age=86400" in icon.headers["cache-control"] and icon.content.startswith(b"<svg")
