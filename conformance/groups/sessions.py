"""sessions: the handshake, timeout negotiation, resuming, refusal, close and expiry.

Most scenarios speak the handshake over a plain socket (`RawSession`), because kazoo hides
the negotiated timeout and the exact ConnectResponse, always pings, and never drops a socket
without closing its session. Timeout bounds are read from `conf` (`tickTime`): with default
settings ZooKeeper negotiates into [2, 20] x tickTime.

Apache ZooKeeper 3.8 answers a handshake it refuses (unknown, closed or expired session id,
wrong password) with timeout 0, session id 0 and a password of 16 zero bytes, then closes the
connection. Any handshake naming a session id first closes the connection that session is
currently using, before the password is checked: a wrong password still disconnects the
rightful owner, though its session lives on.

The two expiry scenarios wait out a real session timeout (2 ticks, 4 s by default); everything
else is immediate.
"""

from __future__ import annotations

import struct
import threading

from kazoo.client import KazooClient
from kazoo.protocol.serialization import Close, Create, Exists, GetData, Ping, Sync
from kazoo.security import OPEN_ACL_UNSAFE

from conformance.context import Context, close_client
from conformance.groups._support import (
    NO_PASSWORD,
    ConnectionClosed,
    RawSession,
    SetWatches,
    Workers,
    on_close,
    raw_session,
)
from conformance.scenario import expect, expect_order, scenario

GROUP = "sessions"
EPHEMERAL = 1
EPHEMERAL_SEQUENTIAL = 3
REFUSED = (0, 0, NO_PASSWORD)  # (timeout, session id, password) of a refused handshake


def tick_time(ctx: Context) -> int:
    """The endpoint's tickTime in milliseconds, from the `conf` four-letter word."""
    for line in ctx.four_letter("conf").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "tickTime":
            return int(value)
    raise AssertionError("conf did not report tickTime")


def negotiate(ctx: Context, requested: int) -> int:
    raw = raw_session(ctx, requested)
    assert raw.handshake is not None
    timeout = raw.handshake.timeout
    raw.request(Close)
    return timeout


def refused(handshake: object) -> tuple[int, int, bytes]:
    return (handshake.timeout, handshake.session_id, handshake.password)  # type: ignore[attr-defined]


def expect_refused(
    ctx: Context, session_id: int, password: bytes, *, then_closed: bool = False
) -> None:
    """A handshake resuming ``session_id`` with ``password`` gets the refusal answer
    (timeout 0, session 0, an all-zero password), and with ``then_closed`` the server then
    closes the connection."""
    attempt = RawSession(ctx.first_host)
    try:
        answer = attempt.connect(10000, session_id=session_id, password=password)
        expect(refused(answer), REFUSED, "(timeout, session id, password) of the answer")
        if then_closed:
            expect(attempt.is_closed_by_server(), True, "connection closed after the refusal")
    finally:
        attempt.close()


def create_raw(raw: RawSession, path: str, flags: int = EPHEMERAL, data: bytes = b"") -> str:
    header, body = raw.request(Create(path, data, OPEN_ACL_UNSAFE, flags))
    expect(header.err, 0, f"error code of create {path}")
    (length,) = struct.unpack_from("!i", body, 0)
    return body[4 : 4 + length].decode()


def resumer(ctx: Context, session_id: int, password: bytes) -> KazooClient:
    """A kazoo client resuming an existing session (closed with the scenario)."""
    zk = KazooClient(hosts=ctx.first_host, client_id=(session_id, password), timeout=10.0)
    on_close(ctx, lambda: close_client(zk))
    zk.start(timeout=10.0)
    return zk


# --- timeout negotiation --------------------------------------------------------------------


@scenario(group=GROUP)
def timeout_below_minimum_is_raised(ctx: Context) -> None:
    """A requested timeout below 2 ticks (even 0 or negative) is negotiated up to 2 ticks."""
    minimum = 2 * tick_time(ctx)
    for requested in (1, 0, -5, minimum - 1):
        expect(negotiate(ctx, requested), minimum, f"timeout negotiated for {requested} ms")


