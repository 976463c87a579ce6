"""limits: jute.maxbuffer, the largest request frame the server reads (default 1048575 bytes).

Apache ZooKeeper 3.8 checks the 4-byte length prefix of each incoming frame: a length above
1048575 (or negative) closes that connection at once, before the body is read and before
or after the handshake alike. The session itself is not closed: it can be resumed. Other
connections are not affected. A request of exactly 1048575 bytes is served. The limit is on
what the server reads: a getData reply for a node of that size is larger, and is sent.

Frames are sent over plain sockets (`RawSession`); "frame length" below is the length prefix,
i.e. the request header and body without the prefix itself.
"""

from __future__ import annotations

import struct

from kazoo.protocol.serialization import (
    Close,
    Create,
    Exists,
    GetData,
    SetData,
    Transaction,
)
from kazoo.protocol.states import KazooState
from kazoo.security import OPEN_ACL_UNSAFE

from conformance.context import Context
from conformance.groups._support import ConnectionClosed, RawSession, raw_session
from conformance.scenario import expect, scenario

GROUP = "limits"
MAX_BUFFER = 1048575  # jute.maxbuffer's default: 0xfffff


def frame_length(record: object) -> int:
    """The length prefix a request frame for `record` carries (header of 8 bytes + body)."""
    return 8 + len(record.serialize())  # type: ignore[attr-defined]


def create_of_length(path: str, length: int, flags: int = 0) -> Create:
    """A create of `path` whose request frame is exactly `length` bytes long."""
    empty = frame_length(Create(path, b"", OPEN_ACL_UNSAFE, flags))
    record = Create(path, b"d" * (length - empty), OPEN_ACL_UNSAFE, flags)
    assert frame_length(record) == length
    return record


def set_of_length(path: str, length: int) -> SetData:
    empty = frame_length(SetData(path, b"", -1))
    record = SetData(path, b"s" * (length - empty), -1)
    assert frame_length(record) == length
    return record


def outcome(raw: RawSession, record: object) -> str:
    """'ok', 'error <code>' or 'closed' for one request."""
    try:
        header, _ = raw.request(record)
    except ConnectionClosed:
        return "closed"
    return "ok" if header.err == 0 else f"error {header.err}"


@scenario(group=GROUP)
def create_at_the_limit(ctx: Context) -> None:
    """A create whose frame is exactly 1048575 bytes succeeds; the data reads back whole."""
    raw = raw_session(ctx, 10000)
    record = create_of_length(ctx.path("big"), MAX_BUFFER)
    expect(outcome(raw, record), "ok", "create of a 1048575-byte frame")
    data, stat = ctx.client().get(ctx.path("big"))
    expect((len(data), stat.dataLength), (len(record.data),) * 2, "(data length, dataLength)")
    expect(data == record.data, True, "data read back equals data written")
    raw.request(Close)


@scenario(group=GROUP)
def create_over_the_limit_closes(ctx: Context) -> None:
    """A create frame of 1048576 bytes gets no reply: the connection is closed, no node made."""
    raw = raw_session(ctx, 10000)
    record = create_of_length(ctx.path("big"), MAX_BUFFER + 1)
    expect(outcome(raw, record), "closed", "create of a 1048576-byte frame")
    expect(ctx.client().exists(ctx.path("big")), None, "node after the refused create")


@scenario(group=GROUP)
def set_data_at_and_over_the_limit(ctx: Context) -> None:
    """setData of a 1048575-byte frame succeeds; one byte more closes the connection."""
    zk = ctx.client()
    zk.create(ctx.path("n"))
    raw = raw_session(ctx, 10000)
    expect(outcome(raw, set_of_length(ctx.path("n"), MAX_BUFFER)), "ok", "setData at the limit")
    expect(outcome(raw, set_of_length(ctx.path("n"), MAX_BUFFER + 1)), "closed", "one over")
    expect(zk.exists(ctx.path("n")).version, 1, "version after the two setData")


@scenario(group=GROUP)
def length_prefix_alone_closes(ctx: Context) -> None:
    """The server closes on an oversized length prefix without waiting for the body."""
    raw = raw_session(ctx, 10000)
    raw.sock.sendall(struct.pack("!i", MAX_BUFFER + 1))
    expect(raw.is_closed_by_server(), True, "connection closed after the prefix alone")


@scenario(group=GROUP)
def huge_length_prefix_closes(ctx: Context) -> None:
    """A length prefix of 2**31-1 closes the connection."""
    raw = raw_session(ctx, 10000)
    raw.sock.sendall(struct.pack("!i", 2**31 - 1))
    expect(raw.is_closed_by_server(), True, "connection closed")


@scenario(group=GROUP)
def negative_length_prefix_closes(ctx: Context) -> None:
    """A negative length prefix closes the connection."""
    raw = raw_session(ctx, 10000)
    raw.sock.sendall(struct.pack("!i", -1))
    expect(raw.is_closed_by_server(), True, "connection closed")


