"""persistent: addWatch (persistent and persistent-recursive), removeWatches, checkWatches.

kazoo 2.11 sends none of these, so every scenario speaks the wire itself (`_wire.Wire`), with
a writer session and one or more watcher sessions. Events are compared as
`(EventType name, path relative to the scenario's base)`, after a sync round trip on the
watching session (`Wire.flush`), so "no event" needs no sleep.

Apache ZooKeeper 3.8, as these scenarios show it:

- A watch is kept per (connection, path) in two tables, data and child, each remembering one
  mode for the pair. addWatch puts the pair in both with its mode; getData/exists put it in the
  data table, getChildren in the child table, as one-time watches. The last registration wins:
  a getData watch after addWatch PERSISTENT turns the data half back into a one-time watch
  (the child half stays persistent); addWatch after getData makes it persistent again; one
  mode replaces the other. A session never gets two events for one change.
- PERSISTENT fires NodeCreated, NodeDataChanged, NodeDeleted for the node and
  NodeChildrenChanged for its children, and stays. PERSISTENT_RECURSIVE fires NodeCreated,
  NodeDataChanged and NodeDeleted for the node and every descendant, with the descendant's
  path, and never NodeChildrenChanged.
- removeWatches removes the connection's watch from the tables its type names (Children=1,
  Data=2, Any=3), whatever its mode: removing Data from a persistent watch leaves a persistent
  child half, which still fires NodeChildrenChanged and NodeDeleted. Nothing there: NoWatcher
  (-121). The server sends no event for a removed watch (the Java client makes up
  DataWatchRemoved/ChildWatchRemoved itself). Types 4 and 5 (Persistent, PersistentRecursive,
  introduced later) and unknown addWatch modes are MarshallingError; the connection stays.
- checkWatches asks whether the path has a watch in that table at all, from any session: a
  session with no watch of its own is told a data watch exists when another session has one.
- setWatches2 re-registers persistent and recursive watches on a new connection without
  events for what changed meanwhile; one-time watches in it fire as with setWatches.
- Events for a change are queued on every watcher's connection before the writer's reply, so
  a session watching its own write gets the event before the reply, in the write's op order.
- addWatch checks no ACL. Debian's 3.8.0 carries the fix for CVE-2024-23944 (ZOOKEEPER-4799,
  released upstream in 3.8.4): an event is delivered only to connections allowed to READ the
  node it is about (for NodeChildrenChanged, the parent), for every kind of watch. A one-time
  watch whose event is filtered is consumed all the same.
"""

from __future__ import annotations

from conformance.context import Context
from conformance.groups._support import digest_id
from conformance.groups._wire import OPEN_ACL, Wire, remove_later, resume, wire
from conformance.scenario import expect, scenario
from jute import records as R
from zkcompat.constants import AddWatchMode, Err, OpCode, WatcherType

GROUP = "persistent"
PERSISTENT = int(AddWatchMode.PERSISTENT)
RECURSIVE = int(AddWatchMode.PERSISTENT_RECURSIVE)
CHILDREN, DATA, ANY = int(WatcherType.Children), int(WatcherType.Data), int(WatcherType.Any)
CREATED, DELETED, CHANGED, CHILD = (
    "NodeCreated",
    "NodeDeleted",
    "NodeDataChanged",
    "NodeChildrenChanged",
)
NO_WATCHER, MARSHALLING = int(Err.NoWatcher), int(Err.MarshallingError)
OPEN_NO_READ = (R.ACL(perms=31 & ~1, id=R.Id(scheme="world", id="anyone")),)


def sessions(ctx: Context, count: int) -> list[Wire]:
    """`count` raw sessions: watchers and a writer on separate connections."""
    return [wire(ctx) for _ in range(count)]


def watch(session: Wire, path: str, mode: int) -> None:
    """addWatch as set-up: it must succeed (`add_watch_reply` checks the reply's bytes)."""
    session.ok(session.add_watch(path, mode), f"addWatch {session.shown(path)} mode {mode}")


