"""Real worker processes (``portal worker``) for the tests that kill one."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from contextlib import asynccontextmanager

from app.settings import PROJECT_ROOT
from tests.conftest import REDIS_URL, database_url


@asynccontextmanager
async def worker_process():
    """A worker of the test database and Redis; killed (SIGKILL) when the block ends if still alive."""
    env = {
        **os.environ,
        "PORTAL_MODE": "test",
        "SECRET_KEY": "worker-test-" + "w" * 32,
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "worker",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        await kill(process)


async def kill(process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), timeout=10)


async def until(condition, seconds: float, what: str) -> None:
    """Wait until ``await condition()`` is true; fail saying ``what`` never happened."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.02)
