"""ttl: TTL and container nodes: create modes, bounds, stats, and the reaper that removes them.

Every scenario needs an endpoint started with `EXTENDED_PROPERTIES`: extended types on
(`zookeeper.extendedTypesEnabled=true`, without which TTL modes are Unimplemented) and the
container reaper running every 100 ms (`znode.container.checkIntervalMs`, 60 s by default).
kazoo 2.11 cannot send createTTL or these flags, so the scenarios speak the wire.

Apache ZooKeeper 3.8, as these scenarios show it:

- createTTL (opcode 21) takes flags 5 (PERSISTENT_WITH_TTL) or 6 (its sequential form) and a
  TTL in [1, 2^40 - 1] ms; anything else is BadArguments, as are flags 5 and 6 sent through
  create or create2 (no TTL). A TTL node is no ephemeral: clients see `ephemeralOwner` 0,
  it is not in getEphemerals, and it outlives its creator's session. TTL-sequential names
  take the parent's counter like any sequential create.
- The reaper deletes a TTL node once it has no children and its TTL has passed since its last
  change, and a container once it has no children and has had one (cversion > 0); a
  container that never had a child stays. Its deletions fire watches like any delete.
- createContainer (opcode 19) makes a container whatever its flags say about persistence
  (a sequential flag still appends the counter). A multi answers createTTL and
  createContainer ops as create2 (result type 15).
- deleteContainer (opcode 20) is the reaper's own request: the server reads the whole
  request frame as the path, so from a client it is always BadArguments.

"Not reaped" is checked without sleeping: a witness node that will be reaped is created after
the node under test, and once the witness is gone the reaper has passed over both.
"""

from __future__ import annotations

from typing import Any

from conformance.context import Context
from conformance.groups._wire import OPEN_ACL, Wire, decode_multi, wire
from conformance.scenario import EXTENDED, expect, scenario
from jute import records as R
from zkcompat.constants import Err, OpCode

GROUP = "ttl"
TTL, TTL_SEQUENTIAL = 5, 6
EPHEMERAL, CONTAINER = 1, 4
MAX_TTL = (1 << 40) - 1
LONG_TTL = 3_600_000  # an hour: never reaped during a run
REAPED_WITHIN = 10.0  # seconds; the reaper runs every 100 ms
BAD_ARGUMENTS = int(Err.BadArguments)
CREATE2 = int(OpCode.create2)


def create_ttl_ok(session: Wire, path: str, ttl: int, flags: int = TTL) -> Any:
    """createTTL that must succeed; returns its Create2Response."""
    reply = session.ok(session.create_ttl(path, ttl, flags), f"createTTL {session.shown(path)}")
    return reply.decode(R.Create2Response)


def create_container(session: Wire, path: str, flags: int = CONTAINER) -> Any:
    request = R.CreateRequest(path=path, data=b"", acl=list(OPEN_ACL), flags=flags)
    return session.call(OpCode.createContainer, request)


def create_container_ok(session: Wire, path: str, flags: int = CONTAINER) -> Any:
    reply = session.ok(create_container(session, path, flags), f"createContainer {path}")
    return reply.decode(R.Create2Response)


def exists(session: Wire, path: str) -> bool:
    return session.exists(path).err == 0


def reaped(ctx: Context, session: Wire, path: str) -> bool:
    """Wait (up to REAPED_WITHIN) for `path` to disappear; True once it has."""
    return ctx.wait_until(lambda: not exists(session, path), f"{path} reaped", REAPED_WITHIN)


def ttl_with_child(session: Wire, path: str, ttl: int, child: str) -> None:
    """A TTL node and a child of it, in one multi: the reaper never sees the node childless."""
    ops = [
        (OpCode.createTTL, ttl_request(path, ttl)),
        (OpCode.create, R.CreateRequest(path=child, data=b"", acl=list(OPEN_ACL), flags=0)),
    ]
    reply = session.ok(session.multi(OpCode.multi, ops), "multi creating a TTL node and child")
    results, _ = decode_multi(reply.body)
    expect([found.err for found in results], [0, 0], "error codes of the multi's results")


