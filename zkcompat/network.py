"""The client port: asyncio protocol objects that move bytes between sockets and the pipeline.

A :class:`ClientConnection` frames incoming bytes (``jute.FrameReader`` enforces
``jute.maxbuffer``), answers a four-letter word if that is what the first bytes spell,
completes the handshake, and hands every later frame to :class:`ZooKeeperServer`. Errors are
values at this edge: a bad frame or an undecodable handshake closes this one connection with a
log line; nothing else is touched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque

from jute import FrameReader, JuteError
from jute import records as R
from zkcompat.acl import AuthInfo, ip_identity
from zkcompat.constants import Err, OpCode
from zkcompat.fourletter import COMMANDS, FourLetterWords
from zkcompat.sasl import DigestMd5Server
from zkcompat.server import ZooKeeperServer

log = logging.getLogger(__name__)

_MARSHALLING_FRAME = R.frame(R.ReplyHeader)

# Replies queued for one connection beyond this many bytes are written at once, so that a
# client that stops reading is noticed (pause_writing) before a whole batch is answered.
_FLUSH_AT = 1 << 20

_monotonic = time.monotonic

# A reply later than this after its request arrived has a latency of at least 1 ms, the unit
# ZooKeeper counts in; quicker ones (nearly all) count as 0 ms and cost no arithmetic.
_ONE_MS = 0.001

# ZooKeeper writes a four-letter answer in chunks of this many characters and counts each
# chunk as a packet sent.
_ANSWER_CHUNK = 8192


class ClientConnection(asyncio.Protocol):
    """One client socket. ``session_id`` and ``identities`` are what the pipeline reads."""

    def __init__(self, port: ClientPort) -> None:
        self.port = port
        self.server = port.server
        self.reader = FrameReader(port.max_buffer)
        self.transport: asyncio.Transport | None = None
        self.session_id = 0
        self.identities = AuthInfo()
        self.sasl: DigestMd5Server | None = None  # a SASL login under way or done
        self.remote = ("?", 0)
        self.established = False
        self.closed = False
        self.packets_received = 0
        self.packets_sent = 0
        self.outbox: list[bytes] = []
        self.outbox_size = 0
        self.inbox: deque[bytes] = deque()
        self.writing_paused = False
        # Statistics for cons/stat/crst/mntr, as ZooKeeper's ServerCnxn keeps them. Counters
        # are cumulative; crst records a base to subtract instead of zeroing them, so the
        # server's totals (which srst resets on its own) are sums over connections.
        now = _monotonic()
        self.established_at = time.time()
        self.four_letter_word = False
        self.bytes_received = 0
        self.received_at = now  # when the last chunk arrived: its requests' start time
        self.slow_after = now + _ONE_MS
        self.responses = 0
        self.last_op: int | None = None  # ZooKeeper prints "null" until the first reply
        self.last_cxid = 0
        self.last_zxid = 0
        self.last_response = 0.0
        self.last_slow = 0.0  # when the last reply of at least 1 ms went out, and its latency:
        self.last_latency = 0
        self.slow_count = 0
        self.slow_total = 0
        self.min_latency: int | None = 0  # None after crst: no reply since
        self.max_latency = 0
        self.stats_base = (0, 0, 0)  # packets received, packets sent, replies at the last crst

    # asyncio callbacks ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is duck-typed
        peer = transport.get_extra_info("peername") or ("?", 0)
        self.remote = (peer[0], peer[1])
        if not self.port.admit(self):
            log.warning(
                "Too many connections from /%s - max is %d", self.remote[0], self.port.max_per_ip
            )
            self.close()
            return
        self.identities.add(ip_identity(self.remote[0]))

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        now = _monotonic()
        self.received_at = now
        self.slow_after = now + _ONE_MS
        if not self.established and self.packets_received == 0 and self._four_letter(data):
            return
        self.bytes_received += len(data)
        try:
            frames = self.reader.feed(data)
        except JuteError as error:
            log.warning("Closing connection from %s:%d: %s", *self.remote, error)
            self.close()
            return
        self.inbox.extend(frames)
        self._drain()

    def _drain(self) -> None:
        """Process queued frames until none are left or the client stops reading replies."""
        inbox = self.inbox
        while inbox and not self.writing_paused and not self.closed:
            payload = inbox.popleft()
            self.packets_received += 1
            keep = self._handshake(payload) if not self.established else self._request(payload)
            if not keep:
                self.close()
                return
            if self.outbox_size > _FLUSH_AT:
                self.flush()  # may pause writing, which stops this loop

    def pause_writing(self) -> None:
        """The client is not reading its replies: stop reading and answering its requests
        until it does, so one slow or hostile client cannot make the server buffer without
        bound."""
        self.writing_paused = True
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()
            self._drain()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.port.forget(self)
        if self.established:
            self.server.disconnected(self)

    # what the pipeline calls ----------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Queue bytes; everything queued in one event-loop callback leaves in one write."""
        if not self.closed and self.transport is not None:
            self.packets_sent += 1
            if not self.outbox:
                self.port.mark_dirty(self)
            self.outbox.append(data)
            self.outbox_size += len(data)

    def flush(self) -> None:
        if self.outbox:
            data = b"".join(self.outbox)
            self.outbox.clear()
            self.outbox_size = 0
            if not self.closed and self.transport is not None:
                self.transport.write(data)

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.flush()
            self.closed = True
            self.transport.close()

    def answered(self, xid: int, zxid: int) -> None:
        """Count one reply as ZooKeeper's ``updateStatsForResponse`` does. On every request's
        path: keep it to a clock read and a few stores."""
        now = _monotonic()
        self.last_response = now
        self.last_zxid = zxid
        if xid >= 0:  # pings and setWatches keep the last real cxid
            self.last_cxid = xid
        self.responses += 1
        if now >= self.slow_after:
            self._slow_reply(now)

    def _slow_reply(self, now: float) -> None:
        latency = int((now - self.received_at) * 1000)
        if latency <= 0:
            return
        self.last_slow = now
        self.last_latency = latency
        self.slow_count += 1
        self.slow_total += latency
        if self.min_latency is None or latency < self.min_latency:
            self.min_latency = latency
        self.max_latency = max(self.max_latency, latency)
        self.port.words.latency.add(latency)

    def reset_stats(self) -> None:
        """crst: ZooKeeper's ``ServerCnxn.resetStats``."""
        self.stats_base = (self.packets_received, self.packets_sent, self.responses)
        self.last_op = OpCode.error  # printed as "NA"
        self.last_cxid = -1
        self.last_zxid = -1
        self.last_response = 0.0
        self.last_slow = 0.0
        self.last_latency = 0
        self.slow_count = 0
        self.slow_total = 0
        self.min_latency = None
        self.max_latency = 0

    def interest_ops(self) -> int:
        """What ZooKeeper's selector would wait for: 1 to read, 4 to write, 0 for a socket
        answering a four-letter word."""
        if self.four_letter_word or self.closed or self.transport is None:
            return 0
        reading = 0 if self.writing_paused else 1
        writing = 4 if self.outbox or self.transport.get_write_buffer_size() else 0
        return reading | writing

    # internals ------------------------------------------------------------------------------

    def _four_letter(self, data: bytes) -> bool:
        """Answer a four-letter word sent instead of a handshake, then close (as ZooKeeper)."""
        word = data[:4].decode("ascii", "replace")
        if len(data) < 4 or word not in COMMANDS:
            return False
        self.four_letter_word = True
        self.packets_received += 1
        self.bytes_received += 4
        answer = self.port.words.answer(word, data[4:]).encode()
        if self.transport is not None:
            self.transport.write(answer)
            self.packets_sent += -(-len(answer) // _ANSWER_CHUNK)
            self.transport.write_eof() if self.transport.can_write_eof() else None
        self.close()
        return True

    def _handshake(self, payload: bytes) -> bool:
        old_client = False
        try:
            request, _ = R.ConnectRequest.decode(payload)
        except JuteError:
            try:  # a client older than 3.3 sends no readOnly flag
                request, _ = R.ConnectRequest.decode(payload + b"\0")
                old_client = True
            except JuteError as error:
                log.warning("Closing connection from %s:%d: bad handshake: %s", *self.remote, error)
                return False
        if not self.server.connect(self, request, old_client):
            return False
        self.established = True
        if request.sessionId == 0:  # ZooKeeper counts the createSession reply, "SESS"
            self.last_op = OpCode.createSession
            self.answered(0, self.server.tree.last_processed_zxid)
        return True

    def _request(self, payload: bytes) -> bool:
        try:
            return self.server.handle(self, payload)
        except JuteError as error:
            if len(payload) < 8:
                log.warning("Closing connection from %s:%d: %s", *self.remote, error)
                return False
            log.warning("Malformed request from %s:%d: %s", *self.remote, error)
            xid = int.from_bytes(payload[:4], "big", signed=True)
            zxid = self.server.tree.last_processed_zxid
            header = R.ReplyHeader(xid, zxid, Err.MarshallingError)
            self.send(_MARSHALLING_FRAME.encode((header,)))
            self.answered(xid, zxid)
            return True
        except Exception:
            # A bug of ours must cost this one connection, never the server.
            log.exception("Closing connection from %s:%d after an internal error", *self.remote)
            return False


class ClientPort:
    """The listening socket, the per-IP connection count and the session clock."""

    def __init__(
        self,
        server: ZooKeeperServer,
        *,
        max_buffer: int,
        max_per_ip: int,
        words: FourLetterWords,
    ) -> None:
        self.server = server
        self.max_buffer = max_buffer
        self.max_per_ip = max_per_ip
        self.words = words
        self.connections: set[ClientConnection] = set()
        self._dirty: list[ClientConnection] = []
        self._per_ip: Counter[str] = Counter()
        self._listener: asyncio.Server | None = None
        self._ticker: asyncio.Task[None] | None = None

    def mark_dirty(self, conn: ClientConnection) -> None:
        """Remember a connection with queued output; flush them all once this callback ends."""
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._flush)
        self._dirty.append(conn)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for conn in dirty:
            conn.flush()

    def admit(self, conn: ClientConnection) -> bool:
        ip = conn.remote[0]
        if self.max_per_ip > 0 and self._per_ip[ip] >= self.max_per_ip:
            return False
        self._per_ip[ip] += 1
        self.connections.add(conn)
        return True

    def forget(self, conn: ClientConnection) -> None:
        if conn in self.connections:
            self.connections.discard(conn)
            self.words.retire(conn)
            ip = conn.remote[0]
            self._per_ip[ip] -= 1
            if self._per_ip[ip] <= 0:
                del self._per_ip[ip]

    async def start(self, host: str, port: int) -> int:
        """Listen, start the session clock, and return the bound port (useful for port 0)."""
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(
            lambda: ClientConnection(self), host, port, reuse_address=True
        )
        self._ticker = asyncio.create_task(self._tick())
        bound = self._listener.sockets[0].getsockname()[1]
        log.info("binding to port %s:%d", host, bound)
        return bound

    async def _tick(self) -> None:
        tick = self.server.settings.tick_time / 1000
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            await asyncio.sleep(tick - (now % tick))
            self.server.tick()

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self._listener is not None:
            self._listener.close()
            await self._listener.wait_closed()
        for conn in list(self.connections):
            conn.close()
