"""reads: multiRead, getEphemerals, getAllChildrenNumber, and requests a standalone refuses.

kazoo 2.11 sends none of these, so the scenarios speak the wire (`_wire.Wire`).

Apache ZooKeeper 3.8, as these scenarios show it:

- multiRead (opcode 22) takes getData and getChildren ops and answers each on its own: a
  failing op (NoNode, NoAuth) gets an ErrorResult (header type -1, its err) in its place and
  the others still succeed. The watch flags of its ops are dropped: it sets no watch. Any other
  op is MarshallingError; a write op is caught only after the (empty) MultiResponse was made,
  so its reply carries that empty response's end marker as body. A getData op in a multi
  (opcode 14) is MarshallingError too, and, being refused as a transaction, takes a zxid.
- getEphemerals (opcode 103) lists the asking session's own ephemerals whose path starts with
  the prefix as a string (".../e1" matches ".../e10"); "/", "" and blanks mean all. The list
  comes from a clone of the session's `HashSet<String>`: Java hash order of the clone.
- getAllChildrenNumber (opcode 104) counts every descendant, not just children, checking READ
  on the node asked about only; "/" counts every node but the root, and "" (the root's other
  key in the node table) counts "/" as well.
- reconfig on a standalone server is ReconfigDisabled (-123) and takes a zxid; an unknown
  opcode is Unimplemented (-6) with zxid -1, and the server then closes the connection.
"""

from __future__ import annotations

from typing import Any

from conformance.context import Context
from conformance.groups._support import digest_id
from conformance.groups._wire import (
    Reply,
    Wire,
    decode_multi,
    remove_later,
    wire,
)
from conformance.scenario import expect, scenario
from jute import records as R
from zkcompat.constants import Err, OpCode

GROUP = "reads"
EPHEMERAL, EPHEMERAL_SEQUENTIAL = 1, 3
NO_NODE, NO_AUTH = int(Err.NoNode), int(Err.NoAuth)
MARSHALLING = int(Err.MarshallingError)
ERROR_TYPE = int(OpCode.error)
GET_DATA, GET_CHILDREN = int(OpCode.getData), int(OpCode.getChildren)
NO_READ = (R.ACL(perms=31 & ~1, id=R.Id(scheme="world", id="anyone")),)
MULTI_END = b"\xff\xff\xff\xff\x01\xff\xff\xff\xff"  # MultiHeader(type -1, done, err -1)


def get_data_op(path: str, watch: bool = False) -> tuple[int, Any]:
    return (GET_DATA, R.GetDataRequest(path=path, watch=watch))


def get_children_op(path: str, watch: bool = False) -> tuple[int, Any]:
    return (GET_CHILDREN, R.GetChildrenRequest(path=path, watch=watch))


def multi_read(session: Wire, ops: list[tuple[int, Any]]) -> list[tuple[int, int, Any]]:
    """A successful multiRead's results as (header type, header err, what the body says)."""
    reply = session.ok(session.multi(OpCode.multiRead, ops), "multiRead")
    results, rest = decode_multi(reply.body)
    expect(rest, b"", "bytes after the end marker")
    return [(found.type, found.err, summary(found.body)) for found in results]


def summary(body: Any) -> Any:
    """A result body as compared: data and version, sorted children, or the error code."""
    if isinstance(body, R.GetDataResponse):
        return (body.data, body.stat.version)
    if isinstance(body, R.GetChildrenResponse):
        return sorted(body.children)
    if isinstance(body, R.ErrorResponse):
        return body.err
    return body


# --- multiRead --------------------------------------------------------------------------------


