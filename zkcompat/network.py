"""The client port: asyncio protocol objects that move bytes between sockets and the pipeline.

A :class:`ClientConnection` frames incoming bytes (``jute.FrameReader`` enforces
``jute.maxbuffer``), answers a four-letter word if that is what the first bytes spell,
completes the handshake, and hands every later frame to :class:`ZooKeeperServer`. Errors are
values at this edge: a bad frame or an undecodable handshake closes this one connection with a
log line; nothing else is touched.

A :class:`ClientPort` may listen twice: on the plain client port and, with a
:class:`~zkcompat.tls.ServerTls`, on the secure client port, where the same protocol runs inside
TLS. A connection there that presented a verified client certificate starts with its x509
identity; a failed TLS handshake costs only that connection.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import Counter, deque

from jute import FrameReader, JuteError
from jute import records as R
from zkcompat.acl import AuthInfo, ip_identity
from zkcompat.constants import Err, OpCode
from zkcompat.fourletter import COMMANDS, FourLetterWords
from zkcompat.sasl import DigestMd5Server
from zkcompat.server import ZooKeeperServer
from zkcompat.tls import ServerTls, TlsSession

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

    def __init__(self, port: ClientPort, tls: ServerTls | None = None) -> None:
        self.port = port
        self.tls = tls  # the secure port's settings, None on the plain port
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
        if self.tls is not None:
            self._certificate_identities(transport)

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

    def _certificate_identities(self, transport: asyncio.BaseTransport) -> None:
        """Add the x509 identity of the client certificate the TLS handshake verified, as
        ZooKeeper's ``CertificateVerifier`` does once the handshake is done. A client that
        sent none (allowed with clientAuth=want, never asked with none) has no x509 identity."""
        assert self.tls is not None
        ssl_object = transport.get_extra_info("ssl_object")
        certificate = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if certificate is None:
            return
        try:
            identities = self.tls.identities(certificate)
        except ValueError as error:  # OpenSSL verified it, so this would be a bug of ours
            log.error(
                "Closing connection from %s:%d: bad client certificate: %s", *self.remote, error
            )
            self.close()
            return
        for identity in identities:
            self.identities.add(identity)
        log.info("Authenticated Id '%s' for Scheme 'x509'", identities[-1].id)

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


class TlsStream(asyncio.Protocol, asyncio.Transport):
    """A secure-port socket: TLS between it and a :class:`ClientConnection`.

    To the socket's transport this is the protocol; to the ClientConnection it is the
    transport, so the same connection code serves both ports. Ciphertext goes through a
    sans-IO :class:`~zkcompat.tls.TlsSession`. The ClientConnection comes to life (is
    admitted, gets its ip and x509 identities) only once the handshake has succeeded, as in
    ZooKeeper, where a connection joins the server after its ``CertificateVerifier`` passes. A
    failed handshake (no certificate when one is needed, an untrusted one, no common protocol
    or cipher suite, bytes that are not TLS, no handshake within the timeout) sends the TLS
    alert, closes this socket and logs why, as ZooKeeper's "Unsuccessful handshake"; nothing
    else is touched.
    """

    def __init__(self, port: ClientPort, tls: ServerTls) -> None:
        super().__init__()
        self.port = port
        self.conn = ClientConnection(port, tls)
        self.session = TlsSession(tls.context)
        self.timeout = tls.handshake_timeout
        self.raw: asyncio.Transport | None = None
        self.remote = ("?", 0)
        self.started = False  # the handshake succeeded and conn took over
        self.closing = False
        self._timer: asyncio.TimerHandle | None = None

    # the socket's side ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.raw = transport  # type: ignore[assignment]  # uvloop's is duck-typed
        peer = transport.get_extra_info("peername") or ("?", 0)
        self.remote = (peer[0], peer[1])
        self.port.handshaking.add(self)
        self._timer = asyncio.get_running_loop().call_later(self.timeout, self._too_slow)

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        try:
            plaintext = self.session.receive(data)
        except ssl.SSLError as error:
            what = "TLS error" if self.started else "Unsuccessful TLS handshake"
            log.warning("%s with %s:%d: %s", what, *self.remote, error)
            self._write_raw(self.session.outgoing())  # the alert
            self._abort()
            return
        self._write_raw(self.session.outgoing())
        if not self.started and self.session.handshake_done:
            self._start()
        if plaintext and self.started:
            self.conn.data_received(plaintext)
        if self.session.peer_closed:
            self.close()

    def eof_received(self) -> bool | None:
        return None  # the client shut its side: close ours

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.started and not self.closing and not self.port.stopping:
            log.info("TLS handshake with %s:%d: the client closed the connection", *self.remote)
        self.closing = True
        self._forget()
        if self.started:
            self.conn.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.started:
            self.conn.pause_writing()

    def resume_writing(self) -> None:
        if self.started:
            self.conn.resume_writing()

    def _start(self) -> None:
        self.started = True
        self._forget()
        self.conn.connection_made(self)

    def _too_slow(self) -> None:
        self._timer = None
        log.warning(
            "Unsuccessful TLS handshake with %s:%d: no handshake within %g s",
            *self.remote,
            self.timeout,
        )
        self._abort()

    def _forget(self) -> None:
        self.port.handshaking.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _write_raw(self, data: bytes) -> None:
        if data and self.raw is not None:
            self.raw.write(data)

    def _abort(self) -> None:
        self.closing = True
        self._forget()
        if self.raw is not None:
            self.raw.close()  # after what is buffered, the alert included

    # the ClientConnection's side: a transport --------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.closing:
            return
        try:
            self._write_raw(self.session.encrypt(bytes(data)))
        except ssl.SSLError as error:
            log.warning("TLS error with %s:%d: %s", *self.remote, error)
            self._abort()

    def close(self) -> None:
        if not self.closing:
            self._write_raw(self.session.shutdown())
            self._abort()

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: object = None) -> object:
        if name == "ssl_object":
            return self.session.ssl_object
        return self.raw.get_extra_info(name, default) if self.raw is not None else default

    def pause_reading(self) -> None:
        if self.raw is not None:
            self.raw.pause_reading()

    def resume_reading(self) -> None:
        if self.raw is not None:
            self.raw.resume_reading()

    def is_reading(self) -> bool:
        return self.raw is not None and self.raw.is_reading()

    def get_write_buffer_size(self) -> int:
        return self.raw.get_write_buffer_size() if self.raw is not None else 0

    def can_write_eof(self) -> bool:
        return False  # TLS has close_notify, not half-close


class ClientPort:
    """The listening sockets (plain and secure), the per-IP connection counts and the
    session clock."""

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
        # ZooKeeper's two connection factories each count maxClientCnxns on their own.
        self._per_ip: Counter[tuple[bool, str]] = Counter()
        self._listeners: list[asyncio.Server] = []
        self.handshaking: set[TlsStream] = set()  # secure sockets not yet connections
        self.stopping = False
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
        ip = (conn.tls is not None, conn.remote[0])
        if self.max_per_ip > 0 and self._per_ip[ip] >= self.max_per_ip:
            return False
        self._per_ip[ip] += 1
        self.connections.add(conn)
        return True

    def forget(self, conn: ClientConnection) -> None:
        if conn in self.connections:
            self.connections.discard(conn)
            self.words.retire(conn)
            ip = (conn.tls is not None, conn.remote[0])
            self._per_ip[ip] -= 1
            if self._per_ip[ip] <= 0:
                del self._per_ip[ip]

    async def start(self, host: str, port: int) -> int:
        """Listen, start the session clock, and return the bound port (useful for port 0)."""
        loop = asyncio.get_running_loop()
        listener = await loop.create_server(
            lambda: ClientConnection(self), host, port, reuse_address=True
        )
        return self._listening(listener, host)

    async def start_secure(self, host: str, port: int, tls: ServerTls) -> int:
        """Listen with TLS as well (or only), start the session clock if the plain port has
        not, and return the bound port. Each socket is a :class:`TlsStream`."""
        loop = asyncio.get_running_loop()
        listener = await loop.create_server(
            lambda: TlsStream(self, tls), host, port, reuse_address=True
        )
        return self._listening(listener, host, " for secure connections")

    def _listening(self, listener: asyncio.Server, host: str, what: str = "") -> int:
        self._listeners.append(listener)
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick())
        bound: int = listener.sockets[0].getsockname()[1]
        log.info("binding to port %s:%d%s", host, bound, what)
        return bound

    async def _tick(self) -> None:
        tick = self.server.settings.tick_time / 1000
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            await asyncio.sleep(tick - (now % tick))
            self.server.tick()

    async def stop(self) -> None:
        self.stopping = True
        if self._ticker is not None:
            self._ticker.cancel()
        for listener in self._listeners:
            listener.close()
        for stream in list(self.handshaking):
            stream.close()
        for listener in self._listeners:
            await listener.wait_closed()
        for conn in list(self.connections):
            conn.close()
