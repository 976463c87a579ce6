"""watches: one-time data, exists and child watches: which event, on which path, how often.

Events are read as the server sent them (`ConformanceClient.wire_events`), below kazoo's own
watcher bookkeeping, which would hide duplicates. "No event" is checked with `settle()`: a
sync round trip on the watching session, after which every event already caused has arrived.
"""

from __future__ import annotations

from typing import Any

from kazoo.exceptions import NoNodeError
from kazoo.security import OPEN_ACL_UNSAFE

from conformance.context import Context, WireEvent
from conformance.scenario import expect, expect_raises, scenario

SYNC_CONNECTED = 3  # KeeperState.SyncConnected, the state carried by events while connected


def ignore(event: Any) -> None:
    """A watcher that only asks the server to set the watch; events are read off the wire."""


def event(kind: str, path: str) -> tuple[str, str]:
    return (kind, path)


def summary(events: list[WireEvent]) -> list[tuple[str, str]]:
    return [(found.type, found.path) for found in events]


@scenario(group="watches")
def get_watch_fires_changed(ctx: Context) -> None:
    """A getData watch fires one NodeDataChanged, for the node's path, on setData."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    watcher.get(ctx.path("node"), watch=ignore)
    writer.set(ctx.path("node"), b"new")
    events = watcher.wait_for_events(1)
    expect(summary(events), [event("CHANGED", ctx.path("node"))], "events")
    expect(events[0].state, SYNC_CONNECTED, "event state")


@scenario(group="watches")
def get_watch_fires_deleted(ctx: Context) -> None:
    """A getData watch fires NodeDeleted when the node is deleted."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    watcher.get(ctx.path("node"), watch=ignore)
    writer.delete(ctx.path("node"))
    expect(summary(watcher.wait_for_events(1)), [event("DELETED", ctx.path("node"))], "events")


@scenario(group="watches")
def exists_watch_on_missing_fires_created(ctx: Context) -> None:
    """An exists watch on a missing node fires NodeCreated when it is created."""
    watcher, writer = ctx.client(), ctx.client()
    expect(watcher.exists(ctx.path("node"), watch=ignore), None, "exists before create")
    writer.create(ctx.path("node"))
    expect(summary(watcher.wait_for_events(1)), [event("CREATED", ctx.path("node"))], "events")


@scenario(group="watches")
def exists_watch_on_existing_fires_changed(ctx: Context) -> None:
    """An exists watch on an existing node fires NodeDataChanged on setData."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    watcher.exists(ctx.path("node"), watch=ignore)
    writer.set(ctx.path("node"), b"x")
    expect(summary(watcher.wait_for_events(1)), [event("CHANGED", ctx.path("node"))], "events")


@scenario(group="watches")
def exists_watch_fires_deleted(ctx: Context) -> None:
    """An exists watch on an existing node fires NodeDeleted on delete."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    watcher.exists(ctx.path("node"), watch=ignore)
    writer.delete(ctx.path("node"))
    expect(summary(watcher.wait_for_events(1)), [event("DELETED", ctx.path("node"))], "events")


@scenario(group="watches")
def child_watch_fires_on_child_create(ctx: Context) -> None:
    """A getChildren watch fires NodeChildrenChanged, for the parent's path, on a child create."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    watcher.get_children(ctx.path("p"), watch=ignore)
    writer.create(ctx.path("p", "c"))
    expect(summary(watcher.wait_for_events(1)), [event("CHILD", ctx.path("p"))], "events")


@scenario(group="watches")
def child_watch_fires_on_child_delete(ctx: Context) -> None:
    """A getChildren watch fires NodeChildrenChanged on a child delete."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    writer.create(ctx.path("p", "c"))
    watcher.get_children(ctx.path("p"), watch=ignore)
    writer.delete(ctx.path("p", "c"))
    expect(summary(watcher.wait_for_events(1)), [event("CHILD", ctx.path("p"))], "events")


@scenario(group="watches")
def children2_sets_a_child_watch(ctx: Context) -> None:
    """getChildren2 (children with stat) sets a child watch just like getChildren."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    watcher.get_children(ctx.path("p"), watch=ignore, include_data=True)
    writer.create(ctx.path("p", "c"))
    expect(summary(watcher.wait_for_events(1)), [event("CHILD", ctx.path("p"))], "events")


@scenario(group="watches")
def child_watch_ignores_child_data(ctx: Context) -> None:
    """A getChildren watch does not fire when a child's data changes."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    writer.create(ctx.path("p", "c"))
    watcher.get_children(ctx.path("p"), watch=ignore)
    writer.set(ctx.path("p", "c"), b"x")
    writer.set(ctx.path("p"), b"parent data")
    expect(summary(watcher.settle()), [], "events after child and parent data changes")


