"""system: the nodes ZooKeeper creates itself: /, /zookeeper, /zookeeper/quota, /zookeeper/config.

These scenarios never change a system node; a run leaves them as it found them. Where a
field depends on what earlier clients did (pzxid, cversion, children added under /zookeeper),
it is not asserted.
"""

from __future__ import annotations

from kazoo.exceptions import BadArgumentsError, NoAuthError, NodeExistsError
from kazoo.security import ACL, Id

from conformance.context import Context
from conformance.scenario import expect, expect_in, expect_raises, scenario

WORLD_ALL = [ACL(31, Id("world", "anyone"))]
WORLD_READ = [ACL(1, Id("world", "anyone"))]


def acl_tuples(acls: list[ACL]) -> list[tuple[int, str, str]]:
    return [(acl.perms, acl.id.scheme, acl.id.id) for acl in acls]


@scenario(group="system")
def zookeeper_node_exists(ctx: Context) -> None:
    """/zookeeper exists, with children quota and config."""
    zk = ctx.client()
    expect_in("quota", zk.get_children("/zookeeper"), "children of /zookeeper")
    expect_in("config", zk.get_children("/zookeeper"), "children of /zookeeper")


@scenario(group="system")
def system_nodes_were_never_written(ctx: Context) -> None:
    """/, /zookeeper, /zookeeper/quota and /zookeeper/config have czxid 0 and ctime 0."""
    zk = ctx.client()
    for path in ("/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"):
        stat = zk.exists(path)
        expect((stat.czxid, stat.ctime), (0, 0), f"(czxid, ctime) of {path}")
        expect(stat.ephemeralOwner, 0, f"ephemeralOwner of {path}")


@scenario(group="system")
def quota_node(ctx: Context) -> None:
    """/zookeeper/quota has empty data, version 0 and an open ACL."""
    zk = ctx.client()
    data, stat = zk.get("/zookeeper/quota")
    expect(data, b"", "data of /zookeeper/quota")
    expect((stat.version, stat.aversion), (0, 0), "(version, aversion) of /zookeeper/quota")
    expect(acl_tuples(zk.get_acls("/zookeeper/quota")[0]), acl_tuples(WORLD_ALL), "its ACL")


@scenario(group="system")
def config_node_is_read_only(ctx: Context) -> None:
    """/zookeeper/config's ACL is world:anyone READ only."""
    zk = ctx.client()
    expect(acl_tuples(zk.get_acls("/zookeeper/config")[0]), acl_tuples(WORLD_READ), "its ACL")


@scenario(group="system")
def config_node_aversion(ctx: Context) -> None:
    """/zookeeper/config reports aversion -1 (its ACL was set with version -1 at start-up)."""
    zk = ctx.client()
    expect(zk.exists("/zookeeper/config").aversion, -1, "aversion of /zookeeper/config")


@scenario(group="system")
def config_node_has_no_children(ctx: Context) -> None:
    """/zookeeper/config has no children."""
    zk = ctx.client()
    expect(zk.get_children("/zookeeper/config"), [], "children of /zookeeper/config")


@scenario(group="system")
def config_node_refuses_writes(ctx: Context) -> None:
    """setData and create under /zookeeper/config raise NoAuth for an unauthenticated client."""
    zk = ctx.client()
    with expect_raises(NoAuthError, "setData of /zookeeper/config"):
        zk.set("/zookeeper/config", b"x")
    with expect_raises(NoAuthError, "create under /zookeeper/config"):
        zk.create("/zookeeper/config/x")


@scenario(group="system")
def zookeeper_node_acl(ctx: Context) -> None:
    """/zookeeper and / are world:anyone ALL."""
    zk = ctx.client()
    expect(acl_tuples(zk.get_acls("/zookeeper")[0]), acl_tuples(WORLD_ALL), "ACL of /zookeeper")
    expect(acl_tuples(zk.get_acls("/")[0]), acl_tuples(WORLD_ALL), "ACL of /")


@scenario(group="system")
def system_nodes_cannot_be_deleted(ctx: Context) -> None:
    """delete of /zookeeper, /zookeeper/quota or /zookeeper/config raises BadArguments."""
    zk = ctx.client()
    for path in ("/zookeeper", "/zookeeper/quota", "/zookeeper/config"):
        with expect_raises(BadArgumentsError, f"delete {path}"):
            zk.delete(path)
    expect(zk.exists("/zookeeper/config") is not None, True, "/zookeeper/config still exists")


@scenario(group="system")
def create_zookeeper_again(ctx: Context) -> None:
    """create of /zookeeper or /zookeeper/quota raises NodeExists."""
    zk = ctx.client()
    for path in ("/zookeeper", "/zookeeper/quota"):
        with expect_raises(NodeExistsError, f"create {path}"):
            zk.create(path)


@scenario(group="system")
def root_node(ctx: Context) -> None:
    """/ has empty data, no owner, and lists zookeeper and this run's root among its children."""
    zk = ctx.client()
    data, stat = zk.get("/")
    expect(data, b"", "data of /")
    children = zk.get_children("/")
    expect(stat.numChildren, len(children), "numChildren of / vs its children")
    expect_in(ctx.path().split("/")[1], children, "children of /")


@scenario(group="system")
def root_path_in_stat_reads(ctx: Context) -> None:
    """exists, getData and getChildren2 of / agree on its stat."""
    zk = ctx.client()
    stat = zk.exists("/")
    expect(zk.get("/")[1], stat, "getData's stat of /")
    expect(zk.get_children("/", include_data=True)[1], stat, "getChildren2's stat of /")


@scenario(group="system")
def zookeeper_children_listed_in_stat(ctx: Context) -> None:
    """/zookeeper's numChildren matches its children list (at least quota and config)."""
    zk = ctx.client()
    children, stat = zk.get_children("/zookeeper", include_data=True)
    expect(stat.numChildren, len(children), "numChildren vs children of /zookeeper")
    expect(stat.numChildren >= 2, True, "/zookeeper has at least quota and config")
