"""clients: Apache's own CLIs against the endpoint: the Java zkCli.sh and the C cli_mt.

The rest of the suite speaks through kazoo, so it could be compatibility with kazoo's quirks
only. Here the two clients Apache ships drive the endpoint as subprocesses
(`conformance.clients`), one per scenario, on the first server; each scenario checks their
output exactly as they print it against Apache ZooKeeper 3.8 (messages, stats, watch
notifications), and that data passes between them and kazoo byte for byte.

What their output shows of the server, as these scenarios pin it down: zkCli's `ls` and
`ls -R` sort names, while cli_mt prints children in the server's own order, the order kazoo
gets; a node created without data holds null (zkCli prints `null`); a container's stat has
ephemeralOwner 0; `/zookeeper/config` of a standalone server is empty with aclVersion -1;
`whoami` lists digest identities in the order added, then the `ip` one. Error messages
(`Node does not exist: /p`, `version No is not valid : /p`, ...) are the CLI's wording of
the server's error code; cli_mt prints the code itself (`rc = -101`).

Not covered: `create -t` (TTL nodes need `zookeeper.extendedTypesEnabled`), `removewatches`
(its `...WatchRemoved` lines are made by the Java client itself, and events the server might
still send for a removed watch are not printed, so the output shows little of the server),
reconfig, quotas.
"""

from __future__ import annotations

import contextlib
import socket

from kazoo.exceptions import NoAuthError, NoNodeError, NotEmptyError
from kazoo.security import (
    ACL,
    OPEN_ACL_UNSAFE,
    make_acl,
    make_digest_acl,
    make_digest_acl_credential,
)

from conformance.clients import (
    CliEvent,
    CliMt,
    ZkCli,
    ZkCliReply,
    cli_mt_stat,
    format_zkcli_data,
    format_zkcli_stat,
    parse_zkcli_acl,
    parse_zkcli_list,
    parse_zkcli_stat,
)
from conformance.context import ConformanceClient, Context
from conformance.groups._support import host_port, on_close
from conformance.scenario import expect, expect_order, expect_raises, scenario

GROUP = "clients"
ALICE, BOB = ("alice", "secret"), ("bob", "pw")
TEXT = "naïve café ✓ 名前"  # two- and three-byte UTF-8 sequences
NO_NODE, NO_AUTH, NODE_EXISTS, NOT_EMPTY, NO_CHILDREN_FOR_EPHEMERALS = -101, -102, -110, -111, -108


def zkcli(ctx: Context) -> ZkCli:
    """A zkCli.sh connected to the first server, quit when the scenario ends."""
    cli = ZkCli(ctx.first_host)
    cli.start()
    on_close(ctx, cli.close)
    return cli


def cli_mt(ctx: Context) -> CliMt:
    """A cli_mt connected to the first server, quit when the scenario ends."""
    cli = CliMt(ctx.first_host)
    cli.start()
    on_close(ctx, cli.close)
    return cli


def zk_event(kind: str, path: str) -> CliEvent:
    """A watch notification as zkCli prints it while connected."""
    return CliEvent(kind, "SyncConnected", path)


def mt_event(kind: str, path: str) -> CliEvent:
    """A watch notification as cli_mt prints it while connected."""
    return CliEvent(kind, "CONNECTED_STATE", path)


def after_connect(events: list[CliEvent]) -> list[CliEvent]:
    """The events after the session's first one (the connection's own `None` event)."""
    return events[1:]


def digest_acl(who: tuple[str, str]) -> list[ACL]:
    """An ACL granting everything to one digest identity."""
    return [make_digest_acl(*who, all=True)]


def delete_leaves_on_close(ctx: Context) -> None:
    """When the scenario ends, delete the base's leaf children, whatever their ACLs.

    The runner deletes the base recursively, listing every node's children, which a node
    the admin session cannot READ refuses. Deleting a leaf needs only DELETE on the parent
    (the open base), so the unreadable leaves these scenarios make are removed first.
    """

    def delete_leaves() -> None:
        for child in ctx.admin.get_children(ctx.base):
            with contextlib.suppress(NotEmptyError, NoNodeError):
                ctx.admin.delete(f"{ctx.base}/{child}")

    on_close(ctx, delete_leaves)


