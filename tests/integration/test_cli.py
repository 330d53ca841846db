"""The ``portal`` command as an operator runs it: real processes, real database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.settings import PROJECT_ROOT
from tests.conftest import REDIS_URL, database_url

pytestmark = pytest.mark.usefixtures("clean_db")


def portal(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "PORTAL_MODE": "test",
        "SECRET_KEY": "cli-test-" + "k" * 32,
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT_ROOT,
        timeout=60,
    )


def test_tenant_diff_then_load_then_load_again():
    diff = portal("tenant", "diff", "tenants/dangshan.toml")
    assert diff.returncode == 0, diff.stderr
    assert "+ tenant dangshan" in diff.stdout and "would change" in diff.stdout
    loaded = portal("tenant", "load", "tenants/dangshan.toml")
    assert loaded.returncode == 0 and "+ user wangxiaolei" in loaded.stdout
    again = portal("tenant", "load", "tenants/dangshan.toml")
    assert again.returncode == 0 and again.stdout.strip() == "dangshan: no changes"


def test_token_create_prints_the_token_alone_on_the_last_line():
    portal("tenant", "load", "tenants/dangshan.toml")
    created = portal("token", "create", "--tenant", "dangshan", "--user", "admin")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("cp_") and " " not in token and len(token) > 30


def test_user_add_with_password_from_stdin_and_a_superadmin():
    portal("tenant", "load", "tenants/dangshan.toml")
    added = portal(
        "user",
        "add",
        "--tenant",
        "dangshan",
        "--username",
        "newclerk",
        "--name",
        "新同事",
        "--role",
        "staff",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "password" not in added.stdout
    root = portal("user", "add", "--superadmin", "--username", "root", "--name", "运维")
    assert root.returncode == 0 and "password: " in root.stdout


def test_regions_load_then_an_inspector_and_their_token():
    for county_file in ("tenants/dangshan.toml", "tenants/xiaoxian.toml"):
        assert portal("tenant", "load", county_file).returncode == 0
    diff = portal("tenant", "diff", "tenants/regions.toml")
    assert diff.returncode == 0, diff.stderr
    assert "+ region suzhou" in diff.stdout and "would change" in diff.stdout
    loaded = portal("tenant", "load", "tenants/regions.toml")
    assert loaded.returncode == 0 and "regions.toml: 1 change(s) changed" in loaded.stdout
    again = portal("tenant", "load", "tenants/regions.toml")
    assert again.stdout.strip() == "regions.toml: no changes"
    added = portal(
        "user", "add", "--region", "suzhou", "--role", "inspector", "--username", "duchao", "--name", "督查员"
    )
    assert added.returncode == 0, added.stderr
    assert "password: " in added.stdout
    created = portal("token", "create", "--region", "suzhou", "--user", "duchao")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("cpr_") and " " not in token


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (("tenant", "load", "tenants/nope.toml"), {}, "cannot read tenants/nope.toml"),
        (("token", "create", "--tenant", "nowhere", "--user", "x"), {}, "no county with code nowhere"),
        (("token", "create", "--region", "nowhere", "--user", "x"), {}, "no region with the code nowhere"),
        (("token", "create", "--tenant", "a", "--region", "b", "--user", "x"), {}, "one of --tenant or --region"),
        (
            ("user", "add", "--region", "suzhou", "--username", "u1", "--name", "甲", "--role", "admin"),
            {},
            "--role inspector",
        ),
        (("migrate",), {"PORTAL_MODE": "production", "SECRET_KEY": ""}, "SECRET_KEY"),
        (("migrate",), {"DATABASE_URL": "mysql://localhost/x"}, "DATABASE_URL"),
        (
            ("user", "add", "--tenant", "dangshan", "--username", "u1", "--name", "甲", "--role", "king"),
            {},
            "unknown role(s): king",
        ),
    ],
)
def test_errors_are_one_clear_line_never_a_traceback(args, env, says):
    result = portal(*args, **env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("portal: error: ") and says in lines[0]
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_too():
    result = portal("tenant", "diff", "tenants/dangshan.toml", DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "portal: error: cannot connect to the database or Redis: [Errno 111] Connect call failed ('127.0.0.1', 1)"
    ]
