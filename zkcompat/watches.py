"""Who is watching which znode, and who hears about each change: ZooKeeper 3.8's watch tables.

This module owns the server's two watch tables, as ZooKeeper keeps them: the *data* table
(getData and exists watches, including exists on a node that does not exist yet) and the
*child* table (getChildren watches). An addWatch registers in both tables; a persistent
recursive watch also matches every descendant of its path. :meth:`WatchManager.trigger` turns
one watch trigger returned by :meth:`zkcompat.datatree.DataTree.apply` into the deliveries
ZooKeeper would make, consuming one-time watches as it goes; removeWatches, checkWatches, a
dropped connection and the wchs/wchc/wchp reports read and edit the same tables.

A watcher is any hashable value (the server passes its connection or session object); this
module never looks inside it. It knows nothing of sockets, sessions, ACLs, the znode tree or
the wire: it does not encode notifications, does not check that a recipient may READ the node
(ZooKeeper 3.8.4 filters each delivery by the node's ACL at the connection), and does not decide
what setWatches fires on reconnect (that needs the tree's zxids). Those belong to the callers.

ZooKeeper 3.8 keeps one mode per (watcher, path) in each table and the latest registration
wins: a getData watch set on a path that already carries the same session's persistent watch
turns the data half of that watch back into a one-time watch. That is mirrored on purpose, so a
client sees what it would see from Apache ZooKeeper 3.8.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import IntEnum
from typing import Generic, TypeVar

from zkcompat.constants import EventType, WatcherType
from zkcompat.metrics import Row, Summary

W = TypeVar("W", bound=Hashable)


class WatchMode(IntEnum):
    """How a registration behaves when it fires (ZooKeeper's server-side WatcherMode)."""

    STANDARD = 0  # one-time: getData, exists, getChildren
    PERSISTENT = 1  # addWatch PERSISTENT: the path itself, every time
    PERSISTENT_RECURSIVE = 2  # addWatch PERSISTENT_RECURSIVE: the path and all descendants


_STANDARD = WatchMode.STANDARD
_PERSISTENT = WatchMode.PERSISTENT
_RECURSIVE = WatchMode.PERSISTENT_RECURSIVE

_CREATED = EventType.NodeCreated
_DELETED = EventType.NodeDeleted
_DATA_CHANGED = EventType.NodeDataChanged
_CHILDREN_CHANGED = EventType.NodeChildrenChanged
_DATA_TABLE_ONLY = frozenset((_CREATED, _DATA_CHANGED))
# mntr's summary names for the watchers each kind of trigger notified.
_FIRED_NAMES = {
    _CREATED: "node_created_watch_count",
    _DELETED: "node_deleted_watch_count",
    _DATA_CHANGED: "node_changed_watch_count",
    _CHILDREN_CHANGED: "node_children_watch_count",
}


@dataclass(frozen=True, slots=True)
class WatchesSummary:
    """The figures wchs prints ("N connections watching P paths", "Total watches:T") and the
    AdminServer's watch_summary returns. Like ZooKeeper, they describe the data table only, and
    a connection stays counted until it closes, even once its last one-time watch has fired."""

    num_connections: int
    num_paths: int
    total_watches: int


def _parents(path: str) -> list[str]:
    """Every proper ancestor of ``path``, nearest first, ending with "/"."""
    parents = []
    while path != "/":
        path = path[: path.rfind("/")] or "/"
        parents.append(path)
    return parents


class _Table(Generic[W]):
    """One of ZooKeeper's two watch tables: path → {watcher: mode}, plus watcher → paths for
    closing a connection and for wchc. ``recursive`` counts recursive registrations so that a
    trigger walks ancestors only while at least one exists."""

    __slots__ = ("by_path", "by_watcher", "recursive")

    def __init__(self) -> None:
        self.by_path: dict[str, dict[W, WatchMode]] = {}
        # A watcher keeps its (possibly empty) entry here until remove_all: ZooKeeper only
        # forgets a connection when it closes, and wchs/wchc show that.
        self.by_watcher: dict[W, dict[str, None]] = {}
        self.recursive = 0

    def add(self, path: str, watcher: W, mode: WatchMode) -> None:
        on_path = self.by_path.get(path)
        if on_path is None:
            on_path = self.by_path[path] = {}
        old = on_path.get(watcher)
        on_path[watcher] = mode
        if (old is _RECURSIVE) != (mode is _RECURSIVE):
            self.recursive += 1 if mode is _RECURSIVE else -1
        paths = self.by_watcher.get(watcher)
        if paths is None:
            paths = self.by_watcher[watcher] = {}
        paths[path] = None

    def fire(self, path: str, event: EventType, hits: dict[W, None]) -> None:
        """Add to ``hits`` every watcher this table notifies of ``event`` on ``path``, and drop
        the one-time registrations that fired. Recursive registrations never hear
        NodeChildrenChanged; those of ancestors hear everything else."""
        children_changed = event == _CHILDREN_CHANGED
        on_path = self.by_path.get(path)
        if on_path:
            spent = []
            for watcher, mode in on_path.items():
                if mode is _STANDARD:
                    hits[watcher] = None
                    spent.append(watcher)
                elif mode is _PERSISTENT or not children_changed:
                    hits[watcher] = None
            for watcher in spent:
                del on_path[watcher]
                self.by_watcher[watcher].pop(path, None)
            if not on_path:
                del self.by_path[path]
        if self.recursive and not children_changed:
            for parent in _parents(path):
                above = self.by_path.get(parent)
                if above:
                    for watcher, mode in above.items():
                        if mode is _RECURSIVE:
                            hits[watcher] = None

    def mode(self, path: str, watcher: W) -> WatchMode | None:
        on_path = self.by_path.get(path)
        return None if on_path is None else on_path.get(watcher)

    def remove(self, path: str, watcher: W, only: WatchMode | None = None) -> bool:
        """Drop ``watcher``'s registration on ``path`` (whatever its mode, or only if it is
        ``only``); False when there was none to drop."""
        on_path = self.by_path.get(path)
        if on_path is None:
            return False
        mode = on_path.get(watcher)
        if mode is None or (only is not None and mode is not only):
            return False
        del on_path[watcher]
        if not on_path:
            del self.by_path[path]
        self.by_watcher[watcher].pop(path, None)
        if mode is _RECURSIVE:
            self.recursive -= 1
        return True

    def remove_all(self, watcher: W) -> None:
        for path in self.by_watcher.pop(watcher, ()):
            on_path = self.by_path.get(path)
            if on_path is None:
                continue
            if on_path.pop(watcher, None) is _RECURSIVE:
                self.recursive -= 1
            if not on_path:
                del self.by_path[path]

    def size(self) -> int:
        return sum(map(len, self.by_path.values()))


class WatchManager(Generic[W]):
    """The watch tables of one server (ZooKeeper's DataTree keeps the same two), driven by the
    request pipeline: reads register, applied txns trigger, sessions and connections remove."""

    __slots__ = ("_child", "_data", "fired")

    def __init__(self) -> None:
        self._data: _Table[W] = _Table()
        self._child: _Table[W] = _Table()
        # mntr's node_{created,deleted,changed,children}_watch_count: for each table that had
        # watchers for a trigger, how many it notified (ZooKeeper's WatchManager.triggerWatch).
        self.fired: dict[EventType, Summary] = {event: Summary() for event in _FIRED_NAMES}

    # --- registering -------------------------------------------------------------------------

    def add_data_watch(self, path: str, watcher: W) -> None:
        """A one-time watch from getData, or from exists: ZooKeeper registers an exists watch
        before it looks the node up, so exists on a missing node waits here for NodeCreated.
        (getData and getChildren on a missing node fail before registering anything.)"""
        self._data.add(path, watcher, _STANDARD)

    def add_child_watch(self, path: str, watcher: W) -> None:
        """A one-time watch from getChildren/getChildren2."""
        self._child.add(path, watcher, _STANDARD)

    def add_persistent(self, path: str, watcher: W, recursive: bool) -> None:
        """addWatch (and the persistent lists of setWatches2). ZooKeeper 3.8 puts the watch in
        both tables, replacing any one-time watch the same watcher had on the path."""
        mode = _RECURSIVE if recursive else _PERSISTENT
        self._data.add(path, watcher, mode)
        self._child.add(path, watcher, mode)

    # --- firing ------------------------------------------------------------------------------

    def trigger(self, path: str, event: EventType) -> list[tuple[W, EventType, str]]:
        """The notifications for one watch trigger from DataTree.apply, as (watcher, event
        type, path of the changed node), at most one per watcher. NodeCreated and
        NodeDataChanged consult the data table, NodeChildrenChanged the child table, and
        NodeDeleted the data table then the child table, where a watcher already notified by
        the data table is not notified again (its one-time child watch is still used up).

        The common case, nobody watching, costs a dict lookup or two; ancestors are visited
        only while some recursive watch exists."""
        if event in _DATA_TABLE_ONLY:
            data = self._data
            if not data.recursive and path not in data.by_path:
                return []
            hits: dict[W, None] = {}
            data.fire(path, event, hits)
        elif event == _CHILDREN_CHANGED:
            child = self._child
            if path not in child.by_path:  # recursive watches ignore this event
                return []
            hits = {}
            child.fire(path, event, hits)
        elif event == _DELETED:
            data, child = self._data, self._child
            if not (
                data.recursive or child.recursive or path in data.by_path or path in child.by_path
            ):
                return []
            hits = {}
            data.fire(path, event, hits)
            child_hits: dict[W, None] = {}
            child.fire(path, event, child_hits)
            # ZooKeeper triggers the two tables in two calls, each counted when it notifies
            # anyone, the second including the watchers the first already told.
            for table_hits in (hits, child_hits):
                if table_hits:
                    self.fired[_DELETED].add(len(table_hits))
            for watcher in child_hits:
                hits.setdefault(watcher, None)
            return [(watcher, _DELETED, path) for watcher in hits]
        else:
            raise ValueError(f"{event!r} is not a znode change")
        if hits:
            self.fired[event].add(len(hits))
        return [(watcher, event, path) for watcher in hits]

    # --- removeWatches, checkWatches, closing ------------------------------------------------

    def remove(self, path: str, watcher: W, watcher_type: WatcherType) -> bool:
        """removeWatches: True if something was removed (else the reply is NoWatcher).

        As in ZooKeeper 3.8, Children and Data clear the watcher's entry in that one table
        whatever its mode (so Data alone leaves a persistent watch firing for children), and
        Any clears both. Persistent and PersistentRecursive exist only from ZooKeeper 3.9
        (3.8 answers MarshallingError); here they clear exactly a watch of that mode from both
        tables, and never a one-time watch."""
        watcher_type = WatcherType(watcher_type)
        if watcher_type is WatcherType.Children:
            return self._child.remove(path, watcher)
        if watcher_type is WatcherType.Data:
            return self._data.remove(path, watcher)
        if watcher_type is WatcherType.Any:
            removed_child = self._child.remove(path, watcher)
            return self._data.remove(path, watcher) or removed_child
        only = _PERSISTENT if watcher_type is WatcherType.Persistent else _RECURSIVE
        removed_child = self._child.remove(path, watcher, only)
        return self._data.remove(path, watcher, only) or removed_child

    def contains(self, path: str, watcher: W, watcher_type: WatcherType) -> bool:
        """checkWatches: whether the table of that type has a watch on ``path`` itself.

        As in ZooKeeper 3.8 (WatchManager.containsWatcher), the answer is about the path, not
        the asking watcher: a session is told yes for another session's watch (removeWatches,
        on the other hand, only removes the caller's). Any asks both tables. Persistent and
        PersistentRecursive, from 3.9, ask for the caller's watch of that mode."""
        watcher_type = WatcherType(watcher_type)
        if watcher_type is WatcherType.Children:
            return path in self._child.by_path
        if watcher_type is WatcherType.Data:
            return path in self._data.by_path
        if watcher_type is WatcherType.Any:
            return path in self._child.by_path or path in self._data.by_path
        only = _PERSISTENT if watcher_type is WatcherType.Persistent else _RECURSIVE
        return self._data.mode(path, watcher) is only

    def remove_watcher(self, watcher: W) -> None:
        """Forget every watch of a connection that closed or dropped; a client that reconnects
        re-registers its watches with setWatches."""
        self._data.remove_all(watcher)
        self._child.remove_all(watcher)

    # --- reports -----------------------------------------------------------------------------

    def summary(self) -> WatchesSummary:
        """wchs. ZooKeeper reports the data table only; child watches do not appear."""
        data = self._data
        return WatchesSummary(
            len(data.by_watcher), len(data.by_path), sum(map(len, data.by_watcher.values()))
        )

    def by_watcher(self) -> dict[W, list[str]]:
        """wchc (and the AdminServer's watches): each watcher's watched paths, data table only.
        A connection whose watches all fired is still listed, with no paths, until it closes."""
        return {watcher: list(paths) for watcher, paths in self._data.by_watcher.items()}

    def by_path(self) -> dict[str, list[W]]:
        """wchp (and watches_by_path): each watched path's watchers, data table only."""
        return {path: list(watchers) for path, watchers in self._data.by_path.items()}

    def fired_rows(self) -> dict[str, list[Row]]:
        """mntr's rows for the node_*_watch_count summaries, by summary name."""
        return {name: self.fired[event].rows(name) for event, name in _FIRED_NAMES.items()}

    def watch_count(self) -> int:
        """mntr's zk_watch_count: registrations in both tables, so a persistent watch counts
        twice, as in ZooKeeper."""
        return self._data.size() + self._child.size()
