"""Stories about watches: clients register through reads and addWatch, writes go through the
DataTree, and every trigger it returns goes through the WatchManager, as the server does.

Expected deliveries follow Apache ZooKeeper 3.8's WatchManager and DataTree. Watchers here are
plain strings standing for client connections.
"""

from __future__ import annotations

import pytest

from jute.records import ACL, CreateTxn, DeleteTxn, Id, SetDataTxn, TxnHeader
from zkcompat.constants import EventType, OpCode, WatcherType
from zkcompat.datatree import DataTree
from zkcompat.watches import WatchesSummary, WatchManager

CREATED, DELETED = EventType.NodeCreated, EventType.NodeDeleted
DATA_CHANGED, CHILDREN_CHANGED = EventType.NodeDataChanged, EventType.NodeChildrenChanged
OPEN = [ACL(31, Id("world", "anyone"))]

Delivery = tuple[str, EventType, str]


class Server:
    """A tree and its watches; each write returns what every watcher is told, in order."""

    def __init__(self) -> None:
        self.tree = DataTree()
        self.watches: WatchManager[str] = WatchManager()
        self.zxid = 0x1_0000_0000

    def _apply(self, op: OpCode, txn: object) -> list[Delivery]:
        self.zxid += 1
        result = self.tree.apply(TxnHeader(1, 1, self.zxid, self.zxid, op), txn)
        deliveries = []
        for path, event, _acl in result.events:
            deliveries.extend(self.watches.trigger(path, event))
        return deliveries

    def create(self, path: str) -> list[Delivery]:
        return self._apply(OpCode.create, CreateTxn(path, b"", OPEN, False, -1))

    def set_data(self, path: str, data: bytes = b"x") -> list[Delivery]:
        return self._apply(OpCode.setData, SetDataTxn(path, data, 1))

    def delete(self, path: str) -> list[Delivery]:
        return self._apply(OpCode.delete, DeleteTxn(path))


@pytest.fixture
def server() -> Server:
    return Server()


# --- one-time watches -------------------------------------------------------------------------


def test_a_data_watch_fires_once_then_is_gone(server: Server) -> None:
    server.create("/a")
    server.watches.add_data_watch("/a", "alice")
    assert server.set_data("/a") == [("alice", DATA_CHANGED, "/a")]
    assert server.set_data("/a") == []
    assert server.watches.watch_count() == 0


def test_exists_on_a_missing_node_waits_for_its_creation(server: Server) -> None:
    server.watches.add_data_watch("/later", "alice")  # exists("/later", watch=True) → NoNode
    assert server.watches.contains("/later", "alice", WatcherType.Data)
    assert server.create("/later") == [("alice", CREATED, "/later")]
    assert server.set_data("/later") == []


def test_a_child_watch_hears_a_child_come_and_go_and_its_own_node_die(server: Server) -> None:
    server.create("/a")
    server.watches.add_child_watch("/a", "alice")
    assert server.create("/a/b") == [("alice", CHILDREN_CHANGED, "/a")]
    assert server.create("/a/c") == []  # used up
    server.watches.add_child_watch("/a", "alice")
    assert server.set_data("/a") == []  # a child watch ignores data changes
    assert server.delete("/a/b") == [("alice", CHILDREN_CHANGED, "/a")]
    server.watches.add_child_watch("/a", "alice")
    server.delete("/a/c")
    server.watches.add_child_watch("/a", "alice")
    assert server.delete("/a") == [("alice", DELETED, "/a")]


def test_a_data_watch_hears_its_node_deleted(server: Server) -> None:
    server.create("/a")
    server.watches.add_data_watch("/a", "alice")
    server.watches.add_child_watch("/", "bob")
    assert server.delete("/a") == [("alice", DELETED, "/a"), ("bob", CHILDREN_CHANGED, "/")]
    assert server.create("/a") == []


def test_each_watcher_of_a_node_is_told_once(server: Server) -> None:
    server.create("/a")
    for who in ("alice", "bob"):
        server.watches.add_data_watch("/a", who)
    server.watches.add_data_watch("/a", "alice")  # registering twice is still one watch
    assert server.set_data("/a") == [("alice", DATA_CHANGED, "/a"), ("bob", DATA_CHANGED, "/a")]