@scenario(group="watches")
def child_watch_on_deleted_parent(ctx: Context) -> None:
    """A getChildren watch on a node that is deleted fires NodeDeleted (not ChildrenChanged)."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    watcher.get_children(ctx.path("p"), watch=ignore)
    writer.delete(ctx.path("p"))
    expect(summary(watcher.wait_for_events(1)), [event("DELETED", ctx.path("p"))], "events")


@scenario(group="watches")
def data_watch_ignores_children(ctx: Context) -> None:
    """A getData watch does not fire when a child is created or deleted."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    watcher.get(ctx.path("p"), watch=ignore)
    writer.create(ctx.path("p", "c"))
    writer.delete(ctx.path("p", "c"))
    expect(summary(watcher.settle()), [], "events after child create and delete")


@scenario(group="watches")
def watch_fires_once(ctx: Context) -> None:
    """A watch is one-time: a second change after it fired sends no second event."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    watcher.get(ctx.path("node"), watch=ignore)
    writer.set(ctx.path("node"), b"1")
    writer.set(ctx.path("node"), b"2")
    writer.delete(ctx.path("node"))
    expect(
        summary(watcher.settle()),
        [event("CHANGED", ctx.path("node"))],
        "events after three changes",
    )


@scenario(group="watches")
def child_watch_fires_once(ctx: Context) -> None:
    """A child watch fires once for several child creations."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    watcher.get_children(ctx.path("p"), watch=ignore)
    for name in ("a", "b", "c"):
        writer.create(ctx.path("p", name))
    expect(summary(watcher.settle()), [event("CHILD", ctx.path("p"))], "events after three creates")


@scenario(group="watches")
def rearmed_watch_fires_again(ctx: Context) -> None:
    """Reading again with a watch after an event sets a new watch that fires on the next change."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    watcher.get(ctx.path("node"), watch=ignore)
    writer.set(ctx.path("node"), b"1")
    watcher.wait_for_events(1)
    watcher.get(ctx.path("node"), watch=ignore)
    writer.set(ctx.path("node"), b"2")
    expected = [event("CHANGED", ctx.path("node"))] * 2
    expect(summary(watcher.wait_for_events(2)), expected, "events after two armed changes")


@scenario(group="watches")
def failed_get_sets_no_watch(ctx: Context) -> None:
    """getData with a watch on a missing node fails with NoNode and sets no watch."""
    watcher, writer = ctx.client(), ctx.client()
    with expect_raises(NoNodeError, "get of a missing node"):
        watcher.get(ctx.path("node"), watch=ignore)
    writer.create(ctx.path("node"))
    writer.set(ctx.path("node"), b"x")
    expect(summary(watcher.settle()), [], "events after create and set")


@scenario(group="watches")
def failed_get_children_sets_no_watch(ctx: Context) -> None:
    """getChildren with a watch on a missing node fails with NoNode and sets no watch."""
    watcher, writer = ctx.client(), ctx.client()
    with expect_raises(NoNodeError, "getChildren of a missing node"):
        watcher.get_children(ctx.path("p"), watch=ignore)
    writer.create(ctx.path("p"))
    writer.create(ctx.path("p", "c"))
    expect(summary(watcher.settle()), [], "events after creating the node and a child")


@scenario(group="watches")
def exists_watch_on_missing_fires_once(ctx: Context) -> None:
    """An exists watch on a missing node fires NodeCreated only, not the later delete."""
    watcher, writer = ctx.client(), ctx.client()
    watcher.exists(ctx.path("node"), watch=ignore)
    writer.create(ctx.path("node"))
    writer.delete(ctx.path("node"))
    expect(summary(watcher.settle()), [event("CREATED", ctx.path("node"))], "events")


@scenario(group="watches")
def data_and_child_watch_one_delete_event(ctx: Context) -> None:
    """A session with both a data and a child watch on a deleted node gets one NodeDeleted."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("p"))
    watcher.get(ctx.path("p"), watch=ignore)
    watcher.get_children(ctx.path("p"), watch=ignore)
    writer.delete(ctx.path("p"))
    expect(summary(watcher.settle()), [event("DELETED", ctx.path("p"))], "events")