def used_container(ctx: Context, session: Wire, name: str) -> str:
    """A container that has had a child and lost it: the reaper's next candidate."""
    path = ctx.path(name)
    create_container_ok(session, path)
    session.create_ok(ctx.path(name, "k"))
    session.delete_ok(ctx.path(name, "k"))
    return path


# --- creating TTL nodes -----------------------------------------------------------------------


@scenario(group=GROUP, needs=EXTENDED)
def ttl_node_created(ctx: Context) -> None:
    """createTTL with flags 5 creates the node: ephemeralOwner 0, zxids those of the reply."""
    session = wire(ctx)
    reply = session.ok(session.create_ttl(ctx.path("t"), LONG_TTL, data=b"d"), "createTTL")
    created = reply.decode(R.Create2Response)
    expect(created.path, ctx.path("t"), "path")
    stat = created.stat
    expected = (reply.zxid, reply.zxid, reply.zxid, 0, 0, 1, 0)
    shown = (stat.czxid, stat.mzxid, stat.pzxid, stat.ephemeralOwner, stat.version)
    expect((*shown, stat.dataLength, stat.numChildren), expected, "stat of the reply")
    expect(session.stat(ctx.path("t")), stat, "stat from exists")


@scenario(group=GROUP, needs=EXTENDED)
def ttl_sequential_shares_the_parent_counter(ctx: Context) -> None:
    """TTL-sequential (flags 6) appends the parent's counter, shared with other creates."""
    session = wire(ctx)
    first = create_ttl_ok(session, ctx.path("t-"), LONG_TTL, TTL_SEQUENTIAL).path
    session.create_ok(ctx.path("plain"))
    second = create_ttl_ok(session, ctx.path("t-"), LONG_TTL, TTL_SEQUENTIAL).path
    names = [session.shown(first), session.shown(second)]
    expect(names, ["t-0000000000", "t-0000000002"], "names of the two TTL-sequential nodes")


@scenario(group=GROUP, needs=EXTENDED)
def ttl_bounds(ctx: Context) -> None:
    """A TTL must be in [1, 2^40 - 1] ms: 0, -1 and 2^40 are BadArguments and create nothing."""
    session = wire(ctx)
    for ttl in (1, MAX_TTL):
        expect(session.create_ttl(ctx.path(f"ok{ttl}"), ttl).err, 0, f"createTTL ttl={ttl}")
    for ttl in (0, -1, MAX_TTL + 1):
        path = ctx.path(f"bad{ttl}")
        expect(session.create_ttl(path, ttl).err, BAD_ARGUMENTS, f"createTTL ttl={ttl}")
        expect(exists(session, path), False, f"node after ttl={ttl}")


@scenario(group=GROUP, needs=EXTENDED)
def ttl_flags_and_opcode_go_together(ctx: Context) -> None:
    """createTTL needs flags 5 or 6 (0-4 and 7 are BadArguments); create/create2 cannot use them.

    Flags 5 and 6 through create (1) or create2 (15) carry no TTL: BadArguments too.
    """
    session = wire(ctx)
    found = [session.create_ttl(ctx.path(f"f{flags}"), 1000, flags).err for flags in range(8)]
    expected = [BAD_ARGUMENTS] * 5 + [0, 0, BAD_ARGUMENTS]
    expect(found, expected, "createTTL error codes for flags 0..7")
    found = []
    for opcode in (OpCode.create, OpCode.create2):
        for flags in (TTL, TTL_SEQUENTIAL):
            request = R.CreateRequest(path=ctx.path("t"), data=b"", acl=list(OPEN_ACL), flags=flags)
            found.append(session.call(opcode, request).err)
    expect(found, [BAD_ARGUMENTS] * 4, "create and create2 error codes for flags 5, 6")


@scenario(group=GROUP, needs=EXTENDED)
def ttl_node_is_not_ephemeral(ctx: Context) -> None:
    """A TTL node is not in getEphemerals and outlives its creator's session."""
    creator, other = wire(ctx), wire(ctx)
    create_ttl_ok(creator, ctx.path("t"), LONG_TTL)
    listed = creator.call(OpCode.getEphemerals, R.GetEphemeralsRequest(prefixPath="/"))
    expect(listed.decode(R.GetEphemeralsResponse).ephemerals, [], "the creator's ephemerals")
    creator.close_session()
    expect(exists(other, ctx.path("t")), True, "node after its creator's session closed")