def addauth(cli: ZkCli | CliMt, who: tuple[str, str]) -> None:
    """addauth digest user:password, in either CLI; neither prints anything for it."""
    user, password = who
    reply = cli.run(f"addauth digest {user}:{password}")
    printed = reply.text if isinstance(reply, ZkCliReply) else reply.raw.decode()
    expect(printed, "", f"addauth {user}'s output")


def authed(ctx: Context, *identities: tuple[str, str]) -> ConformanceClient:
    """A kazoo session holding the given digest identities."""
    zk = ctx.client()
    for user, password in identities:
        zk.add_auth("digest", f"{user}:{password}")
    return zk


# --- zkCli.sh: creating and reading -----------------------------------------------------------


@scenario(group=GROUP)
def zkcli_create_and_get(ctx: Context) -> None:
    """zkCli's create prints `Created <path>`; get prints the data; kazoo reads the same bytes."""
    cli, zk = zkcli(ctx), ctx.client()
    node = ctx.path("node")
    expect(cli.run(f"create {node} hello").lines, [f"Created {node}"], "create's output")
    expect(cli.run(f"get {node}").lines, ["hello"], "get's output")
    expect(zk.get(node)[0], b"hello", "data as kazoo reads it")


@scenario(group=GROUP)
def zkcli_create_without_data_is_null(ctx: Context) -> None:
    """create without data stores null: zkCli's get prints `null`, kazoo reads None."""
    cli, zk = zkcli(ctx), ctx.client()
    node = ctx.path("node")
    cli.run(f"create {node}")
    expect(cli.run(f"get {node}").lines, ["null"], "get's output")
    data, stat = zk.get(node)
    expect(data, None, "data as kazoo reads it")
    expect(stat.dataLength, 0, "dataLength")


@scenario(group=GROUP)
def zkcli_sequential_names(ctx: Context) -> None:
    """create -s appends the parent's 10-digit counter, shared by -s -e creates."""
    cli = zkcli(ctx)
    job = ctx.path("job-")
    expect(cli.run(f"create -s {job} a").lines, [f"Created {job}0000000000"], "first -s")
    expect(cli.run(f"create -s {job} b").lines, [f"Created {job}0000000001"], "second -s")
    expect(cli.run(f"create -s -e {job}").lines, [f"Created {job}0000000002"], "-s -e")


@scenario(group=GROUP)
def zkcli_ephemeral_belongs_to_its_session(ctx: Context) -> None:
    """create -e makes a node owned by zkCli's session, listed by getEphemerals, gone on quit."""
    cli, zk = zkcli(ctx), ctx.client()
    mine, theirs = ctx.path("mine"), ctx.path("theirs")
    expect(cli.run(f"create -e {mine} x").lines, [f"Created {mine}"], "create -e's output")
    zk.create(theirs, ephemeral=True)
    owner = zk.exists(mine).ephemeralOwner
    expect_order(owner, "!=", 0, "ephemeralOwner as kazoo sees it")
    expect_order(owner, "!=", zk.client_id[0], "owner is zkCli's session, not kazoo's")
    stat = parse_zkcli_stat(cli.run(f"stat {mine}").lines)
    expect(stat["ephemeralOwner"], owner, "ephemeralOwner in zkCli's stat")
    expect(cli.run(f"getEphemerals {ctx.path()}").lines, [f"[{mine}]"], "getEphemerals")
    cli.close()
    expect(zk.exists(mine), None, "zkCli's ephemeral after it quit")
    expect_order(zk.exists(theirs), "!=", None, "kazoo's ephemeral after zkCli quit")


@scenario(group=GROUP)
def zkcli_getephemerals_filters_by_prefix(ctx: Context) -> None:
    """getEphemerals <path> lists the session's ephemerals whose path starts with it."""
    cli = zkcli(ctx)
    top, nested = ctx.path("e1"), ctx.path("a", "e2")
    cli.run(f"create -e {top}")
    cli.run(f"create {ctx.path('a')}")
    cli.run(f"create -e {nested}")
    listed = parse_zkcli_list(cli.run(f"getEphemerals {ctx.path()}").lines[0])
    expect(sorted(listed), sorted([top, nested]), "getEphemerals of the base")
    expect(cli.run(f"getEphemerals {ctx.path('a')}").lines, [f"[{nested}]"], "of a")
    expect(cli.run(f"getEphemerals {ctx.path('none')}").lines, ["[]"], "of a missing path")


