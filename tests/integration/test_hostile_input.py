"""Hostile requests and a failing backend: control characters, deep and large bodies, lax types,
the headers every answer carries, and a database that goes away. Each refusal is a clear 4xx (or
503) and changes nothing."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from app.accounts.tables import User
from app.settings import Mode
from app.web.bodies import MAX_BODY_BYTES, MAX_JSON_DEPTH
from app.web.errors import RETRY_AFTER_SECONDS
from app.web.security import CONTENT_SECURITY_POLICY, HSTS
from tests.helpers import api_token, county, demo_county, person, portal, post_form, sign_in
from tests.outage import Outage

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

HOSTILE = {
    "CR/LF": "a\r\nSet-Cookie: x=y",
    "line feed": "王\n效雷",
    "tab": "王\t效雷",
    "NUL": "王\x00效雷",
    "escape": "王\x1b[31m效雷",
    "C1": "王\x85效雷",
    "right-to-left override": "王\u202e效雷",
    "zero-width space": "wang\u200bxiaolei",
    "byte order mark": "\ufeffwang",
    "line separator": "王\u2028效雷",
    "trailing newline": "wangxiaolei\n",
}


@pytest.fixture
async def admin_api(settings):
    await county("dangshan", "砀山县")
    admin = await person("dangshan", "admin", ["admin"])
    return {"Authorization": f"Bearer {await api_token('dangshan', admin)}"}


@pytest.mark.parametrize("field", ["username", "name", "phone"])
@pytest.mark.parametrize("what", list(HOSTILE))
async def test_the_api_refuses_control_characters_in_single_line_fields(settings, admin_api, field, what):
    body = {"username": "newcomer", "name": "新同事", "phone": "0557-1234567", field: HOSTILE[what]}
    async with portal(settings) as client:
        response = await client.post("/api/v1/t/dangshan/staff", json=body, headers=admin_api)
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == (
        f"{field} may not contain line breaks, tabs, direction marks or other invisible control characters"
    )
    assert await User.count().where(User.username != "admin") == 0


async def test_notes_keep_line_breaks_and_tabs_but_nothing_else_invisible(settings, admin_api):
    async with portal(settings) as client:
        line = {"code": "dibao", "name": "低保", "working_days": 15}
        kept = await client.post(
            "/api/v1/t/dangshan/lines", json={**line, "materials": "户口簿\n身份证\t复印件"}, headers=admin_api
        )
        assert kept.status_code == 201, kept.text
        assert kept.json()["materials"] == "户口簿\n身份证\t复印件"
        refused = await client.patch(
            "/api/v1/t/dangshan/lines/dibao", json={"materials": "户口簿\u202e证"}, headers=admin_api
        )
        assert refused.status_code == 400
        assert "materials may not contain" in refused.json()["detail"]


@asynccontextmanager
async def admin_browser(settings):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        yield client


async def test_forms_refuse_control_characters_before_any_handler(settings, admin_api):
    async with admin_browser(settings) as client:
        form = {"username": "a\r\nSet-Cookie: x=y", "name": "新同事", "roles": "staff"}
        response = await post_form(client, "/t/dangshan/staff", form)
        form = {"username": "newcomer", "name": "王\u202e效雷"}
        swapped = await post_form(client, "/t/dangshan/staff", form, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "用户名不能含有换行、制表符、方向控制符或其他不可见的控制字符" in response.text
    assert swapped.status_code == 400
    assert swapped.headers["HX-Reswap"] == "none"  # shown as a message, not swapped over the form
    assert "portal:message" in swapped.headers["HX-Trigger"]
    assert await User.count() == 1


async def test_a_multi_line_form_field_takes_the_browsers_line_ends(settings, admin_api):
    form = {"code": "dibao", "name": "低保", "working_days": "15", "materials": "户口簿\r\n身份证"}
    async with admin_browser(settings) as client:
        response = await post_form(client, "/t/dangshan/lines", form)
    assert response.status_code in (200, 303), response.text


async def test_sign_in_with_a_forged_header_in_the_username_is_refused(settings):
    await county("dangshan")
    async with portal(settings) as client:
        response = await sign_in(client, "dangshan", "admin\r\nSet-Cookie: session=forged")
        assert response.status_code == 400
        assert "forged" not in response.headers.get("set-cookie", "")


async def test_a_deeply_nested_body_is_a_400_not_a_500(settings, admin_api):
    async with portal(settings) as client:
        for nested in ("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000):
            for path in ("/api/v1/t/dangshan/staff", "/api/v1/t/dangshan/absences/1/approve"):
                response = await client.post(
                    path, content=nested, headers={**admin_api, "Content-Type": "application/json"}
                )
                assert response.status_code == 400, (path, response.text)
                assert f"at most {MAX_JSON_DEPTH} levels" in response.json()["detail"]
        # Brackets inside strings (an escaped quote included) are text, not nesting.
        name = "[{" * 20 + '\\"' + "]}" * 5
        bracketed = await client.post(
            "/api/v1/t/dangshan/staff", json={"username": "brackets", "name": name}, headers=admin_api
        )
        assert bracketed.status_code == 201


async def test_a_body_over_the_limit_is_a_413(settings, admin_api):
    async with portal(settings) as client:
        response = await client.post(
            "/api/v1/t/dangshan/staff",
            content=b'{"username": "' + b"a" * MAX_BODY_BYTES + b'"}',
            headers={**admin_api, "Content-Type": "application/json"},
        )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        {"enabled": False, "port": None},
        {"enabled": "false"},
        {"enabled": False, "port": "25"},
        {"enabled": False, "port": 70000},
    ],
)
async def test_a_body_must_have_the_types_its_schema_says(settings, admin_api, body):
    async with portal(settings) as client:
        response = await client.put("/api/v1/t/dangshan/settings/email", json=body, headers=admin_api)
        assert response.status_code == 400, response.text
        assert (await client.get("/api/v1/t/dangshan/settings/email", headers=admin_api)).json()["port"] == 587


async def test_every_answer_carries_the_security_headers(settings, admin_api):
    async with portal(settings) as client:
        answers = [
            await client.get("/login"),
            await client.get("/static/portal.js"),
            await client.get("/no/such/page"),
            await client.get("/api/v1/t/dangshan/staff", headers=admin_api),
            await client.get("/api/v1/t/dangshan/staff"),
        ]
    for response in answers:
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers  # test mode: plain http


async def test_hsts_in_production_only(settings):
    async with portal(replace(settings, mode=Mode.PRODUCTION)) as client:
        assert (await client.get("/login")).headers["Strict-Transport-Security"] == HSTS
    async with portal(replace(settings, mode=Mode.DEMO)) as client:
        assert "Strict-Transport-Security" not in (await client.get("/login")).headers


async def test_options_and_405_name_every_method_of_the_path(settings, admin_api):
    async with portal(settings) as client:
        options = await client.options("/api/v1/t/dangshan/staff", headers=admin_api)
        assert set(options.headers["Allow"].split(", ")) == {"GET", "POST", "OPTIONS"}
        refused = await client.delete("/api/v1/t/dangshan/staff", headers=admin_api)
        assert refused.status_code == 405
        assert set(refused.headers["Allow"].split(", ")) == {"GET", "POST", "OPTIONS"}


async def test_database_unreachable_is_a_503_on_every_route_and_recovers_without_restart(settings):
    await county("dangshan", "砀山县")
    admin = await person("dangshan", "admin", ["admin"])
    token = {"Authorization": f"Bearer {await api_token('dangshan', admin)}"}
    host, port = urlsplit(settings.database_url).hostname, urlsplit(settings.database_url).port or 5432
    with Outage(host, port) as outage:
        through_outage = replace(settings, database_url=settings.database_url.replace(f":{port}/", f":{outage.port}/"))
        async with portal(through_outage) as client:
            await sign_in(client, "dangshan", "admin")
            assert (await client.get("/t/dangshan/staff")).status_code == 200
            outage.cut()
            page = await client.get("/t/dangshan/staff")
            api = await client.get("/api/v1/t/dangshan/staff", headers=token)
            sign_in_again = await sign_in(client, "dangshan", "admin")
            for response in (page, api, sign_in_again):
                assert response.status_code == 503, response.text
                assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            assert "系统暂时不可用" in page.text
            assert "cannot be reached" in api.json()["detail"]
            outage.restore()
            assert (await client.get("/t/dangshan/staff")).status_code == 200
            assert (await client.get("/api/v1/t/dangshan/staff", headers=token)).status_code == 200


@pytest.mark.parametrize("written", ["{id}%09", "%2B{id}", "0{id}", "{id}%20"])
async def test_a_whole_number_in_the_path_is_taken_only_as_written(settings, written):
    """Litestar's int() also reads "3\\t", "+3" and "03" as 3: such a path names nothing."""
    ids = await demo_county()
    token = await api_token("dangshan", ids["admin"])
    async with portal(settings) as client:
        headers = {"Authorization": f"Bearer {token}"}
        plain = await client.get(f"/api/v1/t/dangshan/staff/{ids['head']}", headers=headers)
        crooked = await client.get(f"/api/v1/t/dangshan/staff/{written.format(id=ids['head'])}", headers=headers)
    assert plain.status_code == 200 and crooked.status_code == 404
