"""crud: create, get, set, delete, exists and children, in every create mode but TTL.

Each scenario works under its own empty base znode (`ctx.path()`), whose cversion starts at 0,
so sequence numbers are known exactly.
"""

from __future__ import annotations

from kazoo.protocol.serialization import Create2
from kazoo.security import OPEN_ACL_UNSAFE

from conformance.context import Context
from conformance.scenario import expect, expect_in, expect_order, scenario

CONTAINER = 4  # CreateMode.CONTAINER's flag; kazoo's create() cannot send it


@scenario(group="crud")
def create_returns_the_path(ctx: Context) -> None:
    """create of a persistent node returns exactly the path asked for."""
    zk = ctx.client()
    expect(zk.create(ctx.path("node"), b"v"), ctx.path("node"), "create's returned path")


@scenario(group="crud")
def get_returns_data_and_stat(ctx: Context) -> None:
    """getData returns the bytes written, and a stat with version 0 and dataLength."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"hello")
    data, stat = zk.get(ctx.path("node"))
    expect(data, b"hello", "data")
    expect(stat.version, 0, "stat.version of a new node")
    expect(stat.dataLength, 5, "stat.dataLength")
    expect(stat.numChildren, 0, "stat.numChildren")


@scenario(group="crud")
def create_with_empty_data(ctx: Context) -> None:
    """A node created with empty data reads back as empty, with dataLength 0."""
    zk = ctx.client()
    zk.create(ctx.path("empty"), b"")
    data, stat = zk.get(ctx.path("empty"))
    expect(data, b"", "data")
    expect(stat.dataLength, 0, "stat.dataLength")


@scenario(group="crud")
def create_with_null_data(ctx: Context) -> None:
    """Data sent as null (length -1) is stored as null: getData returns null, dataLength 0."""
    zk = ctx.client()
    zk.create(ctx.path("null"), None)
    data, stat = zk.get(ctx.path("null"))
    expect(data, None, "data (kazoo reads a -1 length as None)")
    expect(stat.dataLength, 0, "stat.dataLength")


@scenario(group="crud")
def binary_data_round_trips(ctx: Context) -> None:
    """All 256 byte values survive a create and a set unchanged."""
    zk = ctx.client()
    every_byte = bytes(range(256))
    zk.create(ctx.path("bin"), every_byte)
    expect(zk.get(ctx.path("bin"))[0], every_byte, "data after create")
    zk.set(ctx.path("bin"), every_byte[::-1])
    expect(zk.get(ctx.path("bin"))[0], every_byte[::-1], "data after set")


@scenario(group="crud")
def set_replaces_data_and_returns_stat(ctx: Context) -> None:
    """setData replaces the data and returns the new stat (version 1, new dataLength)."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"one")
    stat = zk.set(ctx.path("node"), b"three")
    expect(stat.version, 1, "version in setData's returned stat")
    expect(stat.dataLength, 5, "dataLength in setData's returned stat")
    expect(zk.get(ctx.path("node"))[0], b"three", "data after set")


@scenario(group="crud")
def set_with_matching_version(ctx: Context) -> None:
    """setData with the current version succeeds; versions count 0, 1, 2, ..."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"")
    for version in range(3):
        stat = zk.set(ctx.path("node"), b"x", version=version)
        expect(stat.version, version + 1, f"version after set with version={version}")


@scenario(group="crud")
def set_with_any_version(ctx: Context) -> None:
    """setData with version -1 succeeds whatever the current version is."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"")
    zk.set(ctx.path("node"), b"a")
    zk.set(ctx.path("node"), b"b")
    expect(zk.set(ctx.path("node"), b"c", version=-1).version, 3, "version after a -1 set")


@scenario(group="crud")
def delete_removes_the_node(ctx: Context) -> None:
    """After delete, exists returns no stat and the parent no longer lists the child."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    zk.delete(ctx.path("node"))
    expect(zk.exists(ctx.path("node")), None, "exists after delete")
    expect(zk.get_children(ctx.path()), [], "parent's children after delete")


@scenario(group="crud")
def delete_with_matching_version(ctx: Context) -> None:
    """delete with the node's current version succeeds."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    zk.set(ctx.path("node"), b"1")
    zk.delete(ctx.path("node"), version=1)
    expect(zk.exists(ctx.path("node")), None, "exists after versioned delete")