@scenario(group=GROUP)
def multi_read_results_per_op(ctx: Context) -> None:
    """multiRead answers each getData/getChildren op in order, with the server's last zxid."""
    session = wire(ctx)
    session.create_ok(ctx.path("a"), b"alpha")
    session.create_ok(ctx.path("a", "x"))
    last = session.set_ok(ctx.path("a"), b"beta").zxid
    ops = [get_data_op(ctx.path("a")), get_children_op(ctx.path("a")), get_children_op(ctx.path())]
    reply = session.multi(OpCode.multiRead, ops)
    expect((reply.err, reply.zxid), (0, last), "(err, zxid) of the reply")
    expected = [(GET_DATA, 0, (b"beta", 1)), (GET_CHILDREN, 0, ["x"]), (GET_CHILDREN, 0, ["a"])]
    expect(multi_read(session, ops), expected, "results")


@scenario(group=GROUP)
def multi_read_failing_op_stands_alone(ctx: Context) -> None:
    """A missing node gives NoNode ErrorResults in its ops' places; the other ops succeed."""
    session = wire(ctx)
    session.create_ok(ctx.path("a"), b"alpha")
    ops = [
        get_data_op(ctx.path("missing")),
        get_data_op(ctx.path("a")),
        get_children_op(ctx.path("missing")),
        get_children_op(ctx.path("a")),
    ]
    expected = [
        (ERROR_TYPE, NO_NODE, NO_NODE),
        (GET_DATA, 0, (b"alpha", 0)),
        (ERROR_TYPE, NO_NODE, NO_NODE),
        (GET_CHILDREN, 0, []),
    ]
    expect(multi_read(session, ops), expected, "results")


@scenario(group=GROUP)
def multi_read_checks_acl_per_op(ctx: Context) -> None:
    """Ops on a node the session cannot read are NoAuth; an authorised session reads it."""
    stranger, reader = wire(ctx), wire(ctx)
    secret = ctx.path("secret")
    remove_later(ctx, secret)
    alice = R.ACL(perms=1, id=R.Id(scheme="digest", id=digest_id("alice", "secret")))
    stranger.create_ok(secret, b"s", acl=[*NO_READ, alice])
    stranger.create_ok(ctx.path("open"), b"o")
    expect(reader.add_auth("digest", "alice:secret"), 0, "addauth error code")
    ops = [get_data_op(secret), get_data_op(ctx.path("open")), get_children_op(secret)]
    refused = (ERROR_TYPE, NO_AUTH, NO_AUTH)
    denied = [refused, (GET_DATA, 0, (b"o", 0)), refused]
    expect(multi_read(stranger, ops), denied, "results without READ")
    allowed = [(GET_DATA, 0, (b"s", 0)), (GET_DATA, 0, (b"o", 0)), (GET_CHILDREN, 0, [])]
    expect(multi_read(reader, ops), allowed, "results with READ through digest")


@scenario(group=GROUP)
def multi_read_empty(ctx: Context) -> None:
    """An empty multiRead succeeds; its body is just the end marker (type -1, done, err -1)."""
    session = wire(ctx)
    reply = session.multi(OpCode.multiRead, [])
    expect((reply.err, reply.body), (0, MULTI_END), "(err, body) of the reply")


@scenario(group=GROUP)
def multi_read_sets_no_watches(ctx: Context) -> None:
    """multiRead ops with watch=true set no watch: later changes fire nothing."""
    watcher, writer = wire(ctx), wire(ctx)
    node = ctx.path("n")
    writer.create_ok(node)
    multi_read(watcher, [get_data_op(node, watch=True), get_children_op(node, watch=True)])
    writer.set_ok(node, b"1")
    writer.create_ok(ctx.path("n", "c"))
    expect(watcher.flush(), [], "events")


