"""When a starting server is ready: the instant its first new session is established.

ZooKeeper accepts TCP connections (and answers ``ruok``) before its data is loaded, and while
it is not yet serving it may hold a ConnectRequest unanswered rather than refuse it. One probe
with a timeout would then measure the timeout, not the server. So a new probe is opened every
``interval`` while the earlier ones stay open, and the first ConnectResponse on any of them is
the ready instant: the error is one interval, whatever the server does with early requests
(Apache ZooKeeper 3.8 leaves a ConnectRequest that arrives in its first half second
unanswered for good). The winning probe's session is closed with closeSession; the others are
sent one too before they are dropped, in case the server answers them later.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from collections.abc import Callable

from jute import FrameReader
from zkcompat.bench.wire import CLOSE_FRAME, CONNECT_FRAME, BenchError, session_established

#: How often a new probe is opened: the resolution of every start-time row.
INTERVAL = 0.01

#: Probes older than this are given up: a serving server answers a new session far sooner.
PROBE_LIFETIME = 1.0


class _Probe:
    def __init__(self, host: str, port: int) -> None:
        self.opened = time.monotonic()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.frames = FrameReader()
        self.connecting = True
        with contextlib.suppress(BlockingIOError):
            self.sock.connect((host, port))

    def writable(self) -> bool:
        """The connect finished: send the ConnectRequest. False if it was refused."""
        if self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            return False
        self.connecting = False
        self.sock.sendall(CONNECT_FRAME)
        return True

    def readable(self) -> bool | None:
        """True once a session is established, False if the server closed or refused it, None
        while the answer is incomplete."""
        try:
            data = self.sock.recv(65536)
        except OSError:
            return False
        if not data:
            return False
        frames = self.frames.feed(data)
        if not frames:
            return None
        try:
            session_established(frames[0])
        except BenchError:
            return False
        return True

    def close(self, established: bool) -> None:
        """Close the connection, after a closeSession if a ConnectRequest went out: waiting
        for its answer only when the session is known to exist."""
        with contextlib.suppress(OSError):
            if established:
                self.sock.setblocking(True)
                self.sock.settimeout(1.0)
                self.sock.sendall(CLOSE_FRAME)
                self.sock.recv(65536)
            elif not self.connecting:
                self.sock.send(CLOSE_FRAME)
        self.sock.close()


def wait_for_session(
    host: str, port: int, timeout: float, still_starting: Callable[[], bool] = lambda: True
) -> float:
    """The monotonic instant the first session on ``host:port`` was established. Raises
    TimeoutError after ``timeout`` seconds, or RuntimeError once ``still_starting()`` is
    false (the server's process exited)."""
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    probes: list[_Probe] = []
    established: _Probe | None = None

    def drop(probe: _Probe) -> None:
        selector.unregister(probe.sock)
        probes.remove(probe)
        probe.close(established=False)

    try:
        next_probe = time.monotonic()
        while True:
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(f"no session on {host}:{port} within {timeout} s")
            if not still_starting():
                raise RuntimeError("the server exited while starting")
            if now >= next_probe:
                probe = _Probe(host, port)
                probes.append(probe)
                selector.register(probe.sock, selectors.EVENT_WRITE, probe)
                next_probe = now + INTERVAL
            for probe in [p for p in probes if now - p.opened > PROBE_LIFETIME]:
                drop(probe)
            for key, _ in selector.select(max(0.0, next_probe - time.monotonic())):
                probe = key.data
                if probe.connecting:
                    if probe.writable():
                        selector.modify(probe.sock, selectors.EVENT_READ, probe)
                    else:
                        drop(probe)
                    continue
                answer = probe.readable()
                if answer:
                    established = probe
                    return time.monotonic()
                if answer is False:
                    drop(probe)
    finally:
        selector.close()
        for probe in probes:
            probe.close(established=probe is established)
