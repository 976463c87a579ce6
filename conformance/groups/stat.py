"""stat: how each write moves the eleven Stat fields.

Zxids are compared by order (or with the zxid of the write's own reply), never as absolute
numbers. Times are checked only for order and plausibility, never against a clock.
"""

from __future__ import annotations

from kazoo.exceptions import BadVersionError
from kazoo.security import OPEN_ACL_UNSAFE

from conformance.context import Context
from conformance.scenario import expect, expect_order, expect_raises, scenario

YEAR_2020_MS = 1_577_836_800_000


@scenario(group="stat")
def new_node(ctx: Context) -> None:
    """A new node: czxid = mzxid = pzxid, all versions 0, ctime = mtime, no children."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"12345")
    stat = zk.exists(ctx.path("node"))
    expect(stat.mzxid, stat.czxid, "mzxid of a new node")
    expect(stat.pzxid, stat.czxid, "pzxid of a new node")
    expect((stat.version, stat.cversion, stat.aversion), (0, 0, 0), "(version, cversion, aversion)")
    expect(stat.mtime, stat.ctime, "mtime of a new node")
    expect((stat.numChildren, stat.dataLength), (0, 5), "(numChildren, dataLength)")


@scenario(group="stat")
def times_are_epoch_milliseconds(ctx: Context) -> None:
    """ctime and mtime are milliseconds since the epoch (after 2020, so not seconds)."""
    zk = ctx.client()
    stat = zk.create(ctx.path("node"), include_data=True)[1]
    expect_order(stat.ctime, ">", YEAR_2020_MS, "ctime")


@scenario(group="stat")
def write_reply_carries_its_zxid(ctx: Context) -> None:
    """The reply header of a write carries the zxid that write got (czxid, then mzxid)."""
    zk = ctx.client()
    stat = zk.create(ctx.path("node"), include_data=True)[1]
    expect(zk.last_zxid, stat.czxid, "create's reply zxid vs the node's czxid")
    stat = zk.set(ctx.path("node"), b"x")
    expect(zk.last_zxid, stat.mzxid, "setData's reply zxid vs the node's mzxid")


@scenario(group="stat")
def set_moves_mzxid_and_version(ctx: Context) -> None:
    """setData: version +1, mzxid advances past czxid; czxid, pzxid and ctime stay."""
    zk = ctx.client()
    before = zk.create(ctx.path("node"), b"a", include_data=True)[1]
    after = zk.set(ctx.path("node"), b"bb")
    expect(after.version, 1, "version")
    expect_order(after.mzxid, ">", before.mzxid, "mzxid after set")
    expect(after.czxid, before.czxid, "czxid after set")
    expect(after.pzxid, before.pzxid, "pzxid after set")
    expect(after.ctime, before.ctime, "ctime after set")
    expect_order(after.mtime, ">=", before.mtime, "mtime after set")
    expect((after.cversion, after.aversion), (0, 0), "(cversion, aversion) after set")


@scenario(group="stat")
def set_with_same_data_still_counts(ctx: Context) -> None:
    """Setting identical data still bumps version and mzxid."""
    zk = ctx.client()
    before = zk.create(ctx.path("node"), b"same", include_data=True)[1]
    after = zk.set(ctx.path("node"), b"same")
    expect(after.version, 1, "version")
    expect_order(after.mzxid, ">", before.mzxid, "mzxid")


@scenario(group="stat")
def version_counts_sets(ctx: Context) -> None:
    """After five sets, version is 5."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    for i in range(5):
        zk.set(ctx.path("node"), str(i).encode())
    expect(zk.exists(ctx.path("node")).version, 5, "version")