@scenario(group=GROUP)
def timeout_above_maximum_is_capped(ctx: Context) -> None:
    """A requested timeout above 20 ticks is negotiated down to 20 ticks."""
    maximum = 20 * tick_time(ctx)
    for requested in (maximum + 1, 10 * maximum, 2**31 - 1):
        expect(negotiate(ctx, requested), maximum, f"timeout negotiated for {requested} ms")


@scenario(group=GROUP)
def timeout_within_bounds_is_kept(ctx: Context) -> None:
    """A timeout within [2, 20] ticks is granted exactly, not rounded to whole ticks."""
    tick = tick_time(ctx)
    for requested in (2 * tick, 2 * tick + 1, 5 * tick + 7, 20 * tick - 1, 20 * tick):
        expect(negotiate(ctx, requested), requested, f"timeout negotiated for {requested} ms")


@scenario(group=GROUP)
def resumed_session_renegotiates_timeout(ctx: Context) -> None:
    """Resuming a session negotiates the timeout afresh from the new request."""
    tick = tick_time(ctx)
    first = raw_session(ctx, 3 * tick)
    assert first.handshake is not None
    again = raw_session(
        ctx,
        7 * tick,
        session_id=first.handshake.session_id,
        password=first.handshake.password,
    )
    assert again.handshake is not None
    expect(again.handshake.timeout, 7 * tick, "timeout of the resumed session")
    again.request(Close)


# --- the handshake ----------------------------------------------------------------------------


@scenario(group=GROUP)
def new_sessions_have_distinct_ids(ctx: Context) -> None:
    """New sessions get distinct non-zero ids and 16-byte passwords; protocol version 0."""
    handshakes = []
    for _ in range(3):
        raw = raw_session(ctx, 10000)
        assert raw.handshake is not None
        handshakes.append(raw.handshake)
        raw.request(Close)
    ids = [found.session_id for found in handshakes]
    expect(len(set(ids)), 3, "distinct session ids")
    expect(0 in ids, False, "a session id of 0 among them")
    expect([len(found.password) for found in handshakes], [16] * 3, "password lengths")
    expect([found.protocol_version for found in handshakes], [0] * 3, "protocol versions")


@scenario(group=GROUP)
def new_session_ids_are_consecutive(ctx: Context) -> None:
    """Sessions created one after another on a server get consecutive ids."""
    ids = []
    for _ in range(3):
        raw = raw_session(ctx, 10000)
        assert raw.handshake is not None
        ids.append(raw.handshake.session_id)
    expect([found - ids[0] for found in ids], [0, 1, 2], "ids relative to the first")


@scenario(group=GROUP)
def response_has_read_only_byte(ctx: Context) -> None:
    """A client sending the readOnly byte gets a 37-byte response ending in readOnly=false."""
    raw = raw_session(ctx, 10000)
    assert raw.handshake is not None
    expect(raw.handshake.length, 37, "ConnectResponse length")
    expect(raw.handshake.read_only, False, "readOnly")
    raw.request(Close)


@scenario(group=GROUP)
def old_client_gets_no_read_only_byte(ctx: Context) -> None:
    """A ConnectRequest without the readOnly byte gets a 36-byte response without it."""
    raw = raw_session(ctx, 10000, read_only=None)
    assert raw.handshake is not None
    expect((raw.handshake.length, raw.handshake.read_only), (36, None), "(length, readOnly)")
    expect(raw.request(Exists("/", None))[0].err, 0, "a request on that session")
    raw.request(Close)


@scenario(group=GROUP)
def read_only_client_on_standalone(ctx: Context) -> None:
    """A client asking for read-only mode gets an ordinary read-write session (readOnly false)."""
    raw = raw_session(ctx, 10000, read_only=True)
    assert raw.handshake is not None
    expect(raw.handshake.read_only, False, "readOnly in the response")
    create_raw(raw, ctx.path("written"), flags=0)
    raw.request(Close)