def checks(session: Wire, path: str) -> list[int]:
    """checkWatches' error code for Children, Data and Any, in that order."""
    return [session.check_watches(path, kind).err for kind in (CHILDREN, DATA, ANY)]


# --- PERSISTENT -------------------------------------------------------------------------------


@scenario(group=GROUP)
def add_watch_reply(ctx: Context) -> None:
    """addWatch answers err 0 with an ErrorResponse body of 0 (four zero bytes)."""
    (watcher,) = sessions(ctx, 1)
    reply = watcher.add_watch(ctx.path("n"), PERSISTENT)
    expect((reply.err, reply.body), (0, b"\x00\x00\x00\x00"), "(err, body) of addWatch")


@scenario(group=GROUP)
def persistent_fires_on_every_change(ctx: Context) -> None:
    """PERSISTENT fires for each setData and child change of the node, and stays set."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watch(watcher, node, PERSISTENT)
    writer.set_ok(node, b"1")
    writer.set_ok(node, b"2")
    writer.create_ok(ctx.path("n", "c"))
    writer.delete_ok(ctx.path("n", "c"))
    expected = [(CHANGED, "n"), (CHANGED, "n"), (CHILD, "n"), (CHILD, "n")]
    expect(watcher.flush(), expected, "events")
    expect(checks(watcher, node), [0, 0, 0], "checkWatches Children, Data, Any afterwards")


@scenario(group=GROUP)
def persistent_on_missing_node(ctx: Context) -> None:
    """PERSISTENT on a missing node fires NodeCreated, then survives its deletion and recreation."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    watch(watcher, node, PERSISTENT)
    writer.create_ok(node)
    writer.set_ok(node, b"1")
    writer.delete_ok(node)
    writer.create_ok(node)
    expected = [(CREATED, "n"), (CHANGED, "n"), (DELETED, "n"), (CREATED, "n")]
    expect(watcher.flush(), expected, "events")


@scenario(group=GROUP)
def persistent_ignores_grandchildren(ctx: Context) -> None:
    """PERSISTENT is not recursive: a grandchild's create or a child's setData fires nothing."""
    watcher, writer = sessions(ctx, 2)
    writer.create_ok(ctx.path("p"))
    watch(watcher, ctx.path("p"), PERSISTENT)
    writer.create_ok(ctx.path("p", "c"))
    writer.create_ok(ctx.path("p", "c", "g"))
    writer.set_ok(ctx.path("p", "c"), b"1")
    expect(watcher.flush(), [(CHILD, "p")], "events")


@scenario(group=GROUP)
def persistent_watchers_each_get_one_event(ctx: Context) -> None:
    """Two sessions with PERSISTENT on one node each get every event once; the writer none."""
    first, second, writer = sessions(ctx, 3)
    node = ctx.path("n")
    writer.create_ok(node)
    for session in (first, second):
        watch(session, node, PERSISTENT)
    writer.set_ok(node, b"1")
    writer.delete_ok(node)
    for name, session in (("first", first), ("second", second)):
        expect(session.flush(), [(CHANGED, "n"), (DELETED, "n")], f"events of the {name}")
    expect(writer.flush(), [], "events of the writer")


# --- PERSISTENT_RECURSIVE ---------------------------------------------------------------------


@scenario(group=GROUP)
def recursive_fires_for_descendants(ctx: Context) -> None:
    """PERSISTENT_RECURSIVE fires for every descendant, with its path, never NodeChildrenChanged."""
    watcher, writer = sessions(ctx, 2)
    root = ctx.path("r")
    writer.create_ok(root)
    watch(watcher, root, RECURSIVE)
    writer.create_ok(ctx.path("r", "a"))
    writer.create_ok(ctx.path("r", "a", "b"))
    writer.set_ok(ctx.path("r", "a", "b"), b"1")
    writer.set_ok(root, b"1")
    writer.delete_ok(ctx.path("r", "a", "b"))
    writer.delete_ok(ctx.path("r", "a"))
    expected = [
        (CREATED, "r/a"),
        (CREATED, "r/a/b"),
        (CHANGED, "r/a/b"),
        (CHANGED, "r"),
        (DELETED, "r/a/b"),
        (DELETED, "r/a"),
    ]
    expect(watcher.flush(), expected, "events")


