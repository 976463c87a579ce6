"""The less travelled opcodes on the raw wire, each answer as Apache ZooKeeper 3.8.0 gives it.

Every expected value here (error codes, reply bodies, event types, paths and order, stat fields,
zxid deltas) was first recorded from a real ZooKeeper 3.8.0 with the same requests. Events are
sent before the reply of the request whose write triggered them, so a client that made the write
itself has seen every event once it has the reply.

Set ``ZKCOMPAT_REFERENCE_PORT`` to run the same stories against a ZooKeeper on 127.0.0.1 (fresh
data directory, started with ``-Dzookeeper.DigestAuthenticationProvider.superDigest=`` the value
of ``SUPER_DIGEST`` below) instead of an in-process zkcompat.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from jute import frame
from jute import records as R
from tests.server_support import running_server
from tests.wire_client import WireClient
from zkcompat.constants import (
    AUTH_XID,
    SET_WATCHES_XID,
    AddWatchMode,
    CreateMode,
    Err,
    EventType,
    OpCode,
    WatcherType,
)
from zkcompat.server import ServerSettings

SUPER_DIGEST = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="  # password "test"
OPEN = [R.ACL(31, R.Id("world", "anyone"))]
ALICE = "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="  # digest of alice:secret
BOB = "bob:ikIaKsbtGweaHnb/jKn7OHqbunM="  # digest of bob:pw

CREATED, DELETED = EventType.NodeCreated, EventType.NodeDeleted
CHANGED, CHILDREN = EventType.NodeDataChanged, EventType.NodeChildrenChanged
CHILD_WATCH, DATA_WATCH, ANY_WATCH = WatcherType.Children, WatcherType.Data, WatcherType.Any


class Wire(WireClient):
    """A WireClient that numbers its requests and keeps the watch events it reads."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.port = port
        self.xid = 0
        self.events: list[tuple[EventType, str]] = []

    def call(self, op: int, body: Any = None, xid: int | None = None) -> tuple[Any, bytes]:
        if xid is None:
            self.xid += 1
            xid = self.xid
        payload = R.RequestHeader(xid, op).encode() + (body.encode() if body is not None else b"")
        self.send_raw(frame(payload))
        while True:
            reply = self.read_frame()
            assert reply is not None, "the server closed the connection"
            header, offset = R.ReplyHeader.decode(reply)
            if header.xid != -1:
                return header, reply[offset:]
            event = R.WatcherEvent.decode(reply, offset)[0]
            assert event.state == 3  # SyncConnected
            self.events.append((EventType(event.type), event.path))

    def take_events(self) -> list[tuple[EventType, str]]:
        events, self.events = self.events, []
        return events

    def create(self, path: str, data: bytes = b"", flags: int = 0, acl: Any = OPEN) -> int:
        return self.call(OpCode.create, R.CreateRequest(path, data, acl, flags))[0].err

    def set_data(self, path: str, data: bytes = b"x") -> int:
        return self.call(OpCode.setData, R.SetDataRequest(path, data, -1))[0].err

    def delete(self, path: str) -> int:
        return self.call(OpCode.delete, R.DeleteRequest(path, -1))[0].err

    def auth(self, scheme: str, credentials: bytes, xid: int = AUTH_XID) -> Any:
        return self.call(OpCode.auth, R.AuthPacket(0, scheme, credentials), xid=xid)[0]

    def check_watches(self, path: str, kind: int) -> int:
        return self.call(OpCode.checkWatches, R.CheckWatchesRequest(path, kind))[0].err

    def remove_watches(self, path: str, kind: int) -> int:
        return self.call(OpCode.removeWatches, R.RemoveWatchesRequest(path, kind))[0].err

    def is_open(self) -> bool:
        """Whether the server keeps the connection: it does not close it within a second."""
        self.sock.settimeout(1)
        try:
            return not self.closed_by_server()
        except TimeoutError:
            return True
        finally:
            self.sock.settimeout(10)


