"""A real zkcompat server for tests: in-process, on an ephemeral loopback port, in a thread.

The server runs on its own uvloop event loop in a daemon thread, so tests drive it with the
stock, blocking kazoo client exactly as a user would, over real TCP.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvloop

from zkcompat.app import StandaloneServer
from zkcompat.server import ServerSettings


class RunningServer:
    def __init__(self, server: StandaloneServer) -> None:
        self.server = server
        self.loop = uvloop.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def start(self) -> None:
        self._thread.start()
        self.call(self.server.start())

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def stop(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@contextmanager
def running_server(
    settings: ServerSettings | None = None, **options: Any
) -> Iterator[RunningServer]:
    server = StandaloneServer(settings or ServerSettings(), port=0, **options)
    running = RunningServer(server)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def four_letter(port: int, word: str) -> str:
    """Send a four-letter word and read the whole answer, as `nc` would."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(word.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()