@scenario(group=GROUP)
def recursive_on_missing_node(ctx: Context) -> None:
    """PERSISTENT_RECURSIVE on a missing node sees it created, its subtree, and its deletion."""
    watcher, writer = sessions(ctx, 2)
    root = ctx.path("r")
    watch(watcher, root, RECURSIVE)
    writer.create_ok(root)
    writer.create_ok(ctx.path("r", "x"))
    writer.delete_ok(ctx.path("r", "x"))
    writer.delete_ok(root)
    writer.create_ok(root)
    expected = [(CREATED, "r"), (CREATED, "r/x"), (DELETED, "r/x"), (DELETED, "r"), (CREATED, "r")]
    expect(watcher.flush(), expected, "events")


@scenario(group=GROUP)
def recursive_matches_whole_path_segments(ctx: Context) -> None:
    """PERSISTENT_RECURSIVE on /a ignores /ab and /ab/c: only whole path segments match."""
    watcher, writer = sessions(ctx, 2)
    watch(watcher, ctx.path("a"), RECURSIVE)
    writer.create_ok(ctx.path("ab"))
    writer.create_ok(ctx.path("ab", "c"))
    writer.create_ok(ctx.path("a"))
    expect(watcher.flush(), [(CREATED, "a")], "events")


@scenario(group=GROUP)
def recursive_sees_multi_ops_in_order(ctx: Context) -> None:
    """A multi's changes reach a recursive watch one event per op, in op order."""
    watcher, writer = sessions(ctx, 2)
    root = ctx.path("m")
    watch(watcher, root, RECURSIVE)
    ops = [
        (OpCode.create, create_request(root)),
        (OpCode.create, create_request(ctx.path("m", "a"))),
        (OpCode.setData, R.SetDataRequest(path=root, data=b"x", version=-1)),
        (OpCode.delete, R.DeleteRequest(path=ctx.path("m", "a"), version=-1)),
    ]
    writer.ok(writer.multi(OpCode.multi, ops), "multi")
    expected = [(CREATED, "m"), (CREATED, "m/a"), (CHANGED, "m"), (DELETED, "m/a")]
    expect(watcher.flush(), expected, "events")


def create_request(path: str) -> R.CreateRequest:
    return R.CreateRequest(path=path, data=b"", acl=list(OPEN_ACL), flags=0)


# --- one mode per (session, path) -------------------------------------------------------------


@scenario(group=GROUP)
def get_watch_after_persistent_makes_data_half_one_time(ctx: Context) -> None:
    """getData(watch) after addWatch PERSISTENT: the next setData fires once, later ones not.

    The data table keeps one mode per (session, path) and getData's one-time registration
    replaces PERSISTENT; the child half, in the other table, stays persistent.
    """
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watch(watcher, node, PERSISTENT)
    watcher.ok(watcher.get_data(node, watch=True), "getData with a watch")
    writer.set_ok(node, b"1")
    writer.set_ok(node, b"2")
    writer.create_ok(ctx.path("n", "c"))
    expect(watcher.flush(), [(CHANGED, "n"), (CHILD, "n")], "events")
    expect(checks(watcher, node), [0, NO_WATCHER, 0], "checkWatches Children, Data, Any")