@scenario(group=GROUP)
def future_last_zxid_refused(ctx: Context) -> None:
    """A client claiming to have seen a zxid beyond the server's is dropped without an answer."""
    raw = RawSession(ctx.first_host)
    try:
        raw.connect(10000, last_zxid_seen=1 << 62)
        outcome = "answered"
    except ConnectionClosed:
        outcome = "closed"
    finally:
        raw.close()
    expect(outcome, "closed", "handshake with lastZxidSeen 2**62")


@scenario(group=GROUP)
def last_zxid_up_to_date_accepted(ctx: Context) -> None:
    """A client whose lastZxidSeen is the server's latest zxid is accepted."""
    zk = ctx.client()
    zk.create(ctx.path("n"))
    raw = raw_session(ctx, 10000, last_zxid_seen=zk.last_zxid)
    assert raw.handshake is not None
    expect_order(raw.handshake.session_id, "!=", 0, "session id")
    raw.request(Close)


@scenario(group=GROUP)
def ping_is_answered(ctx: Context) -> None:
    """A ping (xid -2) is answered with xid -2, error 0 and a zxid no older than our last write."""
    raw = raw_session(ctx, 10000)
    header, _ = raw.request(Create(ctx.path("n"), b"", OPEN_ACL_UNSAFE, 0))
    pong, body = raw.request(Ping, xid=-2)
    expect((pong.xid, pong.err, body), (-2, 0, b""), "(xid, err, body) of the ping reply")
    expect_order(pong.zxid, ">=", header.zxid, "ping reply zxid")
    raw.request(Close)


# --- resuming a session -----------------------------------------------------------------------


@scenario(group=GROUP)
def resume_with_id_and_password(ctx: Context) -> None:
    """Reconnecting with the session id and password resumes it: same id, same password."""
    first = raw_session(ctx, 10000)
    assert first.handshake is not None
    sid, password = first.handshake.session_id, first.handshake.password
    first.close()
    again = raw_session(ctx, 10000, session_id=sid, password=password)
    assert again.handshake is not None
    expect(again.handshake.session_id, sid, "session id after resuming")
    expect(again.handshake.password, password, "password after resuming")
    again.request(Close)


@scenario(group=GROUP)
def resume_keeps_ephemerals(ctx: Context) -> None:
    """A session's ephemerals survive a dropped connection; a resuming client still owns them."""
    raw = raw_session(ctx, 10000)
    assert raw.handshake is not None
    create_raw(raw, ctx.path("e"))
    sequential = create_raw(raw, ctx.path("s-"), flags=EPHEMERAL_SEQUENTIAL)
    raw.close()  # no closeSession: only the connection goes
    zk = resumer(ctx, raw.handshake.session_id, raw.handshake.password)
    expect(zk.client_id[0], raw.handshake.session_id, "resumed session id")
    for path in (ctx.path("e"), sequential):
        stat = zk.exists(path)
        expect(stat is not None and stat.ephemeralOwner, raw.handshake.session_id, path)
    zk.stop()
    expect(ctx.client().get_children(ctx.path()), [], "children after the resumed session closed")


@scenario(group=GROUP)
def resume_closes_previous_connection(ctx: Context) -> None:
    """Resuming a session on a new connection makes the server close the old one."""
    first = raw_session(ctx, 10000)
    assert first.handshake is not None
    second = raw_session(
        ctx, 10000, session_id=first.handshake.session_id, password=first.handshake.password
    )
    expect(first.is_closed_by_server(), True, "old connection closed by the server")
    expect(second.request(Exists("/", None))[0].err, 0, "a request on the new connection")
    second.request(Close)


@scenario(group=GROUP)
def kazoo_resumes_raw_session(ctx: Context) -> None:
    """A kazoo client given (session id, password) resumes the session, seeing its ephemeral."""
    raw = raw_session(ctx, 10000)
    assert raw.handshake is not None
    create_raw(raw, ctx.path("e"), data=b"mine")
    zk = resumer(ctx, raw.handshake.session_id, raw.handshake.password)
    data, stat = zk.get(ctx.path("e"))
    expect((data, stat.ephemeralOwner), (b"mine", zk.client_id[0]), "(data, owner)")
    zk.delete(ctx.path("e"))
    zk.create(ctx.path("e2"), ephemeral=True)
    expect(zk.exists(ctx.path("e2")).ephemeralOwner, raw.handshake.session_id, "new node's owner")


