"""A pipelined load generator that speaks the wire protocol with pre-encoded requests.

Every connection is a session that keeps ``window`` requests in flight and answers each batch
of replies with as many new requests in one write. The requests are a ring of pre-encoded
frames (each with its own xid), so sending costs a slice and a join; each reply costs one
``struct`` unpack that checks its xid and err against the ring, because a wrong reply is a bug
in the server, not a number. Several processes (see :mod:`zkcompat.bench.workers`) each run
several connections on uvloop. It works against any ZooKeeper endpoint:

    python -m zkcompat.bench.load --hosts 127.0.0.1:2181 --op getData --seconds 5

It prints requests per second over the measured interval, the server's CPU per request when
given its ``--pid``, and the generator's own CPU, to show whether the generator rather than
the server is the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import socket
import time
from dataclasses import dataclass

import uvloop

from zkcompat.bench.procstat import CpuSample, CpuShares
from zkcompat.bench.wire import (
    CLOSE_FRAME,
    CLOSE_XID,
    CONNECT_FRAME,
    REPLY_PREFIX,
    BenchError,
    BlockingSession,
    Op,
    create,
    delete,
    ensure_node,
    exists,
    get_data,
    request_frame,
    session_established,
    set_data,
)
from zkcompat.bench.workers import Gate, OnProgress, Window, timed_run
from zkcompat.constants import CreateMode, Err

#: The workloads a connection can run; see :func:`connection_ops`.
KINDS = ("getData", "exists", "setData", "create-delete", "mix", "create-sequential")

#: A ring holds at least this many frames, so any window fits in it.
MIN_RING = 64


@dataclass(frozen=True)
class Workload:
    """What every connection sends, over and over. ``path`` is the node read and written
    (or the parent of created nodes); ``size`` the bytes of every value written."""

    kind: str
    path: str = "/bench-load"
    size: int = 100
    parents: int = 1000  # create-sequential spreads its nodes under this many parents

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown workload {self.kind!r}; one of {', '.join(KINDS)}")

    def parent(self, index: int) -> str:
        return f"{self.path}/p{index:04d}"


def connection_ops(workload: Workload, connection: int, connections: int) -> list[Op]:
    """The cycle of requests connection number ``connection`` of ``connections`` sends."""
    value = b"v" * workload.size
    kind = workload.kind
    if kind == "getData":
        return [get_data(workload.path)]
    if kind == "exists":
        return [exists(workload.path)]
    if kind == "setData":
        return [set_data(workload.path, value)]
    if kind == "mix":  # 90 % reads, 10 % writes, spread evenly through the cycle
        return [get_data(workload.path)] * 9 + [set_data(workload.path, value)]
    if kind == "create-delete":  # each connection its own node, so every reply is Ok
        path = f"{workload.path}/c{connection}"
        return [create(path, value), delete(path)]
    parents = range(connection % workload.parents, workload.parents, connections)
    return [
        create(f"{workload.parent(p)}/n", value, CreateMode.PERSISTENT_SEQUENTIAL) for p in parents
    ]


def prepare(host: str, port: int, workload: Workload) -> None:
    """Create the nodes the workload reads, writes or creates under; existing ones stay."""
    ensure_node(host, port, workload.path, b"v" * workload.size)
    if workload.kind == "create-sequential":
        ops = [create(workload.parent(p), b"") for p in range(workload.parents)]
        with BlockingSession(host, port) as session:
            session.pipeline(ops, allow=(Err.NodeExists,))


class Pipeline(asyncio.Protocol):
    """One session with a window of pipelined requests: the generator's inner loop."""

    def __init__(self, ops: list[Op], window: int, limit: int | None, gate: Gate | None) -> None:
        size = len(ops) * math.ceil(max(window, MIN_RING) / len(ops))
        ring = [request_frame(i + 1, ops[i % len(ops)]) for i in range(size)]
        self._ring2 = ring + ring  # a slice of up to ``size`` frames never wraps
        self._expect = [(i + 1, ops[i % len(ops)].expect) for i in range(size)]
        self._size = size
        self._cycle = len(ops)
        self._window = window
        self._limit = limit
        self._gate = gate
        self._buf = bytearray()
        self._send_at = 0
        self._recv_at = 0
        self._start = self._stop = math.inf
        self._closing = False
        self.sent = self.received = self.counted = 0
        self.last_reply = 0.0
        self.error: str | None = None
        loop = asyncio.get_running_loop()
        self.connected: asyncio.Future[None] = loop.create_future()
        self.finished: asyncio.Future[None] = loop.create_future()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.write(CONNECT_FRAME)

    def go(self, window: Window) -> None:
        """Fill the window; count replies that arrive in [start, stop)."""
        self._start, self._stop = window.start, window.stop
        first = self._window if self._limit is None else min(self._window, self._limit)
        if first:
            self._send(first)
        else:  # nothing to do: a counted run with more connections than requests
            self._closing = True
            assert self._transport is not None
            self._transport.write(CLOSE_FRAME)

    def _send(self, n: int) -> None:
        at = self._send_at
        assert self._transport is not None
        self._transport.write(b"".join(self._ring2[at : at + n]))
        self._send_at = (at + n) % self._size
        self.sent += n

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        if not self.connected.done():
            self._handshake()
            return
        unpack, expect, size = REPLY_PREFIX.unpack_from, self._expect, self._size
        at = self._recv_at
        pos, end, n = 0, len(buf), 0
        while end - pos >= 20:
            length, xid, _zxid, err = unpack(buf, pos)
            if end - pos - 4 < length:
                break
            pos += 4 + length
            if self._closing and xid == CLOSE_XID:
                self._finish()
                return
            want_xid, want_err = expect[at]
            if xid != want_xid or err != want_err:
                self._fail(f"reply xid {xid} err {err}; expected xid {want_xid} err {want_err}")
                return
            at = at + 1 if at + 1 < size else 0
            n += 1
        if pos:
            del buf[:pos]
        self._recv_at = at
        if n:
            self._replied(n)

    def _replied(self, n: int) -> None:
        now = time.monotonic()
        self.received += n
        if self._start <= now < self._stop:
            self.counted += n
        self.last_reply = now
        if self._gate is not None:
            self._gate.count(n)
        # Past the stop, finish the cycle under way: a create is never left without its delete.
        more = n if now < self._stop else -self.sent % self._cycle
        if self._limit is not None:
            more = min(more, self._limit - self.sent)
        if more > 0:
            self._send(more)
        elif self.received == self.sent and not self._closing:
            self._closing = True
            assert self._transport is not None
            self._transport.write(CLOSE_FRAME)

    def _handshake(self) -> None:
        buf = self._buf
        if len(buf) < 4:
            return
        length = int.from_bytes(buf[:4], "big")
        if len(buf) < 4 + length:
            return
        try:
            session_established(bytes(buf[4 : 4 + length]))
        except BenchError as error:
            self._fail(str(error))
            return
        del buf[: 4 + length]
        self.connected.set_result(None)

    def _fail(self, message: str) -> None:
        if self.error is None:
            self.error = message
        for future in (self.connected, self.finished):
            if not future.done():
                future.set_result(None)
        if self._transport is not None:
            self._transport.close()

    def _finish(self) -> None:
        if not self.finished.done():
            self.finished.set_result(None)
        assert self._transport is not None
        self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.finished.done():
            self._fail(f"the server closed the connection ({exc or 'EOF'})")