class Raw:
    """Bytes already encoded, to send as a request body."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def encode(self) -> bytes:
        return self.data


def multi_request(ops: list[tuple[int, Any]]) -> Raw:
    body = b"".join(R.MultiHeader(op, False, -1).encode() + rec.encode() for op, rec in ops)
    return Raw(body + R.MultiHeader(-1, True, -1).encode())


MULTI_RESULTS: dict[int, Any] = {
    OpCode.create: R.CreateResponse,
    OpCode.create2: R.Create2Response,
    OpCode.setData: R.SetDataResponse,
    OpCode.getData: R.GetDataResponse,
    OpCode.getChildren: R.GetChildrenResponse,
    OpCode.error: R.ErrorResponse,
}


def multi_results(body: bytes) -> list[tuple[int, int, Any]]:
    """(type, err, record or None) per result; checks the end marker and that nothing trails."""
    results, offset = [], 0
    while True:
        header, offset = R.MultiHeader.decode(body, offset)
        if header.done:
            assert (header.type, header.err) == (-1, -1)
            break
        record = None
        if header.type in MULTI_RESULTS:
            record, offset = MULTI_RESULTS[header.type].decode(body, offset)
        results.append((header.type, header.err, record))
    assert offset == len(body)
    return results


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    reference = os.environ.get("ZKCOMPAT_REFERENCE_PORT")
    if reference:
        yield int(reference)
        return
    with running_server(ServerSettings(super_digest=SUPER_DIGEST)) as running:
        yield running.server.port


@pytest.fixture
def wire(port: int) -> Iterator[Wire]:
    client = Wire(port)
    client.connect()
    yield client
    client.close()


@pytest.fixture
def connect(port: int) -> Iterator[Any]:
    """Opens further sessions for a test and closes them after it."""
    opened: list[Wire] = []

    def open_session() -> Wire:
        client = Wire(port)
        client.connect()
        opened.append(client)
        return client

    yield open_session
    for client in opened:
        client.close()


# --- 1. addWatch ------------------------------------------------------------------------------


def test_a_persistent_watch_keeps_firing_for_its_node_and_its_children_list(wire) -> None:
    header, body = wire.call(OpCode.addWatch, R.AddWatchRequest("/pw", AddWatchMode.PERSISTENT))
    assert (header.err, body) == (Err.Ok, b"\0\0\0\0")  # an ErrorResponse(0), on a missing node
    steps = [
        (lambda: wire.create("/pw"), [(CREATED, "/pw")]),
        (lambda: wire.create("/pw/a"), [(CHILDREN, "/pw")]),
        (lambda: wire.create("/pw/a/b"), []),  # a grandchild is not /pw's business
        (lambda: wire.set_data("/pw"), [(CHANGED, "/pw")]),
        (lambda: wire.set_data("/pw"), [(CHANGED, "/pw")]),  # again: it is not used up
        (lambda: wire.set_data("/pw/a"), []),
        (lambda: wire.delete("/pw/a/b"), []),
        (lambda: wire.delete("/pw/a"), [(CHILDREN, "/pw")]),
        (lambda: wire.delete("/pw"), [(DELETED, "/pw")]),
        (lambda: wire.create("/pw"), [(CREATED, "/pw")]),  # it outlives its node
        (lambda: wire.delete("/pw"), [(DELETED, "/pw")]),
    ]
    for step, events in steps:
        assert step() == Err.Ok
        assert wire.take_events() == events


def test_a_recursive_watch_sees_every_descendant_but_never_children_changed(wire) -> None:
    mode = AddWatchMode.PERSISTENT_RECURSIVE
    header, body = wire.call(OpCode.addWatch, R.AddWatchRequest("/rw", mode))
    assert (header.err, body) == (Err.Ok, b"\0\0\0\0")
    steps = [
        (lambda: wire.create("/rw"), [(CREATED, "/rw")]),
        (lambda: wire.create("/rw/a"), [(CREATED, "/rw/a")]),
        (lambda: wire.create("/rw/a/b"), [(CREATED, "/rw/a/b")]),
        (lambda: wire.set_data("/rw"), [(CHANGED, "/rw")]),
        (lambda: wire.set_data("/rw"), [(CHANGED, "/rw")]),
        (lambda: wire.set_data("/rw/a/b"), [(CHANGED, "/rw/a/b")]),
        (lambda: wire.delete("/rw/a/b"), [(DELETED, "/rw/a/b")]),
        (lambda: wire.delete("/rw/a"), [(DELETED, "/rw/a")]),
        (lambda: wire.delete("/rw"), [(DELETED, "/rw")]),
        (lambda: wire.create("/rw"), [(CREATED, "/rw")]),
    ]
    for step, events in steps:
        assert step() == Err.Ok
        assert wire.take_events() == events


def test_a_recursive_watcher_hears_another_sessions_writes(wire, connect) -> None:
    mode = AddWatchMode.PERSISTENT_RECURSIVE
    assert wire.call(OpCode.addWatch, R.AddWatchRequest("/sep", mode))[0].err == Err.Ok
    writer = connect()
    assert writer.create("/sep") == writer.create("/sep/x") == writer.set_data("/sep/x") == Err.Ok
    wire.call(OpCode.exists, R.ExistsRequest("/", False))
    assert wire.take_events() == [(CREATED, "/sep"), (CREATED, "/sep/x"), (CHANGED, "/sep/x")]
    assert writer.take_events() == []


def test_an_unknown_addwatch_mode_is_a_marshalling_error_and_the_session_goes_on(wire) -> None:
    header, body = wire.call(OpCode.addWatch, R.AddWatchRequest("/mode2", 2))
    assert (header.err, body) == (Err.MarshallingError, b"")
    assert wire.create("/mode2") == Err.Ok
    assert wire.take_events() == []


# --- 2. checkWatches / removeWatches ------------------------------------------------------------


def test_no_watch_anywhere_answers_no_watcher_for_every_type(wire) -> None:
    assert wire.create("/unwatched") == Err.Ok
    for path in ("/unwatched", "/never-created"):
        for kind in (CHILD_WATCH, DATA_WATCH, ANY_WATCH):
            assert wire.check_watches(path, kind) == Err.NoWatcher
            assert wire.remove_watches(path, kind) == Err.NoWatcher


def test_a_data_watch_is_found_and_removed_as_data_or_any_but_not_as_children(wire) -> None:
    assert wire.create("/dw") == Err.Ok
    wire.call(OpCode.getData, R.GetDataRequest("/dw", True))
    assert [wire.check_watches("/dw", kind) for kind in (1, 2, 3)] == [Err.NoWatcher, 0, 0]
    assert wire.remove_watches("/dw", CHILD_WATCH) == Err.NoWatcher
    header, body = wire.call(OpCode.removeWatches, R.RemoveWatchesRequest("/dw", DATA_WATCH))
    assert (header.err, body) == (Err.Ok, b"")
    assert wire.remove_watches("/dw", DATA_WATCH) == Err.NoWatcher
    assert wire.set_data("/dw") == Err.Ok
    assert wire.take_events() == []  # the server sends no DataWatchRemoved: clients make that up


def test_a_child_watch_is_found_and_removed_as_children_or_any_but_not_as_data(wire) -> None:
    assert wire.create("/cw") == Err.Ok
    wire.call(OpCode.getChildren, R.GetChildrenRequest("/cw", True))
    header, body = wire.call(OpCode.checkWatches, R.CheckWatchesRequest("/cw", CHILD_WATCH))
    assert (header.err, body) == (Err.Ok, b"")
    assert [wire.check_watches("/cw", kind) for kind in (1, 2, 3)] == [0, Err.NoWatcher, 0]
    assert wire.remove_watches("/cw", DATA_WATCH) == Err.NoWatcher
    assert wire.remove_watches("/cw", CHILD_WATCH) == Err.Ok
    assert wire.remove_watches("/cw", CHILD_WATCH) == Err.NoWatcher
    assert wire.create("/cw/c") == Err.Ok
    assert wire.take_events() == []


def test_removing_any_takes_both_kinds_and_removing_data_leaves_the_child_watch(wire) -> None:
    assert wire.create("/bw") == Err.Ok
    wire.call(OpCode.getChildren, R.GetChildrenRequest("/bw", True))
    wire.call(OpCode.getData, R.GetDataRequest("/bw", True))
    assert wire.remove_watches("/bw", ANY_WATCH) == Err.Ok
    assert [wire.check_watches("/bw", kind) for kind in (1, 2, 3)] == [Err.NoWatcher] * 3
    wire.call(OpCode.getChildren, R.GetChildrenRequest("/bw", True))
    wire.call(OpCode.getData, R.GetDataRequest("/bw", True))
    assert wire.remove_watches("/bw", DATA_WATCH) == Err.Ok
    assert [wire.check_watches("/bw", kind) for kind in (1, 2, 3)] == [0, Err.NoWatcher, 0]
    assert wire.set_data("/bw") == Err.Ok
    assert wire.create("/bw/c") == Err.Ok
    assert wire.take_events() == [(CHILDREN, "/bw")]


def test_a_persistent_watch_answers_every_type_and_loses_halves(wire) -> None:
    assert wire.create("/pcw") == Err.Ok
    assert wire.call(OpCode.addWatch, R.AddWatchRequest("/pcw", 0))[0].err == Err.Ok
    assert [wire.check_watches("/pcw", kind) for kind in (1, 2, 3)] == [0, 0, 0]
    assert wire.remove_watches("/pcw", DATA_WATCH) == Err.Ok
    assert [wire.check_watches("/pcw", kind) for kind in (1, 2, 3)] == [0, Err.NoWatcher, 0]
    assert wire.set_data("/pcw") == wire.create("/pcw/k") == Err.Ok
    assert wire.take_events() == [(CHILDREN, "/pcw")]
    assert wire.remove_watches("/pcw", CHILD_WATCH) == Err.Ok
    assert [wire.check_watches("/pcw", kind) for kind in (1, 2, 3)] == [Err.NoWatcher] * 3
    assert wire.set_data("/pcw") == wire.create("/pcw/k2") == Err.Ok
    assert wire.take_events() == []


@pytest.mark.parametrize("op", [OpCode.checkWatches, OpCode.removeWatches], ids=["check", "remove"])
@pytest.mark.parametrize("kind", [0, 9, -1])
def test_an_unknown_watcher_type_is_a_marshalling_error_and_the_session_goes_on(
    wire, op, kind
) -> None:
    wire.call(OpCode.getData, R.GetDataRequest("/", True))
    header, body = wire.call(op, R.CheckWatchesRequest("/", kind))
    assert (header.err, body) == (Err.MarshallingError, b"")
    assert wire.check_watches("/", DATA_WATCH) == Err.Ok
    assert wire.is_open()


# --- 3. setWatches / setWatches2 ----------------------------------------------------------------


def disconnect_and_resume(wire: Wire, admin: Wire, changes: list[Any]) -> tuple[Wire, int]:
    """Drop wire's socket, let admin make changes, resume the session on a new socket; returns
    the resumed client and the last zxid the old one saw before the changes."""
    header, _ = wire.call(OpCode.exists, R.ExistsRequest("/", False))
    session = wire.connect_response
    wire.close()
    for change in changes:
        assert change() == Err.Ok
    resumed = Wire(wire.port)
    answer = resumed.connect(session_id=session.sessionId, passwd=session.passwd)
    assert answer.sessionId == session.sessionId
    return resumed, header.zxid


@pytest.fixture
def resumable(port: int) -> Iterator[Wire]:
    client = Wire(port)
    client.connect_response = client.connect()
    yield client
    client.close()


def test_set_watches_fires_what_was_missed_and_rearms_the_rest(resumable, connect) -> None:
    admin = connect()
    for path in ["/sw", "/sw/gone", "/sw/changed", "/sw/same", "/sw/kids", "/sw/quiet", "/sw/nk"]:
        assert admin.create(path) == Err.Ok
    changes = [
        lambda: admin.delete("/sw/gone"),
        lambda: admin.set_data("/sw/changed"),
        lambda: admin.create("/sw/born"),
        lambda: admin.create("/sw/kids/k"),
        lambda: admin.delete("/sw/nk"),
    ]
    client, relative_zxid = disconnect_and_resume(resumable, admin, changes)
    request = R.SetWatches(
        relative_zxid,
        ["/sw/gone", "/sw/changed", "/sw/same", "/sw/nothere"],  # data watches
        ["/sw/born", "/sw/unborn", "/sw/same"],  # exist watches
        ["/sw/kids", "/sw/quiet", "/sw/nk", "/sw/absent"],  # child watches
    )
    header, body = client.call(OpCode.setWatches, request, xid=SET_WATCHES_XID)
    assert (header.xid, header.err, body) == (SET_WATCHES_XID, Err.Ok, b"")
    assert client.take_events() == [
        (DELETED, "/sw/gone"),
        (CHANGED, "/sw/changed"),
        (DELETED, "/sw/nothere"),
        (CREATED, "/sw/born"),
        (CREATED, "/sw/same"),  # an exist watch on a node that exists fires at once
        (CHILDREN, "/sw/kids"),
        (DELETED, "/sw/nk"),
        (DELETED, "/sw/absent"),
    ]
    rearmed = [
        (lambda: client.set_data("/sw/same"), [(CHANGED, "/sw/same")]),
        (lambda: client.create("/sw/unborn"), [(CREATED, "/sw/unborn")]),
        (lambda: client.create("/sw/quiet/c"), [(CHILDREN, "/sw/quiet")]),
        (lambda: client.create("/sw/nothere"), []),  # fired already: used up
        (lambda: client.create("/sw/absent"), []),
        (lambda: client.set_data("/sw/changed"), []),
        (lambda: client.create("/sw/kids/k2"), []),
        (lambda: client.set_data("/sw/born"), []),
    ]
    for step, events in rearmed:
        assert step() == Err.Ok
        assert client.take_events() == events
    client.close()


def test_set_watches2_rearms_persistent_watches_without_replaying_changes(
    resumable, connect
) -> None:
    admin = connect()
    for path in ["/s2", "/s2/p", "/s2/r", "/s2/d"]:
        assert admin.create(path) == Err.Ok
    changes = [
        lambda: admin.set_data("/s2/p"),
        lambda: admin.create("/s2/p/c"),
        lambda: admin.create("/s2/r/c"),
        lambda: admin.set_data("/s2/d"),
        lambda: admin.create("/s2/new"),
    ]
    client, relative_zxid = disconnect_and_resume(resumable, admin, changes)
    request = R.SetWatches2(
        relative_zxid, ["/s2/d"], ["/s2/new"], [], ["/s2/p", "/s2/gone"], ["/s2/r"]
    )
    header, body = client.call(OpCode.setWatches2, request, xid=SET_WATCHES_XID)
    assert (header.xid, header.err, body) == (SET_WATCHES_XID, Err.Ok, b"")
    assert client.take_events() == [(CHANGED, "/s2/d"), (CREATED, "/s2/new")]
    later = [
        (lambda: client.set_data("/s2/p"), [(CHANGED, "/s2/p")]),
        (lambda: client.set_data("/s2/p"), [(CHANGED, "/s2/p")]),
        (lambda: client.create("/s2/p/c2"), [(CHILDREN, "/s2/p")]),
        (lambda: client.set_data("/s2/p/c"), []),
        (lambda: client.set_data("/s2/r/c"), [(CHANGED, "/s2/r/c")]),
        (lambda: client.create("/s2/r/c/d"), [(CREATED, "/s2/r/c/d")]),
        (lambda: client.set_data("/s2/r"), [(CHANGED, "/s2/r")]),
        (lambda: client.create("/s2/gone"), [(CREATED, "/s2/gone")]),
        (lambda: client.set_data("/s2/d"), []),
    ]
    for step, events in later:
        assert step() == Err.Ok
        assert client.take_events() == events
    client.close()


def test_set_watches_replies_with_the_xid_it_was_sent(wire) -> None:
    header, body = wire.call(OpCode.setWatches, R.SetWatches(0, [], [], []), xid=77)
    assert (header.xid, header.err, body) == (77, Err.Ok, b"")


# --- 4. multiRead ------------------------------------------------------------------------------


def test_multi_read_answers_each_op_and_a_missing_node_as_an_error_result(wire) -> None:
    assert wire.create("/mr", b"hello") == wire.create("/mr/a") == wire.create("/mr/b") == 0
    ops = [
        (OpCode.getData, R.GetDataRequest("/mr", False)),
        (OpCode.getChildren, R.GetChildrenRequest("/mr", False)),
        (OpCode.getData, R.GetDataRequest("/mr/missing", False)),
        (OpCode.getChildren, R.GetChildrenRequest("/mr/missing", False)),
        (OpCode.getData, R.GetDataRequest("/mr/a", False)),
    ]
    header, body = wire.call(OpCode.multiRead, multi_request(ops))
    assert header.err == Err.Ok
    (t1, e1, data), (t2, e2, children), missing_data, missing_children, (t5, e5, a) = multi_results(
        body
    )
    assert (t1, e1, data.data) == (OpCode.getData, 0, b"hello")
    stat = data.stat
    assert (stat.version, stat.cversion, stat.dataLength, stat.numChildren) == (0, 2, 5, 2)
    assert stat.czxid == stat.mzxid < stat.pzxid == header.zxid
    assert (t2, e2, sorted(children.children)) == (OpCode.getChildren, 0, ["a", "b"])
    assert missing_data == (-1, Err.NoNode, R.ErrorResponse(Err.NoNode))
    assert missing_children == (-1, Err.NoNode, R.ErrorResponse(Err.NoNode))
    assert (t5, e5, a.data, a.stat.numChildren) == (OpCode.getData, 0, b"", 0)
    assert body.endswith(bytes.fromhex("ffffffff01ffffffff"))


def test_multi_read_ignores_the_watch_flag_of_its_ops(wire) -> None:
    assert wire.create("/mrw") == wire.create("/mrw/a") == Err.Ok
    ops = [
        (OpCode.getData, R.GetDataRequest("/mrw/a", True)),
        (OpCode.getChildren, R.GetChildrenRequest("/mrw", True)),
    ]
    header, body = wire.call(OpCode.multiRead, multi_request(ops))
    assert header.err == Err.Ok
    assert [(t, e) for t, e, _ in multi_results(body)] == [(4, 0), (8, 0)]
    assert wire.check_watches("/mrw/a", DATA_WATCH) == Err.NoWatcher
    assert wire.check_watches("/mrw", CHILD_WATCH) == Err.NoWatcher
    assert wire.set_data("/mrw/a") == wire.create("/mrw/b") == Err.Ok
    assert wire.take_events() == []


def test_an_empty_multi_read_is_just_the_end_marker(wire) -> None:
    header, body = wire.call(OpCode.multiRead, Raw(R.MultiHeader(-1, True, -1).encode()))
    assert (header.err, body) == (Err.Ok, bytes.fromhex("ffffffff01ffffffff"))


# --- 5. multi failure encoding ------------------------------------------------------------------


def test_a_failed_multi_reports_ok_then_the_error_then_runtime_inconsistency(wire) -> None:
    before, _ = wire.call(OpCode.exists, R.ExistsRequest("/", False))
    ops = [
        (OpCode.create, R.CreateRequest("/mf", b"", OPEN, 0)),
        (OpCode.setData, R.SetDataRequest("/mf", b"x", 0)),
        (OpCode.delete, R.DeleteRequest("/mf-missing", -1)),
        (OpCode.create, R.CreateRequest("/mf2", b"", OPEN, 0)),
        (OpCode.check, R.CheckVersionRequest("/mf", 5)),
    ]
    header, body = wire.call(OpCode.multi, multi_request(ops))
    assert (header.err, header.zxid) == (Err.Ok, before.zxid + 1)  # the error txn's zxid
    assert body == bytes.fromhex(
        "ffffffff" "00" "00000000" "00000000"
        "ffffffff" "00" "00000000" "00000000"
        "ffffffff" "00" "ffffff9b" "ffffff9b"
        "ffffffff" "00" "fffffffe" "fffffffe"
        "ffffffff" "00" "fffffffe" "fffffffe"
        "ffffffff" "01" "ffffffff"
    )  # fmt: skip
    assert wire.call(OpCode.exists, R.ExistsRequest("/mf", False))[0].err == Err.NoNode


def test_a_multi_failing_at_its_first_op_rolls_back_the_rest(wire) -> None:
    assert wire.create("/mf1") == Err.Ok
    ops = [
        (OpCode.check, R.CheckVersionRequest("/mf1", 7)),
        (OpCode.setData, R.SetDataRequest("/mf1", b"y", -1)),
    ]
    header, body = wire.call(OpCode.multi, multi_request(ops))
    assert header.err == Err.Ok
    assert multi_results(body) == [
        (-1, Err.BadVersion, R.ErrorResponse(Err.BadVersion)),
        (-1, Err.RuntimeInconsistency, R.ErrorResponse(Err.RuntimeInconsistency)),
    ]


def test_a_successful_multi_answers_create2_as_a_plain_create(wire) -> None:
    ops = [
        (OpCode.create, R.CreateRequest("/ms", b"", OPEN, 0)),
        (OpCode.create2, R.CreateRequest("/ms/b", b"", OPEN, 0)),
        (OpCode.setData, R.SetDataRequest("/ms", b"x", 0)),
        (OpCode.check, R.CheckVersionRequest("/ms", 1)),
        (OpCode.delete, R.DeleteRequest("/ms/b", -1)),
    ]
    header, body = wire.call(OpCode.multi, multi_request(ops))
    assert header.err == Err.Ok
    results = multi_results(body)
    assert results[:2] == [
        (OpCode.create, 0, R.CreateResponse("/ms")),
        (OpCode.create, 0, R.CreateResponse("/ms/b")),
    ]
    kind, err, set_data = results[2]
    stat = set_data.stat
    assert (kind, err, stat.version, stat.cversion, stat.numChildren) == (5, 0, 1, 1, 1)
    assert stat.czxid == stat.mzxid == stat.pzxid == header.zxid
    assert results[3:] == [(OpCode.check, 0, None), (OpCode.delete, 0, None)]


# --- 6. getEphemerals, getAllChildrenNumber, whoAmI, sync ------------------------------------


def test_get_ephemerals_lists_the_sessions_own_under_a_string_prefix(wire, connect) -> None:
    for path, flags in [("/ge", 0), ("/ge/e1", 1), ("/ge/p", 0), ("/ge/p/e2", 1), ("/gx", 1)]:
        assert wire.create(path, flags=flags) == Err.Ok
    assert wire.create("/ge/s-", flags=CreateMode.EPHEMERAL_SEQUENTIAL) == Err.Ok
    assert connect().create("/ge/theirs", flags=1) == Err.Ok
    everything = ["/gx", "/ge/p/e2", "/ge/e1", "/ge/s-0000000002"]  # ZooKeeper's HashSet order
    expected = {
        "/": everything,
        "": everything,
        "/g": everything,  # a string prefix, not a path prefix
        "/ge": everything[1:],
        "/ge/": everything[1:],
        "/ge/p": ["/ge/p/e2"],
        "/nomatch": [],
        "bad": [],
    }
    for prefix, ephemerals in expected.items():
        header, body = wire.call(OpCode.getEphemerals, R.GetEphemeralsRequest(prefix))
        assert header.err == Err.Ok
        assert R.GetEphemeralsResponse.decode(body)[0].ephemerals == ephemerals, prefix
    header, body = connect().call(OpCode.getEphemerals, R.GetEphemeralsRequest("/"))
    assert (header.err, body) == (Err.Ok, b"\0\0\0\0")


def test_get_all_children_number_counts_every_descendant(wire) -> None:
    for path in ["/gc", "/gc/a", "/gc/a/b", "/gc/a/b/c", "/gc/d"]:
        assert wire.create(path) == Err.Ok
    for path, number in [("/gc", 4), ("/gc/a", 2), ("/gc/d", 0), ("/zookeeper", 2)]:
        header, body = wire.call(OpCode.getAllChildrenNumber, R.GetAllChildrenNumberRequest(path))
        assert (header.err, body) == (Err.Ok, struct.pack(">i", number)), path
    header, body = wire.call(OpCode.getAllChildrenNumber, R.GetAllChildrenNumberRequest("/gc/x"))
    assert (header.err, body) == (Err.NoNode, b"")


def test_who_am_i_lists_digest_users_then_the_ip(wire) -> None:
    header, body = wire.call(OpCode.whoAmI)
    assert header.err == Err.Ok
    assert R.WhoAmIResponse.decode(body)[0].clientInfo == [R.ClientInfo("ip", "127.0.0.1")]
    assert wire.auth("digest", b"alice:secret").err == Err.Ok
    assert wire.auth("digest", b"bob:pw").err == Err.Ok
    header, body = wire.call(OpCode.whoAmI)
    assert R.WhoAmIResponse.decode(body)[0].clientInfo == [
        R.ClientInfo("digest", "alice"),
        R.ClientInfo("digest", "bob"),
        R.ClientInfo("ip", "127.0.0.1"),
    ]


def test_sync_echoes_the_path_whether_or_not_it_exists(wire) -> None:
    for path in ["/", "/sync-missing", "bad"]:
        before, _ = wire.call(OpCode.exists, R.ExistsRequest("/", False))
        header, body = wire.call(OpCode.sync, R.SyncRequest(path))
        assert (header.err, header.zxid) == (Err.Ok, before.zxid)
        assert body == R.SyncResponse(path).encode()


# --- 7. getACL redaction and super ------------------------------------------------------------


def test_get_acl_without_admin_shows_digest_users_as_x(wire, connect) -> None:
    assert wire.auth("digest", b"alice:secret").err == Err.Ok
    acl = [
        R.ACL(31, R.Id("digest", ALICE)),
        R.ACL(1, R.Id("digest", BOB)),
        R.ACL(1, R.Id("world", "anyone")),
    ]
    assert wire.create("/redacted", b"v", acl=acl) == Err.Ok
    header, body = wire.call(OpCode.getACL, R.GetACLRequest("/redacted"))
    assert R.GetACLResponse.decode(body)[0].acl == acl  # alice has ADMIN
    bob = connect()
    assert bob.auth("digest", b"bob:pw").err == Err.Ok
    for reader in (connect(), bob):
        header, body = reader.call(OpCode.getACL, R.GetACLRequest("/redacted"))
        assert header.err == Err.Ok
        assert R.GetACLResponse.decode(body)[0].acl == [
            R.ACL(31, R.Id("digest", "alice:x")),
            R.ACL(1, R.Id("digest", "bob:x")),
            R.ACL(1, R.Id("world", "anyone")),
        ]


def test_get_acl_needs_read_or_admin(wire, connect) -> None:
    assert wire.auth("digest", b"alice:secret").err == Err.Ok
    closed = [R.ACL(31, R.Id("digest", ALICE))]
    admin_only = [R.ACL(31, R.Id("digest", ALICE)), R.ACL(16, R.Id("world", "anyone"))]
    assert wire.create("/acl-closed", acl=closed) == wire.create("/acl-admin", acl=admin_only) == 0
    anonymous = connect()
    header, body = anonymous.call(OpCode.getACL, R.GetACLRequest("/acl-closed"))
    assert (header.err, body) == (Err.NoAuth, b"")
    header, body = anonymous.call(OpCode.getACL, R.GetACLRequest("/acl-admin"))
    assert R.GetACLResponse.decode(body)[0].acl == admin_only  # ADMIN sees the hashes


def test_the_super_digest_session_passes_every_acl(wire, connect) -> None:
    assert wire.auth("digest", b"alice:secret").err == Err.Ok
    closed = [R.ACL(31, R.Id("digest", ALICE))]
    assert wire.create("/su", b"c", acl=closed) == Err.Ok
    outsider = connect()
    assert outsider.auth("digest", b"super:wrong").err == Err.Ok  # any digest auth succeeds
    assert outsider.call(OpCode.getData, R.GetDataRequest("/su", False))[0].err == Err.NoAuth
    root = connect()
    assert root.auth("digest", b"super:test").err == Err.Ok
    header, body = root.call(OpCode.getACL, R.GetACLRequest("/su"))
    assert R.GetACLResponse.decode(body)[0].acl == closed  # unredacted
    header, body = root.call(OpCode.getData, R.GetDataRequest("/su", False))
    assert (header.err, R.GetDataResponse.decode(body)[0].data) == (Err.Ok, b"c")
    assert root.set_data("/su", b"su") == root.create("/su/kid") == Err.Ok
    header, body = root.call(OpCode.setACL, R.SetACLRequest("/su", OPEN, -1))
    assert (header.err, R.SetACLResponse.decode(body)[0].stat.aversion) == (Err.Ok, 1)
    header, body = root.call(OpCode.whoAmI)
    assert R.WhoAmIResponse.decode(body)[0].clientInfo == [
        R.ClientInfo("super", ""),
        R.ClientInfo("ip", "127.0.0.1"),
        R.ClientInfo("digest", "super"),
    ]


# --- 8. ip ACLs ---------------------------------------------------------------------------------


def test_ip_acls_let_in_the_loopback_address_and_keep_out_other_networks(wire, connect) -> None:
    assert wire.create("/ip-lo", b"lo", acl=[R.ACL(31, R.Id("ip", "127.0.0.1"))]) == Err.Ok
    assert wire.create("/ip-net", b"net", acl=[R.ACL(31, R.Id("ip", "10.0.0.0/8"))]) == Err.Ok
    assert wire.create("/ip-cidr", b"c", acl=[R.ACL(1, R.Id("ip", "127.0.0.0/8"))]) == Err.Ok
    assert wire.create("/ip-bad", acl=[R.ACL(1, R.Id("ip", "notanip"))]) == Err.InvalidACL
    other = connect()
    for path, err, data in [("/ip-lo", 0, b"lo"), ("/ip-cidr", 0, b"c"), ("/ip-net", -102, None)]:
        header, body = other.call(OpCode.getData, R.GetDataRequest(path, False))
        assert header.err == err, path
        if data is not None:
            assert R.GetDataResponse.decode(body)[0].data == data
    assert other.call(OpCode.getACL, R.GetACLRequest("/ip-net"))[0].err == Err.NoAuth
    assert other.create("/ip-lo/x") == Err.Ok
    assert other.create("/ip-cidr/x") == other.create("/ip-net/x") == Err.NoAuth


# --- 9. auth with an unknown scheme ---------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["nosuch", "world"])
def test_auth_with_a_scheme_without_a_provider_fails_and_closes(port, scheme) -> None:
    client = Wire(port)
    client.connect()
    header, body = client.call(OpCode.auth, R.AuthPacket(0, scheme, b"whatever"), xid=AUTH_XID)
    assert (header.xid, header.zxid, header.err, body) == (AUTH_XID, 0, Err.AuthFailed, b"")
    assert client.closed_by_server()
    client.close()
    fresh = Wire(port)
    fresh.connect()
    assert fresh.call(OpCode.exists, R.ExistsRequest("/", False))[0].err == Err.Ok
    fresh.close()


def test_digest_auth_without_a_colon_is_accepted(wire) -> None:
    header, _ = wire.call(OpCode.auth, R.AuthPacket(0, "digest", b"nocolon"), xid=AUTH_XID)
    assert (header.xid, header.err) == (AUTH_XID, Err.Ok)
    assert wire.is_open()


def test_an_auth_reply_carries_the_xid_it_was_sent(wire, port) -> None:
    assert wire.auth("digest", b"a:b", xid=5) == R.ReplyHeader(5, 0, Err.Ok)
    failing = Wire(port)
    failing.connect()
    assert failing.auth("nosuch", b"x", xid=6) == R.ReplyHeader(6, 0, Err.AuthFailed)
    failing.close()


# --- 10. an old client's ConnectRequest ---------------------------------------------------------


def test_a_connect_request_without_read_only_gets_a_response_without_it(port) -> None:
    request = R.ConnectRequest(0, 0, 30000, 0, b"\0" * 16, False).encode()
    for sent, expected_length in [(request[:-1], 36), (request, 37)]:
        client = Wire(port)
        client.send_raw(frame(sent))
        response = client.read_frame()
        assert response is not None and len(response) == expected_length
        protocol, timeout, session_id, passwd_length = struct.unpack(">iiqi", response[:20])
        assert (protocol, timeout, passwd_length) == (0, 30000, 16) and session_id != 0
        if expected_length == 37:
            assert response[-1:] == b"\0"
        assert client.call(OpCode.exists, R.ExistsRequest("/", False))[0].err == Err.Ok
        client.close()


# --- 11. error txns consume zxids ---------------------------------------------------------------


def test_every_failed_write_uses_up_a_zxid(wire) -> None:
    header, body = wire.call(OpCode.create2, R.CreateRequest("/z1", b"", OPEN, 0))
    first = header.zxid
    assert R.Create2Response.decode(body)[0].stat.czxid == first
    failures = [
        (OpCode.create, R.CreateRequest("/z1", b"", OPEN, 0), Err.NodeExists),
        (OpCode.delete, R.DeleteRequest("/z-missing", -1), Err.NoNode),
        (OpCode.setData, R.SetDataRequest("/z1", b"", 9), Err.BadVersion),
        (OpCode.create, R.CreateRequest("/z/no-parent", b"", OPEN, 0), Err.NoNode),
        (OpCode.create, R.CreateRequest("relative", b"", OPEN, 0), Err.BadArguments),
        (OpCode.create, R.CreateRequest("/z-null-acl", b"", None, 0), Err.InvalidACL),
    ]
    for step, (op, request, err) in enumerate(failures, start=1):
        header, body = wire.call(op, request)
        assert (header.err, header.zxid, body) == (err, first + step, b"")
    header, _ = wire.call(OpCode.getData, R.GetDataRequest("/z1", False))
    assert header.zxid == first + len(failures)  # reads take none
    header, body = wire.call(OpCode.create2, R.CreateRequest("/z2", b"", OPEN, 0))
    assert R.Create2Response.decode(body)[0].stat.czxid == first + len(failures) + 1


def test_after_one_failed_create_the_next_write_is_two_zxids_on(wire) -> None:
    header, _ = wire.call(OpCode.create, R.CreateRequest("/zz", b"", OPEN, 0))
    assert wire.create("/zz") == Err.NodeExists
    header2, body = wire.call(OpCode.setData, R.SetDataRequest("/zz", b"x", -1))
    assert R.SetDataResponse.decode(body)[0].stat.mzxid == header2.zxid == header.zxid + 2


# --- 12. watches on missing nodes ---------------------------------------------------------------


def test_exists_watches_a_missing_node_but_get_data_and_get_children_do_not(wire) -> None:
    header, body = wire.call(OpCode.exists, R.ExistsRequest("/later", True))
    assert (header.err, body) == (Err.NoNode, b"")
    header, body = wire.call(OpCode.getData, R.GetDataRequest("/later2", True))
    assert (header.err, body) == (Err.NoNode, b"")
    header, body = wire.call(OpCode.getChildren, R.GetChildrenRequest("/later3", True))
    assert (header.err, body) == (Err.NoNode, b"")
    assert [wire.check_watches(p, ANY_WATCH) for p in ["/later", "/later2", "/later3"]] == [
        Err.Ok,
        Err.NoWatcher,
        Err.NoWatcher,
    ]
    assert wire.create("/later") == Err.Ok
    assert wire.take_events() == [(CREATED, "/later")]
    assert wire.create("/later2") == wire.create("/later3") == wire.set_data("/later") == Err.Ok
    assert wire.take_events() == []
