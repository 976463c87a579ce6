"""Length-prefixed framing: every ZooKeeper message is a 4-byte big-endian length and a payload.

:class:`FrameReader` is sans-IO: feed it whatever bytes arrived, take out the complete payloads.
It enforces ``jute.maxbuffer`` in this one place, with ZooKeeper's rule: a length below zero or
above the limit is an error (``NIOServerCnxn.readLength``), and the connection that sent it is
beyond repair, so the reader refuses all further input.
"""

from __future__ import annotations

import struct

from jute.errors import JuteError

#: ZooKeeper's default ``jute.maxbuffer``: 0xfffff bytes, one byte short of 1 MiB.
DEFAULT_MAX_BUFFER = 0xFFFFF

_LENGTH = struct.Struct(">i")


def frame(payload: bytes) -> bytes:
    """``payload`` with its length prefix, ready to write."""
    return _LENGTH.pack(len(payload)) + payload


class FrameReader:
    """Reassembles frames from a byte stream.

    The buffer is compacted lazily: consumed bytes are dropped once per :meth:`feed`, not once
    per frame, so a burst of small pipelined requests costs one copy.
    """

    def __init__(self, max_buffer: int = DEFAULT_MAX_BUFFER) -> None:
        self.max_buffer = max_buffer
        self._buf = bytearray()
        self._pos = 0
        self._failed: JuteError | None = None

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return every payload now complete, in order.

        Raises :class:`JuteError` for a negative or oversized length; after that every call
        raises the same error.
        """
        if self._failed is not None:
            raise self._failed
        buf = self._buf
        if self._pos:
            del buf[: self._pos]
            self._pos = 0
        buf += data
        frames: list[bytes] = []
        pos, end = 0, len(buf)
        while end - pos >= 4:
            (length,) = _LENGTH.unpack_from(buf, pos)
            if length < 0 or length > self.max_buffer:
                self._failed = JuteError(
                    f"frame length {length} is negative or exceeds jute.maxbuffer={self.max_buffer}"
                )
                raise self._failed
            if end - pos - 4 < length:
                break
            frames.append(bytes(buf[pos + 4 : pos + 4 + length]))
            pos += 4 + length
        self._pos = pos
        return frames

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a frame."""
        return len(self._buf) - self._pos
