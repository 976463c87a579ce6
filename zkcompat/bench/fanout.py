"""Watch fan-out: 1,000 sessions watch one node; how long from a setData to the last event.

The watchers live in a few spawned processes, each holding its share of the sessions on plain
sockets under one ``selectors`` loop (a thousand asyncio protocols would cost more per event
than the server does). Each watcher sets a data watch with getData; the parent, on a session
of its own, writes the node and notes the instant it sent the setData; each process notes when
its last watcher got the NodeDataChanged event. Fan-out time is the latest of those minus the
send instant. Watches are one-time, so after every write each watcher sets its watch again
before the next write.

Parent and processes talk over pipes: "fire" (a write is coming: wait for events), "stop".
"""

from __future__ import annotations

import contextlib
import multiprocessing
import selectors
import socket
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection

from jute import FrameReader
from jute import records as R
from zkcompat.bench.results import median
from zkcompat.bench.wire import (
    CLOSE_FRAME,
    CONNECT_FRAME,
    NOTIFICATION_XID,
    BenchError,
    BlockingSession,
    ensure_node,
    get_data,
    request_frame,
    session_established,
    set_data,
)
from zkcompat.constants import Err, EventType

#: Time the parent leaves the watcher processes to get back into their select loop.
SETTLE = 0.05

#: The longest a fan-out may take before the run is declared broken.
EVENT_TIMEOUT = 30.0


class _Watchers:
    """A worker's sessions, each with a data watch on ``path``."""

    def __init__(self, host: str, port: int, path: str, count: int) -> None:
        self.path = path
        self.socks: list[socket.socket] = []
        self.readers: list[FrameReader] = []
        for _ in range(count):  # connect them all, then read the answers: no round trip each
            sock = socket.create_connection((host, port), timeout=30)
            sock.sendall(CONNECT_FRAME)
            self.socks.append(sock)
            self.readers.append(FrameReader())
        for index in range(count):
            session_established(self._read_one(index))
        self.watch = request_frame(1, get_data(path, watch=True))

    def _read_one(self, index: int) -> bytes:
        sock, reader = self.socks[index], self.readers[index]
        while True:
            data = sock.recv(65536)
            if not data:
                raise BenchError("the server closed a watcher's connection")
            frames = reader.feed(data)
            if frames:
                if len(frames) > 1:
                    raise BenchError("a watcher got more than one frame where one was due")
                return frames[0]

    def arm(self) -> None:
        """Set every watch again and wait until each is acknowledged."""
        for sock in self.socks:
            sock.sendall(self.watch)
        for index in range(len(self.socks)):
            header, _ = R.ReplyHeader.decode(self._read_one(index))
            if header.xid != 1 or header.err != Err.Ok:
                raise BenchError(f"getData with a watch answered xid {header.xid} {header.err}")

    def collect(self) -> float:
        """Wait until every watcher has had its event; the instant the last one arrived."""
        selector = selectors.DefaultSelector()
        for index, sock in enumerate(self.socks):
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, index)
        waiting, last = len(self.socks), 0.0
        deadline = time.monotonic() + EVENT_TIMEOUT
        try:
            while waiting:
                if time.monotonic() > deadline:
                    raise BenchError(f"{waiting} watchers had no event after {EVENT_TIMEOUT} s")
                for key, _ in selector.select(1.0):
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    now = time.monotonic()
                    if not data:
                        raise BenchError("the server closed a watcher's connection")
                    for frame in self.readers[key.data].feed(data):
                        self._check_event(frame)
                        waiting -= 1
                        last = now
        finally:
            selector.close()
            for sock in self.socks:
                sock.setblocking(True)
        return last

    def _check_event(self, frame: bytes) -> None:
        header, offset = R.ReplyHeader.decode(frame)
        if header.xid != NOTIFICATION_XID:
            raise BenchError(f"a watcher got reply xid {header.xid} where an event was due")
        event, _ = R.WatcherEvent.decode(frame, offset)
        if event.type != EventType.NodeDataChanged or event.path != self.path:
            raise BenchError(f"a watcher got event {event.type} on {event.path}")

    def close(self) -> None:
        """closeSession on every session, so none lingers in the server until it expires."""
        for sock in self.socks:
            with contextlib.suppress(OSError):
                sock.sendall(CLOSE_FRAME)
        for index, sock in enumerate(self.socks):
            with contextlib.suppress(OSError, BenchError):
                sock.settimeout(5)
                self._read_one(index)
            sock.close()


def _next_order(channel: Connection) -> str:
    try:
        return channel.recv()
    except EOFError:  # the parent is gone
        return "stop"


def _watch_worker(channel: Connection, host: str, port: int, path: str, count: int) -> None:
    watchers = None
    try:
        watchers = _Watchers(host, port, path, count)
        watchers.arm()
        channel.send(("armed", None))
        while _next_order(channel) == "fire":
            last = watchers.collect()
            watchers.arm()
            channel.send(("armed", last))
    except BaseException:
        with contextlib.suppress(OSError):
            channel.send(("error", traceback.format_exc()))
    finally:
        if watchers is not None:
            watchers.close()
        channel.close()


def _expect_armed(channels: list[Connection], timeout: float) -> list[float | None]:
    instants = []
    for channel in channels:
        if not channel.poll(timeout):
            raise BenchError("a watcher process did not answer in time")
        status, value = channel.recv()
        if status != "armed":
            raise BenchError(f"a watcher process failed:\n{value}")
        instants.append(value)
    return instants


@dataclass(frozen=True)
class FanoutResult:
    """Seconds from each setData to the last of its events; their median."""

    times: tuple[float, ...]

    @property
    def median(self) -> float:
        value = median(self.times)
        assert value is not None
        return value


def run_fanout(
    host: str,
    port: int,
    *,
    sessions: int = 1000,
    processes: int = 2,
    repeats: int = 5,
    path: str = "/bench-fanout",
    size: int = 100,
) -> FanoutResult:
    """Set ``sessions`` data watches on ``path`` and time ``repeats`` writes to it."""
    ensure_node(host, port, path, b"v" * size)
    context = multiprocessing.get_context("spawn")
    channels: list[Connection] = []
    workers = []
    shares = [sessions // processes + (i < sessions % processes) for i in range(processes)]
    for share in shares:
        parent_end, child_end = context.Pipe()
        worker = context.Process(
            target=_watch_worker, args=(child_end, host, port, path, share), daemon=True
        )
        worker.start()
        child_end.close()
        channels.append(parent_end)
        workers.append(worker)
    times = []
    try:
        _expect_armed(channels, timeout=120)
        write = request_frame(1, set_data(path, b"w" * size))
        with BlockingSession(host, port) as writer:
            for _ in range(repeats):
                for channel in channels:
                    channel.send("fire")
                time.sleep(SETTLE)
                sent = time.monotonic()
                writer.sock.sendall(write)
                while True:
                    header, _ = R.ReplyHeader.decode(writer.read_frame())
                    if header.xid != NOTIFICATION_XID:
                        break
                if header.err != Err.Ok:
                    raise BenchError(f"setData answered {header.err}")
                lasts = _expect_armed(channels, timeout=EVENT_TIMEOUT + 60)
                times.append(max(t for t in lasts if t is not None) - sent)
        for channel in channels:
            channel.send("stop")
    finally:
        for channel in channels:
            channel.close()
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():  # ours, by its own handle
                worker.terminate()
                worker.join(timeout=5)
    return FanoutResult(tuple(times))