@scenario(group=GROUP)
def persistent_after_get_watch_stays(ctx: Context) -> None:
    """addWatch PERSISTENT after getData(watch) replaces the one-time watch: one event per set."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watcher.ok(watcher.get_data(node, watch=True), "getData with a watch")
    watch(watcher, node, PERSISTENT)
    writer.set_ok(node, b"1")
    writer.set_ok(node, b"2")
    expect(watcher.flush(), [(CHANGED, "n"), (CHANGED, "n")], "events")


@scenario(group=GROUP)
def recursive_replaces_persistent(ctx: Context) -> None:
    """addWatch RECURSIVE after PERSISTENT on one path: descendants fire, no NodeChildrenChanged."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watch(watcher, node, PERSISTENT)
    watch(watcher, node, RECURSIVE)
    writer.create_ok(ctx.path("n", "c"))
    writer.set_ok(node, b"1")
    expect(watcher.flush(), [(CREATED, "n/c"), (CHANGED, "n")], "events")


@scenario(group=GROUP)
def persistent_replaces_recursive(ctx: Context) -> None:
    """addWatch PERSISTENT after RECURSIVE on one path: children fire NodeChildrenChanged only."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watch(watcher, node, RECURSIVE)
    watch(watcher, node, PERSISTENT)
    writer.create_ok(ctx.path("n", "c"))
    writer.set_ok(ctx.path("n", "c"), b"1")
    writer.set_ok(node, b"1")
    expect(watcher.flush(), [(CHILD, "n"), (CHANGED, "n")], "events")


@scenario(group=GROUP)
def recursive_and_one_time_watch_give_one_event(ctx: Context) -> None:
    """A recursive watch above a node and a getData watch on it: one event per change, not two."""
    watcher, writer = sessions(ctx, 2)
    writer.create_ok(ctx.path("r"))
    writer.create_ok(ctx.path("r", "k"))
    watch(watcher, ctx.path("r"), RECURSIVE)
    watcher.ok(watcher.get_data(ctx.path("r", "k"), watch=True), "getData with a watch")
    writer.set_ok(ctx.path("r", "k"), b"1")
    writer.set_ok(ctx.path("r", "k"), b"2")
    expect(watcher.flush(), [(CHANGED, "r/k"), (CHANGED, "r/k")], "events")


# --- removeWatches and checkWatches -----------------------------------------------------------


@scenario(group=GROUP)
def check_watches_on_persistent(ctx: Context) -> None:
    """checkWatches finds a persistent watch as Children, Data and Any; not on a descendant."""
    watcher, writer = sessions(ctx, 2)
    writer.create_ok(ctx.path("p"))
    watch(watcher, ctx.path("p"), PERSISTENT)
    watch(watcher, ctx.path("r"), RECURSIVE)
    expect(checks(watcher, ctx.path("p")), [0, 0, 0], "checkWatches of the persistent watch")
    expect(checks(watcher, ctx.path("r")), [0, 0, 0], "checkWatches of the recursive watch")
    below = [NO_WATCHER] * 3
    expect(checks(watcher, ctx.path("r", "x")), below, "checkWatches below the recursive watch")


@scenario(group=GROUP)
def no_watch_is_no_watcher(ctx: Context) -> None:
    """removeWatches and checkWatches of any type on a path without watches: NoWatcher (-121)."""
    (session,) = sessions(ctx, 1)
    node = ctx.path("n")
    session.create_ok(node)
    expect(checks(session, node), [NO_WATCHER] * 3, "checkWatches Children, Data, Any")
    removed = [session.remove_watches(node, kind).err for kind in (CHILDREN, DATA, ANY)]
    expect(removed, [NO_WATCHER] * 3, "removeWatches Children, Data, Any")


@scenario(group=GROUP)
def remove_children_leaves_data_half(ctx: Context) -> None:
    """removeWatches Children on a persistent watch: setData still fires, child changes do not."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watch(watcher, node, PERSISTENT)
    expect(watcher.remove_watches(node, CHILDREN).err, 0, "removeWatches Children")
    writer.create_ok(ctx.path("n", "c"))
    writer.set_ok(node, b"1")
    expect(watcher.flush(), [(CHANGED, "n")], "events")
    expect(checks(watcher, node), [NO_WATCHER, 0, 0], "checkWatches Children, Data, Any")


