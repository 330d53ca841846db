"""A real server process and Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.async_api import async_playwright

from app.settings import PROJECT_ROOT
from tests.conftest import REDIS_URL, database_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(database, tmp_path_factory):
    port = _free_port()
    # The server's log goes to a file: a pipe nobody reads fills up (64 KB of access log) and
    # then blocks the server in the middle of a later test.
    log_path = tmp_path_factory.mktemp("live_server") / "serve.log"
    log = log_path.open("w")
    env = {
        **os.environ,
        "PORTAL_MODE": "test",
        "SECRET_KEY": secrets.token_urlsafe(32),  # a strong one: the admin dashboard's check says OK
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"portal serve exited: {log_path.read_text()[-4000:]}")
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("portal serve did not answer /healthz within 30 s")
    yield url
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        pytest.fail(f"portal serve did not stop within 10 s of SIGTERM: {log_path.read_text()[-4000:]}")
    finally:
        log.close()


@pytest.fixture(scope="session")
def chromium() -> str:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: ops/test.sh installs Debian's chromium")
    return CHROMIUM


@pytest.fixture
async def browser_page(chromium):
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = await browser.new_page()
        yield page
        await browser.close()
