"""Session churn: how many times a second a client can connect, get a session, and close it.

Each worker process runs ``concurrency`` loops of: open a TCP connection, send a
ConnectRequest, read the ConnectResponse, send closeSession, read its reply, close. Both the
session's creation and its close are transactions the server must log (and fsync) before it
answers, so this row measures the session tracker and the commit path together. Completions
are counted in the same shared window as the throughput rows (:mod:`zkcompat.bench.workers`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import uvloop

from zkcompat.bench.procstat import CpuSample, CpuShares
from zkcompat.bench.wire import (
    CLOSE_FRAME,
    CLOSE_XID,
    CONNECT_FRAME,
    BenchError,
    reply_header,
    session_established,
)
from zkcompat.bench.workers import Gate, OnProgress, timed_run
from zkcompat.constants import Err


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    length = int.from_bytes(await reader.readexactly(4), "big")
    return await reader.readexactly(length)


async def one_session(host: str, port: int) -> None:
    """Connect, get a session, close it; raises on any answer a correct server would not give."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(CONNECT_FRAME)
        session_established(await _read_frame(reader))
        writer.write(CLOSE_FRAME)
        xid, err = reply_header(await _read_frame(reader))
        if xid != CLOSE_XID or err != Err.Ok:
            raise BenchError(f"closeSession answered with xid {xid} err {err}")
    finally:
        writer.close()


@dataclass(frozen=True)
class ChurnCounts:
    counted: int
    errors: tuple[str, ...]


async def _churn(gate: Gate, host: str, port: int, concurrency: int) -> ChurnCounts:
    window = gate.ready()
    await asyncio.sleep(max(0.0, window.begin - time.monotonic()))
    counted = 0
    errors: list[str] = []

    async def loop() -> None:
        nonlocal counted
        while time.monotonic() < window.stop and not errors:
            try:
                await asyncio.wait_for(one_session(host, port), 30)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, BenchError) as error:
                errors.append(f"{type(error).__name__}: {error}")
                return
            if window.start <= time.monotonic() < window.stop:
                counted += 1
                gate.count(1)

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return ChurnCounts(counted, tuple(errors))


def _churn_worker(gate: Gate, host: str, port: int, concurrency: int) -> ChurnCounts:
    return uvloop.run(_churn(gate, host, port, concurrency))


@dataclass(frozen=True)
class ChurnResult(CpuShares):
    sessions: int
    seconds: float
    cpu: CpuSample

    @property
    def rate(self) -> float:
        return self.sessions / self.seconds


def run_churn(
    host: str,
    port: int,
    *,
    server_pid: int | None = None,
    processes: int = 2,
    concurrency: int = 8,
    seconds: float = 5.0,
    warmup: float = 1.0,
    on_progress: OnProgress | None = None,
) -> ChurnResult:
    """Sessions connected and closed per second, from ``processes`` times ``concurrency`` loops."""
    run = timed_run(
        _churn_worker,
        [(host, port, concurrency)] * processes,
        server_pid=server_pid,
        warmup=warmup,
        seconds=seconds,
        on_progress=on_progress,
    )
    errors = [e for counts in run.results for e in counts.errors]
    if errors:
        raise BenchError(f"session churn: {errors[0]}")
    return ChurnResult(sum(c.counted for c in run.results), run.seconds, run.cpu)