@scenario(group=GROUP)
def remove_data_leaves_child_half(ctx: Context) -> None:
    """removeWatches Data on a persistent watch: the child half still fires, deletion included.

    The child table's watch on a node hears NodeChildrenChanged and its NodeDeleted, not
    NodeCreated or NodeDataChanged; it outlives the node it is on.
    """
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watch(watcher, node, PERSISTENT)
    expect(watcher.remove_watches(node, DATA).err, 0, "removeWatches Data")
    writer.set_ok(node, b"1")
    writer.create_ok(ctx.path("n", "c"))
    writer.delete_ok(ctx.path("n", "c"))
    writer.delete_ok(node)
    writer.create_ok(node)
    writer.create_ok(ctx.path("n", "d"))
    expected = [(CHILD, "n"), (CHILD, "n"), (DELETED, "n"), (CHILD, "n")]
    expect(watcher.flush(), expected, "events")


@scenario(group=GROUP)
def remove_data_from_recursive_leaves_deletions(ctx: Context) -> None:
    """removeWatches Data on a recursive watch: only NodeDeleted events, for the whole subtree."""
    watcher, writer = sessions(ctx, 2)
    root = ctx.path("r")
    writer.create_ok(root)
    watch(watcher, root, RECURSIVE)
    expect(watcher.remove_watches(root, DATA).err, 0, "removeWatches Data")
    expect(checks(watcher, root), [0, NO_WATCHER, 0], "checkWatches Children, Data, Any")
    writer.create_ok(ctx.path("r", "x"))
    writer.set_ok(ctx.path("r", "x"), b"1")
    writer.set_ok(root, b"1")
    writer.delete_ok(ctx.path("r", "x"))
    writer.delete_ok(root)
    expect(watcher.flush(), [(DELETED, "r/x"), (DELETED, "r")], "events")


@scenario(group=GROUP)
def remove_any_removes_persistent(ctx: Context) -> None:
    """removeWatches Any removes a persistent watch entirely; a second one is NoWatcher."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watch(watcher, node, PERSISTENT)
    expect(watcher.remove_watches(node, ANY).err, 0, "removeWatches Any")
    expect(watcher.remove_watches(node, ANY).err, NO_WATCHER, "removeWatches Any again")
    writer.set_ok(node, b"1")
    writer.create_ok(ctx.path("n", "c"))
    expect(watcher.flush(), [], "events after the removal")


@scenario(group=GROUP)
def removed_watch_sends_no_event(ctx: Context) -> None:
    """Removing a one-time data and child watch sends no DataWatchRemoved/ChildWatchRemoved."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watcher.ok(watcher.get_data(node, watch=True), "getData with a watch")
    watcher.ok(watcher.get_children(node, watch=True), "getChildren with a watch")
    expect(watcher.remove_watches(node, DATA).err, 0, "removeWatches Data")
    expect(watcher.remove_watches(node, CHILDREN).err, 0, "removeWatches Children")
    expect(watcher.new_events(), [], "events before the replies")
    writer.set_ok(node, b"1")
    writer.create_ok(ctx.path("n", "c"))
    expect(watcher.flush(), [], "events after the changes")


@scenario(group=GROUP)
def unknown_watcher_types_are_marshalling_errors(ctx: Context) -> None:
    """checkWatches/removeWatches types 0, 4, 5 and addWatch mode 2: MarshallingError (-5).

    3.8 knows only Children, Data and Any; the connection stays usable and the persistent
    watch asked about is untouched.
    """
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watch(watcher, node, PERSISTENT)
    for kind in (0, 4, 5):
        expect(watcher.check_watches(node, kind).err, MARSHALLING, f"checkWatches type {kind}")
        expect(watcher.remove_watches(node, kind).err, MARSHALLING, f"removeWatches type {kind}")
    expect(watcher.add_watch(ctx.path("m"), 2).err, MARSHALLING, "addWatch mode 2")
    writer.set_ok(node, b"1")
    writer.create_ok(ctx.path("m"))
    expect(watcher.flush(), [(CHANGED, "n")], "events")