# --- refused handshakes -------------------------------------------------------------------------


@scenario(group=GROUP)
def wrong_password_refused(ctx: Context) -> None:
    """A wrong password gets timeout 0, session id 0, a zero password; then the server closes."""
    owner = raw_session(ctx, 10000)
    assert owner.handshake is not None
    expect_refused(ctx, owner.handshake.session_id, b"x" * 16, then_closed=True)


@scenario(group=GROUP)
def short_password_refused(ctx: Context) -> None:
    """A password of the wrong length is refused like a wrong one."""
    owner = raw_session(ctx, 10000)
    assert owner.handshake is not None
    expect_refused(ctx, owner.handshake.session_id, owner.handshake.password[:8])


@scenario(group=GROUP)
def wrong_password_leaves_session_alive(ctx: Context) -> None:
    """After a wrong-password attempt the session lives: its ephemeral stays; it can resume."""
    owner = raw_session(ctx, 10000)
    assert owner.handshake is not None
    create_raw(owner, ctx.path("e"))
    thief = RawSession(ctx.first_host)
    try:
        thief.connect(10000, session_id=owner.handshake.session_id, password=b"x" * 16)
    finally:
        thief.close()
    observer = ctx.client()
    stat = observer.exists(ctx.path("e"))
    expect(stat is not None and stat.ephemeralOwner, owner.handshake.session_id, "ephemeral")
    again = raw_session(
        ctx, 10000, session_id=owner.handshake.session_id, password=owner.handshake.password
    )
    assert again.handshake is not None
    expect(again.handshake.session_id, owner.handshake.session_id, "resumed session id")
    again.request(Close)


@scenario(group=GROUP)
def wrong_password_disconnects_the_owner(ctx: Context) -> None:
    """A handshake naming a live session closes that session's connection even if refused."""
    owner = raw_session(ctx, 10000)
    assert owner.handshake is not None
    thief = RawSession(ctx.first_host)
    try:
        thief.connect(10000, session_id=owner.handshake.session_id, password=b"x" * 16)
    finally:
        thief.close()
    expect(owner.is_closed_by_server(), True, "owner's connection closed by the server")


@scenario(group=GROUP)
def unknown_session_refused(ctx: Context) -> None:
    """A session id the server never issued is refused."""
    expect_refused(ctx, 0x7ABCDEF012345, b"p" * 16)


@scenario(group=GROUP)
def closed_session_cannot_resume(ctx: Context) -> None:
    """After closeSession the id and password are refused."""
    raw = raw_session(ctx, 10000)
    assert raw.handshake is not None
    raw.request(Close)
    expect_refused(ctx, raw.handshake.session_id, raw.handshake.password)


# --- closing ----------------------------------------------------------------------------------


@scenario(group=GROUP)
def close_request_is_answered_then_closed(ctx: Context) -> None:
    """closeSession is answered with its own xid and error 0; then the server closes the socket."""
    raw = raw_session(ctx, 10000)
    header, body = raw.request(Close, xid=77)
    expect((header.xid, header.err, body), (77, 0, b""), "(xid, err, body) of the reply")
    expect(raw.is_closed_by_server(), True, "connection closed after the reply")


@scenario(group=GROUP)
def close_is_a_write(ctx: Context) -> None:
    """closeSession takes a zxid: its reply's zxid is newer than the session's last write."""
    raw = raw_session(ctx, 10000)
    created, _ = raw.request(Create(ctx.path("n"), b"", OPEN_ACL_UNSAFE, 0))
    closed, _ = raw.request(Close)
    expect_order(closed.zxid, ">", created.zxid, "closeSession's zxid")


