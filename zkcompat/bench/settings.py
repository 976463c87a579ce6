"""How hard and how long ``make bench`` pushes: one frozen record, the full run's and the quick.

The full defaults keep ``make bench`` near a quarter of an hour on a two-core machine, the
million-znode rows taking the most. ``--quick`` is for trying the harness out: every row,
short and small, one round; its figures are not worth comparing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Settings:
    rounds: int = 3  # A/B alternations per row: zkcompat, ZooKeeper, zkcompat, ...
    seconds: float = 5.0  # measured time of a throughput or churn run
    warmup: float = 1.5  # load before the measured time of each run
    server_warmup: float = 5.0  # untimed load on each fresh live server: the JIT's turn
    processes: int = 2  # load generator processes
    connections: int = 16  # sessions per process: 32 in all, as the figures
    window: int = 16  # requests in flight per session
    size: int = 100  # bytes of every value written
    churn_concurrency: int = 8  # connect+close loops per process
    fanout_sessions: int = 1000
    fanout_processes: int = 2
    fanout_repeats: int = 5  # writes per round; the round's figure is their median
    latency_rate: float = 2000.0  # requests per second, far below saturation
    latency_seconds: float = 5.0
    latency_connections: int = 4
    bulk_znodes: int = 1_000_000
    heap: str = "2g"  # ZooKeeper's -Xmx
    profile: bool = False  # py-spy on zkcompat, one extra untimed run per live row


FULL = Settings()

QUICK = replace(
    FULL,
    rounds=1,
    seconds=1.0,
    warmup=0.5,
    server_warmup=1.0,
    fanout_repeats=3,
    latency_seconds=1.0,
    bulk_znodes=20_000,
)
