"""multi: atomic transactions through kazoo's transaction API, and their per-op results.

On failure Apache ZooKeeper reports, for each op: the failing op's own error; ops before it
"ok, rolled back" (code 0, kazoo's RolledBackError); ops after it RuntimeInconsistency.
"""

from __future__ import annotations

from typing import Any

from kazoo.exceptions import (
    BadArgumentsError,
    BadVersionError,
    NoChildrenForEphemeralsError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
    RuntimeInconsistency,
)
from kazoo.protocol.serialization import CheckVersion, Transaction
from kazoo.protocol.states import ZnodeStat

from conformance.context import Context
from conformance.scenario import expect, scenario


def kinds(results: list[Any]) -> list[str]:
    """Each op's result as a short name: the path, "stat", "ok" or the error class name."""
    shown = []
    for result in results:
        if isinstance(result, BaseException):
            shown.append(type(result).__name__)
        elif isinstance(result, ZnodeStat):
            shown.append("stat")
        elif result is True:
            shown.append("ok")
        else:
            shown.append(result)
    return shown


ROLLED_BACK = RolledBackError.__name__
INCONSISTENT = RuntimeInconsistency.__name__


@scenario(group="multi")
def all_ops_succeed(ctx: Context) -> None:
    """A multi of create, create, setData, check, delete applies all and reports each result."""
    zk = ctx.client()
    tx = zk.transaction()
    tx.create(ctx.path("p"), b"0")
    tx.create(ctx.path("p", "c"))
    tx.set_data(ctx.path("p"), b"1")
    tx.check(ctx.path("p"), 1)
    tx.delete(ctx.path("p", "c"))
    results = tx.commit()
    expect(kinds(results), [ctx.path("p"), ctx.path("p", "c"), "stat", "ok", "ok"], "results")
    expect(results[2].version, 1, "version in setData's result")
    expect(zk.get(ctx.path("p"))[0], b"1", "data after the multi")
    expect(zk.get_children(ctx.path("p")), [], "children after the multi")


@scenario(group="multi")
def failure_rolls_everything_back(ctx: Context) -> None:
    """A failing op aborts the multi: nothing is applied, and each op reports its status."""
    zk = ctx.client()
    zk.create(ctx.path("exists"))
    tx = zk.transaction()
    tx.create(ctx.path("a"))
    tx.create(ctx.path("exists"))
    tx.create(ctx.path("c"))
    results = tx.commit()
    expect(kinds(results), [ROLLED_BACK, NodeExistsError.__name__, INCONSISTENT], "results")
    expect(sorted(zk.get_children(ctx.path())), ["exists"], "children after the failed multi")


@scenario(group="multi")
def first_op_failing(ctx: Context) -> None:
    """When the first op fails, every later op reports RuntimeInconsistency."""
    zk = ctx.client()
    tx = zk.transaction()
    tx.delete(ctx.path("missing"))
    tx.create(ctx.path("a"))
    tx.create(ctx.path("b"))
    expect(kinds(tx.commit()), [NoNodeError.__name__, INCONSISTENT, INCONSISTENT], "results")


@scenario(group="multi")
def last_op_failing(ctx: Context) -> None:
    """When the last op fails, every earlier op reports ok-rolled-back (code 0)."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    tx = zk.transaction()
    tx.create(ctx.path("a"))
    tx.set_data(ctx.path("node"), b"x")
    tx.check(ctx.path("node"), 5)
    expect(kinds(tx.commit()), [ROLLED_BACK, ROLLED_BACK, BadVersionError.__name__], "results")
    expect(zk.exists(ctx.path("node")).version, 0, "version after the failed multi")


@scenario(group="multi")
def check_version(ctx: Context) -> None:
    """check succeeds on the current version and fails with BadVersion otherwise."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    tx = zk.transaction()
    tx.check(ctx.path("node"), 0)
    expect(kinds(tx.commit()), ["ok"], "check with the current version")
    tx = zk.transaction()
    tx.check(ctx.path("node"), 1)
    expect(kinds(tx.commit()), [BadVersionError.__name__], "check with a wrong version")


@scenario(group="multi")
def check_missing_node(ctx: Context) -> None:
    """check of a missing node reports NoNode."""
    zk = ctx.client()
    tx = zk.transaction()
    tx.check(ctx.path("missing"), -1)
    expect(kinds(tx.commit()), [NoNodeError.__name__], "results")


@scenario(group="multi")
def check_malformed_path(ctx: Context) -> None:
    """check validates its path: a trailing "/" reports BadArguments."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    results = ctx.raw(zk, Transaction([CheckVersion(ctx.path("node") + "/", -1)]))
    expect(kinds(results), [BadArgumentsError.__name__], "results")


@scenario(group="multi")
def ops_see_earlier_ops(ctx: Context) -> None:
    """Later ops see earlier ones: check after set sees version 1; create after delete works."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"old")
    tx = zk.transaction()
    tx.set_data(ctx.path("node"), b"x")
    tx.check(ctx.path("node"), 1)
    tx.delete(ctx.path("node"))
    tx.create(ctx.path("node"), b"reborn")
    expect(kinds(tx.commit()), ["stat", "ok", "ok", ctx.path("node")], "results")
    data, stat = zk.get(ctx.path("node"))
    expect((data, stat.version), (b"reborn", 0), "(data, version) after the multi")