@scenario(group=GROUP)
def close_removes_ephemerals_immediately(ctx: Context) -> None:
    """When close returns, the session's ephemerals of every kind are already gone."""
    owner, observer = ctx.client(), ctx.client()
    owner.create(ctx.path("e"), ephemeral=True)
    owner.create(ctx.path("s-"), ephemeral=True, sequence=True)
    tx = owner.transaction()
    tx.create(ctx.path("m"), ephemeral=True)
    tx.commit()
    owner.create(ctx.path("persistent"))
    expect(len(observer.get_children(ctx.path())), 4, "children before the close")
    owner.stop()
    expect(observer.get_children(ctx.path()), ["persistent"], "children after the close")


@scenario(group=GROUP)
def close_fires_watches_of_other_sessions(ctx: Context) -> None:
    """Closing a session fires other sessions' watches on its ephemerals and their parent."""
    owner, watcher = ctx.client(), ctx.client()
    owner.create(ctx.path("p"))
    owner.create(ctx.path("p", "e"), ephemeral=True)
    watcher.get(ctx.path("p", "e"), watch=lambda event: None)
    watcher.get_children(ctx.path("p"), watch=lambda event: None)
    owner.stop()
    events = sorted((event.type, event.path) for event in watcher.wait_for_events(2))
    expect(events, [("CHILD", ctx.path("p")), ("DELETED", ctx.path("p", "e"))], "events")


@scenario(group=GROUP)
def ephemeral_owner_is_session_id(ctx: Context) -> None:
    """An ephemeral's ephemeralOwner is exactly the session id from the handshake."""
    raw = raw_session(ctx, 10000)
    assert raw.handshake is not None
    create_raw(raw, ctx.path("e"))
    stat = ctx.client().exists(ctx.path("e"))
    expect(stat.ephemeralOwner, raw.handshake.session_id, "ephemeralOwner")
    raw.request(Close)


# --- expiry (waits out a real session timeout) ---------------------------------------------


@scenario(group=GROUP, differential=False)
def expiry_deletes_ephemerals_and_fires_watches(ctx: Context) -> None:
    """An idle session expires: its ephemerals go, watches fire; a pinging one lives on."""
    minimum = 2 * tick_time(ctx)
    watcher = ctx.client()
    idle, busy = raw_session(ctx, minimum), raw_session(ctx, minimum)
    create_raw(idle, ctx.path("idle"))
    create_raw(idle, ctx.path("idle-s-"), flags=EPHEMERAL_SEQUENTIAL)
    create_raw(busy, ctx.path("busy"))
    watcher.exists(ctx.path("idle"), watch=lambda event: None)
    watcher.exists(ctx.path("busy"), watch=lambda event: None)
    watcher.get_children(ctx.path(), watch=lambda event: None)
    stop = threading.Event()
    workers = Workers()

    def keep_pinging() -> None:
        while not stop.wait(minimum / 4000):
            busy.request(Ping, xid=-2)

    workers.spawn(keep_pinging)
    try:
        events = watcher.wait_for_events(2, timeout=4 * minimum / 1000)
    finally:
        stop.set()
        workers.join()
    got = sorted((event.type, event.path) for event in events)
    expect(got, [("CHILD", ctx.path()), ("DELETED", ctx.path("idle"))], "watcher's events")
    expect(watcher.get_children(ctx.path()), ["busy"], "children after the expiry")
    busy.request(Close)


@scenario(group=GROUP)
def expired_session_is_closed_and_refused(ctx: Context) -> None:
    """When a session expires the server closes its connection, and resuming it is refused."""
    minimum = 2 * tick_time(ctx)
    raw = raw_session(ctx, minimum, io_timeout=4 * minimum / 1000)
    assert raw.handshake is not None
    create_raw(raw, ctx.path("e"))
    expect(raw.is_closed_by_server(), True, "idle connection closed by the server")
    expect(ctx.client().exists(ctx.path("e")), None, "the expired session's ephemeral")
    expect_refused(ctx, raw.handshake.session_id, raw.handshake.password)


# --- watches across a reconnect (setWatches) -----------------------------------------------


def created_at(ctx: Context, *paths: str) -> tuple[KazooClient, int]:
    """A kazoo client that created `paths`, and the zxid of its last create."""
    zk = ctx.client()
    for path in paths:
        zk.create(path)
    return zk, zk.last_zxid


