"""The bytes a benchmark client sends and the few facts it reads back, encoded once.

A load generator written in Python can only outrun a server if it does almost nothing per
request, so every request a benchmark sends is a pre-encoded frame built here from jute records
(never hand-packed bytes), and a reply is checked by one ``struct`` unpack of its length and
header rather than by decoding the record. This module also opens sessions on plain blocking
sockets, for the benchmarks that pace themselves rather than saturate the server.

It knows the wire protocol and nothing about what is being measured.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from jute import FrameReader, frame
from jute import records as R
from zkcompat.constants import CreateMode, Err, OpCode

OPEN_ACL = [R.ACL(31, R.Id("world", "anyone"))]

#: A session timeout every server grants with tickTime=2000 ([4 s, 40 s]).
SESSION_TIMEOUT_MS = 30000

#: A reply's length prefix and its ReplyHeader (xid, zxid, err): 20 bytes, one unpack.
REPLY_PREFIX = struct.Struct(">iiqi")

#: The xid ZooKeeper puts on a watch notification.
NOTIFICATION_XID = -1

#: The xid our closeSession requests carry: outside every ring of pipelined xids.
CLOSE_XID = 0x7FFFFFF0


class BenchError(RuntimeError):
    """The server answered something a correct server would not: a bug, not a number."""


@dataclass(frozen=True)
class Op:
    """One request without its header: an opcode, the record's bytes, and the err a correct
    server answers it with. Plain bytes, so it crosses to a spawned worker process as is."""

    code: int
    body: bytes
    expect: int = Err.Ok


def get_data(path: str, watch: bool = False) -> Op:
    return Op(OpCode.getData, R.GetDataRequest(path, watch).encode())


def exists(path: str, watch: bool = False) -> Op:
    return Op(OpCode.exists, R.ExistsRequest(path, watch).encode())


def set_data(path: str, data: bytes) -> Op:
    return Op(OpCode.setData, R.SetDataRequest(path, data, -1).encode())


def create(path: str, data: bytes, mode: CreateMode = CreateMode.PERSISTENT) -> Op:
    return Op(OpCode.create, R.CreateRequest(path, data, OPEN_ACL, int(mode)).encode())


def delete(path: str) -> Op:
    return Op(OpCode.delete, R.DeleteRequest(path, -1).encode())


def request_frame(xid: int, op: Op) -> bytes:
    """``op`` as it goes on the wire, with its length prefix and request header."""
    return frame(R.RequestHeader(xid, op.code).encode() + op.body)


#: A ConnectRequest for a new session.
CONNECT_FRAME = frame(R.ConnectRequest(0, 0, SESSION_TIMEOUT_MS, 0, b"\0" * 16, False).encode())
CLOSE_FRAME = frame(R.RequestHeader(CLOSE_XID, OpCode.closeSession).encode())


def session_established(payload: bytes) -> int:
    """The session id of a ConnectResponse payload; raises if the server refused the session
    (a timeout of 0 is how ZooKeeper says the session is expired)."""
    response, _ = R.ConnectResponse.decode(payload)
    if response.timeOut <= 0:
        raise BenchError("the server refused the session (negotiated timeout 0)")
    return response.sessionId


def reply_header(payload: bytes) -> tuple[int, int]:
    """(xid, err) of a reply payload."""
    header, _ = R.ReplyHeader.decode(payload)
    return header.xid, header.err


class BlockingSession:
    """A session on a blocking socket, for clients that pace themselves: readiness probes,
    setup, the fixed-rate latency run and the watch fan-out's writer."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.frames = FrameReader()
        self.pending: list[bytes] = []
        try:
            self.sock.sendall(CONNECT_FRAME)
            self.session_id = session_established(self.read_frame())
        except BaseException:
            self.sock.close()
            raise

    def read_frame(self) -> bytes:
        while not self.pending:
            data = self.sock.recv(262144)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.pending.extend(self.frames.feed(data))
        return self.pending.pop(0)

    def pipeline(self, ops: list[Op], allow: tuple[int, ...] = ()) -> None:
        """Send many requests in one write and check every reply: setup at wire speed."""
        self.sock.sendall(b"".join(request_frame(i + 1, op) for i, op in enumerate(ops)))
        for i, op in enumerate(ops):
            while True:
                got_xid, err = reply_header(self.read_frame())
                if got_xid != NOTIFICATION_XID:
                    break
            if got_xid != i + 1 or (err != op.expect and err not in allow):
                raise BenchError(f"reply xid {got_xid} err {err} to op {op.code} (xid {i + 1})")

    def close(self) -> None:
        """closeSession, so the server does not keep the session until it expires."""
        try:
            self.sock.sendall(CLOSE_FRAME)
            while reply_header(self.read_frame())[0] != CLOSE_XID:
                pass
        except OSError:
            pass
        finally:
            self.sock.close()

    def __enter__(self) -> BlockingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ensure_node(host: str, port: int, path: str, data: bytes) -> None:
    """Create ``path`` (and its missing parents, empty) unless it exists already."""
    parts = path.strip("/").split("/")
    ops = [create("/" + "/".join(parts[:i]), b"") for i in range(1, len(parts))]
    ops.append(create(path, data))
    with BlockingSession(host, port) as session:
        session.pipeline(ops, allow=(Err.NodeExists,))
