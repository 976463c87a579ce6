"""A thin TCP proxy in front of a ZooKeeper server that corrupts chosen replies on purpose.

It exists to test the conformance suite: a suite is only worth something if it notices when a
server gets things wrong, so tests put this proxy between the suite and a correct zkcompat and
make it lie in one precise way (an error code, a lost watch event, reordered children, a stat
field off by one).

Owns three things, from the inside out:

* `Reply` and the `Mutation` kinds: pure decisions, per reply frame, to pass it, rewrite it
  (re-encoded with the jute records, so the frame stays valid) or drop it;
* `ProxyConnection`: sans-IO, one per client connection. Bytes from either side go in, bytes
  for the other side come out. It follows the ZooKeeper wire protocol just far enough to know
  which opcode each reply answers: the connect request and response (first frame each way),
  then request headers (xid, opcode) and reply headers (xid, zxid, err). Four-letter words are
  not framed and pass through untouched;
* `MutatingProxy`: the asyncio I/O around them, on its own event loop in a daemon thread,
  listening on an ephemeral loopback port.

Anything a mutation does not change goes out byte for byte as it came in. Knows nothing of
the conformance suite or of kazoo.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from jute import DEFAULT_MAX_BUFFER, FrameReader, JuteError, frame
from jute import records as R
from zkcompat.constants import NOTIFICATION_XID, Err, EventType, OpCode

HEADER_SIZE = 16  # ReplyHeader: xid int, zxid long, err int

# The reply body record of each opcode whose successful reply carries a Stat.
STAT_REPLIES: dict[int | None, type] = {
    OpCode.exists: R.ExistsResponse,
    OpCode.getData: R.GetDataResponse,
    OpCode.setData: R.SetDataResponse,
    OpCode.getACL: R.GetACLResponse,
    OpCode.setACL: R.SetACLResponse,
    OpCode.getChildren2: R.GetChildren2Response,
    OpCode.create2: R.Create2Response,
    OpCode.createContainer: R.Create2Response,
    OpCode.createTTL: R.Create2Response,
}

CHILDREN_REPLIES: dict[int | None, type] = {
    OpCode.getChildren: R.GetChildrenResponse,
    OpCode.getChildren2: R.GetChildren2Response,
}


# ---------------------------------------------------------------------------------------------
# Replies and mutations


@dataclass(frozen=True)
class Reply:
    """One reply frame from the server, with the opcode of the request it answers.

    `opcode` is `OpCode.notification` for watch events and None when no request with this xid
    was seen; `body` is everything after the reply header, still encoded.
    """

    opcode: int | None
    header: Any  # jute ReplyHeader(xid, zxid, err)
    body: bytes

    @property
    def err(self) -> int:
        return self.header.err

    def encode(self) -> bytes:
        """The frame payload (without the length prefix)."""
        return self.header.encode() + self.body

    def with_err(self, err: int) -> Reply:
        return replace(self, header=self.header._replace(err=err))

    def decode_body(self, record: type) -> Any:
        return record.decode(self.body, 0)[0]

    def with_body(self, record: Any) -> Reply:
        return replace(self, body=record.encode())


class Mutation:
    """A fault to inject. This base class is the identity: every reply passes unchanged.

    Subclasses override `rewrite`, returning the reply itself to pass it, another `Reply` to
    send instead, or None to drop it. Calling the mutation counts what it saw and changed, so a
    test can tell "the suite missed the fault" from "the fault never happened".
    """

    description = "no fault: every reply passes unchanged"

    def __init__(self) -> None:
        self.seen = 0
        self.applied = 0

    def __call__(self, reply: Reply) -> Reply | None:
        self.seen += 1
        result = self.rewrite(reply)
        if result is not reply:
            self.applied += 1
        return result

    def rewrite(self, reply: Reply) -> Reply | None:
        return reply

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.description}>"


class FlipError(Mutation):
    """Replace one error code with another in replies to `opcode` (any opcode if None).

    Only the header's err changes; the body (empty for all but multi) is kept, so the frame stays
    valid.
    """

    def __init__(self, from_err: int, to_err: int, opcode: int | None = None) -> None:
        super().__init__()
        self.from_err, self.to_err, self.opcode = from_err, to_err, opcode
        on = "any op" if opcode is None else OpCode(opcode).name
        self.description = f"{Err(from_err).name} becomes {Err(to_err).name} on {on}"

    def rewrite(self, reply: Reply) -> Reply | None:
        if reply.err != self.from_err or reply.opcode == OpCode.notification:
            return reply
        if self.opcode is not None and reply.opcode != self.opcode:
            return reply
        return reply.with_err(self.to_err)


class DropEvent(Mutation):
    """Drop watch notifications of one event type; only the first `limit` of them if given."""

    def __init__(self, event_type: int, limit: int | None = None) -> None:
        super().__init__()
        self.event_type, self.limit = event_type, limit
        name = EventType(event_type).name
        if limit is None:
            self.description = f"every {name} event lost"
        else:
            self.description = f"the first {limit} {name} event(s) lost"

    def rewrite(self, reply: Reply) -> Reply | None:
        if reply.opcode != OpCode.notification:
            return reply
        if reply.decode_body(R.WatcherEvent).type != self.event_type:
            return reply
        if self.limit is not None and self.applied >= self.limit:
            return reply
        return None


def reverse(names: list[str]) -> list[str]:
    return names[::-1]


class ReorderChildren(Mutation):
    """Rearrange the children of getChildren and getChildren2 replies (reversed by default)."""

    def __init__(self, arrange: Callable[[list[str]], list[str]] = reverse) -> None:
        super().__init__()
        self.arrange = arrange
        self.description = f"children listed in {arrange.__name__} order"

    def rewrite(self, reply: Reply) -> Reply | None:
        record_type = CHILDREN_REPLIES.get(reply.opcode)
        if record_type is None or reply.err != 0:
            return reply
        record = reply.decode_body(record_type)
        children = list(record.children or [])
        arranged = self.arrange(children)
        if arranged == children:  # nothing to reorder: the reply stays byte for byte
            return reply
        return reply.with_body(record._replace(children=arranged))


class BumpStat(Mutation):
    """Add `by` to one Stat field in every successful reply that carries a Stat."""

    def __init__(self, field: str, by: int = 1) -> None:
        super().__init__()
        if field not in R.Stat._fields:
            raise ValueError(f"Stat has no field {field!r}")
        self.field, self.by = field, by
        self.description = f"stat.{field} off by {by:+d}"

    def rewrite(self, reply: Reply) -> Reply | None:
        record_type = STAT_REPLIES.get(reply.opcode)
        if record_type is None or reply.err != 0:
            return reply
        record = reply.decode_body(record_type)
        stat = record.stat._replace(**{self.field: getattr(record.stat, self.field) + self.by})
        return reply.with_body(record._replace(stat=stat))


# ---------------------------------------------------------------------------------------------
# One connection, sans-IO


class ProxyConnection:
    """The protocol state of one proxied connection: bytes in from either side, bytes out.

    A new connection's first four bytes decide its kind: four ASCII letters are a four-letter
    word (whose answer is unframed text), anything else is the length of a connect request.
    """

    def __init__(self, mutation: Mutation, max_buffer: int = DEFAULT_MAX_BUFFER) -> None:
        self.mutation = mutation
        self.four_letter = False
        self.connect_request: Any = None
        self.connect_response: Any = None
        self._sniffed = bytearray()
        self._kind_known = False
        self._client_frames = FrameReader(max_buffer)
        self._server_frames = FrameReader(max_buffer)
        self._client_frames_seen = 0
        self._server_frames_seen = 0
        self._pending: dict[int, int] = {}  # xid -> opcode of requests not yet answered

    def from_client(self, data: bytes) -> bytes:
        """Bytes to send to the server for `data` received from the client."""
        if not self._kind_known:
            data = self._sniff(data)
        if self.four_letter:
            return data
        return b"".join(frame(self._request(p)) for p in self._client_frames.feed(data))

    def from_server(self, data: bytes) -> bytes:
        """Bytes to send to the client for `data` received from the server."""
        if self.four_letter:
            return data
        out = []
        for payload in self._server_frames.feed(data):
            forwarded = self._reply(payload)
            if forwarded is not None:
                out.append(frame(forwarded))
        return b"".join(out)

    def _sniff(self, data: bytes) -> bytes:
        """Hold bytes back until four have arrived and say what kind of connection this is."""
        self._sniffed += data
        if len(self._sniffed) < 4:
            return b""
        self._kind_known = True
        self.four_letter = bytes(self._sniffed[:4]).isalpha()
        data, self._sniffed = bytes(self._sniffed), bytearray()
        return data

    def _request(self, payload: bytes) -> bytes:
        """Note which opcode each xid asks for; requests themselves are never changed."""
        self._client_frames_seen += 1
        if self._client_frames_seen == 1:
            self.connect_request = _decode_or_none(R.ConnectRequest, payload)
            return payload
        header = _decode_or_none(R.RequestHeader, payload)
        if header is not None:
            self._pending[header.xid] = header.type
        return payload

    def _reply(self, payload: bytes) -> bytes | None:
        """The payload to forward for one server frame, or None to drop it."""
        self._server_frames_seen += 1
        if self._server_frames_seen == 1:
            self.connect_response = _decode_or_none(R.ConnectResponse, payload)
            return payload
        header = _decode_or_none(R.ReplyHeader, payload)
        if header is None:
            return payload
        opcode = (
            OpCode.notification
            if header.xid == NOTIFICATION_XID
            else self._pending.pop(header.xid, None)
        )
        reply = Reply(opcode, header, payload[HEADER_SIZE:])
        result = self.mutation(reply)
        if result is None:
            return None
        return payload if result is reply else result.encode()


def _decode_or_none(record: type, payload: bytes) -> Any:
    """A record decoded from the start of `payload`, or None if it does not parse: the proxy
    forwards what it cannot read rather than breaking the connection itself."""
    try:
        return record.decode(payload, 0)[0]
    except JuteError:
        return None


# ---------------------------------------------------------------------------------------------
# I/O


class MutatingProxy:
    """Accepts clients on 127.0.0.1 (ephemeral port) and relays each to `upstream`.

    Every connection gets its own upstream connection and `ProxyConnection`, all sharing one
    `mutation` (so a mutation that drops "the first event" drops the first one overall).
    """

    def __init__(self, upstream: str, mutation: Mutation | None = None) -> None:
        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.mutation = mutation if mutation is not None else Mutation()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="mutating proxy", daemon=True
        )
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shut(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shut(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _relay(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._relay_until_closed(client_reader, client_writer)
        finally:
            self._connections.discard(task)
            client_writer.close()

    async def _relay_until_closed(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        """Pump both ways until either side closes, then close the other side too."""
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            return
        connection = ProxyConnection(self.mutation)
        pumps = [
            asyncio.create_task(_pump(client_reader, server_writer, connection.from_client)),
            asyncio.create_task(_pump(server_reader, client_writer, connection.from_server)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            server_writer.close()


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, translate: Callable[[bytes], bytes]
) -> None:
    """Copy from `reader` to `writer` through `translate` until end of stream or an error."""
    try:
        while data := await reader.read(65536):
            out = translate(data)
            if out:
                writer.write(out)
                await writer.drain()
    except (OSError, JuteError):
        return


@contextmanager
def mutating_proxy(upstream: str, mutation: Mutation | None = None) -> Iterator[MutatingProxy]:
    """A running proxy in front of `upstream` ("host:port"), stopped on exit."""
    proxy = MutatingProxy(upstream, mutation)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