@dataclass(frozen=True)
class WorkerCounts:
    """One worker process's tally."""

    counted: int
    received: int
    last_reply: float
    errors: tuple[str, ...]


def _load_worker(
    gate: Gate,
    host: str,
    port: int,
    workload: Workload,
    first: int,
    total: int,
    connections: int,
    window: int,
    limits: list[int] | None,
) -> WorkerCounts:
    return uvloop.run(
        _load_main(gate, host, port, workload, first, total, connections, window, limits)
    )


async def _load_main(
    gate: Gate,
    host: str,
    port: int,
    workload: Workload,
    first: int,
    total: int,
    connections: int,
    window: int,
    limits: list[int] | None,
) -> WorkerCounts:
    loop = asyncio.get_running_loop()
    pipes: list[Pipeline] = []
    for c in range(connections):
        ops = connection_ops(workload, first + c, total)
        limit = limits[c] if limits is not None else None
        _, pipe = await loop.create_connection(
            lambda ops=ops, limit=limit: Pipeline(ops, window, limit, gate), host, port
        )
        pipes.append(pipe)
        try:
            await asyncio.wait_for(pipe.connected, 30)
        except TimeoutError:
            pipe.error = "no answer to the connect request"
    errors = [p.error for p in pipes if p.error]
    if not errors:
        timing = gate.ready()
        await asyncio.sleep(max(0.0, timing.begin - time.monotonic()))
        for pipe in pipes:
            pipe.go(timing)
        limit = None if math.isinf(timing.stop) else timing.stop - time.monotonic() + 60
        try:
            await asyncio.wait_for(asyncio.gather(*(p.finished for p in pipes)), limit)
        except TimeoutError:
            errors.append("replies stopped coming: the server stalled")
        errors += [p.error for p in pipes if p.error]
    return WorkerCounts(
        counted=sum(p.counted for p in pipes),
        received=sum(p.received for p in pipes),
        last_reply=max((p.last_reply for p in pipes), default=0.0),
        errors=tuple(errors),
    )


