"""chroot: clients connected as "host:port/chroot" see a subtree as their whole namespace.

ZooKeeper's chroot lives in the client: the server always sends and receives full paths,
and the client adds and strips the prefix. So these scenarios check the two halves together,
as applications see them: kazoo's results, watch callbacks and multi results must be
relative to the chroot, while the events the server put on the wire (`wire_events`) carry
the full path. Each scenario's chroot is a node under its base path.
"""

from __future__ import annotations

import warnings
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, NoNodeError
from kazoo.recipe.lock import Lock
from kazoo.recipe.watchers import ChildrenWatch
from kazoo.security import ACL, Id

from conformance.context import Context
from conformance.scenario import expect, expect_raises, scenario

GROUP = "chroot"


def jailed(ctx: Context, name: str = "jail") -> tuple[KazooClient, KazooClient, str]:
    """(plain client, client chrooted at base/name, the chroot's full path)."""
    plain = ctx.client()
    root = ctx.path(name)
    plain.create(root)
    return plain, ctx.client(chroot=root), root


def callbacks(log: list[tuple[str, str]]) -> Any:
    def record(event: Any) -> None:
        log.append((event.type, event.path))

    return record


@scenario(group=GROUP)
def create_returns_relative_path(ctx: Context) -> None:
    """create in a chroot returns the path relative to it; the node lives under the chroot."""
    plain, zk, root = jailed(ctx)
    expect(zk.create("/a", b"x"), "/a", "path returned")
    expect(plain.get(f"{root}/a")[0], b"x", "data at the full path")


@scenario(group=GROUP)
def sequential_name_relative(ctx: Context) -> None:
    """Sequential creates in a chroot return relative names with the parent's counter."""
    plain, zk, root = jailed(ctx)
    zk.create("/q")
    names = [zk.create("/q/item-", sequence=True) for _ in range(3)]
    expect(names, [f"/q/item-{n:010d}" for n in range(3)], "names returned")
    expect(sorted(plain.get_children(f"{root}/q")), [n[3:] for n in names], "children")


@scenario(group=GROUP)
def sequential_at_chroot_root(ctx: Context) -> None:
    """A sequential create directly under the chroot's / uses the chroot node's counter."""
    plain, zk, root = jailed(ctx)
    plain.create(f"{root}/existing")
    expect(zk.create("/s-", sequence=True), "/s-0000000001", "name returned")


@scenario(group=GROUP)
def ephemeral_sequential_relative(ctx: Context) -> None:
    """An ephemeral-sequential create in a chroot: relative name, owned by the session."""
    plain, zk, root = jailed(ctx)
    name = zk.create("/e-", ephemeral=True, sequence=True)
    expect(name, "/e-0000000000", "name returned")
    expect(plain.exists(f"{root}/e-0000000000").ephemeralOwner, zk.client_id[0], "owner")


@scenario(group=GROUP)
def root_is_the_chroot_node(ctx: Context) -> None:
    """'/' in a chroot is the chroot node: same stat, its children, its data."""
    plain, zk, root = jailed(ctx)
    plain.set(root, b"root data")
    plain.create(f"{root}/a")
    plain.create(f"{root}/b")
    data, stat = zk.get("/")
    expect(data, b"root data", "data of /")
    expect(stat.czxid, plain.exists(root).czxid, "czxid of / vs the chroot node")
    expect(sorted(zk.get_children("/")), ["a", "b"], "children of /")


@scenario(group=GROUP)
def outside_is_invisible(ctx: Context) -> None:
    """A chrooted client cannot see siblings of its chroot; /zookeeper there is a new node."""
    plain, zk, _ = jailed(ctx)
    plain.create(ctx.path("sibling"))
    expect(zk.exists("/sibling"), None, "exists /sibling in the chroot")
    expect(zk.exists("/zookeeper"), None, "exists /zookeeper in the chroot")
    expect(zk.create("/zookeeper"), "/zookeeper", "create /zookeeper in the chroot")
    expect(plain.exists(ctx.path("jail", "zookeeper")) is not None, True, "created inside")


@scenario(group=GROUP)
def missing_chroot_node(ctx: Context) -> None:
    """If the chroot node does not exist, reads find nothing and creates raise NoNode."""
    with warnings.catch_warnings():  # kazoo warns that the chroot node is missing
        warnings.simplefilter("ignore", UserWarning)
        zk = ctx.client(chroot=ctx.path("missing"))
    expect(zk.exists("/"), None, "exists /")
    with expect_raises(NoNodeError, "create /a"):
        zk.create("/a")
    with expect_raises(NoNodeError, "get_children /"):
        zk.get_children("/")


