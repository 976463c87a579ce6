"""What a scenario gets to work with: clients of the endpoint, a private base path, raw access.

Owns opening kazoo clients to the endpoint (and closing every one of them), the unique base
znode each scenario works under (created before it runs, deleted after), sending kazoo's
protocol records exactly as written (no client-side path normalisation), recording every watch
event as it arrives on the wire, and four-letter words over a raw socket.

Kazoo keeps its own watcher bookkeeping and would hide a second event for the same path, so
`ConformanceClient` records events where they are read off the socket, before kazoo filters
them. That hook (`_connection._read_watch_event`) is kazoo-internal; it is the one place the
suite reaches inside kazoo.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from kazoo.client import KazooClient
from kazoo.protocol.serialization import Watch
from kazoo.protocol.states import EVENT_TYPE_MAP

from conformance.trace import Trace

log = logging.getLogger(__name__)

EVENT_WAIT = 10.0  # generous: events normally arrive within milliseconds
SESSION_TIMEOUT = 10.0


@dataclass(frozen=True)
class WireEvent:
    """A watch notification exactly as the server sent it (path not un-chrooted)."""

    type: str  # CREATED, DELETED, CHANGED, CHILD, NONE, ... (kazoo's EventType names)
    state: int
    path: str


class ConformanceClient(KazooClient):
    """A kazoo client that records every watch event the server sends it, and, when the
    scenario is traced, every request it sends."""

    def __init__(self, *args: Any, trace: Trace | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wire_events: list[WireEvent] = []
        self._trace = trace
        self._traced = trace.attach(self) if trace else None
        self._events_changed = threading.Condition()
        reader = self._connection._read_watch_event

        def recording_reader(buffer: bytes, offset: int) -> Any:
            watch, _ = Watch.deserialize(buffer, offset)
            event = WireEvent(
                EVENT_TYPE_MAP.get(watch.type, str(watch.type)), watch.state, watch.path
            )
            with self._events_changed:
                self.wire_events.append(event)
                self._events_changed.notify_all()
            return reader(buffer, offset)

        self._connection._read_watch_event = recording_reader

    def _call(self, request: Any, async_object: Any) -> Any:
        if self._trace is not None and self._traced is not None:
            self._trace.request(self._traced, request, async_object)
        return super()._call(request, async_object)

    def start(self, timeout: float = 15) -> None:
        super().start(timeout)
        if self._traced is not None and self.client_id:
            self._traced.session_id = self.client_id[0]

    def wait_for_events(self, count: int, timeout: float = EVENT_WAIT) -> list[WireEvent]:
        """Wait until at least `count` events have arrived; return all of them so far."""
        with self._events_changed:
            self._events_changed.wait_for(lambda: len(self.wire_events) >= count, timeout)
            return list(self.wire_events)

    def settle(self, path: str = "/") -> list[WireEvent]:
        """A `sync` round trip, then the events received so far.

        ZooKeeper queues a watch event on the watcher's connection when it applies the change,
        before the reply to any request this session sends afterwards. So once a change made
        elsewhere has been acknowledged, every event it caused has arrived by the time this
        returns: "no event" is checked without sleeping.
        """
        self.sync(path)
        with self._events_changed:
            return list(self.wire_events)


class Context:
    """One scenario's view of the endpoint. Close it to close every client it opened."""

    def __init__(
        self,
        hosts: str,
        base: str,
        admin: KazooClient,
        cluster: Any = None,
        trace: Trace | None = None,
    ) -> None:
        self.hosts = hosts
        self.base = base
        self.admin = admin
        self.cluster = cluster  # for ENSEMBLE scenarios: the conformance.ensemble.Cluster
        self.trace = trace  # set in differential runs: what this scenario's clients saw
        self._clients: list[ConformanceClient] = []
        self._lock = threading.Lock()

    @property
    def servers(self) -> list[str]:
        """The endpoint's `host:port` entries, in the order given."""
        return self.hosts.split(",")

    @property
    def first_host(self) -> str:
        """The first `host:port`: where sessions and four-letter words go by default."""
        return self.servers[0]

    def client(
        self,
        *,
        hosts: str | None = None,
        chroot: str = "",
        timeout: float = SESSION_TIMEOUT,
        **options: Any,
    ) -> ConformanceClient:
        """A new, connected session (closed when the scenario ends).

        Sessions go to the first server unless `hosts` says otherwise, so that one scenario's
        sessions never see each other's writes late through replication lag; scenarios about
        ensembles pass `hosts=ctx.hosts` or a chosen server. `chroot` is appended.
        """
        zk = ConformanceClient(
            hosts=(hosts or self.first_host) + chroot,
            timeout=timeout,
            trace=self.trace,
            **options,
        )
        with self._lock:
            self._clients.append(zk)
        zk.start(timeout=timeout)
        return zk

    def path(self, *parts: str) -> str:
        """A path under this scenario's private base znode."""
        return "/".join([self.base, *parts]) if parts else self.base

    def raw(self, zk: KazooClient, request: Any, timeout: float = 30.0) -> Any:
        """Send a kazoo protocol record as is and return the decoded reply (or raise its error).

        Unlike kazoo's methods this does not normalise the path, so malformed paths reach the
        server, and any create flags can be sent.
        """
        result = zk.handler.async_result()
        zk._call(request, result)
        return result.get(timeout=timeout)

    def four_letter(self, word: str, timeout: float = 10.0) -> str:
        """Send a four-letter word to the first endpoint over a new socket; return the answer."""
        answer = four_letter_word(self.first_host, word, timeout)
        if self.trace is not None:
            self.trace.four_letter(word, answer)
        return answer

    def wait_until(
        self, condition: Callable[[], bool], what: str, timeout: float = EVENT_WAIT
    ) -> bool:
        """Poll `condition` until true or `timeout`; return its last value.

        The polling requests are left out of a trace: how many there are is a matter of timing.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self.trace.quiet() if self.trace else nullcontext():
                met = condition()
            if met:
                return True
            if time.monotonic() >= deadline:
                log.debug("gave up waiting for %s", what)
                return False
            time.sleep(0.05)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for zk in clients:
            close_client(zk)


def close_client(zk: KazooClient) -> None:
    """Stop and close a kazoo client, whatever state it is in."""
    try:
        zk.stop()
        zk.close()
    except Exception:
        log.debug("error closing a client", exc_info=True)


class EndpointUnreachable(RuntimeError):
    """A run cannot be set up on the endpoint (or the cluster would not come up)."""


def server_version(srvr_answer: str) -> str:
    """The version in a `srvr` answer's first line ("Zookeeper version: 3.8.0-..., built ...")."""
    first = srvr_answer.splitlines()[0] if srvr_answer else ""
    return first.removeprefix("Zookeeper version: ").split(",")[0].strip()


def four_letter_word(host_port: str, word: str, timeout: float = 10.0) -> str:
    """Send `word` as raw bytes and read until the server closes the connection, as `nc` does."""
    host, _, port = host_port.rpartition(":")
    with socket.create_connection(
        (host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout
    ) as sock:
        sock.sendall(word.encode("ascii"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")