@dataclass(frozen=True)
class LoadResult(CpuShares):
    """Replies counted over ``seconds``, and the CPU the server, the generator and the whole
    machine spent meanwhile."""

    workload: str
    ops: int
    seconds: float
    cpu: CpuSample
    processes: int
    connections: int
    window: int

    @property
    def rate(self) -> float:
        return self.ops / self.seconds

    @property
    def server_us_per_op(self) -> float:
        return self.cpu.server / self.ops * 1e6 if self.ops else math.nan


def run_load(
    host: str,
    port: int,
    workload: Workload,
    *,
    server_pid: int | None = None,
    processes: int = 2,
    connections: int = 16,
    window: int = 16,
    seconds: float = 5.0,
    warmup: float = 1.0,
    count: int | None = None,
    on_progress: OnProgress | None = None,
) -> LoadResult:
    """Drive ``workload`` from ``processes`` times ``connections`` sessions, ``window`` requests
    in flight on each. Timed (``seconds`` after ``warmup``), or, with ``count``, until that
    many requests have been answered: the rate is then over the whole run."""
    prepare(host, port, workload)
    total = processes * connections
    args = []
    for p in range(processes):
        first = p * connections
        limits = None
        if count is not None:  # spread ``count`` over the connections, the first ones +1
            ids = range(first, first + connections)
            limits = [count // total + (c < count % total) for c in ids]
        args.append((host, port, workload, first, total, connections, window, limits))
    run = timed_run(
        _load_worker,
        args,
        server_pid=server_pid,
        warmup=warmup,
        seconds=None if count is not None else seconds,
        on_progress=on_progress,
    )
    counts: list[WorkerCounts] = run.results
    errors = [e for c in counts for e in c.errors]
    if errors:
        raise BenchError(f"{workload.kind}: {errors[0]} ({len(errors)} connection(s) failed)")
    ops = sum(c.received if count is not None else c.counted for c in counts)
    if count is not None and ops != count:
        raise BenchError(f"{workload.kind}: {ops} replies to {count} requests")
    return LoadResult(workload.kind, ops, run.seconds, run.cpu, processes, connections, window)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="127.0.0.1:2181")
    parser.add_argument("--op", choices=KINDS, default="getData")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--pid", type=int, help="the server's PID, for its CPU per request")
    args = parser.parse_args(argv)
    host, port = args.hosts.rsplit(":", 1)
    result = run_load(
        host,
        int(port),
        Workload(args.op),
        server_pid=args.pid,
        seconds=args.seconds,
        processes=args.processes,
        connections=args.connections,
        window=args.window,
    )
    line = (
        f"{args.op}: {result.rate:,.0f} requests/s; "
        f"generator CPU {result.generator_cores:.2f} cores"
    )
    if args.pid:
        line += f"; server CPU {result.server_us_per_op:.1f} µs/request"
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
