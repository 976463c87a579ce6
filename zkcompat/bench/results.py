"""Measurements, their medians and the zkcompat ÷ ZooKeeper ratio a target is judged by.

A :class:`Metric` is one line of the table: what is measured, in what unit, which way is
better, and the ratio the issue asks for. :class:`Results` collects every sample of every
metric for each server, in the order they were taken, so the JSON history keeps the spread
and not only the medians. Pure data and arithmetic: no I/O, no servers.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

SUBJECT = "zkcompat"
REFERENCE = "zookeeper"


@dataclass(frozen=True)
class Metric:
    """One line of the table. ``target`` is the ratio (zkcompat ÷ ZooKeeper) to reach: at
    least it when higher is better, at most it when lower is better. A ``detail`` line
    explains the line above it (the CPU behind a throughput, say) and has no target."""

    key: str
    label: str
    unit: str
    higher_is_better: bool = True
    target: float | None = None
    detail: bool = False
    comparable: bool = True  # False: a context figure (noise, the generator) with no ratio

    def met(self, ratio: float | None) -> bool | None:
        """Whether ``ratio`` reaches the target; None when there is no target or no ratio."""
        if self.target is None or ratio is None or math.isnan(ratio):
            return None
        return ratio >= self.target if self.higher_is_better else ratio <= self.target


def median(values: Iterable[float]) -> float | None:
    kept = [v for v in values if not math.isnan(v)]
    return statistics.median(kept) if kept else None


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest-rank method: a value that occurred."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ratio(subject: float | None, reference: float | None) -> float | None:
    """zkcompat ÷ ZooKeeper, or None when either is missing or the reference is zero."""
    if subject is None or reference is None or reference == 0:
        return None
    return subject / reference


@dataclass
class Results:
    """Every sample of every metric, per server, in the order of :attr:`metrics`."""

    metrics: list[Metric] = field(default_factory=list)
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def declare(self, metric: Metric) -> None:
        if metric.key not in self.samples:
            self.metrics.append(metric)
            self.samples[metric.key] = {SUBJECT: [], REFERENCE: []}

    def add(self, metric: Metric, server: str, value: float) -> None:
        self.declare(metric)
        self.samples[metric.key][server].append(value)

    def median(self, metric: Metric, server: str) -> float | None:
        return median(self.samples.get(metric.key, {}).get(server, []))

    def ratio(self, metric: Metric) -> float | None:
        if not metric.comparable:
            return None
        return ratio(self.median(metric, SUBJECT), self.median(metric, REFERENCE))

    def missed(self) -> list[Metric]:
        """The metrics with a target that the medians do not reach."""
        return [m for m in self.metrics if m.met(self.ratio(m)) is False]