@scenario(group=GROUP, needs=EXTENDED)
def ttl_parent_rules(ctx: Context) -> None:
    """createTTL under an ephemeral is NoChildrenForEphemerals; the usual NoNode, NodeExists.

    An ephemeral may be created under a TTL node.
    """
    session = wire(ctx)
    session.create_ok(ctx.path("e"), flags=EPHEMERAL)
    create_ttl_ok(session, ctx.path("t"), LONG_TTL)
    found = [
        session.create_ttl(ctx.path("e", "t"), LONG_TTL).err,
        session.create_ttl(ctx.path("missing", "t"), LONG_TTL).err,
        session.create_ttl(ctx.path("t"), LONG_TTL).err,
        session.create(ctx.path("t", "e"), flags=EPHEMERAL).err,
    ]
    expected = [int(Err.NoChildrenForEphemerals), int(Err.NoNode), int(Err.NodeExists), 0]
    expect(found, expected, "under an ephemeral, missing parent, existing, ephemeral under")


# --- the reaper -------------------------------------------------------------------------------


@scenario(group=GROUP, needs=EXTENDED)
def expired_ttl_node_is_reaped(ctx: Context) -> None:
    """A childless TTL node is deleted once its TTL passes; watchers see an ordinary delete.

    The node is created with a child, so that the watches are set before it can be reaped;
    deleting the child starts the wait.
    """
    watcher, writer = wire(ctx), wire(ctx)
    node = ctx.path("t")
    ttl_with_child(writer, node, 1, ctx.path("t", "c"))
    watcher.ok(watcher.exists(node, watch=True), "exists with a watch")
    watcher.ok(watcher.get_children(ctx.path(), watch=True), "getChildren with a watch")
    writer.delete_ok(ctx.path("t", "c"))
    expect(reaped(ctx, writer, node), True, "TTL node reaped")
    expected = [("NodeDeleted", "t"), ("NodeChildrenChanged", ".")]
    expect(watcher.flush(), expected, "events of the reaper's delete")


@scenario(group=GROUP, needs=EXTENDED)
def ttl_node_with_children_is_kept(ctx: Context) -> None:
    """An expired TTL node with a child is kept; once the child goes, it is reaped."""
    session = wire(ctx)
    node = ctx.path("t")
    ttl_with_child(session, node, 1, ctx.path("t", "c"))
    create_ttl_ok(session, ctx.path("witness"), 1)
    expect(reaped(ctx, session, ctx.path("witness")), True, "witness reaped")
    expect(exists(session, node), True, "expired TTL node with a child")
    session.delete_ok(ctx.path("t", "c"))
    expect(reaped(ctx, session, node), True, "TTL node reaped after its child went")


@scenario(group=GROUP, needs=EXTENDED)
def container_reaped_after_its_last_child(ctx: Context) -> None:
    """A container is deleted once its last child goes; its watchers get NodeDeleted."""
    watcher, writer = wire(ctx), wire(ctx)
    box = ctx.path("box")
    create_container_ok(writer, box)
    writer.create_ok(ctx.path("box", "a"))
    writer.create_ok(ctx.path("box", "b"))
    watcher.ok(watcher.get_data(box, watch=True), "getData with a watch")
    writer.delete_ok(ctx.path("box", "a"))
    expect(exists(writer, box), True, "container with one child left")
    writer.delete_ok(ctx.path("box", "b"))
    expect(reaped(ctx, writer, box), True, "container reaped")
    expect(watcher.flush(), [("NodeDeleted", "box")], "events of the watcher")


@scenario(group=GROUP, needs=EXTENDED)
def unused_container_is_kept(ctx: Context) -> None:
    """A container that never had a child is not reaped (its cversion is 0)."""
    session = wire(ctx)
    box = ctx.path("box")
    expect(create_container_ok(session, box).stat.cversion, 0, "cversion of a new container")
    witness = used_container(ctx, session, "witness")
    expect(reaped(ctx, session, witness), True, "witness reaped")
    expect(exists(session, box), True, "container that never had a child")