@scenario(group="stat")
def data_length_follows_data(ctx: Context) -> None:
    """dataLength is the current data's length: 10, then 0, then 1."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"0123456789")
    expect(zk.exists(ctx.path("node")).dataLength, 10, "dataLength after create")
    expect(zk.set(ctx.path("node"), b"").dataLength, 0, "dataLength after setting empty data")
    expect(zk.set(ctx.path("node"), b"z").dataLength, 1, "dataLength after setting one byte")


@scenario(group="stat")
def child_create_moves_parent_cversion_and_pzxid(ctx: Context) -> None:
    """A child create: parent cversion +1, numChildren +1, pzxid = child's czxid; mzxid stays."""
    zk = ctx.client()
    parent_before = zk.create(ctx.path("p"), include_data=True)[1]
    child = zk.create(ctx.path("p", "c"), include_data=True)[1]
    parent = zk.exists(ctx.path("p"))
    expect((parent.cversion, parent.numChildren), (1, 1), "parent (cversion, numChildren)")
    expect(parent.pzxid, child.czxid, "parent pzxid vs child czxid")
    expect(parent.mzxid, parent_before.mzxid, "parent mzxid")
    expect(parent.version, 0, "parent version")


@scenario(group="stat")
def child_delete_moves_parent_cversion_and_pzxid(ctx: Context) -> None:
    """A child delete: parent cversion +1, numChildren -1, pzxid = the delete's zxid."""
    zk = ctx.client()
    zk.create(ctx.path("p"))
    child = zk.create(ctx.path("p", "c"), include_data=True)[1]
    zk.delete(ctx.path("p", "c"))
    delete_zxid = zk.last_zxid
    parent = zk.exists(ctx.path("p"))
    expect((parent.cversion, parent.numChildren), (2, 0), "parent (cversion, numChildren)")
    expect_order(parent.pzxid, ">", child.czxid, "parent pzxid vs the child's czxid")
    expect(parent.pzxid, delete_zxid, "parent pzxid vs the delete's reply zxid")


@scenario(group="stat")
def cversion_counts_creates_and_deletes(ctx: Context) -> None:
    """Three child creates and two deletes leave cversion 5 and numChildren 1."""
    zk = ctx.client()
    zk.create(ctx.path("p"))
    for name in ("a", "b", "c"):
        zk.create(ctx.path("p", name))
    zk.delete(ctx.path("p", "a"))
    zk.delete(ctx.path("p", "c"))
    stat = zk.exists(ctx.path("p"))
    expect((stat.cversion, stat.numChildren), (5, 1), "(cversion, numChildren)")


@scenario(group="stat")
def grandchild_leaves_grandparent_alone(ctx: Context) -> None:
    """Creating a grandchild changes only its parent's stat, not the grandparent's."""
    zk = ctx.client()
    zk.create(ctx.path("g"))
    zk.create(ctx.path("g", "p"))
    before = zk.exists(ctx.path("g"))
    zk.create(ctx.path("g", "p", "c"))
    expect(zk.exists(ctx.path("g")), before, "grandparent stat")


@scenario(group="stat")
def child_data_change_leaves_parent_alone(ctx: Context) -> None:
    """setData on a child does not change the parent's stat at all."""
    zk = ctx.client()
    zk.create(ctx.path("p"))
    zk.create(ctx.path("p", "c"))
    before = zk.exists(ctx.path("p"))
    zk.set(ctx.path("p", "c"), b"new")
    expect(zk.exists(ctx.path("p")), before, "parent stat")


@scenario(group="stat")
def set_acl_moves_aversion_only(ctx: Context) -> None:
    """setACL: aversion +1; version, mzxid, mtime and cversion stay."""
    zk = ctx.client()
    before = zk.create(ctx.path("node"), b"d", include_data=True)[1]
    after = zk.set_acls(ctx.path("node"), OPEN_ACL_UNSAFE)
    expect(after.aversion, 1, "aversion")
    expect((after.version, after.cversion), (0, 0), "(version, cversion)")
    expect((after.mzxid, after.mtime), (before.mzxid, before.mtime), "(mzxid, mtime)")
    expect(zk.exists(ctx.path("node")), after, "setACL's returned stat vs exists")