def test_data_and_child_watches_on_a_deleted_node_give_one_event(server: Server) -> None:
    """NodeDeleted consults both tables; a watcher in both hears it once, and both of its
    one-time watches are used up."""
    server.create("/a")
    server.watches.add_data_watch("/a", "alice")
    server.watches.add_child_watch("/a", "alice")
    server.watches.add_child_watch("/a", "bob")
    assert server.delete("/a") == [("alice", DELETED, "/a"), ("bob", DELETED, "/a")]
    assert server.watches.watch_count() == 0


def test_a_create_can_tell_one_watcher_two_things(server: Server) -> None:
    """The new node's exists watch and its parent's child watch are separate events."""
    server.create("/a")
    server.watches.add_data_watch("/a/b", "alice")
    server.watches.add_child_watch("/a", "alice")
    assert server.create("/a/b") == [
        ("alice", CREATED, "/a/b"),
        ("alice", CHILDREN_CHANGED, "/a"),
    ]


# --- persistent and recursive watches ---------------------------------------------------------


def test_a_persistent_watch_keeps_firing_for_its_own_node_only(server: Server) -> None:
    server.watches.add_persistent("/a", "alice", recursive=False)
    assert server.create("/a") == [("alice", CREATED, "/a")]
    assert server.set_data("/a") == [("alice", DATA_CHANGED, "/a")]
    assert server.set_data("/a") == [("alice", DATA_CHANGED, "/a")]
    assert server.create("/a/b") == [("alice", CHILDREN_CHANGED, "/a")]
    assert server.set_data("/a/b") == []
    assert server.delete("/a/b") == [("alice", CHILDREN_CHANGED, "/a")]
    assert server.delete("/a") == [("alice", DELETED, "/a")]
    assert server.create("/a") == [("alice", CREATED, "/a")]  # it outlives the node


def test_a_recursive_watch_sees_descendants_but_no_children_changed(server: Server) -> None:
    server.create("/a")
    server.watches.add_persistent("/a", "alice", recursive=True)
    assert server.create("/a/b") == [("alice", CREATED, "/a/b")]
    assert server.create("/a/b/c") == [("alice", CREATED, "/a/b/c")]
    assert server.set_data("/a/b/c") == [("alice", DATA_CHANGED, "/a/b/c")]
    assert server.set_data("/a") == [("alice", DATA_CHANGED, "/a")]
    assert server.delete("/a/b/c") == [("alice", DELETED, "/a/b/c")]
    assert server.delete("/a/b") == [("alice", DELETED, "/a/b")]
    assert server.create("/ab") == []  # a sibling sharing a prefix is not a descendant
    assert server.delete("/a") == [("alice", DELETED, "/a")]


def test_a_recursive_watch_on_the_root_sees_everything(server: Server) -> None:
    server.watches.add_persistent("/", "alice", recursive=True)
    server.watches.add_child_watch("/", "bob")
    assert server.create("/x") == [("alice", CREATED, "/x"), ("bob", CHILDREN_CHANGED, "/")]
    assert server.set_data("/x") == [("alice", DATA_CHANGED, "/x")]


def test_a_recursive_watcher_also_watching_a_descendant_hears_once(server: Server) -> None:
    server.create("/a")
    server.create("/a/b")
    server.watches.add_persistent("/a", "alice", recursive=True)
    server.watches.add_data_watch("/a/b", "alice")
    server.watches.add_persistent("/a/b", "bob", recursive=False)
    first = [("alice", DATA_CHANGED, "/a/b"), ("bob", DATA_CHANGED, "/a/b")]
    assert server.set_data("/a/b") == first
    # Alice's one-time watch is used up; her recursive one still speaks, after the node's own
    # watchers (ZooKeeper's order across connections is a hash set's; ours is discovery order).
    second = [("bob", DATA_CHANGED, "/a/b"), ("alice", DATA_CHANGED, "/a/b")]
    assert server.set_data("/a/b") == second


