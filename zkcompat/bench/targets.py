"""The servers under test: zkcompat and Apache ZooKeeper 3.8, started with equivalent settings.

Both are started the way the conformance suite starts them (``conformance.zookeeper``: a temp
directory, one ``zoo.cfg``, a free loopback port, stopped by PID), from the same ``zoo.cfg``
text, so they run with the same tickTime, forceSync, connection limits and snapCount. Two
things differ from the suite: readiness is the first session established by raw-socket probes
opened every few milliseconds (:mod:`zkcompat.bench.ready`; the suite's kazoo probe waits
up to two seconds on a ConnectRequest that ZooKeeper leaves unanswered while it starts), and
the time from spawning the process to that session is recorded.

Only ``_wait_until_serving`` of the suite's classes is replaced: that hook is the one coupling.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conformance.zookeeper import ApacheZooKeeper, ZkcompatServer, ZooKeeperUnavailable
from zkcompat.bench import procstat
from zkcompat.bench.ready import wait_for_session

log = logging.getLogger(__name__)

#: zoo.cfg lines both servers get on top of the suite's (tickTime 2000, loopback port, ...).
#: maxClientCnxns=0: the fan-out row opens 1,000 sessions from one address.
BENCH_CONFIG = {"tickTime": "2000", "forceSync": "yes", "maxClientCnxns": "0"}

#: ZooKeeper's heap: room for 1,000,000 znodes with garbage to spare.
DEFAULT_HEAP = "2g"


class BenchServer(ApacheZooKeeper):
    """Apache ZooKeeper for the bench. Ready means "a new session was established"; the spawn
    and ready instants are kept, so start-to-ready is exact to a probe interval."""

    directory_prefix = "zkbench-zookeeper-"
    spawned_at: float = 0.0
    ready_at: float = 0.0

    def start(self) -> BenchServer:
        self.spawned_at = time.monotonic()
        super().start()
        return self

    def _wait_until_serving(self) -> None:
        assert self._process is not None and self.port is not None
        try:
            self.ready_at = wait_for_session(
                "127.0.0.1", self.port, self.start_timeout, still_starting=self.alive
            )
        except (TimeoutError, RuntimeError) as error:
            raise ZooKeeperUnavailable(f"{error}:\n{self.log_tail()}") from None

    @property
    def start_seconds(self) -> float:
        """Seconds from spawning the process to the first session."""
        return self.ready_at - self.spawned_at

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self._process is not None and self._process.poll() is None

    def rss(self) -> int:
        assert self.pid is not None
        return procstat.rss_bytes(self.pid)


class BenchZkcompat(BenchServer, ZkcompatServer):
    """zkcompat for the bench: ``python -m zkcompat serve zoo.cfg``, ready the same way."""

    directory_prefix = "zkbench-zkcompat-"


@dataclass(frozen=True)
class Target:
    """One of the two servers: a name for tables and files, and how to make an instance."""

    name: str
    label: str
    make: Callable[..., BenchServer]

    def server(
        self, data_dir: Path | None = None, heap: str = DEFAULT_HEAP, start_timeout: float = 120
    ) -> BenchServer:
        """An unstarted server with the bench settings, on ``data_dir`` if given (kept when
        the server stops) or on a fresh one inside its temp directory."""
        return self.make(
            config=BENCH_CONFIG, data_dir=data_dir, max_heap=heap, start_timeout=start_timeout
        )


ZKCOMPAT = Target("zkcompat", "zkcompat", BenchZkcompat)
ZOOKEEPER = Target("zookeeper", "ZooKeeper", BenchServer)

#: The order of every A/B alternation: the subject first, then the reference.
TARGETS = (ZKCOMPAT, ZOOKEEPER)


def host_port(server: BenchServer) -> tuple[str, int]:
    assert server.port is not None
    return "127.0.0.1", server.port