@scenario(group=GROUP)
def zkcli_container_holds_children(ctx: Context) -> None:
    """create -c makes a container: it takes children, and its stat shows ephemeralOwner 0x0."""
    cli, zk = zkcli(ctx), ctx.client()
    box = ctx.path("box")
    expect(cli.run(f"create -c {box} x").lines, [f"Created {box}"], "create -c's output")
    expect(cli.run(f"create {box}/item").lines, [f"Created {box}/item"], "child of a container")
    lines = cli.run(f"get -s {box}").lines
    expect(parse_zkcli_stat(lines)["ephemeralOwner"], 0, "a container's ephemeralOwner")
    expect(lines, ["x", *format_zkcli_stat(zk.exists(box))], "get -s against kazoo's stat")


@scenario(group=GROUP)
def zkcli_stat_matches_kazoo(ctx: Context) -> None:
    """get -s, stat and ls -s print the stat kazoo gets, field for field."""
    cli, zk = zkcli(ctx), ctx.client()
    node = ctx.path("node")
    zk.create(node, b"abc")
    zk.create(ctx.path("node", "child"))
    stat_lines = format_zkcli_stat(zk.exists(node))
    expect(cli.run(f"get -s {node}").lines, ["abc", *stat_lines], "get -s")
    expect(cli.run(f"stat {node}").lines, stat_lines, "stat")
    expect(cli.run(f"ls -s {node}").lines, ["[child]", *stat_lines], "ls -s")


@scenario(group=GROUP)
def zkcli_set_with_version(ctx: Context) -> None:
    """set -v with a stale version prints `version No is not valid`; the right one succeeds."""
    cli, zk = zkcli(ctx), ctx.client()
    node = ctx.path("node")
    zk.create(node, b"old")
    expect(
        cli.run(f"set -v 5 {node} new").lines,
        [f"version No is not valid : {node}"],
        "set -v with a wrong version",
    )
    expect(zk.get(node)[0], b"old", "data after the refused set")
    lines = cli.run(f"set -s -v 0 {node} new").lines
    data, stat = zk.get(node)
    expect(data, b"new", "data after set -v 0")
    expect(lines, format_zkcli_stat(stat), "set -s's stat against kazoo's")
    printed = parse_zkcli_stat(lines)
    expect(printed["dataVersion"], 1, "dataVersion after one set")
    expect_order(printed["mZxid"], ">", printed["cZxid"], "mZxid after a set")


# --- zkCli.sh: listing ------------------------------------------------------------------------


@scenario(group=GROUP)
def zkcli_ls_sorts_children(ctx: Context) -> None:
    """ls prints the children sorted, as `[a, b]`, whatever order the server keeps them in."""
    cli, zk = zkcli(ctx), ctx.client()
    names = ["zz", "ab", "Q", "m1", "10"]
    for name in names:
        zk.create(ctx.path(name))
    expect(cli.run(f"ls {ctx.path()}").lines, ["[10, Q, ab, m1, zz]"], "ls")
    expect(sorted(zk.get_children(ctx.path())), sorted(names), "children as kazoo sees them")
    expect(cli.run(f"ls {ctx.path('zz')}").lines, ["[]"], "ls of a leaf")


@scenario(group=GROUP)
def zkcli_ls_recursive_and_count(ctx: Context) -> None:
    """ls -R prints a node's sorted children, then each one's subtree; the count agrees."""
    cli, zk = zkcli(ctx), ctx.client()
    for path in ("b", "b/z", "b/a", "a", "a/q", "a/q/deep"):
        zk.create(ctx.path(*path.split("/")))
    base = ctx.path()
    expected = [base, *(f"{base}/{path}" for path in ("a", "b", "a/q", "a/q/deep", "b/a", "b/z"))]
    expect(cli.run(f"ls -R {base}").lines, expected, "ls -R")
    expect(cli.run(f"getAllChildrenNumber {base}").lines, ["6"], "getAllChildrenNumber")
    expect(cli.run(f"getAllChildrenNumber {base}/b/z").lines, ["0"], "of a leaf")


