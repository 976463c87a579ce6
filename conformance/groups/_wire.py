"""Raw-wire requests kazoo 2.11 cannot send: for the persistent, reads and ttl groups.

Owns `Wire`, a session over a plain socket (a `RawSession`) with one method per request these
groups send, each returning the reply's error code (and decoded body) rather than raising, so
that a scenario can state the exact code Apache ZooKeeper gives. Bodies are encoded and decoded
with `jute.records`, the records of `zookeeper.jute`, so field layouts come from one place.

Watch events are collected as `RawSession` reads them: a notification (xid -1) that arrives
before a reply is recorded before that reply is returned. `Wire.flush()` is a sync round trip:
ZooKeeper queues an event on the watcher's connection when it applies the change, before the
reply to anything this session sends afterwards, so once a write elsewhere is acknowledged,
`flush()` returns every event it caused, and "no event" needs no sleep. Events are shown as
`(EventType name, path relative to the scenario's base)` so that a failure reads naturally.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.context import Context
from conformance.groups._support import RawSession, on_close, raw_session
from conformance.scenario import expect
from jute import records as R
from zkcompat.constants import EventType, KeeperState, OpCode

OPEN_ACL = (R.ACL(perms=31, id=R.Id(scheme="world", id="anyone")),)
ANY_VERSION = -1
AUTH_XID = -4


@dataclass(frozen=True)
class Request:
    """A request as `RawSession.request` sends it: an opcode and its body (a record or bytes)."""

    type: int
    body: Any = b""

    def serialize(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else bytes(self.body.encode())


@dataclass(frozen=True)
class Reply:
    """A reply header's error code and zxid, and the body that followed it."""

    err: int
    zxid: int
    body: bytes

    def decode(self, record: type) -> Any:
        """The body as `record` (only meaningful when `err` is 0)."""
        found, _ = record.decode(self.body, 0)
        return found


@dataclass(frozen=True)
class MultiResult:
    """One op's result in a multi reply: its MultiHeader type and err, and its decoded body."""

    type: int
    err: int
    body: Any


def event_name(kind: int) -> str:
    """An event type's name as ZooKeeper's Java client spells it, or its number if unknown."""
    try:
        return EventType(kind).name
    except ValueError:
        return str(kind)