@scenario(group="stat")
def failed_write_changes_nothing(ctx: Context) -> None:
    """A set rejected with BadVersion leaves the stat exactly as it was."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"v")
    before = zk.exists(ctx.path("node"))
    with expect_raises(BadVersionError, "set with version 9"):
        zk.set(ctx.path("node"), b"w", version=9)
    expect(zk.exists(ctx.path("node")), before, "stat after a failed set")


@scenario(group="stat")
def zxids_order_writes_across_nodes(ctx: Context) -> None:
    """Writes to different nodes get increasing zxids in the order they happen."""
    zk = ctx.client()
    zk.create(ctx.path("b"))
    a = zk.create(ctx.path("a"), include_data=True)[1].czxid
    b = zk.set(ctx.path("b"), b"x").mzxid
    c = zk.create(ctx.path("c"), include_data=True)[1].czxid
    expect_order(b, ">", a, "mzxid of the set after the first create")
    expect_order(c, ">", b, "czxid of the create after the set")


@scenario(group="stat")
def recreated_node_starts_over(ctx: Context) -> None:
    """A deleted and re-created node has version 0 again and a newer czxid."""
    zk = ctx.client()
    old = zk.create(ctx.path("node"), include_data=True)[1]
    zk.set(ctx.path("node"), b"x")
    zk.delete(ctx.path("node"))
    new = zk.create(ctx.path("node"), include_data=True)[1]
    expect(new.version, 0, "version of the re-created node")
    expect_order(new.czxid, ">", old.czxid, "czxid of the re-created node")


@scenario(group="stat")
def ephemeral_expiry_moves_parent(ctx: Context) -> None:
    """When a session closes, its ephemeral's parent gets cversion +1 and numChildren -1."""
    zk = ctx.client()
    owner = ctx.client()
    zk.create(ctx.path("p"))
    child = owner.create(ctx.path("p", "e"), ephemeral=True, include_data=True)[1]
    owner.stop()
    parent = zk.exists(ctx.path("p"))
    expect((parent.cversion, parent.numChildren), (2, 0), "parent (cversion, numChildren)")
    expect_order(parent.pzxid, ">", child.czxid, "parent pzxid vs the ephemeral's czxid")


@scenario(group="stat")
def num_children_counts_every_kind(ctx: Context) -> None:
    """numChildren counts persistent, ephemeral and sequential children alike."""
    zk = ctx.client()
    zk.create(ctx.path("p"))
    zk.create(ctx.path("p", "persistent"))
    zk.create(ctx.path("p", "ephemeral"), ephemeral=True)
    zk.create(ctx.path("p", "seq-"), sequence=True)
    zk.create(ctx.path("p", "eseq-"), ephemeral=True, sequence=True)
    stat = zk.exists(ctx.path("p"))
    expect((stat.numChildren, stat.cversion), (4, 4), "(numChildren, cversion)")


@scenario(group="stat")
def stats_agree_across_reads(ctx: Context) -> None:
    """exists, getData, getChildren2 and getACL report the same stat for a node."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"abc")
    zk.create(ctx.path("node", "kid"))
    stat = zk.exists(ctx.path("node"))
    expect(zk.get(ctx.path("node"))[1], stat, "getData's stat")
    expect(zk.get_children(ctx.path("node"), include_data=True)[1], stat, "getChildren2's stat")
    expect(zk.get_acls(ctx.path("node"))[1], stat, "getACL's stat")


@scenario(group="stat")
def other_session_sees_same_stat(ctx: Context) -> None:
    """Two sessions read the identical stat for the same node."""
    first = ctx.client()
    second = ctx.client()
    first.create(ctx.path("node"), b"shared")
    first.set(ctx.path("node"), b"shared2")
    second.sync(ctx.path("node"))
    expect(
        second.exists(ctx.path("node")),
        first.exists(ctx.path("node")),
        "stat seen by another session",
    )
