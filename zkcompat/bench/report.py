"""The bench's two outputs: a table of medians and ratios for people, a JSON file for history.

The table says, per line, both servers' medians, the ratio zkcompat ÷ ZooKeeper and whether
the target is met; the JSON keeps every sample, so a later reader can see the spread behind a
median and compare runs. Formatting only: the numbers come from :mod:`zkcompat.bench.results`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from zkcompat.bench.results import REFERENCE, SUBJECT, Metric, Results

FORMAT_VERSION = 1


def format_value(value: float | None) -> str:
    """A number with as many digits as a noisy measurement deserves."""
    if value is None or math.isnan(value):
        return "-"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def format_target(metric: Metric) -> str:
    if metric.target is None:
        return ""
    return f"{'≥' if metric.higher_is_better else '≤'} {metric.target:g}"


def format_status(met: bool | None) -> str:
    return {True: "ok", False: "MISS", None: ""}[met]


def table(results: Results, title: str = "") -> str:
    """The medians of every metric, one line each, details indented under their row."""
    header = f"{'':42} {'unit':7} {'zkcompat':>11} {'ZooKeeper':>11} {'ratio':>7}  {'target':7} "
    lines = [title, header.rstrip(), "-" * len(header)] if title else [header.rstrip()]
    for metric in results.metrics:
        label = ("  " + metric.label) if metric.detail else metric.label
        ratio = results.ratio(metric)
        lines.append(
            f"{label[:42]:42} {metric.unit:7} "
            f"{format_value(results.median(metric, SUBJECT)):>11} "
            f"{format_value(results.median(metric, REFERENCE)):>11} "
            f"{format_value(ratio):>7}  {format_target(metric):7} "
            f"{format_status(metric.met(ratio))}".rstrip()
        )
    lines.extend(f"note: {note}" for note in results.notes)
    return "\n".join(lines)


def to_json(results: Results, about: dict[str, Any]) -> dict[str, Any]:
    """Everything a later run needs to compare against this one."""
    metrics = []
    for metric in results.metrics:
        ratio = results.ratio(metric)
        metrics.append(
            {
                "key": metric.key,
                "label": metric.label,
                "unit": metric.unit,
                "higher_is_better": metric.higher_is_better,
                "target": metric.target,
                "detail": metric.detail,
                "samples": {
                    server: [None if math.isnan(v) else v for v in values]
                    for server, values in results.samples[metric.key].items()
                },
                "median": {
                    SUBJECT: results.median(metric, SUBJECT),
                    REFERENCE: results.median(metric, REFERENCE),
                },
                "ratio": ratio,
                "met": metric.met(ratio),
            }
        )
    return {"format": FORMAT_VERSION, **about, "metrics": metrics, "notes": results.notes}


def write_json(document: dict[str, Any], directory: Path, stamp: str) -> Path:
    """``directory/<stamp>.json``, and the same as ``latest.json``; the first path."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, allow_nan=False, default=_jsonable) + "\n"
    path = directory / f"{stamp}.json"
    path.write_text(text)
    (directory / "latest.json").write_text(text)
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def generator_note(results: Results, processes: int) -> str | None:
    """Whether the load generator limited the getData figures, from two signs: the CPU its
    ``processes`` spent (a process well below one core was waiting for the server), and
    whether one more process raised the figure by more than the rounds' own spread."""
    by_key = {metric.key: metric for metric in results.metrics}
    base, more = by_key.get("get.rate"), by_key.get("gencheck.rate")
    cpu = by_key.get("get.generator_cpu")
    if base is None or more is None:
        return None
    parts = []
    limited = False
    for server, label in ((SUBJECT, "zkcompat"), (REFERENCE, "ZooKeeper")):
        before, after = results.median(base, server), results.median(more, server)
        if not before or after is None:
            continue
        samples = [v for v in results.samples[base.key][server] if not math.isnan(v)]
        spread = (max(samples) - min(samples)) / 2 / before
        change = after / before - 1
        limited |= change > max(0.10, spread)
        cores = results.median(cpu, server) if cpu is not None else None
        used = f", generator {format_value(cores)} cores of {processes}" if cores else ""
        parts.append(
            f"{label} {format_value(before)} → {format_value(after)} "
            f"({change:+.0%}; rounds spread ±{spread:.0%}{used})"
        )
    if not parts:
        return None
    verdict = (
        "the generator may be the limit: rerun with --processes one higher"
        if limited
        else "no gain beyond the noise, so the generator is not the limit"
    )
    return f"getData with one more generator process: {'; '.join(parts)}: {verdict}"
