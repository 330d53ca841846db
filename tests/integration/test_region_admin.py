"""The superadmin's region pages: inspectors, their tokens (revoked at once) and the audited looks."""

from __future__ import annotations

import hashlib
import re

import pytest

from app.audit.tables import AuditRecord
from app.regions.tables import Inspector, InspectorToken
from tests.helpers import county, person, portal, post_form, sign_in
from tests.stats_helpers import inspector, inspector_token, region

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


async def two_regions_and_the_superadmin():
    await county("aa", "甲县")
    await county("bb", "乙县")
    await region("north", ["aa"], "北市")
    await region("south", ["bb"], "南市")
    await inspector("north", "nina")
    await inspector("south", "sam")
    await person(None, "root", roles=())


async def test_the_superadmin_lists_regions_creates_inspectors_and_issues_tokens(settings):
    await two_regions_and_the_superadmin()
    async with portal(settings) as client:
        await sign_in(client, "", "root")
        listing = await client.get("/admin/regions")
        created = await post_form(
            client,
            "/admin/regions/inspectors",
            {"region": "south", "username": "sue", "name": "Sue", "password": "x" * 12},
        )
        taken = await post_form(
            client, "/admin/regions/inspectors", {"region": "south", "username": "sue", "name": "S"}
        )
        issued = await post_form(
            client, "/admin/regions/tokens", {"region": "south", "username": "sue", "label": "报表"}
        )
        wrong_region = await post_form(client, "/admin/regions/tokens", {"region": "north", "username": "sue"})
    assert listing.status_code == 200
    assert "北市" in listing.text and "甲县" in listing.text and "nina" in listing.text
    assert created.status_code in (201, 302, 303), created.text
    assert await Inspector.count().where(Inspector.user.username == "sue") == 1
    assert taken.status_code == 400 and "sue" in taken.text
    token = re.search(r"cpr_[A-Za-z0-9_\-]+", issued.text).group(0)
    # Shown once, kept only as its hash.
    assert await InspectorToken.exists().where(
        (InspectorToken.label == "报表") & (InspectorToken.token_hash == hashlib.sha256(token.encode()).hexdigest())
    )
    assert wrong_region.status_code == 400


async def test_a_revoked_token_is_refused_on_the_very_next_request(settings):
    await two_regions_and_the_superadmin()
    token = await inspector_token("north", "nina")
    headers = {"Authorization": f"Bearer {token}"}
    token_id = (await InspectorToken.select(InspectorToken.id).first())["id"]
    async with portal(settings) as client:
        before = await client.get("/api/v1/r/north/stats/deadlines", headers=headers)
        await sign_in(client, "", "root")
        revoked = await post_form(client, f"/admin/regions/tokens/{token_id}/revoke")
        again = await post_form(client, f"/admin/regions/tokens/{token_id}/revoke")
        listing = await client.get("/admin/regions")
        client.cookies.clear()
        after = await client.get("/api/v1/r/north/stats/deadlines", headers=headers)
    assert before.status_code == 200
    assert revoked.status_code in (201, 302, 303) and again.status_code in (201, 302, 303)
    assert after.status_code == 401
    assert "已吊销" in listing.text
    assert await AuditRecord.count().where(AuditRecord.action == "token.revoke") == 1


async def test_only_the_superadmin_manages_regions(settings):
    await two_regions_and_the_superadmin()
    await person("aa", "adam", roles=("admin",))
    token_id = (await InspectorToken.select(InspectorToken.id).first() or {}).get("id", 1)
    async with portal(settings) as client:
        await sign_in(client, "", "nina")
        pages = [await client.get("/admin/regions"), await client.get("/admin/regions/looks")]
        pages.append(
            await post_form(client, "/admin/regions/inspectors", {"region": "north", "username": "x", "name": "X"})
        )
        pages.append(await post_form(client, f"/admin/regions/tokens/{token_id}/revoke"))
        await post_form(client, "/logout")
        await sign_in(client, "aa", "adam")
        pages.append(await client.get("/admin/regions"))
    assert [page.status_code for page in pages] == [403] * 5
    assert await Inspector.count() == 2


async def test_looks_are_listed_for_the_superadmin_and_each_inspector_sees_only_their_own(settings):
    await two_regions_and_the_superadmin()
    await inspector("north", "ned")
    async with portal(settings) as client:
        await sign_in(client, "", "nina")
        await client.get("/r/north?from=2026-01-01")
        nina_looks = await client.get("/r/north/looks")
        south = await client.get("/r/south/looks")
        await post_form(client, "/logout")
        await sign_in(client, "", "ned")
        ned_looks = await client.get("/r/north/looks")
        await post_form(client, "/logout")
        await sign_in(client, "", "root")
        every = await client.get("/admin/regions/looks")
        north_only = await client.get("/admin/regions/looks?region=south")
    assert "/r/north?from=2026-01-01" in nina_looks.text
    assert south.status_code == 404
    assert "/r/north?from=2026-01-01" not in ned_looks.text and "/r/north/looks" in ned_looks.text
    assert "Nina" not in ned_looks.text
    assert "/r/north?from=2026-01-01" in every.text and "Ned" in every.text
    assert "north" not in re.sub(r"<(nav|header)[\s\S]*?</\1>", "", north_only.text).split("<table", 1)[1]