# --- zkCli.sh: errors -------------------------------------------------------------------------


@scenario(group=GROUP)
def zkcli_missing_node_messages(ctx: Context) -> None:
    """Every command on a missing node prints `Node does not exist: <path>`."""
    cli = zkcli(ctx)
    missing = ctx.path("missing")
    for command in (
        "get",
        "get -s",
        "ls",
        "stat",
        "delete",
        "deleteall",
        "getAcl",
        "getAllChildrenNumber",
    ):
        expect(
            cli.run(f"{command} {missing}").lines,
            [f"Node does not exist: {missing}"],
            f"{command} of a missing node",
        )
    for command in (f"set {missing} x", f"setAcl {missing} world:anyone:r"):
        expect(cli.run(command).lines, [f"Node does not exist: {missing}"], command)


@scenario(group=GROUP)
def zkcli_create_errors(ctx: Context) -> None:
    """create prints NodeExists, a missing parent and an ephemeral parent in ZooKeeper's words."""
    cli, zk = zkcli(ctx), ctx.client()
    node, eph = ctx.path("node"), ctx.path("eph")
    zk.create(node)
    zk.create(eph, ephemeral=True)
    expect(cli.run(f"create {node}").lines, [f"Node already exists: {node}"], "existing")
    orphan = ctx.path("none", "x")
    expect(cli.run(f"create {orphan}").lines, [f"Node does not exist: {orphan}"], "no parent")
    expect(
        cli.run(f"create {eph}/x").lines,
        [f"Ephemerals cannot have children: {eph}/x"],
        "child of an ephemeral",
    )


@scenario(group=GROUP)
def zkcli_delete_and_deleteall(ctx: Context) -> None:
    """delete refuses a parent (`Node not empty`) and a stale -v; deleteall takes the subtree."""
    cli, zk = zkcli(ctx), ctx.client()
    tree, leaf = ctx.path("tree"), ctx.path("tree", "leaf")
    zk.create(leaf, makepath=True)
    zk.create(ctx.path("tree", "other", "deep"), makepath=True)
    expect(cli.run(f"delete {tree}").lines, [f"Node not empty: {tree}"], "delete of a parent")
    expect(
        cli.run(f"delete -v 3 {leaf}").lines,
        [f"version No is not valid : {leaf}"],
        "delete -v with a wrong version",
    )
    expect(cli.run(f"delete -v 0 {leaf}").lines, [], "delete -v 0")
    expect(zk.exists(leaf), None, "the leaf after delete -v 0")
    expect(cli.run(f"deleteall {tree}").lines, [], "deleteall")
    expect(zk.exists(tree), None, "the tree after deleteall")


# --- zkCli.sh: ACLs and identities ------------------------------------------------------------


@scenario(group=GROUP)
def zkcli_auth_acl_is_kazoos_digest(ctx: Context) -> None:
    """An `auth::cdrwa` ACL set by zkCli after addauth is the digest kazoo computes."""
    delete_leaves_on_close(ctx)
    cli = zkcli(ctx)
    node = ctx.path("node")
    addauth(cli, ALICE)
    expect(cli.run(f"create {node} data auth::cdrwa").lines, [f"Created {node}"], "create")
    credential = make_digest_acl_credential(*ALICE)
    expect(
        parse_zkcli_acl(cli.run(f"getAcl {node}").lines),
        [("digest", credential, "cdrwa")],
        "getAcl",
    )
    with expect_raises(NoAuthError, "kazoo reading without alice's identity"):
        ctx.client().get(node)
    zk = authed(ctx, ALICE)
    expect(zk.get(node)[0], b"data", "kazoo reading as alice")
    expect(zk.get_acls(node)[0], digest_acl(ALICE), "the ACL as kazoo reads it")


