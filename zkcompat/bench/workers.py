"""Load-generator processes started together, released together and timed together.

A Python client needs several processes to keep a server busy. This module owns the dance
between the parent and those processes, whatever they send: each worker sets itself up (opens
its sessions), says it is ready, and gets one :class:`Window`, the same for all: when to start
sending, when the measured interval starts (after a warm-up) and when it stops. The parent
samples the server's, the generators' and the machine's CPU at the window's edges, and counts
progress through a shared array that the workers bump as replies arrive.

Workers are spawned, not forked: the parent may run threads (a test's in-process server, for
one), and a fork copies none of them but all of their locks.
"""

from __future__ import annotations

import math
import multiprocessing
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from zkcompat.bench.procstat import CpuSample
from zkcompat.bench.wire import BenchError

_READY = "ready"

#: Progress callback: (replies so far, seconds since the window began).
OnProgress = Callable[[int, float], None]


@dataclass(frozen=True)
class Window:
    """Monotonic instants shared by every worker (CLOCK_MONOTONIC is system-wide)."""

    begin: float
    start: float
    stop: float  # math.inf for a run that ends when its work is done


class Gate:
    """A worker's end of the dance: ``ready()`` blocks until the window arrives; ``count(n)``
    publishes progress."""

    def __init__(self, channel: Connection, progress: Any, index: int) -> None:
        self._channel = channel
        self._progress = progress
        self._index = index

    def ready(self) -> Window:
        self._channel.send(_READY)
        return self._channel.recv()

    def count(self, n: int) -> None:
        self._progress[self._index] += n


def _run(target: Callable[..., Any], channel: Connection, progress: Any, index: int, args) -> None:
    """The spawned process's entry: run ``target`` and send back its result or its failure."""
    try:
        result = target(Gate(channel, progress, index), *args)
    except BaseException:
        channel.send(("error", traceback.format_exc()))
    else:
        channel.send(("done", result))
    finally:
        channel.close()


@dataclass
class TimedRun:
    """What the workers returned, and the CPU spent between the window's start and stop."""

    results: list[Any]
    seconds: float
    cpu: CpuSample


def _receive(channel: Connection, deadline: float, what: str) -> Any:
    if not channel.poll(max(0.0, deadline - time.monotonic())):
        raise BenchError(f"a load generator process did not {what} in time")
    try:
        return channel.recv()
    except EOFError:
        raise BenchError(f"a load generator process died before it could {what}") from None


def timed_run(
    target: Callable[..., Any],
    worker_args: list[tuple],
    *,
    server_pid: int | None,
    warmup: float,
    seconds: float | None,
    on_progress: OnProgress | None = None,
    setup_timeout: float = 120.0,
    run_timeout: float = 3600.0,
) -> TimedRun:
    """Run ``target(gate, *args)`` in one spawned process per ``worker_args`` entry.

    With ``seconds``, the CPU is sampled over [start, stop) of the window; without, the run
    ends when every worker has returned, and the CPU is sampled from the window's beginning
    (no warm-up) to then.
    """
    context = multiprocessing.get_context("spawn")
    progress = context.Array("q", len(worker_args), lock=False)
    channels: list[Connection] = []
    processes = []
    for index, args in enumerate(worker_args):
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=_run, args=(target, child_end, progress, index, args), daemon=True
        )
        process.start()
        child_end.close()
        channels.append(parent_end)
        processes.append(process)
    try:
        deadline = time.monotonic() + setup_timeout
        for channel in channels:
            message = _receive(channel, deadline, "set up")
            if message != _READY:
                raise BenchError(f"a load generator failed to set up:\n{message[1]}")
        begin = time.monotonic() + 0.02
        start = begin + (warmup if seconds is not None else 0.0)
        stop = start + seconds if seconds is not None else math.inf
        window = Window(begin, start, stop)
        for channel in channels:
            channel.send(window)
        pids = [p.pid for p in processes if p.pid is not None]

        def tick_until(instant: float) -> None:
            while (left := instant - time.monotonic()) > 0:
                time.sleep(min(left, 0.25))
                if on_progress:
                    on_progress(sum(progress), time.monotonic() - begin)

        tick_until(start)
        before, started = CpuSample.take(server_pid, pids), time.monotonic()
        if seconds is not None:
            tick_until(stop)
            after, ended = CpuSample.take(server_pid, pids), time.monotonic()
        deadline = time.monotonic() + (run_timeout if seconds is None else seconds + 120)
        results = []
        for channel in channels:
            while not channel.poll(0.25):
                if on_progress:
                    on_progress(sum(progress), time.monotonic() - begin)
                if time.monotonic() > deadline:
                    raise BenchError("a load generator process did not finish in time")
            status, value = _receive(channel, deadline, "finish")
            if status != "done":
                raise BenchError(f"a load generator failed:\n{value}")
            results.append(value)
        if seconds is None:
            after, ended = CpuSample.take(server_pid, pids), time.monotonic()
        return TimedRun(results, ended - started, after - before)
    finally:
        for channel in channels:
            channel.close()
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():  # ours, by its own handle: never by name
                process.terminate()
                process.join(timeout=5)