class Wire:
    """One raw session of a scenario, with the requests the new groups need."""

    def __init__(self, ctx: Context, raw: RawSession) -> None:
        self.ctx = ctx
        self.raw = raw
        self._taken = 0  # how many of raw.events `flush` has already handed out

    @property
    def session_id(self) -> int:
        assert self.raw.handshake is not None
        return self.raw.handshake.session_id

    @property
    def password(self) -> bytes:
        assert self.raw.handshake is not None
        return self.raw.handshake.password

    def call(self, opcode: int, body: Any = b"") -> Reply:
        header, payload = self.raw.request(Request(int(opcode), body))
        return Reply(header.err, header.zxid, payload)

    # --- events --------------------------------------------------------------------------------

    def shown(self, path: str) -> str:
        """A path as events and results show it: relative to the scenario's base."""
        base = self.ctx.base
        if path == base:
            return "."
        return path.removeprefix(base + "/") if path.startswith(base + "/") else path

    def events(self) -> list[tuple[str, str]]:
        """Every event so far, oldest first, as (type name, shown path)."""
        for kind, state, path in self.raw.events:
            connected = int(KeeperState.SyncConnected)
            expect(state, connected, f"state of the event {kind} on {path}")
        return [(event_name(kind), self.shown(path)) for kind, _, path in self.raw.events]

    def new_events(self) -> list[tuple[str, str]]:
        """The events received since the last call of `new_events` or `flush`."""
        found = self.events()[self._taken :]
        self._taken = len(self.raw.events)
        return found

    def flush(self) -> list[tuple[str, str]]:
        """A sync round trip, then the events received since the last flush."""
        expect(self.call(OpCode.sync, R.SyncRequest(path="/")).err, 0, "sync error code")
        return self.new_events()

    # --- plain operations ----------------------------------------------------------------------

    def create(
        self,
        path: str,
        data: bytes = b"",
        flags: int = 0,
        acl: Sequence[Any] = OPEN_ACL,
    ) -> Reply:
        """create2 (opcode 15): the reply carries the created path and the new node's stat."""
        request = R.CreateRequest(path=path, data=data, acl=list(acl), flags=flags)
        return self.call(OpCode.create2, request)

    def create_ttl(
        self, path: str, ttl: int, flags: int = 5, data: bytes = b"", acl: Sequence[Any] = OPEN_ACL
    ) -> Reply:
        request = R.CreateTTLRequest(path=path, data=data, acl=list(acl), flags=flags, ttl=ttl)
        return self.call(OpCode.createTTL, request)

    def set_data(self, path: str, data: bytes, version: int = ANY_VERSION) -> Reply:
        return self.call(OpCode.setData, R.SetDataRequest(path=path, data=data, version=version))

    def delete(self, path: str, version: int = ANY_VERSION) -> Reply:
        return self.call(OpCode.delete, R.DeleteRequest(path=path, version=version))

    def get_data(self, path: str, watch: bool = False) -> Reply:
        return self.call(OpCode.getData, R.GetDataRequest(path=path, watch=watch))

    def exists(self, path: str, watch: bool = False) -> Reply:
        return self.call(OpCode.exists, R.ExistsRequest(path=path, watch=watch))

    def get_children(self, path: str, watch: bool = False) -> Reply:
        return self.call(OpCode.getChildren, R.GetChildrenRequest(path=path, watch=watch))

    def stat(self, path: str) -> Any:
        """The node's stat (exists, no watch); fails the scenario if the node is missing."""
        reply = self.exists(path)
        expect(reply.err, 0, f"exists {self.shown(path)} error code")
        return reply.decode(R.ExistsResponse).stat

    def ok(self, reply: Reply, what: str) -> Reply:
        """`reply`, after checking that it succeeded."""
        expect(reply.err, 0, f"{what} error code")
        return reply

    def create_ok(self, path: str, data: bytes = b"", flags: int = 0, **options: Any) -> Reply:
        """A create that must succeed: setting up, not the behaviour under test."""
        return self.ok(self.create(path, data, flags, **options), f"create {self.shown(path)}")

    def set_ok(self, path: str, data: bytes) -> Reply:
        return self.ok(self.set_data(path, data), f"setData {self.shown(path)}")

    def delete_ok(self, path: str) -> Reply:
        return self.ok(self.delete(path), f"delete {self.shown(path)}")

    # --- watches -------------------------------------------------------------------------------

    def add_watch(self, path: str, mode: int) -> Reply:
        return self.call(OpCode.addWatch, R.AddWatchRequest(path=path, mode=mode))

    def remove_watches(self, path: str, kind: int) -> Reply:
        return self.call(OpCode.removeWatches, R.RemoveWatchesRequest(path=path, type=kind))

    def check_watches(self, path: str, kind: int) -> Reply:
        return self.call(OpCode.checkWatches, R.CheckWatchesRequest(path=path, type=kind))

    def set_watches2(
        self,
        relative_zxid: int,
        *,
        data: Iterable[str] = (),
        exist: Iterable[str] = (),
        child: Iterable[str] = (),
        persistent: Iterable[str] = (),
        recursive: Iterable[str] = (),
    ) -> Reply:
        request = R.SetWatches2(
            relativeZxid=relative_zxid,
            dataWatches=list(data),
            existWatches=list(exist),
            childWatches=list(child),
            persistentWatches=list(persistent),
            persistentRecursiveWatches=list(recursive),
        )
        return self.call(OpCode.setWatches2, request)

    # --- multi ---------------------------------------------------------------------------------

    def multi(self, opcode: int, ops: Sequence[tuple[int, Any]]) -> Reply:
        """A multi (14) or multiRead (22) of `(opcode, request record)` ops."""
        return self.call(opcode, encode_multi(ops))

    # --- session -------------------------------------------------------------------------------

    def add_auth(self, scheme: str, credential: str) -> int:
        """addauth (opcode 100, xid -4); returns the reply's error code."""
        packet = R.AuthPacket(type=0, scheme=scheme, auth=credential.encode())
        header, _ = self.raw.request(Request(OpCode.auth, packet), xid=AUTH_XID)
        return int(header.err)

    def close_session(self) -> None:
        """closeSession: ends the session now (its ephemerals go, its watches with it)."""
        with contextlib.suppress(OSError):
            self.raw.request(Request(OpCode.closeSession))
        self.raw.close()