@scenario(group=GROUP)
def zkcli_acl_set_by_kazoo(ctx: Context) -> None:
    """ACLs kazoo sets hold for zkCli: `Insufficient permission : <path>` until addauth."""
    delete_leaves_on_close(ctx)
    cli, zk = zkcli(ctx), ctx.client()
    public, private = ctx.path("public"), ctx.path("private")
    zk.create(public, b"read me", acl=[make_acl("world", "anyone", read=True)])
    zk.create(private, b"mine", acl=digest_acl(ALICE))
    expect(cli.run(f"get {public}").lines, ["read me"], "get of a world-readable node")
    expect(
        cli.run(f"set {public} x").lines,
        [f"Insufficient permission : {public}"],
        "set without WRITE",
    )
    expect(
        parse_zkcli_acl(cli.run(f"getAcl {public}").lines),
        [("world", "anyone", "r")],
        "getAcl",
    )
    expect(cli.run(f"get {private}").lines, [f"Insufficient permission : {private}"], "get")
    addauth(cli, ALICE)
    expect(cli.run(f"get {private}").lines, ["mine"], "get after addauth")
    expect(cli.run(f"setAcl {private} world:anyone:cdrwa").lines, [], "setAcl as alice")
    acl, stat = zk.get_acls(private)
    expect(acl, OPEN_ACL_UNSAFE, "the ACL zkCli set, as kazoo reads it")
    expect(stat.aversion, 1, "aversion after one setAcl")


@scenario(group=GROUP)
def zkcli_invalid_acl_and_redaction(ctx: Context) -> None:
    """A malformed ip ACL is InvalidACL; without ADMIN, getAcl shows digest ids as `user:x`."""
    delete_leaves_on_close(ctx)
    cli = zkcli(ctx)
    bad, shared = ctx.path("bad"), ctx.path("shared")
    expect(
        cli.run(f"create {bad} x ip:999.1.1.1:r").lines,
        [f"KeeperErrorCode = InvalidACL for {bad}", f"Acl is not valid : {bad}"],
        "create with an invalid ip ACL",
    )
    addauth(cli, ALICE)
    addauth(cli, BOB)
    cli.run(f"create {shared} x auth::rw")
    expect(
        parse_zkcli_acl(cli.run(f"getAcl {shared}").lines),
        [("digest", "alice:x", "rw"), ("digest", "bob:x", "rw")],
        "getAcl without ADMIN",
    )


def client_ip(ctx: Context) -> str:
    """The address the server sees a local connection to the first server come from."""
    with socket.create_connection(host_port(ctx.first_host), timeout=5.0) as sock:
        return sock.getsockname()[0]


@scenario(group=GROUP)
def zkcli_whoami(ctx: Context) -> None:
    """whoami lists the session's identities: digests in the order added, then the ip one."""
    cli = zkcli(ctx)
    ip = f"ip: {client_ip(ctx)}"
    expect(cli.run("whoami").lines, ["Auth scheme: User", ip], "whoami before addauth")
    addauth(cli, ALICE)
    addauth(cli, BOB)
    expect(
        cli.run("whoami").lines,
        ["Auth scheme: User", "digest: alice", "digest: bob", ip],
        "whoami after two addauths",
    )


@scenario(group=GROUP)
def zkcli_sync_and_config(ctx: Context) -> None:
    """sync prints `Sync is OK`; config -s prints /zookeeper/config's data and stat."""
    cli, zk = zkcli(ctx), ctx.client()
    expect(cli.run(f"sync {ctx.path()}").lines, ["Sync is OK"], "sync")
    data, stat = zk.get("/zookeeper/config")
    lines = cli.run("config -s").lines
    expect(lines, [*format_zkcli_data(data), *format_zkcli_stat(stat)], "config -s")
    expect(parse_zkcli_stat(lines)["aclVersion"], -1, "aclVersion of /zookeeper/config")


# --- zkCli.sh: watches ------------------------------------------------------------------------


