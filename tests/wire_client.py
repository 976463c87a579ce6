"""A minimal ZooKeeper client over a raw socket, built from jute records.

kazoo hides the handshake, pings and session passwords; these tests need to control them (stop
pinging to let a session expire, reconnect with a stored password, send broken bytes).
"""

from __future__ import annotations

import socket
from typing import Any

from jute import FrameReader, frame
from jute import records as R


class WireClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = FrameReader()
        self.pending: list[bytes] = []

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_frame(self) -> bytes | None:
        """The next frame, or None once the server has closed the connection."""
        while not self.pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.pending += self.reader.feed(chunk)
        return self.pending.pop(0)

    def connect(self, timeout: int = 30000, session_id: int = 0, passwd: bytes = b"\0" * 16) -> Any:
        self.send_raw(frame(R.ConnectRequest(0, 0, timeout, session_id, passwd, False).encode()))
        payload = self.read_frame()
        assert payload is not None, "the server closed the connection instead of answering"
        return R.ConnectResponse.decode(payload)[0]

    def request(self, xid: int, op: int, body: Any = None) -> tuple[Any, bytes]:
        payload = R.RequestHeader(xid, op).encode() + (body.encode() if body is not None else b"")
        self.send_raw(frame(payload))
        while True:
            reply = self.read_frame()
            assert reply is not None, "connection closed"
            header, offset = R.ReplyHeader.decode(reply)
            if header.xid != -1:  # skip watch notifications
                return header, reply[offset:]

    def closed_by_server(self) -> bool:
        try:
            return self.read_frame() is None
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()