def resumed(ctx: Context, raw: RawSession) -> RawSession:
    """The same session on a new connection (the old one is closed by the server)."""
    assert raw.handshake is not None
    return raw_session(
        ctx, 10000, session_id=raw.handshake.session_id, password=raw.handshake.password
    )


CREATED, DELETED, CHANGED, CHILD = 1, 2, 3, 4
CONNECTED = 3


@scenario(group=GROUP)
def watches_stay_with_the_connection(ctx: Context) -> None:
    """Watches are not carried to a resumed session's new connection without setWatches."""
    zk, _ = created_at(ctx, ctx.path("n"))
    first = raw_session(ctx, 10000)
    first.request(GetData(ctx.path("n"), True))
    second = resumed(ctx, first)
    zk.set(ctx.path("n"), b"changed")
    second.request(Sync("/"))
    expect(second.events, [], "events on the new connection")
    second.request(Close)


@scenario(group=GROUP)
def set_watches_reports_missed_data_change(ctx: Context) -> None:
    """setWatches with an older zxid fires NodeDataChanged for data changed since, at once."""
    zk, before = created_at(ctx, ctx.path("n"))
    zk.set(ctx.path("n"), b"changed while away")
    raw = raw_session(ctx, 10000)
    header, _ = raw.request(SetWatches(before, data=(ctx.path("n"),)))
    expect(header.err, 0, "setWatches error code")
    expect(raw.events, [(CHANGED, CONNECTED, ctx.path("n"))], "events before the reply")
    raw.request(Close)


@scenario(group=GROUP)
def set_watches_reports_missed_child_change(ctx: Context) -> None:
    """setWatches fires NodeChildrenChanged for a parent whose children changed since."""
    zk, before = created_at(ctx, ctx.path("p"))
    zk.create(ctx.path("p", "c"))
    raw = raw_session(ctx, 10000)
    raw.request(SetWatches(before, child=(ctx.path("p"),)))
    expect(raw.events, [(CHILD, CONNECTED, ctx.path("p"))], "events before the reply")
    raw.request(Close)


@scenario(group=GROUP)
def set_watches_reports_missed_deletion(ctx: Context) -> None:
    """setWatches fires NodeDeleted for data and child watches on nodes now missing."""
    raw = raw_session(ctx, 10000)
    _, before = created_at(ctx, ctx.path("a"))
    raw.request(SetWatches(before, data=(ctx.path("gone1"),), child=(ctx.path("gone2"),)))
    expected = [(DELETED, CONNECTED, ctx.path("gone1")), (DELETED, CONNECTED, ctx.path("gone2"))]
    expect(sorted(raw.events), expected, "events before the reply")
    raw.request(Close)


@scenario(group=GROUP)
def set_watches_exist_on_existing_node_fires_created(ctx: Context) -> None:
    """An exist watch re-set on a node that exists fires NodeCreated, however old the node."""
    _, latest = created_at(ctx, ctx.path("old"))
    raw = raw_session(ctx, 10000)
    raw.request(SetWatches(latest, exist=(ctx.path("old"),)))
    expect(raw.events, [(CREATED, CONNECTED, ctx.path("old"))], "events before the reply")
    raw.request(Close)


@scenario(group=GROUP)
def set_watches_rearms_unchanged_nodes(ctx: Context) -> None:
    """setWatches with the current zxid fires nothing; later changes fire as usual."""
    zk, latest = created_at(ctx, ctx.path("n"), ctx.path("p"))
    raw = raw_session(ctx, 10000)
    raw.request(
        SetWatches(latest, data=(ctx.path("n"),), exist=(ctx.path("new"),), child=(ctx.path("p"),))
    )
    expect(raw.events, [], "events at setWatches")
    zk.set(ctx.path("n"), b"x")
    zk.create(ctx.path("new"))
    zk.create(ctx.path("p", "c"))
    raw.request(Sync("/"))
    expected = [
        (CHANGED, CONNECTED, ctx.path("n")),
        (CREATED, CONNECTED, ctx.path("new")),
        (CHILD, CONNECTED, ctx.path("p")),
    ]
    expect(raw.events, expected, "events after the changes")
    raw.request(Close)