@scenario(group=GROUP)
def data_watch_event_path(ctx: Context) -> None:
    """A data watch set in a chroot fires with the relative path; the wire has the full one."""
    plain, zk, root = jailed(ctx)
    zk.create("/a")
    seen: list[tuple[str, str]] = []
    zk.get("/a", watch=callbacks(seen))
    plain.set(f"{root}/a", b"new")
    ctx.wait_until(lambda: bool(seen), "the watch callback")
    expect(seen, [("CHANGED", "/a")], "callback events")
    expect([(e.type, e.path) for e in zk.wire_events], [("CHANGED", f"{root}/a")], "wire events")


@scenario(group=GROUP)
def child_watch_on_chroot_root(ctx: Context) -> None:
    """A child watch on '/' in a chroot fires for '/', the wire naming the chroot node."""
    plain, zk, root = jailed(ctx)
    seen: list[tuple[str, str]] = []
    zk.get_children("/", watch=callbacks(seen))
    plain.create(f"{root}/new")
    ctx.wait_until(lambda: bool(seen), "the watch callback")
    expect(seen, [("CHILD", "/")], "callback events")
    expect([(e.type, e.path) for e in zk.wire_events], [("CHILD", root)], "wire events")


@scenario(group=GROUP)
def exists_watch_created_path(ctx: Context) -> None:
    """An exists watch in a chroot fires NodeCreated with the relative path."""
    plain, zk, root = jailed(ctx)
    seen: list[tuple[str, str]] = []
    expect(zk.exists("/later", watch=callbacks(seen)), None, "exists before")
    plain.create(f"{root}/later")
    ctx.wait_until(lambda: bool(seen), "the watch callback")
    expect(seen, [("CREATED", "/later")], "callback events")


@scenario(group=GROUP)
def chroot_node_deleted_fires_for_root(ctx: Context) -> None:
    """Deleting the chroot node itself fires a watch on '/' as NodeDeleted for '/'."""
    plain, zk, root = jailed(ctx)
    seen: list[tuple[str, str]] = []
    zk.exists("/", watch=callbacks(seen))
    plain.delete(root)
    ctx.wait_until(lambda: bool(seen), "the watch callback")
    expect(seen, [("DELETED", "/")], "callback events")


@scenario(group=GROUP)
def outside_changes_do_not_fire(ctx: Context) -> None:
    """Changes outside the chroot to same-named nodes do not fire watches set inside."""
    plain, zk, _ = jailed(ctx)
    zk.create("/a")
    plain.create(ctx.path("a"))
    zk.get("/a", watch=lambda event: None)
    plain.set(ctx.path("a"), b"outside")
    expect(zk.settle(), [], "events")


@scenario(group=GROUP)
def multi_results_relative(ctx: Context) -> None:
    """A multi in a chroot reports created paths relative to it."""
    plain, zk, root = jailed(ctx)
    tx = zk.transaction()
    tx.create("/a", b"1")
    tx.create("/a/b")
    tx.create("/s-", sequence=True)
    tx.set_data("/a", b"2")
    tx.check("/a", 1)
    results = tx.commit()
    expect(results[:3], ["/a", "/a/b", "/s-0000000001"], "create results")
    expect((results[3].version, results[4]), (1, True), "(setData version, check)")
    expect(sorted(plain.get_children(root)), ["a", "s-0000000001"], "children at the full path")


@scenario(group=GROUP)
def multi_failure_in_chroot(ctx: Context) -> None:
    """A failing multi in a chroot reports per-op errors and changes nothing."""
    plain, zk, root = jailed(ctx)
    zk.create("/exists")
    tx = zk.transaction()
    tx.create("/new")
    tx.create("/exists")
    tx.delete("/missing")
    kinds = [type(result).__name__ for result in tx.commit()]
    expect(kinds, ["RolledBackError", "NodeExistsError", "RuntimeInconsistency"], "results")
    expect(plain.get_children(root), ["exists"], "children")


@scenario(group=GROUP)
def create_with_stat_relative(ctx: Context) -> None:
    """create2 in a chroot returns the relative path and the node's stat."""
    plain, zk, root = jailed(ctx)
    path, stat = zk.create("/a", b"abc", include_data=True)
    expect(path, "/a", "path returned")
    expect(stat.czxid, plain.exists(f"{root}/a").czxid, "czxid")
    expect(stat.dataLength, 3, "dataLength")