@scenario(group=GROUP)
def oversized_frame_before_handshake_closes(ctx: Context) -> None:
    """An oversized first frame (where the ConnectRequest should be) closes the connection."""
    raw = RawSession(ctx.first_host)
    try:
        raw.sock.sendall(struct.pack("!i", MAX_BUFFER + 1))
        expect(raw.is_closed_by_server(), True, "connection closed")
    finally:
        raw.close()


@scenario(group=GROUP)
def session_survives_oversized_frame(ctx: Context) -> None:
    """After an oversized frame the session lives: it resumes with its ephemeral in place."""
    raw = raw_session(ctx, 10000)
    assert raw.handshake is not None
    raw.request(Create(ctx.path("e"), b"", OPEN_ACL_UNSAFE, 1))
    expect(outcome(raw, create_of_length(ctx.path("big"), MAX_BUFFER + 1)), "closed", "create")
    again = raw_session(
        ctx, 10000, session_id=raw.handshake.session_id, password=raw.handshake.password
    )
    assert again.handshake is not None
    expect(again.handshake.session_id, raw.handshake.session_id, "resumed session id")
    stat = ctx.client().exists(ctx.path("e"))
    expect(stat is not None and stat.ephemeralOwner, raw.handshake.session_id, "ephemeral")
    again.request(Close)


@scenario(group=GROUP)
def other_sessions_unaffected(ctx: Context) -> None:
    """An oversized frame on one connection leaves other sessions connected and serving."""
    zk = ctx.client()
    states: list[str] = []
    zk.add_listener(states.append)
    session_id = zk.client_id[0]
    raw = raw_session(ctx, 10000)
    expect(outcome(raw, create_of_length(ctx.path("big"), MAX_BUFFER + 1)), "closed", "create")
    zk.create(ctx.path("after"), b"ok")
    expect(zk.get(ctx.path("after"))[0], b"ok", "another session's read after it")
    expect((zk.client_id[0], states), (session_id, []), "(session id, state changes)")
    expect(zk.state, KazooState.CONNECTED, "another session's state")


@scenario(group=GROUP)
def new_connections_served_after_oversized_frame(ctx: Context) -> None:
    """New connections are accepted and served after a connection was closed for size."""
    raw = raw_session(ctx, 10000)
    raw.sock.sendall(struct.pack("!i", MAX_BUFFER + 1))
    raw.is_closed_by_server()
    fresh = raw_session(ctx, 10000)
    expect(fresh.request(Exists(ctx.path(), False))[0].err, 0, "exists on a new session")
    fresh.request(Close)


@scenario(group=GROUP)
def reply_may_exceed_the_limit(ctx: Context) -> None:
    """The limit is on requests: getData of a node created at the limit gets a larger reply."""
    raw = raw_session(ctx, 10000)
    record = create_of_length(ctx.path("big"), MAX_BUFFER)
    raw.request(record)
    raw.send_frame(
        struct.pack("!ii", 99, GetData.type) + GetData(ctx.path("big"), False).serialize()
    )
    reply = raw.read_frame()
    xid, _, err = struct.unpack_from("!iqi", reply, 0)
    expect((xid, err), (99, 0), "(xid, err) of the getData reply")
    # reply header 16 + data (4 + n) + stat 68
    expect(len(reply), 16 + 4 + len(record.data) + 68, "reply frame length")
    raw.request(Close)


@scenario(group=GROUP)
def kazoo_large_node_roundtrip(ctx: Context) -> None:
    """kazoo creates, reads and rewrites a node of 1,000,000 bytes."""
    zk = ctx.client()
    data = (bytes(range(256)) * 3907)[:1000000]
    zk.create(ctx.path("big"), data)
    expect(zk.get(ctx.path("big"))[0] == data, True, "data read back equals data written")
    stat = zk.set(ctx.path("big"), data[::-1])
    expect((stat.dataLength, stat.version), (1000000, 1), "(dataLength, version) after set")


@scenario(group=GROUP)
def multi_frame_over_the_limit_closes(ctx: Context) -> None:
    """A multi of small creates whose frame totals over the limit closes the connection."""
    zk = ctx.client()
    tx = zk.transaction()
    for index in range(3):
        tx.create(ctx.path(f"n{index}"), b"m" * 400000)
    raw = raw_session(ctx, 10000)
    record = Transaction(tx.operations)
    expect(frame_length(record) > MAX_BUFFER, True, "multi frame is over the limit")
    expect(outcome(raw, record), "closed", "multi of three 400000-byte creates")
    expect(zk.get_children(ctx.path()), [], "children after the refused multi")


@scenario(group=GROUP)
def multi_frame_under_the_limit(ctx: Context) -> None:
    """A multi of creates totalling just under the limit succeeds as a whole."""
    zk = ctx.client()
    tx = zk.transaction()
    for index in range(3):
        tx.create(ctx.path(f"n{index}"), b"m" * 340000)
    results = tx.commit()
    expect(results, [ctx.path(f"n{index}") for index in range(3)], "results")
    expect(zk.exists(ctx.path("n2")).dataLength, 340000, "dataLength of the last node")