@scenario(group="watches")
def repeated_watches_one_event(ctx: Context) -> None:
    """Several getData and exists watches by one session on one node yield one event."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    watcher.get(ctx.path("node"), watch=ignore)
    watcher.get(ctx.path("node"), watch=ignore)
    watcher.exists(ctx.path("node"), watch=ignore)
    writer.set(ctx.path("node"), b"x")
    expect(summary(watcher.settle()), [event("CHANGED", ctx.path("node"))], "events")


@scenario(group="watches")
def every_session_gets_its_event(ctx: Context) -> None:
    """Each session watching a node gets its own event."""
    first, second, writer = ctx.client(), ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    first.get(ctx.path("node"), watch=ignore)
    second.exists(ctx.path("node"), watch=ignore)
    writer.set(ctx.path("node"), b"x")
    expected = [event("CHANGED", ctx.path("node"))]
    expect(summary(first.wait_for_events(1)), expected, "first session's events")
    expect(summary(second.wait_for_events(1)), expected, "second session's events")


@scenario(group="watches")
def sibling_change_does_not_fire(ctx: Context) -> None:
    """A watch on one node does not fire for changes to its sibling."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("a"))
    writer.create(ctx.path("b"))
    watcher.get(ctx.path("a"), watch=ignore)
    writer.set(ctx.path("b"), b"x")
    writer.delete(ctx.path("b"))
    expect(summary(watcher.settle()), [], "events")


@scenario(group="watches")
def set_acl_does_not_fire(ctx: Context) -> None:
    """setACL changes no data: a getData watch does not fire."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    watcher.get(ctx.path("node"), watch=ignore)
    writer.set_acls(ctx.path("node"), OPEN_ACL_UNSAFE)
    expect(summary(watcher.settle()), [], "events after setACL")


@scenario(group="watches")
def same_data_set_fires(ctx: Context) -> None:
    """Setting identical data still fires NodeDataChanged."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"), b"same")
    watcher.get(ctx.path("node"), watch=ignore)
    writer.set(ctx.path("node"), b"same")
    expect(summary(watcher.wait_for_events(1)), [event("CHANGED", ctx.path("node"))], "events")


@scenario(group="watches")
def event_precedes_own_write_reply(ctx: Context) -> None:
    """A session that changes a node it watches gets the event before the write's reply."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    zk.get(ctx.path("node"), watch=ignore)
    zk.set(ctx.path("node"), b"x")
    # Recorded on the connection thread before kazoo completes the set: no waiting needed.
    expect(
        summary(list(zk.wire_events)),
        [event("CHANGED", ctx.path("node"))],
        "events when set returns",
    )


@scenario(group="watches")
def event_precedes_the_new_data(ctx: Context) -> None:
    """A watcher that reads after another session's change has already got the event."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"), b"old")
    watcher.get(ctx.path("node"), watch=ignore)
    writer.set(ctx.path("node"), b"new")
    watcher.sync(ctx.path("node"))
    data, _ = watcher.get(ctx.path("node"))
    expect(data, b"new", "data read after the change")
    expect(
        summary(list(watcher.wire_events)), [event("CHANGED", ctx.path("node"))], "events by then"
    )


@scenario(group="watches")
def session_close_fires_for_ephemerals(ctx: Context) -> None:
    """Closing a session deletes its ephemeral: NodeDeleted, and ChildrenChanged on the parent."""
    watcher, owner = ctx.client(), ctx.client()
    owner.create(ctx.path("e"), ephemeral=True)
    watcher.exists(ctx.path("e"), watch=ignore)
    watcher.get_children(ctx.path(), watch=ignore)
    owner.stop()
    got = sorted(summary(watcher.wait_for_events(2)))
    expect(got, sorted([event("DELETED", ctx.path("e")), event("CHILD", ctx.path())]), "events")


@scenario(group="watches")
def kazoo_watcher_gets_the_event(ctx: Context) -> None:
    """The client's watcher callback is called with the event type and path."""
    watcher, writer = ctx.client(), ctx.client()
    writer.create(ctx.path("node"))
    seen: list[Any] = []
    watcher.get(ctx.path("node"), watch=seen.append)
    writer.set(ctx.path("node"), b"x")
    ctx.wait_until(lambda: bool(seen), "the watcher callback")
    expect([(e.type, e.path) for e in seen], [("CHANGED", ctx.path("node"))], "callback events")
