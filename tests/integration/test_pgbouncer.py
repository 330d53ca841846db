"""The portal through PgBouncer in transaction mode (ops/DEPLOY.md): every statement may reach
another server connection, so nothing may rest on session state. Row-level security must still
fence each county while many requests of different counties share a few server connections."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg
import pytest

from app import db
from app.accounts.tables import User
from app.jobs.tables import JobRecord
from tests.conftest import PG_ADMIN_URL, PG_DATABASE, make_settings
from tests.helpers import api_token, county, person, portal

pytestmark = [
    pytest.mark.usefixtures("clean_db", "redis"),
    pytest.mark.skipif(shutil.which("pgbouncer") is None, reason="pgbouncer is not installed"),
]
PORT = int(os.environ.get("TEST_PGBOUNCER_PORT", "5461"))
SERVER_CONNECTIONS = 2  # far fewer than the app's pool: transactions of all counties interleave


@pytest.fixture
def bouncer():
    # Not pytest's tmp_path: its folder is private to us, and pgbouncer runs as postgres when we are root.
    with tempfile.TemporaryDirectory(prefix="portal-bouncer-") as folder:
        yield from _bouncer(Path(folder))


def _bouncer(tmp_path: Path):
    server = PG_ADMIN_URL.split("@", 1)[1].split("/", 1)[0]
    host, port = server.split(":") if ":" in server else (server, "5432")
    (tmp_path / "users.txt").write_text('"postgres" ""\n')
    ini = tmp_path / "pgbouncer.ini"
    ini.write_text(
        f"[databases]\n* = host={host} port={port}\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {PORT}\n"
        f"auth_type = trust\nauth_file = {tmp_path / 'users.txt'}\npool_mode = transaction\n"
        f"default_pool_size = {SERVER_CONNECTIONS}\nmax_client_conn = 100\nunix_socket_dir =\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    command = ["pgbouncer", str(ini)]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        for path in (tmp_path, tmp_path / "users.txt", ini):
            shutil.chown(path, "postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(PORT)
    yield f"postgresql://postgres@127.0.0.1:{PORT}/{PG_DATABASE}?statement_cache_size=0"
    process.terminate()
    process.wait(timeout=10)


def _wait_for_port(port: int) -> None:
    import socket

    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on {port}")


async def test_counties_stay_apart_through_transaction_pooling(bouncer):
    counties = [await county(slug) for slug in ("dangshan", "xiaoxian", "xiaoxian2")]
    for each in counties:
        for n in range(3):
            await person(each.slug, f"clerk{n}", ["staff"])
    settings = make_settings(database_url=bouncer)

    async def requests_of(county_id: int) -> set[int]:
        seen: set[int] = set()
        with db.county(county_id):
            for _ in range(30):
                seen |= {row["tenant"] for row in await User.select(User.tenant)}
                async with db.transaction():
                    seen |= {row["tenant"] for row in await User.select(User.tenant)}
                    role = await User.raw("SELECT current_user AS name")
                    assert role[0]["name"] == db.APP_ROLE
        return seen

    async with db.connected(settings):
        seen = await asyncio.gather(*(requests_of(each.id) for each in counties * 3))
        assert seen == [{each.id} for each in counties * 3]
        # Outside a county (workers): every row, as the application filter decides.
        assert {row["tenant"] for row in await User.select(User.tenant)} == {each.id for each in counties}
    # No session state was left on any server connection PgBouncer keeps.
    direct = await asyncpg.connect(bouncer.split("?")[0], statement_cache_size=0)
    try:
        for _ in range(SERVER_CONNECTIONS * 2):
            assert await direct.fetchval("SELECT current_user") == "postgres"
            assert await direct.fetchval("SELECT current_setting('portal.tenant', true)") in (None, "")
    finally:
        await direct.close()


async def test_the_app_answers_through_pgbouncer(bouncer):
    await county("dangshan")
    token = await api_token("dangshan", await person("dangshan", "admin", ["admin"]))
    async with portal(make_settings(database_url=bouncer)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        answers = await asyncio.gather(*(client.get("/api/v1/t/dangshan/staff", headers=headers) for _ in range(20)))
        assert {answer.status_code for answer in answers} == {200}
        started = await client.post("/api/v1/t/dangshan/jobs/substitution", headers=headers)
        assert started.status_code in (200, 201, 202), started.text
    assert await JobRecord.count() == 1