def test_a_one_time_watch_overrides_the_same_watchers_persistent_one_as_in_3_8(
    server: Server,
) -> None:
    """ZooKeeper 3.8 keeps one mode per watcher and path: getData after addWatch makes the
    data half one-time again, while the child half stays persistent."""
    server.create("/a")
    server.watches.add_persistent("/a", "alice", recursive=False)
    server.watches.add_data_watch("/a", "alice")
    assert server.set_data("/a") == [("alice", DATA_CHANGED, "/a")]
    assert server.set_data("/a") == []
    assert server.create("/a/b") == [("alice", CHILDREN_CHANGED, "/a")]
    assert server.create("/a/c") == [("alice", CHILDREN_CHANGED, "/a")]


def test_addwatch_after_a_one_time_watch_makes_it_persistent(server: Server) -> None:
    server.create("/a")
    server.watches.add_data_watch("/a", "alice")
    server.watches.add_persistent("/a", "alice", recursive=False)
    assert server.set_data("/a") == [("alice", DATA_CHANGED, "/a")]
    assert server.set_data("/a") == [("alice", DATA_CHANGED, "/a")]


def test_ancestors_are_not_walked_once_the_last_recursive_watch_goes(server: Server) -> None:
    server.create("/a")
    server.watches.add_persistent("/a", "alice", recursive=True)
    server.watches.add_persistent("/a", "alice", recursive=False)  # replaces it
    assert server.create("/a/b") == [("alice", CHILDREN_CHANGED, "/a")]
    server.watches.add_persistent("/a", "alice", recursive=True)
    assert server.watches.remove("/a", "alice", WatcherType.Any)
    assert server.create("/a/c") == []
    assert server.watches._data.recursive == server.watches._child.recursive == 0


def test_trigger_rejects_an_event_that_is_not_a_znode_change() -> None:
    with pytest.raises(ValueError):
        WatchManager().trigger("/a", EventType.DataWatchRemoved)


# --- removeWatches and checkWatches ----------------------------------------------------------


def test_remove_and_contains_by_watcher_type() -> None:
    watches: WatchManager[str] = WatchManager()
    watches.add_data_watch("/d", "alice")
    watches.add_child_watch("/c", "alice")
    watches.add_data_watch("/both", "alice")
    watches.add_child_watch("/both", "alice")

    assert watches.contains("/d", "alice", WatcherType.Data)
    assert not watches.contains("/d", "alice", WatcherType.Children)
    assert watches.contains("/d", "alice", WatcherType.Any)
    # ZooKeeper 3.8 answers checkWatches for the path, whoever watches it...
    assert watches.contains("/d", "bob", WatcherType.Any)
    assert not watches.contains("/d", "bob", WatcherType.Children)
    assert not watches.contains("/d", "alice", WatcherType.Persistent)
    assert watches.contains("/c", "alice", WatcherType.Children)
    assert not watches.contains("/c", "alice", WatcherType.Data)

    assert not watches.remove("/d", "alice", WatcherType.Children)
    assert not watches.remove("/d", "bob", WatcherType.Data)  # ... but removes only your own
    assert watches.remove("/d", "alice", WatcherType.Data)
    assert not watches.remove("/d", "alice", WatcherType.Data)
    assert not watches.contains("/d", "alice", WatcherType.Any)

    assert watches.remove("/both", "alice", WatcherType.Children)
    assert watches.contains("/both", "alice", WatcherType.Data)
    assert watches.remove("/both", "alice", WatcherType.Any)
    assert not watches.remove("/both", "alice", WatcherType.Any)
    assert watches.remove("/c", "alice", WatcherType.Any)
    assert watches.watch_count() == 0


def test_removing_half_of_a_persistent_watch_as_3_8_does(server: Server) -> None:
    """Data and Children clear one table whatever the mode, so the other half keeps firing."""
    server.create("/a")
    server.watches.add_persistent("/a", "alice", recursive=False)
    assert server.watches.contains("/a", "alice", WatcherType.Data)
    assert server.watches.contains("/a", "alice", WatcherType.Children)
    assert server.watches.remove("/a", "alice", WatcherType.Data)
    assert server.set_data("/a") == []
    assert server.create("/a/b") == [("alice", CHILDREN_CHANGED, "/a")]


