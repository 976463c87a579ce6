"""Assembling and running a standalone server: config in, a listening server out.

This is the outermost ring: it picks the event loop (uvloop), installs signal handlers and owns
start-up and shutdown. Tests use :class:`StandaloneServer` directly, on port 0, in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import signal

import uvloop

from zkcompat.fourletter import FourLetterWords
from zkcompat.network import ClientPort
from zkcompat.server import ServerSettings, ZooKeeperServer

log = logging.getLogger(__name__)


class StandaloneServer:
    """A ZooKeeperServer behind a client port."""

    def __init__(
        self,
        settings: ServerSettings,
        *,
        host: str = "127.0.0.1",
        port: int = 2181,
        max_buffer: int = 0xFFFFF,
        max_client_cnxns: int = 60,
        four_letter_whitelist: tuple[str, ...] = ("srvr",),
        config_lines: tuple[str, ...] = (),
    ) -> None:
        self.server = ZooKeeperServer(settings)
        self.host = host
        self.requested_port = port
        words = FourLetterWords(
            self.server, four_letter_whitelist, lambda: self.client_port.connections, config_lines
        )
        self.client_port = ClientPort(
            self.server, max_buffer=max_buffer, max_per_ip=max_client_cnxns, words=words
        )
        self.port = 0
        self._reaper: asyncio.Task[None]

    async def start(self) -> int:
        self.port = await self.client_port.start(self.host, self.requested_port)
        self._reaper = asyncio.create_task(self._reap())
        return self.port

    async def _reap(self) -> None:
        interval = self.server.settings.container_check_interval_ms / 1000
        while True:
            await asyncio.sleep(interval)
            self.server.reap()

    async def stop(self) -> None:
        self._reaper.cancel()
        await self.client_port.stop()


async def serve_forever(server: StandaloneServer) -> None:
    """Serve until SIGTERM or SIGINT, then close every connection and return."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    await stop.wait()
    log.info("shutting down")
    await server.stop()


def run(server: StandaloneServer) -> None:
    uvloop.run(serve_forever(server))