@scenario(group=GROUP)
def check_watches_sees_other_sessions_watches(ctx: Context) -> None:
    """checkWatches answers for the path, any session: another's data watch counts; remove not.

    3.8's check looks up the path in the watch table without looking for the asking
    connection, so a session with no watch is told Data (and Any) exist. removeWatches does
    look for the connection: NoWatcher, and the owner's watch still fires.
    """
    owner, other, writer = sessions(ctx, 3)
    node = ctx.path("n")
    writer.create_ok(node)
    owner.ok(owner.get_data(node, watch=True), "getData with a watch")
    expect(checks(other, node), [NO_WATCHER, 0, 0], "another session's checkWatches")
    expect(other.remove_watches(node, DATA).err, NO_WATCHER, "another session's removeWatches")
    writer.set_ok(node, b"1")
    expect(owner.flush(), [(CHANGED, "n")], "the owner's events")


def mntr_values(ctx: Context, *keys: str) -> list[int]:
    """The integer values of `keys` in the endpoint's `mntr` answer."""
    rows = dict(line.split("\t", 1) for line in ctx.four_letter("mntr").splitlines() if line)
    return [int(rows[key]) for key in keys]


@scenario(group=GROUP)
def watch_metrics_count_persistent_watchers(ctx: Context) -> None:
    """mntr's node_changed_watch_count summary counts each trigger and the watchers it reached.

    zk_watch_count counts a persistent watch twice (it sits in the data and the child table).
    """
    first, second, writer = sessions(ctx, 3)
    node = ctx.path("n")
    writer.create_ok(node)
    for session in (first, second):
        watch(session, node, PERSISTENT)
    keys = ("zk_watch_count", "zk_cnt_node_changed_watch_count", "zk_sum_node_changed_watch_count")
    watches, triggers, reached = mntr_values(ctx, *keys)
    expect(watches, 4, "zk_watch_count with two persistent watches")
    writer.set_ok(node, b"1")
    writer.set_ok(node, b"2")
    after = mntr_values(ctx, *keys)
    expect(after, [4, triggers + 2, reached + 4], "watch count, count and sum after two sets")


# --- connections, ordering, ACLs --------------------------------------------------------------


@scenario(group=GROUP)
def event_precedes_own_write_reply(ctx: Context) -> None:
    """A session watching its own write gets the events before the write's reply, in op order."""
    (session,) = sessions(ctx, 1)
    root = ctx.path("r")
    watch(session, root, RECURSIVE)
    session.create_ok(root)
    expect(session.new_events(), [(CREATED, "r")], "events before the create's reply")
    ops = [
        (OpCode.create, create_request(ctx.path("r", "a"))),
        (OpCode.setData, R.SetDataRequest(path=root, data=b"x", version=-1)),
    ]
    session.ok(session.multi(OpCode.multi, ops), "multi")
    expected = [(CREATED, "r/a"), (CHANGED, "r")]
    expect(session.new_events(), expected, "events before the multi's reply")