@scenario(group="crud")
def exists_returns_stat_or_nothing(ctx: Context) -> None:
    """exists returns the node's stat when present and nothing (not an error) when absent."""
    zk = ctx.client()
    expect(zk.exists(ctx.path("node")), None, "exists before create")
    zk.create(ctx.path("node"), b"abc")
    stat = zk.exists(ctx.path("node"))
    expect(stat, zk.get(ctx.path("node"))[1], "exists' stat equals getData's stat")
    expect(stat.dataLength, 3, "dataLength from exists")


@scenario(group="crud")
def children_are_names_not_paths(ctx: Context) -> None:
    """getChildren returns the children's names (no parent prefix), each exactly once."""
    zk = ctx.client()
    for name in ("b", "a", "c"):
        zk.create(ctx.path(name))
    expect(sorted(zk.get_children(ctx.path())), ["a", "b", "c"], "children names")


@scenario(group="crud")
def children_of_a_leaf_are_empty(ctx: Context) -> None:
    """getChildren on a node without children returns an empty list."""
    zk = ctx.client()
    zk.create(ctx.path("leaf"))
    expect(zk.get_children(ctx.path("leaf")), [], "children of a leaf")


@scenario(group="crud")
def children_come_in_hash_set_order(ctx: Context) -> None:
    """getChildren lists names in ZooKeeper's HashSet order, which depends on history.

    Not sorted and not creation order: clients (zkCli's `ls` sorts, kazoo does not) see the
    iteration order of the parent's `HashSet<String>(8)`, which grows but never shrinks.
    """
    zk = ctx.client()
    for name in ("b", "a", "c", "10", "Q", "zz", "m1", "ab"):
        zk.create(ctx.path(name))
    expect(
        zk.get_children(ctx.path()),
        ["zz", "a", "Q", "ab", "b", "c", "m1", "10"],
        "children of eight creates",
    )
    for name in ("b", "Q", "zz", "m1", "ab"):
        zk.delete(ctx.path(name))
    expect(zk.get_children(ctx.path()), ["a", "c", "10"], "children after five deletes")
    zk.create(ctx.path("b"))
    zk.create(ctx.path("Q"))
    expect(
        zk.get_children(ctx.path()),
        ["a", "Q", "b", "c", "10"],
        "children after two creates (the set kept its grown table)",
    )


@scenario(group="crud")
def sequential_children_come_in_hash_set_order(ctx: Context) -> None:
    """Twenty sequential children come back in HashSet order, not in sequence order."""
    zk = ctx.client()
    for _ in range(20):
        zk.create(ctx.path("n-"), sequence=True)
    order = [9, 2, 13, 1, 12, 4, 15, 3, 14, 6, 17, 5, 16, 8, 19, 7, 18, 0, 11, 10]
    expect(
        zk.get_children(ctx.path()),
        [f"n-{number:010d}" for number in order],
        "children of twenty sequential creates",
    )


@scenario(group="crud")
def children2_returns_the_parent_stat(ctx: Context) -> None:
    """getChildren2 returns the children and the parent's stat with numChildren."""
    zk = ctx.client()
    zk.create(ctx.path("x"))
    zk.create(ctx.path("y"))
    children, stat = zk.get_children(ctx.path(), include_data=True)
    expect(sorted(children), ["x", "y"], "children")
    expect(stat.numChildren, 2, "parent stat.numChildren")
    expect(stat, zk.exists(ctx.path()), "getChildren2's stat equals exists' stat")


@scenario(group="crud")
def root_lists_zookeeper(ctx: Context) -> None:
    """The root's children include the system node "zookeeper"."""
    zk = ctx.client()
    expect_in("zookeeper", zk.get_children("/"), "children of /")


