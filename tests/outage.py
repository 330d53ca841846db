"""A backend that goes away and comes back: a TCP forwarder the test can cut and restore.

Cutting closes every forwarded connection (as a crashed or restarted server does) and refuses new
ones on the same port until ``restore()``; the real server is never touched. The forwarder runs
on a loop of its own, so code that connects synchronously (Piccolo asks the server's version from
another thread) reaches it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class Outage:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> Outage:
        threading.Thread(target=self._loop.run_forever, name="outage", daemon=True).start()
        self.restore()
        return self

    def __exit__(self, *_) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)

    def restore(self) -> None:
        self._run(self._listen())

    def cut(self) -> None:
        self._run(self._close())

    def _run(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _forward(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self._open.update((client_writer, server_writer))
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()
