"""Latency at a fixed, unsaturated request rate: what one request costs when nobody queues.

Throughput rows keep the server saturated, so their latencies are mostly queueing. This one
sends requests on a fixed schedule (``rate`` per second, round-robin over a few sessions),
which the server can easily keep up with, and times each from its send to its reply. One
process on blocking sockets and ``selectors``: at a few thousand requests a second the client
is idle most of the time, and each request sees the server's own latency plus a few tens of
microseconds of ours, the same for both servers.

The schedule's resolution is the selector's (about a millisecond), so requests leave in small
bursts; a request more than 1 ms behind its slot counts as late, and a run with many late
requests did not hold its rate.
"""

from __future__ import annotations

import collections
import math
import selectors
import time
from dataclasses import dataclass

from jute import FrameReader
from zkcompat.bench.results import percentile
from zkcompat.bench.wire import (
    NOTIFICATION_XID,
    BenchError,
    BlockingSession,
    Op,
    ensure_node,
    reply_header,
    request_frame,
)

LATE = 0.001


@dataclass(frozen=True)
class LatencyResult:
    """Seconds from send to reply of the requests sent after the warm-up."""

    samples: int
    p50: float
    p99: float
    worst: float
    late_fraction: float


def run_latency(
    host: str,
    port: int,
    op: Op,
    *,
    rate: float = 2000.0,
    seconds: float = 5.0,
    warmup: float = 0.5,
    connections: int = 4,
    node: tuple[str, bytes] | None = None,
) -> LatencyResult:
    """Send ``op`` ``rate`` times a second for ``warmup`` + ``seconds`` and time every reply.
    ``node`` is created first (path, value) if given."""
    if node is not None:
        ensure_node(host, port, *node)
    sessions = [BlockingSession(host, port) for _ in range(connections)]
    selector = selectors.DefaultSelector()
    try:
        readers = [FrameReader() for _ in sessions]
        in_flight: list[collections.deque[float]] = [collections.deque() for _ in sessions]
        xid = 1
        payload = request_frame(xid, op)
        for index, session in enumerate(sessions):
            session.sock.setblocking(False)
            selector.register(session.sock, selectors.EVENT_READ, index)
        interval = 1.0 / rate
        total = math.ceil(rate * (warmup + seconds))
        began = time.monotonic() + 0.01
        measured_from = began + warmup
        deadline = began + warmup + seconds + 30
        latencies: list[float] = []
        sent = late = answered = 0
        while answered < total:
            now = time.monotonic()
            if now > deadline:
                raise BenchError(f"{total - answered} requests unanswered after 30 s")
            while sent < total and began + sent * interval <= now:
                index = sent % len(sessions)
                sessions[index].sock.send(payload)  # a few bytes: the socket buffer takes them
                in_flight[index].append(now)
                if now - (began + sent * interval) > LATE:
                    late += 1
                sent += 1
            wait = began + sent * interval - now if sent < total else 1.0
            for key, _ in selector.select(max(wait, 0.0)):
                index = key.data
                data = sessions[index].sock.recv(65536)
                received = time.monotonic()
                if not data:
                    raise BenchError("the server closed a connection during the latency run")
                for reply in readers[index].feed(data):
                    got_xid, err = reply_header(reply)
                    if got_xid == NOTIFICATION_XID:
                        continue
                    if got_xid != xid or err != op.expect:
                        raise BenchError(f"reply xid {got_xid} err {err} to op {op.code}")
                    sent_at = in_flight[index].popleft()
                    answered += 1
                    if sent_at >= measured_from:
                        latencies.append(received - sent_at)
        return LatencyResult(
            samples=len(latencies),
            p50=percentile(latencies, 50),
            p99=percentile(latencies, 99),
            worst=max(latencies, default=math.nan),
            late_fraction=late / total,
        )
    finally:
        selector.close()
        for session in sessions:
            session.sock.setblocking(True)
            session.close()