@scenario(group="crud")
def nested_nodes(ctx: Context) -> None:
    """A child can be created under a new node, and a grandchild under it."""
    zk = ctx.client()
    zk.create(ctx.path("a"), b"1")
    zk.create(ctx.path("a", "b"), b"2")
    zk.create(ctx.path("a", "b", "c"), b"3")
    expect(zk.get(ctx.path("a", "b", "c"))[0], b"3", "grandchild data")
    expect(zk.get_children(ctx.path("a")), ["b"], "children of a")


@scenario(group="crud")
def unicode_names_round_trip(ctx: Context) -> None:
    """Non-ASCII node names (UTF-8 on the wire) are stored and listed unchanged."""
    zk = ctx.client()
    names = ["名前", "café", "\u00a0nbsp"]
    for name in names:
        zk.create(ctx.path(name))
    expect(sorted(zk.get_children(ctx.path())), sorted(names), "children names")


@scenario(group="crud")
def sequential_suffix_is_ten_digits(ctx: Context) -> None:
    """A sequential create appends the parent's counter as 10 zero-padded digits."""
    zk = ctx.client()
    expect(
        zk.create(ctx.path("job-"), sequence=True),
        ctx.path("job-0000000000"),
        "first sequential path",
    )
    expect(
        zk.create(ctx.path("job-"), sequence=True),
        ctx.path("job-0000000001"),
        "second sequential path",
    )


@scenario(group="crud")
def sequential_with_empty_prefix(ctx: Context) -> None:
    """A sequential create of "parent/" makes a child named only by its 10 digits."""
    zk = ctx.client()
    expect(zk.create(ctx.path() + "/", sequence=True), ctx.path("0000000000"), "created path")


@scenario(group="crud")
def sequence_counts_every_child_creation(ctx: Context) -> None:
    """The sequence number counts all earlier child creations, sequential or not."""
    zk = ctx.client()
    zk.create(ctx.path("plain-a"))
    zk.create(ctx.path("plain-b"))
    zk.create(ctx.path("q-"), sequence=True)
    expect(
        zk.create(ctx.path("other-"), sequence=True), ctx.path("other-0000000003"), "fourth child"
    )


@scenario(group="crud")
def sequence_ignores_deletions(ctx: Context) -> None:
    """Deleting children does not advance the sequence number (it counts creations only)."""
    zk = ctx.client()
    zk.create(ctx.path("a"))
    zk.create(ctx.path("b"))
    zk.delete(ctx.path("a"))
    zk.delete(ctx.path("b"))
    expect(zk.create(ctx.path("s-"), sequence=True), ctx.path("s-0000000002"), "sequential path")


@scenario(group="crud")
def sequence_is_per_parent(ctx: Context) -> None:
    """Each parent has its own sequence counter."""
    zk = ctx.client()
    zk.create(ctx.path("p1"))
    zk.create(ctx.path("p2"))
    zk.create(ctx.path("p1", "n-"), sequence=True)
    zk.create(ctx.path("p1", "n-"), sequence=True)
    expect(
        zk.create(ctx.path("p2", "n-"), sequence=True),
        ctx.path("p2", "n-0000000000"),
        "first in p2",
    )