@scenario(group=GROUP)
def multi_read_refuses_other_ops(ctx: Context) -> None:
    """exists or setData in a multiRead: MarshallingError; setData's reply has an empty result.

    An exists op fails while the request is read, so the reply has no body; a write op fails
    in the loop over the ops, after the empty MultiResponse was made, which is then sent.
    Nothing is written.
    """
    session = wire(ctx)
    node = ctx.path("n")
    session.create_ok(node, b"old")
    probe = (OpCode.exists, R.ExistsRequest(path=node, watch=False))
    exists = session.multi(OpCode.multiRead, [probe])
    expect((exists.err, exists.body), (MARSHALLING, b""), "(err, body) with an exists op")
    write = R.SetDataRequest(path=node, data=b"new", version=-1)
    reply = session.multi(OpCode.multiRead, [(OpCode.setData, write)])
    expect((reply.err, reply.body), (MARSHALLING, MULTI_END), "(err, body) with a setData op")
    data = session.ok(session.get_data(node), "getData").decode(R.GetDataResponse).data
    expect(data, b"old", "data afterwards")


@scenario(group=GROUP)
def multi_with_read_op_is_refused(ctx: Context) -> None:
    """A getData op in a multi (opcode 14) is MarshallingError, with no body, and takes a zxid.

    With a setData before it, nothing is written.
    """
    session = wire(ctx)
    node = ctx.path("n")
    before = session.create_ok(node, b"old").zxid
    reply = session.multi(OpCode.multi, [get_data_op(node)])
    expect((reply.err, reply.body, reply.zxid), (MARSHALLING, b"", before + 1), "(err, body, zxid)")
    write = (OpCode.setData, R.SetDataRequest(path=node, data=b"new", version=-1))
    expect(session.multi(OpCode.multi, [write, get_data_op(node)]).err, MARSHALLING, "mixed")
    data = session.ok(session.get_data(node), "getData").decode(R.GetDataResponse).data
    expect(data, b"old", "data afterwards")
    expect(session.create_ok(ctx.path("next")).zxid, before + 3, "zxid of the next write")


# --- getEphemerals ----------------------------------------------------------------------------


def ephemerals(session: Wire, prefix: str | None) -> list[str]:
    """getEphemerals' list, paths shown relative to the scenario's base, in the server's order."""
    reply = session.call(OpCode.getEphemerals, R.GetEphemeralsRequest(prefixPath=prefix))
    expect(reply.err, 0, f"getEphemerals {prefix!r} error code")
    return [session.shown(path) for path in reply.decode(R.GetEphemeralsResponse).ephemerals]


@scenario(group=GROUP)
def get_ephemerals_lists_own_session_only(ctx: Context) -> None:
    """getEphemerals "/" lists the session's own ephemerals anywhere; "" and " / " do too."""
    first, second, idle = wire(ctx), wire(ctx), wire(ctx)
    first.create_ok(ctx.path("p"))
    for path in (ctx.path("a"), ctx.path("p", "b")):
        first.create_ok(path, flags=EPHEMERAL)
    second.create_ok(ctx.path("c"), flags=EPHEMERAL)
    sequential = first.create_ok(ctx.path("s-"), flags=EPHEMERAL_SEQUENTIAL)
    name = first.shown(sequential.decode(R.Create2Response).path)
    for prefix in ("/", "", " / "):
        found = sorted(ephemerals(first, prefix))
        expect(found, ["a", "p/b", name], f"the first session's, prefix {prefix!r}")
    expect(ephemerals(second, "/"), ["c"], "the second session's")
    expect(ephemerals(idle, "/"), [], "a session without ephemerals")
    first.delete_ok(ctx.path("a"))
    expect(sorted(ephemerals(first, "/")), ["p/b", name], "the first session's after a delete")


@scenario(group=GROUP)
def get_ephemerals_prefix_is_a_string_prefix(ctx: Context) -> None:
    """The prefix matches paths as strings: ".../e1" lists e1 and e10, not e2 or e1's parent."""
    session = wire(ctx)
    session.create_ok(ctx.path("p"))
    for name in ("e1", "e10", "e2", "p/e1"):
        session.create_ok(ctx.path(name), flags=EPHEMERAL)
    expect(sorted(ephemerals(session, ctx.path("e1"))), ["e1", "e10"], "prefix .../e1")
    expect(sorted(ephemerals(session, ctx.path("p"))), ["p/e1"], "prefix .../p")
    expect(ephemerals(session, ctx.path("missing")), [], "a prefix nothing starts with")
    expect(ephemerals(session, ctx.base.lstrip("/")), [], "a prefix without its leading /")