@scenario(group=GROUP)
def persistent_watch_stays_with_the_connection(ctx: Context) -> None:
    """A resumed session's new connection does not inherit its persistent watches."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("n")
    writer.create_ok(node)
    watch(watcher, node, PERSISTENT)
    again = resume(ctx, watcher)
    writer.set_ok(node, b"1")
    expect(again.flush(), [], "events on the new connection")
    expect(checks(again, node), [NO_WATCHER] * 3, "checkWatches on the new connection")


@scenario(group=GROUP)
def set_watches2_rearms_without_catching_up(ctx: Context) -> None:
    """setWatches2 re-arms persistent and recursive watches with no events for missed changes.

    A one-time data watch in the same request does fire for its missed change, as with
    setWatches; the persistent ones fire for what happens afterwards.
    """
    watcher, writer = sessions(ctx, 2)
    node, root, data = ctx.path("n"), ctx.path("r"), ctx.path("d")
    for path in (node, root, data):
        writer.create_ok(path)
    seen = writer.create_ok(ctx.path("marker")).zxid
    again = resume(ctx, watcher)
    writer.set_ok(node, b"missed")
    writer.create_ok(ctx.path("r", "missed"))
    writer.set_ok(data, b"missed")
    reply = again.set_watches2(seen, data=[data], persistent=[node], recursive=[root])
    expect((reply.err, reply.body), (0, b""), "(err, body) of setWatches2")
    expect(again.new_events(), [(CHANGED, "d")], "events before setWatches2's reply")
    writer.set_ok(node, b"later")
    writer.create_ok(ctx.path("r", "later"))
    writer.set_ok(data, b"later")
    expected = [(CHANGED, "n"), (CREATED, "r/later")]
    expect(again.flush(), expected, "events after the reply")


@scenario(group=GROUP)
def add_watch_on_unreadable_node(ctx: Context) -> None:
    """addWatch on a node the session cannot read succeeds, but its events are not delivered.

    A session holding READ through digest auth gets them. (Debian's 3.8.0 includes the
    CVE-2024-23944 fix, which filters events by the READ permission.)
    """
    stranger, reader, writer = sessions(ctx, 3)
    node = ctx.path("secret")
    remove_later(ctx, ctx.path("secret", "c"), node)
    alice = R.ACL(perms=1, id=R.Id(scheme="digest", id=digest_id("alice", "secret")))
    writer.create_ok(node, acl=[*OPEN_NO_READ, alice])
    expect(reader.add_auth("digest", "alice:secret"), 0, "addauth error code")
    for session in (stranger, reader):
        expect(session.add_watch(node, PERSISTENT).err, 0, "addWatch error code")
    writer.set_ok(node, b"1")
    writer.create_ok(ctx.path("secret", "c"))
    expect(stranger.flush(), [], "events of the session without READ")
    expect(reader.flush(), [(CHANGED, "secret"), (CHILD, "secret")], "events of the reader")


@scenario(group=GROUP)
def recursive_skips_unreadable_descendants(ctx: Context) -> None:
    """A recursive watch hears nothing about a descendant it cannot read; a child watch does.

    NodeChildrenChanged is checked against the parent's ACL, so a one-time child watch on the
    readable parent still fires when the unreadable child is created.
    """
    watcher, writer = sessions(ctx, 2)
    root = ctx.path("r")
    remove_later(ctx, ctx.path("r", "hidden"))
    writer.create_ok(root)
    watch(watcher, root, RECURSIVE)
    writer.create_ok(ctx.path("r", "hidden"), acl=OPEN_NO_READ)
    writer.set_ok(ctx.path("r", "hidden"), b"1")
    writer.create_ok(ctx.path("r", "seen"))
    expect(watcher.flush(), [(CREATED, "r/seen")], "events of the recursive watch")
    other = ctx.path("p")
    remove_later(ctx, ctx.path("p", "hidden"))
    writer.create_ok(other)
    watcher.ok(watcher.get_children(other, watch=True), "getChildren with a watch")
    writer.create_ok(ctx.path("p", "hidden"), acl=OPEN_NO_READ)
    expect(watcher.flush(), [(CHILD, "p")], "events of the child watch")


@scenario(group=GROUP)
def filtered_one_time_watch_is_consumed(ctx: Context) -> None:
    """An exists watch on an unreadable node: the change fires nothing and uses the watch up."""
    watcher, writer = sessions(ctx, 2)
    node = ctx.path("secret")
    remove_later(ctx, node)
    writer.create_ok(node, acl=OPEN_NO_READ)
    watcher.ok(watcher.exists(node, watch=True), "exists with a watch")
    writer.set_ok(node, b"1")
    expect(watcher.flush(), [], "events of the change")
    opened = R.SetACLRequest(path=node, acl=list(OPEN_ACL), version=-1)
    writer.ok(writer.call(OpCode.setACL, opened), "setACL")
    writer.set_ok(node, b"2")
    expect(watcher.flush(), [], "events once readable")
    expect(checks(watcher, node), [NO_WATCHER] * 3, "checkWatches Children, Data, Any")
