"""Runs the selected rows against both servers, alternating them, into one :class:`Results`.

Every measurement is taken as an A/B pair, zkcompat then ZooKeeper, round after round, so that
whatever else loads this shared machine falls on both alike; a row's figure is the median of
its rounds. Three phases, each with its own servers:

* start: a fresh server per measurement, on an empty data directory;
* live: one server of each kind for all live rows, warmed up first (ZooKeeper's JIT compiles
  its hot paths in the first seconds), restarted if it dies;
* bulk: a fresh server per kind filled with ``bulk_znodes`` znodes, then restarted on that
  data directory once per round.

A row whose measurement fails (a wrong reply, a stall) is noted and skipped for that server:
a wrong reply is a bug to fix, not a number to print.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from conformance.zookeeper import ZooKeeperUnavailable
from zkcompat.bench import bulk, profile
from zkcompat.bench.load import Workload, run_load
from zkcompat.bench.progress import Progress
from zkcompat.bench.restart import restart_to_ready
from zkcompat.bench.results import Results
from zkcompat.bench.rows import (
    BULK,
    BULK_CREATE,
    HEAP_PER_ZNODE,
    LIVE,
    RESTART_READY,
    RESTART_RSS,
    RSS_PER_ZNODE,
    START,
    START_READY,
    START_RSS,
    Row,
)
from zkcompat.bench.settings import Settings
from zkcompat.bench.targets import TARGETS, ZKCOMPAT, BenchServer, Target, host_port
from zkcompat.bench.wire import BenchError
from zkcompat.bench.workers import OnProgress

log = logging.getLogger(__name__)

#: What a measurement may raise that is the server's fault, not the harness's.
SERVER_FAULTS = (BenchError, ZooKeeperUnavailable, ConnectionError, TimeoutError)


def count_steps(rows: list[Row], settings: Settings) -> int:
    """How many progress steps a run of ``rows`` takes."""
    pairs = settings.rounds * len(TARGETS)
    live = [row for row in rows if row.phase == LIVE]
    steps = len(live) * pairs + (2 * len(TARGETS) if live else 0)
    steps += len(live) if settings.profile else 0
    steps += pairs if any(row.phase == START for row in rows) else 0
    if any(row.phase == BULK for row in rows):
        steps += len(TARGETS) + (pairs if any(row.name == "restart" for row in rows) else 0)
    return steps


class Suite:
    def __init__(
        self, rows: list[Row], settings: Settings, progress: Progress, out_dir: Path
    ) -> None:
        self.rows = rows
        self.settings = settings
        self.progress = progress
        self.out_dir = out_dir
        self.results = Results()
        self.profiles: dict[str, str] = {}

    def run(self) -> Results:
        for row in self.rows:
            for metric in row.metrics:
                self.results.declare(metric)
        phases = {row.phase for row in self.rows}
        if START in phases:
            self._start_phase()
        if LIVE in phases:
            self._live_phase([row for row in self.rows if row.phase == LIVE])
        if BULK in phases:
            self._bulk_phase(restart=any(row.name == "restart" for row in self.rows))
        return self.results

    def _failed(self, what: str, target: Target, error: BaseException) -> None:
        message = f"{what} failed on {target.label}: {type(error).__name__}: {error}"
        log.error("%s", message)
        self.results.notes.append(message.splitlines()[0])

    def _counting(self, unit: str) -> OnProgress:
        return lambda count, _elapsed: self.progress.update(f"{count:,} {unit}")

    def _rounds(self):
        for round_ in range(1, self.settings.rounds + 1):
            for target in TARGETS:
                yield round_, target

    # start ---------------------------------------------------------------------------------

    def _start_phase(self) -> None:
        for round_, target in self._rounds():
            self.progress.step(f"start-to-ready · round {round_} · {target.label}")
            server = target.server(heap=self.settings.heap)
            try:
                server.start()
                self.results.add(START_READY, target.name, server.start_seconds)
                time.sleep(1.0)
                self.results.add(START_RSS, target.name, server.rss() / 1e6)
            except SERVER_FAULTS as error:
                self._failed("start-to-ready", target, error)
            finally:
                server.stop()

    # live ----------------------------------------------------------------------------------

    def _live_phase(self, rows: list[Row]) -> None:
        servers: dict[str, BenchServer] = {}
        try:
            for target in TARGETS:
                self.progress.step(f"starting {target.label}")
                servers[target.name] = self._started(target)
            for target in TARGETS:
                self.progress.step(f"warming up {target.label}")
                self._warm_up(servers[target.name])
            for row in rows:
                self._live_row(row, servers)
                if self.settings.profile:
                    self._profile(row, servers)
        finally:
            for server in servers.values():
                server.stop()

    def _started(self, target: Target) -> BenchServer:
        server = target.server(heap=self.settings.heap)
        server.start()
        return server

    def _warm_up(self, server: BenchServer) -> None:
        if self.settings.server_warmup > 0:
            run_load(
                *host_port(server),
                Workload("mix", size=self.settings.size),
                server_pid=server.pid,
                seconds=self.settings.server_warmup,
                warmup=0.0,
                on_progress=self._counting("replies"),
            )

    def _live_row(self, row: Row, servers: dict[str, BenchServer]) -> None:
        assert row.measure is not None
        failed: set[str] = set()
        for round_, target in self._rounds():
            if target.name in failed:
                continue
            self.progress.step(f"{row.title} · round {round_} · {target.label}")
            server = servers[target.name]
            if not server.alive():
                self.results.notes.append(f"{target.label} had died; restarted for {row.name}")
                server.stop()
                server = servers[target.name] = self._started(target)
            try:
                values = row.measure(self.settings, server, self._counting(row.counts))
            except SERVER_FAULTS as error:
                self._failed(row.title, target, error)
                failed.add(target.name)
                continue
            for metric in row.metrics:
                self.results.add(metric, target.name, values[metric.key])

    def _profile(self, row: Row, servers: dict[str, BenchServer]) -> None:
        """One more, untimed run of ``row`` on zkcompat with py-spy attached."""
        assert row.measure is not None
        server = servers[ZKCOMPAT.name]
        self.progress.step(f"{row.title} · profiling zkcompat")
        raw = self.out_dir / f"profile-{row.name}.raw"
        seconds = self.settings.warmup + self.settings.seconds
        assert server.pid is not None
        recording = profile.start_recording(server.pid, seconds, raw)
        if recording is None:
            return
        try:
            row.measure(self.settings, server, self._counting(row.counts))
        except SERVER_FAULTS as error:
            self._failed(f"{row.title} (profiled)", ZKCOMPAT, error)
        summary = profile.finish_recording(recording, raw)
        if summary is not None:
            self.profiles[row.name] = summary

    # bulk ----------------------------------------------------------------------------------

    def _bulk_phase(self, restart: bool) -> None:
        settings = self.settings
        base = Path(tempfile.mkdtemp(prefix="zkbench-bulk-"))
        empty_rss: dict[str, int] = {}
        try:
            for target in TARGETS:
                self.progress.step(f"filling {target.label} with {settings.bulk_znodes:,} znodes")
                try:
                    filled = bulk.fill(
                        target,
                        base / target.name,
                        settings.bulk_znodes,
                        heap=settings.heap,
                        processes=settings.processes,
                        connections=settings.connections,
                        window=settings.window,
                        on_progress=self._counting(f"of {settings.bulk_znodes:,} znodes"),
                    )
                except SERVER_FAULTS as error:
                    self._failed("filling with znodes", target, error)
                    continue
                empty_rss[target.name] = filled.rss_empty
                self.results.add(RSS_PER_ZNODE, target.name, filled.rss_per_znode)
                if filled.heap_per_znode is not None:
                    self.results.add(HEAP_PER_ZNODE, target.name, filled.heap_per_znode)
                self.results.add(BULK_CREATE, target.name, filled.load.rate)
            if not restart:
                return
            for round_, target in self._rounds():
                if target.name not in empty_rss:
                    continue
                size = f"{settings.bulk_znodes:,} znodes"
                self.progress.step(f"restart with {size} · round {round_} · {target.label}")
                try:
                    again = restart_to_ready(target, base / target.name, settings.heap)
                except SERVER_FAULTS as error:
                    self._failed("restart-to-ready", target, error)
                    continue
                self.results.add(RESTART_READY, target.name, again.seconds)
                per_znode = (again.rss - empty_rss[target.name]) / settings.bulk_znodes
                self.results.add(RESTART_RSS, target.name, per_znode)
        finally:
            shutil.rmtree(base, ignore_errors=True)
