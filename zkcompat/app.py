"""Assembling and running a standalone server: config in, a listening server out.

This is the outermost ring: it picks the event loop (uvloop), installs signal handlers and owns
start-up and shutdown. Tests use :class:`StandaloneServer` directly, on port 0, in a thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal

import uvloop

from zkcompat.fourletter import FourLetterWords
from zkcompat.network import ClientPort
from zkcompat.server import ServerSettings, ZooKeeperServer
from zkcompat.storage.database import Database
from zkcompat.storage.purge import DatadirCleanup
from zkcompat.tls import ServerTls

log = logging.getLogger(__name__)


class StandaloneServer:
    """A ZooKeeperServer behind a client port, a secure client port, or both.

    ``port`` None means no plain client port. With ``tls`` the server also listens with TLS
    on ``secure_host`` (``host`` when None) and ``secure_port`` (0 picks a free one), and
    knows the x509 ACL scheme, as ZooKeeper does whenever a secure port is configured.
    """

    def __init__(
        self,
        settings: ServerSettings,
        *,
        host: str = "127.0.0.1",
        port: int | None = 2181,
        tls: ServerTls | None = None,
        secure_host: str | None = None,
        secure_port: int = 0,
        max_buffer: int = 0xFFFFF,
        max_client_cnxns: int = 60,
        four_letter_whitelist: tuple[str, ...] = ("srvr",),
        config_lines: tuple[str, ...] = (),
        data_dir: str | None = None,
        data_log_dir: str | None = None,
        database: Database | None = None,
        autopurge: DatadirCleanup | None = None,
    ) -> None:
        if tls is not None and "x509" not in settings.auth_providers:
            settings = dataclasses.replace(
                settings, auth_providers=tls.with_provider(settings.auth_providers)
            )
        self.server = ZooKeeperServer(settings, database=database)
        self.host = host
        self.requested_port = port
        words = FourLetterWords(
            self.server,
            four_letter_whitelist,
            lambda: self.client_port.connections,
            config_lines,
            data_dir=data_dir,
            data_log_dir=data_log_dir,
        )
        self.client_port = ClientPort(
            self.server, max_buffer=max_buffer, max_per_ip=max_client_cnxns, words=words
        )
        self.port = 0
        self.tls = tls
        self.secure_host = secure_host or host
        self.requested_secure_port = secure_port
        self.secure_port = 0
        self._reaper: asyncio.Task[None]
        self._max_client_cnxns = max_client_cnxns
        self._data_dirs = (data_dir, data_log_dir or data_dir)
        self.autopurge = autopurge  # autopurge.*: started and stopped with the server
        self.stopping = asyncio.Event()  # set by a signal, or by a failure it cannot survive
        self.fatal: BaseException | None = None
        self.server.committer.on_failure = self._txn_log_failed

    async def start(self) -> int:
        """Listen and serve; return the plain client port (0 when there is none)."""
        if self.requested_port is not None:
            self.port = await self.client_port.start(self.host, self.requested_port)
        if self.tls is not None:
            self.secure_port = await self.client_port.start_secure(
                self.secure_host, self.requested_secure_port, self.tls
            )
        words = self.client_port.words
        if not words.config_lines:  # not from a zoo.cfg: conf reports what this server runs
            words.config_lines = self._conf_lines()
        self._reaper = asyncio.create_task(self._reap())
        if self.server.database is not None:
            self.server.database.serving(self.server.tree)
        if self.autopurge is not None:
            self.autopurge.start()
        return self.port

    def _conf_lines(self) -> list[str]:
        """conf's lines in ZooKeeper's order (a server with no data directory shows none)."""
        settings = self.server.settings
        data_dir, log_dir = (os.path.join(d, "version-2") if d else "" for d in self._data_dirs)
        return [
            f"clientPort={self.port}",
            f"secureClientPort={self.secure_port if self.tls is not None else -1}",
            f"dataDir={data_dir}",
            f"dataLogDir={log_dir}",
            f"tickTime={settings.tick_time}",
            f"maxClientCnxns={self._max_client_cnxns}",
            f"minSessionTimeout={settings.min_session_timeout}",
            f"maxSessionTimeout={settings.max_session_timeout}",
            "clientPortListenBacklog=-1",
            "serverId=0",
        ]

    def _txn_log_failed(self, error: BaseException) -> None:
        """A write can no longer be made durable: stop serving at all, as ZooKeeper does
        (its sync thread's error sets the server's state to ERROR, which shuts it down)."""
        log.error("Severe unrecoverable error: the txn log failed (%s); shutting down", error)
        self.fatal = error
        self.stopping.set()

    async def _reap(self) -> None:
        interval = self.server.settings.container_check_interval_ms / 1000
        while True:
            await asyncio.sleep(interval)
            self.server.reap()

    async def stop(self) -> None:
        """Stop taking requests, then let the txn log finish what it was syncing."""
        self._reaper.cancel()
        if self.autopurge is not None:
            await self.autopurge.shutdown()
        await self.client_port.stop()
        self.server.committer.close()
        if self.server.database is not None:
            await self.server.database.close()


async def serve_forever(server: StandaloneServer) -> int:
    """Serve until SIGTERM or SIGINT, or until the txn log fails, then close every connection.
    Returns the process's exit status: 0 after a signal, 1 after a failure. (ZooKeeper exits
    with 0 even then, logging "Exiting normally"; a supervisor should see that it failed.)"""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, server.stopping.set)
    await server.start()
    await server.stopping.wait()
    log.info("shutting down")
    await server.stop()
    return 0 if server.fatal is None else 1


def run(server: StandaloneServer) -> int:
    """Serve on uvloop until stopped; the exit status (see :func:`serve_forever`)."""
    return uvloop.run(serve_forever(server))
