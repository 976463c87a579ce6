"""A server holding a million znodes: what each one costs in memory.

Each server gets a fresh data directory, is started empty, and its RSS is read; then
``znodes`` znodes of 100 bytes are created over the wire (sequential creates under 1,000
parents, pipelined by :mod:`zkcompat.bench.load`), and its RSS is read again. The difference
divided by the znodes is the row. For ZooKeeper the Java heap in use after a full GC is read
too (``jcmd``), when the JDK tools are there: it tells heap from JVM overhead.

The data directory outlives the server, so the restart row (:mod:`zkcompat.bench.restart`)
starts each server again on the million znodes it wrote itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from zkcompat.bench import procstat
from zkcompat.bench.load import LoadResult, Workload, run_load
from zkcompat.bench.restart import START_TIMEOUT
from zkcompat.bench.targets import DEFAULT_HEAP, ZOOKEEPER, Target, host_port
from zkcompat.bench.workers import OnProgress

BULK_PATH = "/bench-bulk"

#: Seconds a server is left alone before its memory is read.
SETTLE = 2.0


@dataclass(frozen=True)
class Filled:
    """A server's memory before and after ``znodes`` creates (heap: ZooKeeper only)."""

    znodes: int
    load: LoadResult
    rss_empty: int
    rss_full: int
    heap_empty: int | None
    heap_full: int | None

    @property
    def rss_per_znode(self) -> float:
        return (self.rss_full - self.rss_empty) / self.znodes

    @property
    def heap_per_znode(self) -> float | None:
        if self.heap_empty is None or self.heap_full is None:
            return None
        return (self.heap_full - self.heap_empty) / self.znodes


def fill(
    target: Target,
    data_dir: Path,
    znodes: int,
    *,
    heap: str = DEFAULT_HEAP,
    processes: int = 2,
    connections: int = 16,
    window: int = 16,
    on_progress: OnProgress | None = None,
) -> Filled:
    """Start ``target`` on an empty ``data_dir``, create ``znodes`` znodes, measure, stop."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server = target.server(data_dir=data_dir, heap=heap, start_timeout=START_TIMEOUT)
    server.start()
    try:
        assert server.pid is not None
        java = target is ZOOKEEPER
        time.sleep(SETTLE)
        rss_empty = server.rss()
        heap_empty = procstat.java_heap_used(server.pid) if java else None
        load = run_load(
            *host_port(server),
            Workload("create-sequential", path=BULK_PATH),
            server_pid=server.pid,
            processes=processes,
            connections=connections,
            window=window,
            count=znodes,
            on_progress=on_progress,
        )
        time.sleep(SETTLE)
        rss_full = server.rss()
        heap_full = procstat.java_heap_used(server.pid) if java else None
        return Filled(znodes, load, rss_empty, rss_full, heap_empty, heap_full)
    finally:
        server.stop()
