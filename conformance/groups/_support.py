"""Helpers shared by the uses, sessions, acl, chroot and limits groups (not a group itself).

Owns three things the kazoo client does not offer:

- `RawSession`: a ZooKeeper session over a plain socket, so a scenario controls every byte of
  the handshake (requested timeout, session id, password, lastZxidSeen, the readOnly byte),
  can send frames of any size, and can stop pinging or drop the socket without a
  closeSession, which no kazoo client does.
- `kill_session`: ends a kazoo client's session at once, as an expiry would, without waiting
  for its timeout: the client is pointed at a port nothing listens on (so it cannot come
  back), and a second client attaches to the same session id and password and closes it. The
  server deletes the session's ephemerals and fires their watches in that closeSession.
- `run_threads`: runs functions in threads and re-raises the first failure, with a deadline.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kazoo.client import KazooClient
from kazoo.protocol.serialization import Connect, ReplyHeader, Watch, write_string

from conformance.context import Context, close_client

THREAD_DEADLINE = 40.0  # whole-scenario safety net; every wait inside is far shorter normally
NO_PASSWORD = b"\x00" * 16


# --- threads ---------------------------------------------------------------------------------


def run_threads(
    functions: Iterable[Callable[[], Any]], deadline: float = THREAD_DEADLINE
) -> list[Any]:
    """Run each function in its own thread, wait for all, return their results in order.

    The first exception raised by any of them is re-raised here (an `ExpectationFailed`
    keeps its expected and actual values); a thread still running at `deadline` is an error.
    """
    functions = list(functions)
    results: list[Any] = [None] * len(functions)
    errors: list[BaseException] = []

    def runner(index: int, function: Callable[[], Any]) -> None:
        try:
            results[index] = function()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=runner, args=(index, function), daemon=True)
        for index, function in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    _join(threads, deadline)
    if errors:
        raise errors[0]
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"a worker thread did not finish within {deadline:g}s")
    return results


def _join(threads: list[threading.Thread], deadline: float) -> None:
    """Join every thread, giving all of them together at most `deadline` seconds."""
    end = time.monotonic() + deadline
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))


class Workers:
    """Threads started one at a time; `join` waits for them and re-raises the first failure.

    A thread left running on purpose (a contender whose session was killed, blocked in a
    recipe until its client is closed) is started with `spawn(..., joined=False)`.
    """

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def spawn(self, function: Callable[[], Any], joined: bool = True) -> threading.Thread:
        def runner() -> None:
            try:
                function()
            except BaseException as exc:
                if joined:
                    self.errors.append(exc)

        thread = threading.Thread(target=runner, daemon=True)
        if joined:
            self._threads.append(thread)
        thread.start()
        return thread

    def join(self, deadline: float = THREAD_DEADLINE) -> None:
        _join(self._threads, deadline)
        if self.errors:
            raise self.errors[0]
        if any(thread.is_alive() for thread in self._threads):
            raise TimeoutError(f"a worker thread did not finish within {deadline:g}s")


# --- sessions ----------------------------------------------------------------------------------


class _DeadPort:
    """A loopback port that refuses connections: bound, never listening, kept for the run."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]


_dead_port: _DeadPort | None = None
_dead_port_lock = threading.Lock()


def dead_port() -> int:
    global _dead_port
    with _dead_port_lock:
        if _dead_port is None:
            _dead_port = _DeadPort()
        return _dead_port.port


def kill_session(ctx: Context, zk: KazooClient) -> int:
    """End `zk`'s session now, as an expiry would; return its session id.

    `zk` is left disconnected and unable to reconnect (it is closed with the scenario). Its
    recipes are not told: like a process whose session expired while it was paused.
    """
    session_id, password = zk.client_id
    zk.set_hosts(f"127.0.0.1:{dead_port()}")
    thief = KazooClient(hosts=ctx.first_host, client_id=(session_id, password), timeout=10.0)
    try:
        thief.start(timeout=10.0)
        if thief.client_id[0] != session_id:
            raise RuntimeError("could not attach to the session to close it")
    finally:
        close_client(thief)  # sends closeSession: the server ends the session now
    return session_id


# --- raw sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handshake:
    """The server's ConnectResponse."""

    protocol_version: int
    timeout: int
    session_id: int
    password: bytes
    read_only: bool | None  # None: the response had no readOnly byte
    length: int  # the response frame's length, in bytes


class ConnectionClosed(ConnectionError):
    """The server closed the connection (or reset it) before a complete frame arrived."""


def digest_id(user: str, password: str) -> str:
    """A `digest` ACL id as ZooKeeper stores it: `user:base64(sha1("user:password"))`."""
    hashed = hashlib.sha1(f"{user}:{password}".encode()).digest()
    return f"{user}:{base64.b64encode(hashed).decode()}"


