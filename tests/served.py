"""The portal served over a real socket from a thread of the test process, with its own event loop.

For tools that speak HTTP synchronously from the test's own thread (schemathesis), where the
in-loop client of ``tests.helpers.portal`` cannot be used: the app, its database pool and the
seeding coroutine all run on the server's loop; the test only sends requests.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from app.asgi import create_app
from app.settings import Settings
from tests.conftest import empty_database


class Served:
    """The running portal: its address, what ``seed()`` returned, and how many requests it got."""

    def __init__(self, base_url: str, seeded: Any) -> None:
        self.base_url = base_url
        self.seeded = seeded
        self.requests = 0


@contextmanager
def served(settings: Settings, seed: Callable[[], Awaitable[Any]]) -> Iterator[Served]:
    """The portal answering on 127.0.0.1 (a free port) while the block runs.

    The database is emptied and ``seed`` runs on the server's loop before the first request.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app = create_app(settings)
    counted: list[Served] = []

    async def counting(scope, receive, send) -> None:
        if scope["type"] == "http" and counted:
            counted[0].requests += 1
        await app(scope, receive, send)

    server = uvicorn.Server(uvicorn.Config(counting, lifespan="off", log_level="warning"))
    ready = threading.Event()
    outcome: dict[str, Any] = {}

    async def run() -> None:
        async with app.lifespan():
            try:
                await empty_database()
                outcome["seeded"] = await seed()
            except BaseException as exc:
                outcome["error"] = exc
                ready.set()
                raise
            ready.set()
            await server.serve(sockets=[listener])

    thread = threading.Thread(target=asyncio.run, args=(run(),), name="served-portal", daemon=True)
    thread.start()
    try:
        ready.wait()
        if "error" in outcome:
            raise RuntimeError("seeding the served portal failed") from outcome["error"]
        while not server.started and thread.is_alive():
            threading.Event().wait(0.01)
        counted.append(Served(f"http://127.0.0.1:{port}", outcome["seeded"]))
        yield counted[0]
    finally:
        server.should_exit = True
        thread.join()
        listener.close()