@scenario(group=GROUP)
def zkcli_get_watch_sees_kazoo_set(ctx: Context) -> None:
    """get -w, then a set by kazoo: zkCli prints one NodeDataChanged; the watch is then gone."""
    cli, zk = zkcli(ctx), ctx.client()
    node = ctx.path("node")
    zk.create(node, b"1")
    expect(cli.run(f"get -w {node}").lines, ["1"], "get -w's output")
    zk.set(node, b"2")
    zk.set(node, b"3")
    expect(
        after_connect(cli.settle()),
        [zk_event("NodeDataChanged", node)],
        "events after two sets",
    )


@scenario(group=GROUP)
def zkcli_child_and_exists_watches(ctx: Context) -> None:
    """ls -w and stat -w (on a missing node) fire NodeCreated, then NodeChildrenChanged."""
    cli, zk = zkcli(ctx), ctx.client()
    node = ctx.path("node")
    expect(cli.run(f"ls -w {ctx.path()}").lines, ["[]"], "ls -w's output")
    expect(cli.run(f"stat -w {node}").lines, [f"Node does not exist: {node}"], "stat -w")
    zk.create(node)
    expect(
        after_connect(cli.settle()),
        [zk_event("NodeCreated", node), zk_event("NodeChildrenChanged", ctx.path())],
        "events after kazoo's create",
    )


@scenario(group=GROUP)
def zkcli_persistent_recursive_watch(ctx: Context) -> None:
    """addWatch -m PERSISTENT_RECURSIVE sees every change below, no child events, repeatedly."""
    cli, zk = zkcli(ctx), ctx.client()
    base, a, b = ctx.path(), ctx.path("a"), ctx.path("a", "b")
    expect(cli.run(f"addWatch -m PERSISTENT_RECURSIVE {base}").lines, [], "addWatch")
    zk.create(a)
    zk.create(b, b"1")
    zk.set(b, b"2")
    zk.delete(b)
    zk.set(base, b"x")
    expect(
        after_connect(cli.settle()),
        [
            zk_event("NodeCreated", a),
            zk_event("NodeCreated", b),
            zk_event("NodeDataChanged", b),
            zk_event("NodeDeleted", b),
            zk_event("NodeDataChanged", base),
        ],
        "events",
    )


# --- zkCli.sh and kazoo: the same bytes -------------------------------------------------------


@scenario(group=GROUP)
def kazoo_text_read_by_zkcli(ctx: Context) -> None:
    """Non-ASCII names and UTF-8 data written by kazoo print unchanged in zkCli."""
    cli, zk = zkcli(ctx), ctx.client()
    node = ctx.path("名前")
    zk.create(node, TEXT.encode())
    expect(cli.run(f"ls {ctx.path()}").lines, ["[名前]"], "ls")
    lines = cli.run(f"get -s {node}").lines
    expect(lines[0], TEXT, "get")
    expect(parse_zkcli_stat(lines)["dataLength"], len(TEXT.encode()), "dataLength (bytes)")


@scenario(group=GROUP)
def zkcli_text_read_by_kazoo(ctx: Context) -> None:
    """A non-ASCII name and quoted UTF-8 data created by zkCli reach kazoo as UTF-8 bytes."""
    cli, zk = zkcli(ctx), ctx.client()
    node = ctx.path("café")
    expect(cli.run(f"create {node} '{TEXT}'").lines, [f"Created {node}"], "create")
    expect(zk.get_children(ctx.path()), ["café"], "children as kazoo sees them")
    expect(zk.get(node)[0], TEXT.encode(), "data as kazoo reads it")


@scenario(group=GROUP)
def kazoo_transaction_seen_by_zkcli(ctx: Context) -> None:
    """A kazoo multi is one zxid: zkCli shows its nodes, and parent and children share it."""
    cli, zk = zkcli(ctx), ctx.client()
    top = ctx.path("t")
    transaction = zk.transaction()
    transaction.create(top)
    transaction.create(f"{top}/a", b"1")
    transaction.create(f"{top}/b", b"2")
    transaction.set_data(top, b"x")
    transaction.commit()
    expect(cli.run(f"ls -R {top}").lines, [top, f"{top}/a", f"{top}/b"], "ls -R")
    parent = parse_zkcli_stat(cli.run(f"get -s {top}").lines)
    child = parse_zkcli_stat(cli.run(f"stat {top}/b").lines)
    expect(
        (parent["dataVersion"], parent["cversion"], parent["numChildren"]),
        (1, 2, 2),
        "dataVersion, cversion, numChildren of the parent",
    )
    zxid = parent["cZxid"]
    expect(
        (parent["mZxid"], parent["pZxid"], child["cZxid"]),
        (zxid, zxid, zxid),
        "parent's mZxid and pZxid and a child's cZxid, against the parent's cZxid",
    )


