"""``portal check`` on a healthy and on a broken setup, and the same lines for the operator's pages."""

from __future__ import annotations

import pytest

from app.operations.check import Level, Probe, run_all
from tests.helpers import county, person, portal, sign_in
from tests.integration.test_cli import portal as portal_command
from workers.heartbeat import beat

pytestmark = pytest.mark.usefixtures("clean_db")
STRONG_KEY = "Vq3kP9xZ2mLw8RtY6nBc4HsJ7dFg5KaE"


def lines_of(done) -> dict[str, str]:
    """item → level, from the command's output."""
    return {line[5:].split(":")[0]: line[:4].strip() for line in done.stdout.splitlines()}


async def test_a_healthy_setup_passes_with_warnings_only(redis):
    await beat({"redis": redis})
    done = portal_command("check", SECRET_KEY=STRONG_KEY)
    assert done.returncode == 0, done.stdout + done.stderr
    levels = lines_of(done)
    assert levels["database"] == levels["Redis"] == levels["secret key"] == levels["workers"] == "OK"
    assert levels["next year's calendar"] == "WARN"  # nobody entered it
    assert "1 alive, on 1 host(s)" in done.stdout


def test_a_broken_setup_fails_line_by_line():
    done = portal_command(
        "check",
        PORTAL_MODE="production",
        SECRET_KEY="",
        DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert done.returncode == 1 and done.stderr == ""
    levels = lines_of(done)
    assert levels["database"] == levels["Redis"] == levels["secret key"] == "FAIL"
    assert levels["workers"] == levels["mail servers"] == "WARN"
    assert "SECRET_KEY is missing" in done.stdout


async def test_an_unreachable_mail_server_is_a_warning(settings, redis):
    from app.notifications.mail import SETTINGS_KEY
    from app.tenancy.tables import Tenant

    tenant = await county("dangshan")
    mail = {"enabled": True, "host": "127.0.0.1", "port": 1, "from_address": "a@b.cn"}
    await Tenant.update({Tenant.settings: {SETTINGS_KEY: mail}}).where(Tenant.id == tenant.id)
    findings = {f.label: f for f in await run_all(Probe(settings, redis))}
    assert findings["发信服务器"].level is Level.WARN and findings["发信服务器"].detail == "127.0.0.1:1"


async def test_the_admin_sees_the_check_and_staff_do_not(settings, redis):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    await person("dangshan", "wangxiaolei", ["staff"])
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        assert 'hx-get="/t/dangshan/health"' in (await client.get("/t/dangshan/")).text
        health = await client.get("/t/dangshan/health", headers={"HX-Request": "true"})
        assert health.status_code == 200 and "运行状况" in health.text and "OK" in health.text
        await sign_in(client, "dangshan", "wangxiaolei")
        assert (await client.get("/t/dangshan/health")).status_code == 403


async def test_the_superadmin_sees_the_servers_by_name_and_the_findings_are_kept_a_minute(settings, redis):
    from app.notifications.mail import SETTINGS_KEY
    from app.tenancy.tables import Tenant

    tenant = await county("dangshan")
    mail = {"enabled": True, "host": "127.0.0.1", "port": 1, "from_address": "a@b.cn"}
    await Tenant.update({Tenant.settings: {SETTINGS_KEY: mail}}).where(Tenant.id == tenant.id)
    await person(None, "root", roles=())
    await person("dangshan", "admin", ["admin"])
    async with portal(settings) as client:
        await sign_in(client, "", "root")
        assert 'hx-get="/admin/health"' in (await client.get("/admin/tenants")).text
        shown = (await client.get("/admin/health")).text
        assert "WARN" in shown and "127.0.0.1:1" in shown
        await sign_in(client, "dangshan", "admin")
        county_view = (await client.get("/t/dangshan/health")).text
        assert "WARN" in county_view and "127.0.0.1:1" not in county_view  # another county's server, unnamed
        await redis.set("portal:check:shown", "[]")  # what was found a moment ago is what is shown
        assert "WARN" not in (await client.get("/t/dangshan/health")).text