def test_persistent_watcher_types_match_only_their_mode(server: Server) -> None:
    server.create("/a")
    server.watches.add_persistent("/a", "alice", recursive=False)
    server.watches.add_persistent("/a", "bob", recursive=True)
    server.watches.add_data_watch("/a", "carol")
    watches = server.watches

    assert watches.contains("/a", "alice", WatcherType.Persistent)
    assert not watches.contains("/a", "alice", WatcherType.PersistentRecursive)
    assert watches.contains("/a", "bob", WatcherType.PersistentRecursive)
    assert not watches.contains("/a", "bob", WatcherType.Persistent)
    assert not watches.contains("/a", "carol", WatcherType.Persistent)

    assert not watches.remove("/a", "carol", WatcherType.Persistent)
    assert not watches.remove("/a", "alice", WatcherType.PersistentRecursive)
    assert watches.remove("/a", "alice", WatcherType.Persistent)
    assert watches.remove("/a", "bob", WatcherType.PersistentRecursive)
    assert watches.contains("/a", "bob", WatcherType.Any)  # carol's: 3.8 answers per path
    assert not watches.contains("/a", "bob", WatcherType.Children)
    assert server.create("/a/b") == []
    assert server.set_data("/a") == [("carol", DATA_CHANGED, "/a")]


def test_watcher_types_arrive_as_plain_ints_from_the_wire() -> None:
    watches: WatchManager[str] = WatchManager()
    watches.add_child_watch("/a", "alice")
    assert watches.contains("/a", "alice", 1)  # type: ignore[arg-type]
    assert watches.remove("/a", "alice", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        watches.remove("/a", "alice", 9)  # type: ignore[arg-type]


# --- closing connections ----------------------------------------------------------------------


def test_a_closed_connection_loses_every_watch(server: Server) -> None:
    server.create("/a")
    server.watches.add_data_watch("/a", "alice")
    server.watches.add_child_watch("/a", "alice")
    server.watches.add_persistent("/", "alice", recursive=True)
    server.watches.add_data_watch("/a", "bob")
    server.watches.remove_watcher("alice")
    server.watches.remove_watcher("nobody")  # harmless
    assert server.create("/a/b") == []
    assert server.set_data("/a") == [("bob", DATA_CHANGED, "/a")]
    assert server.watches.summary() == WatchesSummary(1, 0, 0)
    assert server.watches.by_watcher() == {"bob": []}


# --- four-letter-word reports -----------------------------------------------------------------


def test_reports_count_the_data_table_like_zookeeper(server: Server) -> None:
    server.create("/a")
    watches = server.watches
    watches.add_data_watch("/a", "alice")
    watches.add_data_watch("/missing", "alice")
    watches.add_data_watch("/a", "bob")
    watches.add_child_watch("/a", "carol")  # child watches appear in no report
    watches.add_persistent("/p", "bob", recursive=True)

    assert watches.summary() == WatchesSummary(num_connections=2, num_paths=3, total_watches=4)
    assert watches.by_watcher() == {"alice": ["/a", "/missing"], "bob": ["/a", "/p"]}
    assert watches.by_path() == {"/a": ["alice", "bob"], "/missing": ["alice"], "/p": ["bob"]}
    assert watches.watch_count() == 6  # both tables: 4 data, carol's child, bob's child half

    server.set_data("/a")
    # The fired watches are gone, but ZooKeeper keeps counting a connection until it closes.
    assert watches.summary() == WatchesSummary(2, 2, 2)
    assert watches.by_watcher() == {"alice": ["/missing"], "bob": ["/p"]}
    assert watches.by_path() == {"/missing": ["alice"], "/p": ["bob"]}
    watches.remove("/missing", "alice", WatcherType.Data)
    assert watches.summary() == WatchesSummary(2, 1, 1)
    watches.remove_watcher("alice")
    assert watches.summary() == WatchesSummary(1, 1, 1)