# --- cli_mt -----------------------------------------------------------------------------------


@scenario(group=GROUP)
def cli_mt_create_get_set(ctx: Context) -> None:
    """cli_mt creates with data `new`, gets it, sets a line of UTF-8, syncs; kazoo agrees."""
    cli, zk = cli_mt(ctx), ctx.client()
    node = ctx.path("node")
    created = cli.run(f"create {node}")
    expect((created.rc, created.name), (0, node), "create's rc and name")
    expect(created.notes, (f"Creating [{node}] node (mode: 0)",), "create's note")
    got = cli.run(f"get {node}")
    expect((got.rc, got.value), (0, b"new"), "get's rc and value")
    changed = cli.run(f"set {node} {TEXT} and more")
    expect((changed.rc, changed.stat["version"]), (0, 1), "set's rc and version")
    expect(zk.get(node)[0], f"{TEXT} and more".encode(), "data as kazoo reads it")
    synced = cli.run(f"sync {node}")
    expect((synced.rc, synced.name), (0, node), "sync's rc and name")


@scenario(group=GROUP)
def cli_mt_create_modes(ctx: Context) -> None:
    """cli_mt's +s, +e, +es and +c create modes; its ephemerals go when it quits."""
    cli, zk = cli_mt(ctx), ctx.client()
    seq, eph, both, box = ctx.path("s-"), ctx.path("e"), ctx.path("es-"), ctx.path("c")
    expect(cli.run(f"create +s {seq}").name, f"{seq}0000000000", "+s name")
    expect(cli.run(f"create +e {eph}").name, eph, "+e name")
    expect(cli.run(f"create +es {both}").name, f"{both}0000000002", "+es name")
    container = cli.run(f"create +c {box}")
    expect((container.rc, container.notes), (0, (f"Creating [{box}] node (mode: 4)",)), "+c")
    owner = cli.run(f"get {eph}").stat["ephemeralOwner"]
    expect(owner, zk.exists(eph).ephemeralOwner, "ephemeralOwner: cli_mt's against kazoo's")
    expect_order(owner, "!=", 0, "ephemeralOwner of +e")
    expect(zk.exists(box).ephemeralOwner, 0, "ephemeralOwner of a container")
    cli.close()
    expect(
        sorted(zk.get_children(ctx.path())),
        ["c", "s-0000000000"],
        "children after cli_mt quit",
    )


@scenario(group=GROUP)
def cli_mt_ls_matches_kazoo(ctx: Context) -> None:
    """cli_mt lists children in the order kazoo gets them; ls2 adds the parent's stat."""
    cli, zk = cli_mt(ctx), ctx.client()
    for name in ("zz", "ab", "Q", "m1", "10"):
        zk.create(ctx.path(name))
    listed = cli.run(f"ls {ctx.path()}")
    expect((listed.rc, listed.children), (0, zk.get_children(ctx.path())), "ls")
    listed2 = cli.run(f"ls2 {ctx.path()}")
    expect(listed2.children, zk.get_children(ctx.path()), "ls2's children")
    expect(listed2.stat, cli_mt_stat(zk.exists(ctx.path())), "ls2's stat against kazoo's")
    expect(cli.run(f"delete {ctx.path('ab')}").rc, 0, "delete's rc")
    expect(cli.run(f"ls {ctx.path('ab')}").rc, NO_NODE, "ls of the deleted node")
    expect(cli.run(f"ls {ctx.path('zz')}").children, [], "ls of a leaf")