@scenario(group=GROUP)
def get_ephemerals_in_java_hash_order(ctx: Context) -> None:
    """The list comes in the iteration order of a clone of the session's `HashSet<String>`.

    The session's set (capacity 16) is cloned, and a clone of n entries is sized for n: so
    six paths are listed by bucket of their `String.hashCode` in a table of 8, ties in the
    16-table's order, ties there in creation order.
    """
    session = wire(ctx)
    paths = [ctx.path(name) for name in ("one", "two", "three", "four", "five", "six")]
    for path in paths:
        session.create_ok(path, flags=EPHEMERAL)
    expected = [session.shown(path) for path in cloned_hash_set_order(paths)]
    expect(ephemerals(session, "/"), expected, "order of getEphemerals")


def java_string_hash(text: str) -> int:
    """Java's `String.hashCode` over UTF-16 code units, as an unsigned 32-bit value."""
    value = 0
    units = text.encode("utf-16-be")
    for index in range(0, len(units), 2):
        value = (31 * value + int.from_bytes(units[index : index + 2], "big")) & 0xFFFFFFFF
    return value


def bucket(text: str, capacity: int) -> int:
    """The bucket of `text` in a Java HashMap table of `capacity` (a power of two)."""
    hashed = java_string_hash(text)
    return (hashed ^ (hashed >> 16)) & (capacity - 1)


def hash_set_order(items: list[str], capacity: int) -> list[str]:
    """Iteration order of a HashSet of `capacity` filled in `items`' order (short chains)."""
    return sorted(items, key=lambda item: bucket(item, capacity))


def cloned_hash_set_order(created: list[str]) -> list[str]:
    """Order of a clone of a `new HashSet<>()` (capacity 16) filled with at most 12 paths.

    `HashMap.clone` re-inserts the entries, in the original's iteration order, into a table
    sized for them: the power of two at least `(int) (n / 0.75 + 1)`.
    """
    if len(created) > 12:
        raise ValueError("the original set would have grown past 16 buckets")
    wanted = int(len(created) / 0.75 + 1.0)
    capacity = 1
    while capacity < wanted:
        capacity *= 2
    return hash_set_order(hash_set_order(created, 16), capacity)


# --- getAllChildrenNumber ---------------------------------------------------------------------


def all_children_number(session: Wire, path: str) -> Reply:
    return session.call(OpCode.getAllChildrenNumber, R.GetAllChildrenNumberRequest(path=path))


def count(session: Wire, path: str) -> int:
    reply = session.ok(all_children_number(session, path), f"getAllChildrenNumber {path!r}")
    return int(reply.decode(R.GetAllChildrenNumberResponse).totalNumber)


@scenario(group=GROUP)
def all_children_number_counts_descendants(ctx: Context) -> None:
    """getAllChildrenNumber counts all descendants; a leaf has 0; a missing node is NoNode.

    A sibling whose name extends the node's (`a` and `ab`) is not counted.
    """
    session = wire(ctx)
    for name in ("a", "a/b", "a/b/c", "a/d", "ab", "ab/x"):
        session.create_ok(ctx.path(name))
    session.create_ok(ctx.path("a", "e"), flags=EPHEMERAL)
    expect(count(session, ctx.path("a")), 4, "under a")
    expect(count(session, ctx.path()), 7, "under the base")
    expect(count(session, ctx.path("a", "b", "c")), 0, "under a leaf")
    missing = all_children_number(session, ctx.path("missing"))
    expect((missing.err, missing.body), (NO_NODE, b""), "(err, body) for a missing node")