def host_port(host: str) -> tuple[str, int]:
    name, _, port = host.rpartition(":")
    return name.strip("[]") or "127.0.0.1", int(port)


def connect_request(
    timeout: int,
    session_id: int = 0,
    password: bytes = NO_PASSWORD,
    last_zxid_seen: int = 0,
    read_only: bool | None = False,
) -> bytes:
    """A ConnectRequest payload; `read_only=None` leaves the readOnly byte out (old clients)."""
    body = Connect(0, last_zxid_seen, timeout, session_id, password, bool(read_only)).serialize()
    return bytes(body[:-1] if read_only is None else body)


class RawSession:
    """A session over a plain socket; every call blocks for at most `io_timeout` seconds."""

    def __init__(self, host: str, io_timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(host_port(host), timeout=io_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.handshake: Handshake | None = None
        self.events: list[tuple[int, int, str]] = []  # (type, state, path) of watch events
        self._xid = 0

    # framing
    def send_frame(self, payload: bytes) -> None:
        """Send one frame. A server that refuses a frame closes the connection as soon as it
        has read the length, possibly while a large body is still being sent: the reset
        that the send then meets is that close."""
        try:
            self.sock.sendall(struct.pack("!i", len(payload)) + payload)
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise ConnectionClosed("connection closed while sending") from exc

    def _read_exactly(self, count: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < count:
            try:
                chunk = self.sock.recv(count - len(chunks))
            except ConnectionResetError as exc:
                raise ConnectionClosed("connection reset") from exc
            if not chunk:
                raise ConnectionClosed(f"closed after {len(chunks)} of {count} bytes")
            chunks.extend(chunk)
        return bytes(chunks)

    def read_frame(self) -> bytes:
        (length,) = struct.unpack("!i", self._read_exactly(4))
        return self._read_exactly(length)

    def is_closed_by_server(self) -> bool:
        """True once the server has closed the connection (waits up to the io timeout)."""
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    # protocol
    def connect(
        self,
        timeout: int,
        session_id: int = 0,
        password: bytes = NO_PASSWORD,
        last_zxid_seen: int = 0,
        read_only: bool | None = False,
    ) -> Handshake:
        self.send_frame(connect_request(timeout, session_id, password, last_zxid_seen, read_only))
        frame = self.read_frame()
        protocol_version, negotiated, sid = struct.unpack_from("!iiq", frame, 0)
        (length,) = struct.unpack_from("!i", frame, 16)
        password_back = frame[20 : 20 + max(length, 0)]
        rest = frame[20 + max(length, 0) :]
        self.handshake = Handshake(
            protocol_version,
            negotiated,
            sid,
            password_back,
            bool(rest[0]) if rest else None,
            len(frame),
        )
        return self.handshake

    def request(self, record: Any, xid: int | None = None) -> tuple[ReplyHeader, bytes]:
        """Send a kazoo record with the next xid; return the reply header and body bytes.

        Watch events (xid -1) that arrive first are recorded in `events`.
        """
        if xid is None:
            self._xid += 1
            xid = self._xid
        self.send_frame(struct.pack("!ii", xid, record.type) + bytes(record.serialize()))
        while True:
            frame = self.read_frame()
            header, offset = ReplyHeader.deserialize(frame, 0)
            if header.xid != -1:
                return header, frame[offset:]
            event, _ = Watch.deserialize(frame, offset)
            self.events.append((event.type, event.state, event.path))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


@dataclass(frozen=True)
class SetWatches:
    """setWatches (opcode 101): re-register watches after a reconnect, from `relative_zxid`."""

    relative_zxid: int
    data: tuple[str, ...] = ()
    exist: tuple[str, ...] = ()
    child: tuple[str, ...] = ()
    type = 101

    def serialize(self) -> bytes:
        body = bytearray(struct.pack("!q", self.relative_zxid))
        for paths in (self.data, self.exist, self.child):
            body.extend(struct.pack("!i", len(paths)))
            for path in paths:
                body.extend(write_string(path))
        return bytes(body)


def raw_session(
    ctx: Context, timeout: int = 30000, io_timeout: float = 10.0, **options: Any
) -> RawSession:
    """A connected raw session to the first server; its socket is closed with the scenario.

    Only the socket: a raw session not closed by the scenario lives until it expires.
    """
    raw = RawSession(ctx.first_host, io_timeout)
    on_close(ctx, raw.close)
    raw.connect(timeout, **options)
    return raw


def on_close(ctx: Context, action: Callable[[], None]) -> None:
    """Run `action` when the scenario's context closes (after its clients are closed)."""
    original = ctx.close

    def close() -> None:
        try:
            original()
        finally:
            action()

    ctx.close = close  # type: ignore[method-assign]