def wire(ctx: Context, timeout: int = 30000, **options: Any) -> Wire:
    """A new raw session to the first server, closed (closeSession) when the scenario ends."""
    raw = raw_session(ctx, timeout, **options)
    session = Wire(ctx, raw)
    on_close(ctx, session.close_session)
    return session


def remove_later(ctx: Context, *paths: str) -> None:
    """Delete `paths`, in order, when the scenario ends, whatever their ACLs allow to read.

    The runner's admin session removes a scenario's tree by listing it, which fails at a node
    it cannot read; unreadable nodes are leaves here, and deleting a leaf needs only DELETE on
    its parent. Failures are ignored: a node may already be gone.
    """

    def remove() -> None:
        raw = RawSession(ctx.first_host)
        try:
            raw.connect(10000)
            cleaner = Wire(ctx, raw)
            for path in paths:
                cleaner.delete(path)
            cleaner.close_session()
        except OSError:
            raw.close()

    on_close(ctx, remove)


def resume(ctx: Context, session: Wire) -> Wire:
    """The same session on a new connection; the server closes the old one."""
    return wire(ctx, session_id=session.session_id, password=session.password)


# --- multi bodies -------------------------------------------------------------------------------

_DONE = R.MultiHeader(type=-1, done=True, err=-1)


def encode_multi(ops: Sequence[tuple[int, Any]]) -> bytes:
    """A MultiOperationRecord: each op's MultiHeader (err -1) and request, then the end marker."""
    body = bytearray()
    for opcode, record in ops:
        body += R.MultiHeader(type=int(opcode), done=False, err=-1).encode()
        body += record.encode()
    body += _DONE.encode()
    return bytes(body)


_RESULT_RECORDS: dict[int, Any] = {
    OpCode.getData: R.GetDataResponse,
    OpCode.getChildren: R.GetChildrenResponse,
    OpCode.create: R.CreateResponse,
    OpCode.create2: R.Create2Response,
    # ZooKeeper answers createTTL and createContainer ops as create2; decoding them too lets a
    # scenario report a server that answers with the op's own type as a difference, not garbage.
    OpCode.createTTL: R.Create2Response,
    OpCode.createContainer: R.Create2Response,
    OpCode.setData: R.SetDataResponse,
    OpCode.error: R.ErrorResponse,
}


def decode_multi(body: bytes) -> tuple[list[MultiResult], bytes]:
    """A MultiResponse's results up to its end marker, and any bytes after the marker."""
    results, offset = [], 0
    while True:
        header, offset = R.MultiHeader.decode(body, offset)
        if header.done:
            expect((header.type, header.err), (-1, -1), "(type, err) of the multi end marker")
            return results, body[offset:]
        record = _RESULT_RECORDS.get(header.type)
        found = None
        if record is not None:
            found, offset = record.decode(body, offset)
        results.append(MultiResult(header.type, header.err, found))


def error_code(body: bytes) -> int:
    """The int of an ErrorResponse body (addWatch answers with one)."""
    (code,) = struct.unpack_from("!i", body, 0)
    return int(code)