@scenario(group=GROUP, needs=EXTENDED)
def container_reaped_after_ephemeral_child_session_ends(ctx: Context) -> None:
    """A container whose only child is an ephemeral goes once that session closes."""
    owner, other = wire(ctx), wire(ctx)
    box = ctx.path("box")
    create_container_ok(other, box)
    owner.create_ok(ctx.path("box", "member"), flags=EPHEMERAL)
    owner.close_session()
    expect(reaped(ctx, other, box), True, "container reaped")


@scenario(group=GROUP, needs=EXTENDED)
def create_container_opcode_decides(ctx: Context) -> None:
    """createContainer with flags 0 makes a container too; with flags 2 a sequential one."""
    session = wire(ctx)
    plain = ctx.path("plain")
    create_container_ok(session, plain, flags=0)
    named = create_container_ok(session, ctx.path("seq-"), flags=2).path
    expect(session.shown(named), "seq-0000000001", "name with flags 2")
    session.create_ok(ctx.path("plain", "k"))
    session.delete_ok(ctx.path("plain", "k"))
    expect(reaped(ctx, session, plain), True, "flags-0 container reaped")


@scenario(group=GROUP, needs=EXTENDED)
def delete_container_from_a_client(ctx: Context) -> None:
    """deleteContainer (opcode 20) from a client is BadArguments, however the path is sent.

    The server takes the whole request frame, header included, as the path. An unused
    container, an empty TTL node and a plain node are all left in place.
    """
    session = wire(ctx)
    box, node, plain = ctx.path("box"), ctx.path("t"), ctx.path("plain")
    create_container_ok(session, box)
    create_ttl_ok(session, node, LONG_TTL)
    session.create_ok(plain)
    for path in (box, node, plain):
        shown = session.shown(path)
        as_record = session.call(OpCode.deleteContainer, R.DeleteRequest(path=path, version=-1))
        expect(as_record.err, BAD_ARGUMENTS, f"deleteContainer {shown} as a DeleteRequest")
        as_bytes = session.call(OpCode.deleteContainer, path.encode())
        expect(as_bytes.err, BAD_ARGUMENTS, f"deleteContainer {shown} as bare bytes")
        expect(exists(session, path), True, f"{shown} afterwards")


@scenario(group=GROUP, needs=EXTENDED)
def ttl_and_container_ops_in_multi(ctx: Context) -> None:
    """A multi answers createTTL and createContainer ops as create2 (type 15) with the stat.

    A bad TTL in a multi gives an ErrorResult of BadArguments.
    """
    session = wire(ctx)
    ops = [
        (OpCode.createTTL, ttl_request(ctx.path("t"), LONG_TTL)),
        (OpCode.createContainer, container_request(ctx.path("box"))),
    ]
    reply = session.ok(session.multi(OpCode.multi, ops), "multi")
    results, _ = decode_multi(reply.body)
    shown = [(found.type, found.err, session.shown(found.body.path)) for found in results]
    expect(shown, [(CREATE2, 0, "t"), (CREATE2, 0, "box")], "(type, err, path) of the results")
    owners = [found.body.stat.ephemeralOwner for found in results]
    expect(owners, [0, 0], "ephemeralOwner in the results")
    bad = session.multi(OpCode.multi, [(OpCode.createTTL, ttl_request(ctx.path("u"), 0))])
    results, _ = decode_multi(bad.body)
    expect([(found.type, found.err) for found in results], [(-1, BAD_ARGUMENTS)], "bad TTL")


def ttl_request(path: str, ttl: int) -> R.CreateTTLRequest:
    return R.CreateTTLRequest(path=path, data=b"", acl=list(OPEN_ACL), flags=TTL, ttl=ttl)


def container_request(path: str) -> R.CreateRequest:
    return R.CreateRequest(path=path, data=b"", acl=list(OPEN_ACL), flags=CONTAINER)
