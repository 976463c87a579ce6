"""Four-letter words: short text commands sent on the client port instead of a handshake.

The answers follow ZooKeeper 3.8's formats line for line, because monitoring scripts parse
them (``zkServer.sh status`` reads ``srvr``'s ``Mode:`` line). A known word that is not in
``4lw.commands.whitelist`` gets ZooKeeper's refusal text; ``srvr`` is always allowed, as in
ZooKeeper, which needs it for its own scripts.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable, Iterable
from typing import ClassVar, Protocol

from zkcompat.server import ZooKeeperServer

VERSION = "3.8.0-zkcompat-0.1.0, built on 2026-11-24 00:00 UTC"

#: Every word ZooKeeper 3.8 knows; zkcompat answers those in FourLetterWords.ANSWERS.
COMMANDS = frozenset(
    {
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst",
        "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash",
    }
)  # fmt: skip


class ConnectionStats(Protocol):
    packets_received: int
    packets_sent: int


class FourLetterWords:
    """Answers four-letter words from the server's live state."""

    def __init__(
        self,
        server: ZooKeeperServer,
        whitelist: Iterable[str],
        connections: Callable[[], Iterable[ConnectionStats]],
        config_lines: Iterable[str] = (),
    ) -> None:
        words = {w.strip() for w in whitelist if w.strip()}
        self.enabled = set(COMMANDS) if "*" in words else words & COMMANDS
        self.enabled.add("srvr")
        self.server = server
        self.connections = connections
        self.config_lines = list(config_lines)
        self._stats_base = (0, 0)

    def answer(self, word: str) -> str:
        if word not in self.enabled:
            return f"{word} is not executed because it is not in the whitelist.\n"
        handler = self.ANSWERS.get(word)
        if handler is None:
            return f"{word} is not implemented by zkcompat yet.\n"
        return handler(self)

    def _packets(self) -> tuple[int, int]:
        received = sum(c.packets_received for c in self.connections()) - self._stats_base[0]
        sent = sum(c.packets_sent for c in self.connections()) - self._stats_base[1]
        return max(received, 0), max(sent, 0)

    def _summary(self) -> str:
        received, sent = self._packets()
        tree = self.server.tree
        return (
            "Latency min/avg/max: 0/0.0/0\n"
            f"Received: {received}\n"
            f"Sent: {sent}\n"
            f"Connections: {len(list(self.connections()))}\n"
            "Outstanding: 0\n"
            f"Zxid: 0x{tree.last_processed_zxid:x}\n"
            "Mode: standalone\n"
            f"Node count: {tree.node_count()}\n"
        )

    def ruok(self) -> str:
        return "imok"

    def isro(self) -> str:
        return "rw"

    def srvr(self) -> str:
        return f"Zookeeper version: {VERSION}\n{self._summary()}"

    def stat(self) -> str:
        clients = "".join(
            f" /{getattr(c, 'remote', ('?', 0))[0]}:{getattr(c, 'remote', ('?', 0))[1]}"
            f"[1](queued=0,recved={c.packets_received},sent={c.packets_sent})\n"
            for c in self.connections()
        )
        return f"Zookeeper version: {VERSION}\nClients:\n{clients}\n{self._summary()}"

    def srst(self) -> str:
        received = sum(c.packets_received for c in self.connections())
        sent = sum(c.packets_sent for c in self.connections())
        self._stats_base = (received, sent)
        return "Server stats reset.\n"

    def crst(self) -> str:
        return "Connection stats have been reset.\n"

    def mntr(self) -> str:
        received, sent = self._packets()
        tree = self.server.tree
        summary = self.server.watches.summary()
        rows = [
            ("zk_version", VERSION),
            ("zk_server_state", "standalone"),
            ("zk_avg_latency", "0.0"),
            ("zk_max_latency", "0"),
            ("zk_min_latency", "0"),
            ("zk_packets_received", received),
            ("zk_packets_sent", sent),
            ("zk_num_alive_connections", len(list(self.connections()))),
            ("zk_outstanding_requests", 0),
            ("zk_znode_count", tree.node_count()),
            ("zk_watch_count", self.server.watches.watch_count()),
            ("zk_ephemerals_count", sum(len(tree.ephemerals(s)) for s in tree.sessions)),
            ("zk_approximate_data_size", tree.approximate_data_size()),
            ("zk_open_file_descriptor_count", _open_fds()),
            ("zk_global_sessions", len(self.server.sessions.sessions)),
            ("zk_watch_paths", summary.num_paths),
        ]
        return "".join(f"{key}\t{value}\n" for key, value in rows)

    def wchs(self) -> str:
        summary = self.server.watches.summary()
        return (
            f"{summary.num_connections} connections watching {summary.num_paths} paths\n"
            f"Total watches:{summary.total_watches}\n"
        )

    def conf(self) -> str:
        return "".join(f"{line}\n" for line in self.config_lines)

    def envi(self) -> str:
        rows = [
            ("zookeeper.version", VERSION),
            ("host.name", platform.node()),
            ("java.version", f"zkcompat on Python {platform.python_version()}"),
            ("os.name", platform.system()),
            ("os.arch", platform.machine()),
            ("user.dir", os.getcwd()),
            ("python.executable", sys.executable),
        ]
        return "Environment:\n" + "".join(f"{key}={value}\n" for key, value in rows)

    ANSWERS: ClassVar[dict[str, Callable[[FourLetterWords], str]]] = {
        "ruok": ruok,
        "isro": isro,
        "srvr": srvr,
        "stat": stat,
        "srst": srst,
        "crst": crst,
        "mntr": mntr,
        "wchs": wchs,
        "conf": conf,
        "envi": envi,
    }


def _open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0