@scenario(group="crud")
def persistent_node_has_no_owner(ctx: Context) -> None:
    """A persistent node's stat.ephemeralOwner is 0."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    expect(zk.exists(ctx.path("node")).ephemeralOwner, 0, "ephemeralOwner")


@scenario(group="crud")
def ephemeral_owner_is_the_session(ctx: Context) -> None:
    """An ephemeral node's stat.ephemeralOwner is the creating session's id."""
    zk = ctx.client()
    zk.create(ctx.path("eph"), ephemeral=True)
    expect(zk.exists(ctx.path("eph")).ephemeralOwner, zk.client_id[0], "ephemeralOwner")


@scenario(group="crud")
def ephemeral_goes_with_its_session(ctx: Context) -> None:
    """Closing the session deletes its ephemeral nodes; other sessions see them gone."""
    owner = ctx.client()
    observer = ctx.client()
    owner.create(ctx.path("eph"), ephemeral=True)
    expect(observer.exists(ctx.path("eph")) is not None, True, "ephemeral visible to others")
    owner.stop()
    expect(observer.exists(ctx.path("eph")), None, "ephemeral after its session closed")


@scenario(group="crud")
def persistent_outlives_its_session(ctx: Context) -> None:
    """A persistent node stays after the session that created it closes."""
    creator = ctx.client()
    creator.create(ctx.path("node"), b"kept")
    creator.stop()
    expect(ctx.client().get(ctx.path("node"))[0], b"kept", "data after the creator closed")


@scenario(group="crud")
def ephemeral_sequential(ctx: Context) -> None:
    """An ephemeral sequential node gets a 10-digit suffix and the session as owner."""
    zk = ctx.client()
    path = zk.create(ctx.path("lock-"), ephemeral=True, sequence=True)
    expect(path, ctx.path("lock-0000000000"), "created path")
    expect(zk.exists(path).ephemeralOwner, zk.client_id[0], "ephemeralOwner")


@scenario(group="crud")
def only_the_owners_ephemerals_go(ctx: Context) -> None:
    """Closing one session removes only its own ephemerals."""
    first = ctx.client()
    second = ctx.client()
    first.create(ctx.path("first"), ephemeral=True)
    second.create(ctx.path("second"), ephemeral=True)
    first.stop()
    expect(second.get_children(ctx.path()), ["second"], "children after the first session closed")


@scenario(group="crud")
def create2_returns_the_stat(ctx: Context) -> None:
    """create2 returns the path and the new node's stat, equal to what exists reports."""
    zk = ctx.client()
    path, stat = zk.create(ctx.path("node"), b"abcd", include_data=True)
    expect(path, ctx.path("node"), "path from create2")
    expect(stat, zk.exists(ctx.path("node")), "create2's stat equals exists' stat")
    expect((stat.version, stat.dataLength), (0, 4), "(version, dataLength) from create2")


@scenario(group="crud")
def create2_sequential_returns_the_actual_path(ctx: Context) -> None:
    """create2 of a sequential node returns the path with its suffix."""
    zk = ctx.client()
    zk.create(ctx.path("a"))
    path, stat = zk.create(ctx.path("s-"), sequence=True, include_data=True)
    expect(path, ctx.path("s-0000000001"), "path from create2")
    expect(stat.czxid, zk.exists(path).czxid, "stat is the new node's")


@scenario(group="crud")
def container_node(ctx: Context) -> None:
    """A container node (flag 4) is created; clients see ephemeralOwner 0 for it."""
    zk = ctx.client()
    path, stat = ctx.raw(zk, Create2(ctx.path("box"), b"c", OPEN_ACL_UNSAFE, CONTAINER))
    expect(path, ctx.path("box"), "created path")
    expect(stat.ephemeralOwner, 0, "container's ephemeralOwner as clients see it")
    zk.create(ctx.path("box", "item"))
    expect(zk.get_children(ctx.path("box")), ["item"], "container's children")


@scenario(group="crud")
def sync_returns_the_path(ctx: Context) -> None:
    """sync answers with the path it was given."""
    zk = ctx.client()
    expect(zk.sync(ctx.path()), ctx.path(), "sync's returned path")


@scenario(group="crud")
def reads_see_own_writes(ctx: Context) -> None:
    """A session reads its own write immediately, and a second session reads it after sync."""
    writer = ctx.client()
    reader = ctx.client()
    writer.create(ctx.path("node"), b"1")
    writer.set(ctx.path("node"), b"2")
    expect(writer.get(ctx.path("node"))[0], b"2", "writer's read")
    reader.sync(ctx.path("node"))
    expect(reader.get(ctx.path("node"))[0], b"2", "other session's read after sync")


@scenario(group="crud")
def czxid_increases_per_create(ctx: Context) -> None:
    """Each create gets a larger zxid than the one before."""
    zk = ctx.client()
    first = zk.create(ctx.path("a"), include_data=True)[1].czxid
    second = zk.create(ctx.path("b"), include_data=True)[1].czxid
    expect_order(second, ">", first, "czxid of the later create")
