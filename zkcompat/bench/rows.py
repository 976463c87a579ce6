"""The rows of ``make bench``: what each measures, in which unit, and the target it must reach.

A row belongs to one phase. *live* rows run against a server that stays up for all of them
(each measurement is a function of the settings and a running server); the *start* row starts
fresh servers; the *bulk* rows fill a server with a million znodes, then restart it. The
targets are the issue's (#6), as ratios zkcompat ÷ ZooKeeper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from zkcompat.bench.fanout import run_fanout
from zkcompat.bench.latency import run_latency
from zkcompat.bench.load import Workload, run_load
from zkcompat.bench.results import Metric
from zkcompat.bench.sessions import run_churn
from zkcompat.bench.settings import Settings
from zkcompat.bench.targets import BenchServer, host_port
from zkcompat.bench.wire import get_data, set_data
from zkcompat.bench.workers import OnProgress

LIVE, START, BULK = "live", "start", "bulk"

Measure = Callable[[Settings, BenchServer, OnProgress], dict[str, float]]


@dataclass(frozen=True)
class Row:
    name: str  # what --rows calls it
    phase: str
    metrics: tuple[Metric, ...]
    measure: Measure | None = None  # live rows only
    heading: str = ""  # when the first metric's label does not say what the row is
    counts: str = "replies"  # what its progress line counts

    @property
    def title(self) -> str:
        return self.heading or self.metrics[0].label


def _context(key: str, label: str) -> Metric:
    """Cores spent by something other than the server: context for the line above."""
    return Metric(key, label, "cores", False, detail=True, comparable=False)


def _throughput(
    name: str, label: str, kind: str, target: float | None, extra_processes: int = 0
) -> Row:
    rate = Metric(f"{name}.rate", label, "ops/s", True, target)
    cpu = Metric(f"{name}.server_cpu", "server CPU per request", "µs", False, detail=True)
    generator = _context(f"{name}.generator_cpu", "load generator CPU")
    others = _context(f"{name}.other_cpu", "CPU of everything else (noise)")

    def measure(settings: Settings, server: BenchServer, progress: OnProgress) -> dict[str, float]:
        result = run_load(
            *host_port(server),
            Workload(kind, size=settings.size),
            server_pid=server.pid,
            processes=settings.processes + extra_processes,
            connections=settings.connections,
            window=settings.window,
            seconds=settings.seconds,
            warmup=settings.warmup,
            on_progress=progress,
        )
        return {
            rate.key: result.rate,
            cpu.key: result.server_us_per_op,
            generator.key: result.generator_cores,
            others.key: result.other_cores,
        }

    return Row(name, LIVE, (rate, cpu, generator, others), measure)


def _churn_row() -> Row:
    rate = Metric("sessions.rate", "session connect+close", "/s", True, 1.0)
    cpu = Metric("sessions.server_cpu", "server CPU per session", "µs", False, detail=True)
    generator = _context("sessions.generator_cpu", "load generator CPU")
    others = _context("sessions.other_cpu", "CPU of everything else (noise)")

    def measure(settings: Settings, server: BenchServer, progress: OnProgress) -> dict[str, float]:
        result = run_churn(
            *host_port(server),
            server_pid=server.pid,
            processes=settings.processes,
            concurrency=settings.churn_concurrency,
            seconds=settings.seconds,
            warmup=settings.warmup,
            on_progress=progress,
        )
        return {
            rate.key: result.rate,
            cpu.key: result.cpu.server / max(result.sessions, 1) * 1e6,
            generator.key: result.generator_cores,
            others.key: result.other_cores,
        }

    return Row("sessions", LIVE, (rate, cpu, generator, others), measure, counts="sessions")


def _fanout_row() -> Row:
    time = Metric("fanout.ms", "watch fan-out, 1,000 watchers", "ms", False, 1.0)

    def measure(settings: Settings, server: BenchServer, progress: OnProgress) -> dict[str, float]:
        result = run_fanout(
            *host_port(server),
            sessions=settings.fanout_sessions,
            processes=settings.fanout_processes,
            repeats=settings.fanout_repeats,
            size=settings.size,
        )
        return {time.key: result.median * 1e3}

    return Row("fanout", LIVE, (time,), measure)


def _latency_row() -> Row:
    metrics = {
        (op, q): Metric(
            f"latency.{op}.p{q}",
            f"{op} latency p{q} at fixed rate",
            "ms",
            False,
            1.0 if q == 99 else None,
        )
        for op in ("getData", "setData")
        for q in (50, 99)
    }
    path = "/bench-latency"

    def measure(settings: Settings, server: BenchServer, progress: OnProgress) -> dict[str, float]:
        value = b"v" * settings.size
        values = {}
        for op, request in (("getData", get_data(path)), ("setData", set_data(path, value))):
            result = run_latency(
                *host_port(server),
                request,
                rate=settings.latency_rate,
                seconds=settings.latency_seconds,
                connections=settings.latency_connections,
                node=(path, value),
            )
            values[metrics[op, 50].key] = result.p50 * 1e3
            values[metrics[op, 99].key] = result.p99 * 1e3
        return values

    heading = "latency p50/p99 at a fixed rate"
    return Row("latency", LIVE, tuple(metrics.values()), measure, heading)


START_READY = Metric("start.seconds", "start-to-ready (empty)", "s", False, 0.25)
START_RSS = Metric("start.rss", "RSS of the empty server", "MB", False, detail=True)

RSS_PER_ZNODE = Metric("bulk.rss_per_znode", "RSS per znode, 1M znodes of 100 B", "B", False, 0.5)
HEAP_PER_ZNODE = Metric("bulk.heap_per_znode", "Java heap per znode", "B", False, detail=True)
BULK_CREATE = Metric(
    "bulk.create_rate", "sequential creates filling it", "ops/s", True, detail=True
)
RESTART_READY = Metric("restart.seconds", "restart-to-ready, 1M znodes", "s", False, 1.0)
RESTART_RSS = Metric(
    "restart.rss_per_znode", "RSS per znode after restart", "B", False, detail=True
)

ROWS: tuple[Row, ...] = (
    _throughput("get", "getData 100 B", "getData", 1.0),
    _throughput("exists", "exists", "exists", 1.0),
    _throughput("set", "setData 100 B (forceSync)", "setData", 1.0),
    _throughput("create", "create+delete 100 B (forceSync)", "create-delete", 1.0),
    _throughput("mix", "90/10 getData/setData mix", "mix", None),
    _throughput("gencheck", "getData, one more generator process", "getData", None, 1),
    _churn_row(),
    _fanout_row(),
    _latency_row(),
    Row("start", START, (START_READY, START_RSS)),
    Row("rss", BULK, (RSS_PER_ZNODE, HEAP_PER_ZNODE, BULK_CREATE)),
    Row("restart", BULK, (RESTART_READY, RESTART_RSS)),
)

ROW_NAMES = tuple(row.name for row in ROWS)


def select(names: list[str] | None) -> list[Row]:
    """The rows called ``names`` (all when None), in the table's order."""
    if names is None:
        return list(ROWS)
    unknown = set(names) - set(ROW_NAMES)
    if unknown:
        raise ValueError(f"unknown rows {sorted(unknown)}; the rows are {', '.join(ROW_NAMES)}")
    return [row for row in ROWS if row.name in names]