@scenario(group=GROUP)
def cli_mt_error_codes(ctx: Context) -> None:
    """cli_mt prints the server's error codes: -101 NoNode, -110 NodeExists, -111, -108."""
    cli, zk = cli_mt(ctx), ctx.client()
    node, eph, missing = ctx.path("node"), ctx.path("eph"), ctx.path("missing")
    zk.create(ctx.path("node", "child"), makepath=True)
    zk.create(eph, ephemeral=True)
    cases = {
        f"get {missing}": NO_NODE,
        f"ls {missing}": NO_NODE,
        f"set {missing} x": NO_NODE,
        f"delete {missing}": NO_NODE,
        f"create {missing}/x": NO_NODE,
        f"create {node}": NODE_EXISTS,
        f"delete {node}": NOT_EMPTY,
        f"create {eph}/x": NO_CHILDREN_FOR_EPHEMERALS,
    }
    for command, rc in cases.items():
        expect(cli.run(command).rc, rc, command)
    expect(cli.run(f"exists {missing}").raw, f"Error -101 for {missing}\n".encode(), "exists")
    expect(cli.run(f"exists {node}").raw, b"", "exists of a node that exists")


@scenario(group=GROUP)
def cli_mt_watch_notifications(ctx: Context) -> None:
    """get, ls, wexists and exists leave watches that kazoo's writes fire, once each."""
    cli, zk = cli_mt(ctx), ctx.client()
    node, child = ctx.path("node"), ctx.path("node", "child")
    zk.create(node)
    cli.run(f"get {node}")
    cli.run(f"ls {node}")
    expect(cli.run(f"wexists {child}").rc, NO_NODE, "wexists of a missing node")
    zk.set(node, b"x")
    zk.create(child)
    zk.set(node, b"y")
    expect(cli.run(f"exists {child}").rc, None, "exists of the new child")
    zk.delete(child)
    expect(
        after_connect(cli.settle()),
        [
            mt_event("CHANGED_EVENT", node),
            mt_event("CREATED_EVENT", child),
            mt_event("CHILD_EVENT", node),
            mt_event("DELETED_EVENT", child),
        ],
        "events",
    )


@scenario(group=GROUP)
def cli_mt_acl_with_addauth(ctx: Context) -> None:
    """A digest ACL set by kazoo: -102 NoAuth for cli_mt until it adds the right identity."""
    delete_leaves_on_close(ctx)
    cli = cli_mt(ctx)
    node = ctx.path("secret")
    ctx.client().create(node, b"s3cret", acl=digest_acl(ALICE))
    for command in (f"get {node}", f"ls {node}", f"set {node} x"):
        expect(cli.run(command).rc, NO_AUTH, f"{command} without identity")
    addauth(cli, (ALICE[0], "wrong"))
    expect(cli.run(f"get {node}").rc, NO_AUTH, "get with a wrong password")
    addauth(cli, ALICE)
    got = cli.run(f"get {node}")
    expect((got.rc, got.value), (0, b"s3cret"), "get as alice")
    expect(cli.run(f"set {node} changed").rc, 0, "set as alice")
    expect(authed(ctx, ALICE).get(node)[0], b"changed", "data as kazoo reads it")


@scenario(group=GROUP)
def cli_mt_stat_matches_kazoo(ctx: Context) -> None:
    """cli_mt's stats (create2, get, set) are kazoo's; after a set mzxid passes czxid."""
    cli, zk = cli_mt(ctx), ctx.client()
    node = ctx.path("node")
    created = cli.run(f"create2 {node}")
    expect(created.stat, cli_mt_stat(zk.exists(node)), "create2's stat against kazoo's")
    zk.set(node, b"kazoo")
    got = cli.run(f"get {node}")
    expect(got.value, b"kazoo", "get after kazoo's set")
    expect(got.stat, cli_mt_stat(zk.exists(node)), "get's stat against kazoo's")
    changed = cli.run(f"set {node} cli").stat
    expect(changed, cli_mt_stat(zk.exists(node)), "set's stat against kazoo's")
    expect(changed["version"], 2, "version after two sets")
    expect_order(changed["mzxid"], ">", changed["czxid"], "mzxid after a set")
    config = cli.run("config")
    expect(config.stat["aversion"], -1, "aversion of /zookeeper/config")