@scenario(group="multi")
def ops_share_one_zxid(ctx: Context) -> None:
    """Every op of a multi gets the same zxid, which the reply header carries."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    tx = zk.transaction()
    tx.create(ctx.path("a"))
    tx.create(ctx.path("b"))
    tx.set_data(ctx.path("node"), b"x")
    results = tx.commit()
    reply_zxid = zk.last_zxid
    a, b = zk.exists(ctx.path("a")), zk.exists(ctx.path("b"))
    expect(b.czxid, a.czxid, "czxid of the second create vs the first")
    expect(results[2].mzxid, a.czxid, "mzxid of the set vs the creates' czxid")
    expect(reply_zxid, a.czxid, "the multi's reply zxid")
    expect(zk.exists(ctx.path()).pzxid, a.czxid, "parent pzxid")


@scenario(group="multi")
def sequential_in_multi(ctx: Context) -> None:
    """Sequential creates in a multi return their actual paths, numbered in op order."""
    zk = ctx.client()
    tx = zk.transaction()
    tx.create(ctx.path("s-"), sequence=True)
    tx.create(ctx.path("s-"), sequence=True)
    expect(tx.commit(), [ctx.path("s-0000000000"), ctx.path("s-0000000001")], "results")


@scenario(group="multi")
def failed_multi_consumes_no_sequence(ctx: Context) -> None:
    """A failed multi leaves the parent's cversion, so no sequence number is used up."""
    zk = ctx.client()
    tx = zk.transaction()
    tx.create(ctx.path("s-"), sequence=True)
    tx.check(ctx.path("missing"), 0)
    tx.commit()
    expect(zk.exists(ctx.path()).cversion, 0, "parent cversion after the failed multi")
    expect(zk.create(ctx.path("s-"), sequence=True), ctx.path("s-0000000000"), "next sequential")


@scenario(group="multi")
def ephemeral_in_multi(ctx: Context) -> None:
    """An ephemeral created in a multi belongs to the session that sent it."""
    zk = ctx.client()
    tx = zk.transaction()
    tx.create(ctx.path("e"), ephemeral=True)
    tx.commit()
    expect(zk.exists(ctx.path("e")).ephemeralOwner, zk.client_id[0], "ephemeralOwner")


@scenario(group="multi")
def child_of_ephemeral_in_multi(ctx: Context) -> None:
    """A multi creating an ephemeral, then a child of it, fails: NoChildrenForEphemerals."""
    zk = ctx.client()
    tx = zk.transaction()
    tx.create(ctx.path("e"), ephemeral=True)
    tx.create(ctx.path("e", "c"))
    expect(kinds(tx.commit()), [ROLLED_BACK, NoChildrenForEphemeralsError.__name__], "results")
    expect(zk.exists(ctx.path("e")), None, "the ephemeral after the failed multi")


@scenario(group="multi")
def delete_non_empty_in_multi(ctx: Context) -> None:
    """Deleting a node with children in a multi reports NotEmpty."""
    zk = ctx.client()
    zk.create(ctx.path("p"))
    zk.create(ctx.path("p", "c"))
    tx = zk.transaction()
    tx.delete(ctx.path("p"))
    expect(kinds(tx.commit()), [NotEmptyError.__name__], "results")


@scenario(group="multi")
def delete_subtree_in_one_multi(ctx: Context) -> None:
    """Deleting children then their parent in one multi succeeds."""
    zk = ctx.client()
    zk.create(ctx.path("p"))
    zk.create(ctx.path("p", "c1"))
    zk.create(ctx.path("p", "c2"))
    tx = zk.transaction()
    tx.delete(ctx.path("p", "c1"))
    tx.delete(ctx.path("p", "c2"))
    tx.delete(ctx.path("p"))
    expect(kinds(tx.commit()), ["ok", "ok", "ok"], "results")
    expect(zk.exists(ctx.path("p")), None, "parent after the multi")


@scenario(group="multi")
def empty_multi(ctx: Context) -> None:
    """A multi with no ops succeeds with no results."""
    zk = ctx.client()
    expect(zk.transaction().commit(), [], "results")


@scenario(group="multi")
def context_manager_commits(ctx: Context) -> None:
    """kazoo's `with zk.transaction()` commits on exit."""
    zk = ctx.client()
    with zk.transaction() as tx:
        tx.create(ctx.path("a"), b"1")
        tx.create(ctx.path("b"), b"2")
    expect(sorted(zk.get_children(ctx.path())), ["a", "b"], "children after the block")


@scenario(group="multi")
def multi_fires_watches_once(ctx: Context) -> None:
    """A child watch fires once for a multi that creates two children; a data watch fires too."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    watcher.get_children(ctx.path("p"), watch=lambda event: None)
    watcher.get(ctx.path("p"), watch=lambda event: None)
    tx = writer.transaction()
    tx.create(ctx.path("p", "a"))
    tx.create(ctx.path("p", "b"))
    tx.set_data(ctx.path("p"), b"x")
    tx.commit()
    got = sorted((found.type, found.path) for found in watcher.settle())
    expect(got, [("CHANGED", ctx.path("p")), ("CHILD", ctx.path("p"))], "events")


@scenario(group="multi")
def failed_multi_fires_nothing(ctx: Context) -> None:
    """A failed multi fires no watch."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    watcher.get_children(ctx.path("p"), watch=lambda event: None)
    watcher.get(ctx.path("p"), watch=lambda event: None)
    tx = writer.transaction()
    tx.create(ctx.path("p", "a"))
    tx.set_data(ctx.path("p"), b"x")
    tx.check(ctx.path("p"), 0)  # fails: the set in this multi made it version 1
    tx.commit()
    expect([(found.type, found.path) for found in watcher.settle()], [], "events")