@scenario(group=GROUP)
def errors_in_chroot(ctx: Context) -> None:
    """Errors in a chroot are the usual ones: NodeExists, NoNode."""
    _, zk, _ = jailed(ctx)
    zk.create("/a")
    with expect_raises(NodeExistsError, "create of an existing node"):
        zk.create("/a")
    with expect_raises(NoNodeError, "create under a missing parent"):
        zk.create("/missing/child")
    with expect_raises(NoNodeError, "delete of a missing node"):
        zk.delete("/missing")


@scenario(group=GROUP)
def ensure_path_and_recursive_delete(ctx: Context) -> None:
    """ensure_path and recursive delete in a chroot work inside it only."""
    plain, zk, root = jailed(ctx)
    zk.ensure_path("/x/y/z")
    expect(plain.get_children(f"{root}/x/y"), ["z"], "created at the full path")
    zk.delete("/x", recursive=True)
    expect(plain.get_children(root), [], "chroot's children after the delete")
    expect(plain.exists(root) is not None, True, "chroot node still there")


@scenario(group=GROUP)
def separate_chroots_are_isolated(ctx: Context) -> None:
    """Two chroots: the same relative path names two different nodes."""
    plain = ctx.client()
    plain.create(ctx.path("one"))
    plain.create(ctx.path("two"))
    first = ctx.client(chroot=ctx.path("one"))
    second = ctx.client(chroot=ctx.path("two"))
    first.create("/shared", b"1")
    second.create("/shared", b"2")
    expect((first.get("/shared")[0], second.get("/shared")[0]), (b"1", b"2"), "data")


@scenario(group=GROUP)
def nested_chroot(ctx: Context) -> None:
    """A chroot inside another chroot's tree sees only its own subtree."""
    plain, outer, root = jailed(ctx)
    outer.create("/inner")
    outer.create("/inner/leaf", b"leaf")
    inner = ctx.client(chroot=f"{root}/inner")
    expect(inner.get_children("/"), ["leaf"], "inner's children of /")
    expect(inner.get("/leaf")[0], b"leaf", "inner's data")
    expect(plain.exists(f"{root}/inner/leaf") is not None, True, "full path exists")


@scenario(group=GROUP)
def acls_in_chroot(ctx: Context) -> None:
    """setACL and getACL in a chroot act on the node under the chroot."""
    plain, zk, root = jailed(ctx)
    zk.create("/a")
    zk.set_acls("/a", [ACL(31, Id("world", "anyone")), ACL(1, Id("ip", "10.0.0.1"))])
    expect(len(plain.get_acls(f"{root}/a")[0]), 2, "entries seen at the full path")
    expect(zk.exists("/a").aversion, 1, "aversion")


@scenario(group=GROUP)
def sync_in_chroot(ctx: Context) -> None:
    """sync in a chroot returns the relative path."""
    _, zk, _ = jailed(ctx)
    zk.create("/a")
    expect(zk.sync("/a"), "/a", "sync result")


@scenario(group=GROUP, differential=False)
def kazoo_lock_in_chroot(ctx: Context) -> None:
    """kazoo Lock in a chroot: its node is created under the chroot; contenders work."""
    plain, zk, root = jailed(ctx)
    other = ctx.client(chroot=root)
    lock = Lock(zk, "/lock", "holder")
    lock.acquire()
    expect(Lock(other, "/lock").contenders(), ["holder"], "contenders")
    expect(len(plain.get_children(f"{root}/lock")), 1, "lock nodes under the chroot")
    expect(Lock(other, "/lock", "other").acquire(blocking=False), False, "second acquire")
    lock.release()


@scenario(group=GROUP, differential=False)
def children_watch_recipe_in_chroot(ctx: Context) -> None:
    """kazoo ChildrenWatch in a chroot tracks children added from outside it."""
    plain, zk, root = jailed(ctx)
    views: list[list[str]] = []

    def record(children: list[str]) -> None:
        views.append(sorted(children))

    ChildrenWatch(zk, "/", record)
    plain.create(f"{root}/a")
    plain.create(f"{root}/b")
    ctx.wait_until(lambda: bool(views) and views[-1] == ["a", "b"], "both children")
    expect(views[-1], ["a", "b"], "last children seen")


@scenario(group=GROUP)
def ephemerals_in_chroot_go_with_session(ctx: Context) -> None:
    """A chrooted session's ephemerals are deleted when it closes."""
    plain, zk, root = jailed(ctx)
    zk.create("/e", ephemeral=True)
    expect(plain.get_children(root), ["e"], "children while the session lives")
    zk.stop()
    expect(plain.get_children(root), [], "children after the close")