@scenario(group=GROUP)
def all_children_number_of_root(ctx: Context) -> None:
    """getAllChildrenNumber "/" counts every node but the root; "" counts the root as well."""
    session = wire(ctx)
    session.create_ok(ctx.path("x"))
    nodes = count_by_listing(session, "/")
    expect(count(session, "/"), nodes, "of / (as many as listing the whole tree finds)")
    expect(count(session, ""), nodes + 1, 'of ""')
    expect(count(session, "/zookeeper"), count_by_listing(session, "/zookeeper"), "of /zookeeper")


@scenario(group=GROUP)
def empty_path_reads_the_root(ctx: Context) -> None:
    """Reads of "" answer for "/", the root's other key in ZooKeeper's node table."""
    session = wire(ctx)
    root = session.ok(session.get_data("/"), "getData /").decode(R.GetDataResponse)
    expect(
        session.ok(session.get_data(""), 'getData ""').decode(R.GetDataResponse), root, 'getData ""'
    )
    expect(
        session.ok(session.exists(""), 'exists ""').decode(R.ExistsResponse).stat,
        session.stat("/"),
        'exists "" stat',
    )
    expect(
        sorted(
            session.ok(session.get_children(""), 'getChildren ""')
            .decode(R.GetChildrenResponse)
            .children
        ),
        sorted(
            session.ok(session.get_children("/"), "getChildren /")
            .decode(R.GetChildrenResponse)
            .children
        ),
        'getChildren "" (sorted)',
    )


def count_by_listing(session: Wire, path: str) -> int:
    """How many nodes are below `path`, by getChildren all the way down."""
    reply = session.ok(session.get_children(path), f"getChildren {path}")
    total = 0
    for child in reply.decode(R.GetChildrenResponse).children:
        below = f"{path.rstrip('/')}/{child}"
        total += 1 + count_by_listing(session, below)
    return total


@scenario(group=GROUP)
def all_children_number_needs_read_on_the_node(ctx: Context) -> None:
    """READ is checked on the node asked about only: unreadable descendants are counted."""
    session = wire(ctx)
    session.create_ok(ctx.path("p"))
    remove_later(ctx, ctx.path("p", "hidden"), ctx.path("secret"))
    session.create_ok(ctx.path("p", "hidden"), acl=NO_READ)
    session.create_ok(ctx.path("secret"), acl=NO_READ)
    expect(count(session, ctx.path("p")), 1, "under p")
    denied = all_children_number(session, ctx.path("secret"))
    expect((denied.err, denied.body), (NO_AUTH, b""), "(err, body) for an unreadable node")


# --- what a standalone server refuses ---------------------------------------------------------


@scenario(group=GROUP)
def reconfig_is_disabled(ctx: Context) -> None:
    """reconfig on a standalone server is ReconfigDisabled (-123), no body, and takes a zxid."""
    session = wire(ctx)
    before = session.create_ok(ctx.path("n")).zxid
    request = R.ReconfigRequest(
        joiningServers="server.5=127.0.0.1:2888:3888;2181",
        leavingServers=None,
        newMembers=None,
        curConfigId=-1,
    )
    reply = session.call(OpCode.reconfig, request)
    expected = (int(Err.ReconfigDisabled), b"", before + 1)
    expect((reply.err, reply.body, reply.zxid), expected, "(err, body, zxid) of reconfig")


@scenario(group=GROUP)
def unknown_opcode_is_unimplemented_then_closed(ctx: Context) -> None:
    """An unknown opcode (99) gets Unimplemented (-6) with zxid -1; the connection is closed."""
    session = wire(ctx)
    reply = session.call(99, b"")
    expect((reply.err, reply.zxid, reply.body), (int(Err.Unimplemented), -1, b""), "reply")
    expect(session.raw.is_closed_by_server(), True, "connection closed afterwards")
