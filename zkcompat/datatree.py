"""The znode tree: every znode, its stat and ACL, and the indexes the server's reapers read.

The tree changes only through :meth:`DataTree.apply`, which takes one logged txn (header and
decoded record) and returns an :class:`ApplyResult`. That function is deterministic and does no
I/O, so serving a standalone server, replaying a txn log, following a leader and restoring a
snapshot all reach the same tree from the same txns. It must stay idempotent for replay:
snapshots are fuzzy, so a txn may find its effect already present; it then reports ZooKeeper's
error code and leaves the tree consistent.

What does not live here: sockets, sessions' connections, the clock (times come from txn
headers), validation of requests (the prep stage turns bad requests into error txns before they
reach us), the watch manager (watch triggers are returned as values, in the order ZooKeeper
fires them), and quota bookkeeping under ``/zookeeper/quota``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

from jute.records import (
    ACL,
    CheckVersionTxn,
    CreateContainerTxn,
    CreateTTLTxn,
    CreateTxn,
    DeleteTxn,
    ErrorTxn,
    Id,
    SetDataTxn,
    Stat,
    StatPersisted,
    TxnHeader,
)
from zkcompat.constants import Err, EventType, OpCode, Perms
from zkcompat.javaorder import JavaHashSet
from zkcompat.namespaces import NamespaceSummaries, java_length

# Jute records are classes generated at import time, so there is no static type to name for
# "some txn record"; this alias documents intent where one is expected.
TxnRecord = Any
AclList = tuple[Any, ...]  # a tuple of ACL records
# A watch trigger: the path, the event, and the ACL a watcher must be able to READ to hear it
# (the node's; for NodeChildrenChanged its parent's), as ZooKeeper checks since CVE-2024-23944.
Trigger = tuple[str, EventType, AclList]

ANYONE = Id("world", "anyone")
OPEN_ACL_UNSAFE: AclList = (ACL(int(Perms.ALL), ANYONE),)
READ_ACL_UNSAFE: AclList = (ACL(int(Perms.READ), ANYONE),)

# ephemeralOwner is overloaded (ZooKeeper's EphemeralType): a session id for ephemerals, the
# sign bit alone for containers, and, with zookeeper.extendedTypesEnabled, a 0xff high byte,
# two reserved bytes (0 = TTL) and the TTL in milliseconds in the low five bytes.
CONTAINER_OWNER = -(1 << 63)
_EXTENDED_MASK = 0xFF00000000000000
_RESERVED_MASK = 0x00FFFF0000000000
TTL_MAX = 0x000000FFFFFFFFFF


def ttl_owner(ttl: int) -> int:
    """The ephemeralOwner that marks a TTL node living ``ttl`` ms after its last change."""
    if not 0 < ttl <= TTL_MAX:
        raise ValueError(f"ttl must be in 1..{TTL_MAX}, got {ttl}")
    return (_EXTENDED_MASK | ttl) - (1 << 64)  # as the signed long stored on disk


def owner_ttl(owner: int) -> int:
    """The TTL in ms carried by a TTL node's ephemeralOwner."""
    return owner & TTL_MAX


class EphemeralKind(Enum):
    NONE = "none"
    SESSION = "session"
    CONTAINER = "container"
    TTL = "ttl"


def ephemeral_kind(owner: int, extended_types: bool) -> EphemeralKind:
    """Classify an ephemeralOwner as ZooKeeper does. Without extended types a TTL marker reads
    as an ordinary session id (ZooKeeper then treats those nodes as a dead session's
    ephemerals); with them, session ids must not carry a 0xff high byte."""
    if extended_types and owner & _EXTENDED_MASK == _EXTENDED_MASK:
        if owner & _RESERVED_MASK:
            raise ValueError(f"unknown extended ephemeralOwner {owner & (1 << 64) - 1:#x}")
        return EphemeralKind.TTL
    if owner == CONTAINER_OWNER:
        return EphemeralKind.CONTAINER
    return EphemeralKind.SESSION if owner else EphemeralKind.NONE


class _NoChildren(frozenset[str]):
    """The children of a znode that never had any: one shared, empty, immutable set."""

    __slots__ = ()

    def ordered(self) -> list[str]:
        return []


_NO_CHILDREN = _NoChildren()


class DataNode:
    """One znode. Slots, shared ACL tuples and a shared empty children set keep a leaf small.

    Stat fields carry StatPersisted's names. ``cversion`` is stored as ZooKeeper stores it: the
    number of child creations. Clients see ``2 * cversion - numChildren`` (creations plus
    deletions), which is why deleting a child changes only the parent's pzxid here.
    ``data`` may be None: a null buffer stays null on the wire and in snapshots.
    """

    __slots__ = (
        "acl",
        "aversion",
        "children",
        "ctime",
        "cversion",
        "czxid",
        "data",
        "ephemeralOwner",
        "mtime",
        "mzxid",
        "pzxid",
        "version",
    )

    def __init__(
        self, data: bytes | None, acl: AclList, zxid: int, time: int, ephemeral_owner: int
    ) -> None:
        self.data = data
        self.acl = acl
        self.czxid = self.mzxid = self.pzxid = zxid
        self.ctime = self.mtime = time
        self.version = self.cversion = self.aversion = 0
        self.ephemeralOwner = ephemeral_owner
        self.children: JavaHashSet | _NoChildren = _NO_CHILDREN

    def add_child(self, name: str) -> None:
        if self.children is _NO_CHILDREN:
            self.children = JavaHashSet()
        self.children.add(name)

    def remove_child(self, name: str) -> None:
        # An emptied set stays, as ZooKeeper's does: its size decides later children's order.
        if self.children is not _NO_CHILDREN:
            self.children.discard(name)

    def stat(self, extended_types: bool) -> Stat:
        """The Stat a client sees; container and TTL markers show as ephemeralOwner 0."""
        owner = self.ephemeralOwner
        if owner and ephemeral_kind(owner, extended_types) is not EphemeralKind.SESSION:
            owner = 0
        num_children = len(self.children)
        return Stat(
            self.czxid,
            self.mzxid,
            self.ctime,
            self.mtime,
            self.version,
            2 * self.cversion - num_children,
            self.aversion,
            owner,
            len(self.data) if self.data else 0,
            num_children,
            self.pzxid,
        )

    def stat_persisted(self) -> StatPersisted:
        """The stat as a snapshot stores it."""
        return StatPersisted(
            self.czxid,
            self.mzxid,
            self.ctime,
            self.mtime,
            self.version,
            self.cversion,
            self.aversion,
            self.ephemeralOwner,
            self.pzxid,
        )


class AclCache:
    """Interns ACL lists so equal lists share one tuple, counting the znodes that use each
    (ZooKeeper's ReferenceCountedACLCache); a list leaves when its last znode does.

    :data:`OPEN_ACL_UNSAFE` itself is never stored: it is the ACL of the built-in znodes and of
    creates whose ACL vector is null, which ZooKeeper keeps outside its cache as id -1.

    Each cached list also carries ZooKeeper's id, the one a snapshot writes for it: ids count
    up from 1 as lists first appear and are never reused, so a freed list leaves a gap. A fresh
    tree's first list is /zookeeper/config's READ_ACL_UNSAFE, id 1, as in ZooKeeper.
    """

    __slots__ = ("_canonical", "_ids", "_last_id", "_refs")

    def __init__(self) -> None:
        self._canonical: dict[AclList, AclList] = {}
        self._refs: dict[AclList, int] = {}
        self._ids: dict[AclList, int] = {}
        self._last_id = 0

    def intern(self, acl: Iterable[Any] | None) -> AclList:
        if acl is None:
            return OPEN_ACL_UNSAFE
        key = tuple([*acl])  # always a fresh tuple, so OPEN_ACL_UNSAFE never enters the cache
        shared = self._canonical.setdefault(key, key)
        if shared is key:
            self._last_id += 1
            self._ids[key] = self._last_id
        self._refs[shared] = self._refs.get(shared, 0) + 1
        return shared

    def release(self, acl: AclList) -> None:
        if acl is OPEN_ACL_UNSAFE:
            return
        left = self._refs[acl] - 1
        if left:
            self._refs[acl] = left
        else:
            del self._refs[acl], self._canonical[acl], self._ids[acl]

    def restore(self, acl_id: int, acl: Iterable[Any]) -> AclList:
        """Take one reference to ``acl`` under the id a snapshot numbered it with, so that
        writing the tree back keeps ZooKeeper's numbering. Lists a snapshot lists but no znode
        uses are never restored, which is ZooKeeper's purgeUnused after a load."""
        key = tuple([*acl])
        shared = self._canonical.setdefault(key, key)
        if shared is key:
            self._ids[key] = acl_id
        self._refs[shared] = self._refs.get(shared, 0) + 1
        self._last_id = max(self._last_id, acl_id)
        return shared

    def add_references(self, acl: AclList, count: int) -> None:
        """``count`` more znodes restored from a snapshot use ``acl`` (already restored)."""
        self._refs[acl] += count

    def reserve_ids(self, last_id: int) -> None:
        """Number lists interned from now on after ``last_id``: after a load ZooKeeper goes on
        from the largest id in the snapshot's map, used or not."""
        self._last_id = max(self._last_id, last_id)

    def acl_id(self, acl: AclList) -> int:
        """The id a snapshot stores for this znode ACL; -1 for the uncached OPEN_ACL_UNSAFE."""
        return -1 if acl is OPEN_ACL_UNSAFE else self._ids[acl]

    def numbered(self) -> list[tuple[int, AclList]]:
        """Every cached list with its id, oldest first."""
        ids = self._ids
        return [(ids[acl], acl) for acl in self._canonical]

    def references(self, acl: AclList) -> int:
        return self._refs.get(acl, 0)

    def __len__(self) -> int:
        return len(self._canonical)

    def __iter__(self) -> Iterator[AclList]:
        """The cached lists, oldest first."""
        return iter(self._canonical)


class ApplyResult(NamedTuple):
    """What one txn did. ``op`` is the type actually applied (a multi op that was turned into an
    error txn says ``error``); ``stat`` is set where the reply carries one (create2, createTTL,
    createContainer, setData, setACL); ``results`` holds a multi's per-op results; ``events``
    are the watch triggers in firing order (for a multi, all of its ops' in turn). One is made
    per txn, so it is a named tuple: a frozen dataclass costs about a microsecond more."""

    op: OpCode
    err: Err = Err.Ok
    path: str | None = None
    stat: Stat | None = None
    results: tuple[Any, ...] = ()  # ApplyResult, one per op of a multi
    events: tuple[Trigger, ...] = ()


#: The txn record of each op a multi may log (any other type in a multi is invalid); the txn
#: log's table of top-level records extends it.
MULTI_TXN_RECORDS: dict[int, Any] = {
    OpCode.create: CreateTxn,
    OpCode.create2: CreateTxn,
    OpCode.createTTL: CreateTTLTxn,
    OpCode.createContainer: CreateContainerTxn,
    OpCode.delete: DeleteTxn,
    OpCode.deleteContainer: DeleteTxn,
    OpCode.setData: SetDataTxn,
    OpCode.check: CheckVersionTxn,
    OpCode.error: ErrorTxn,
}


_Handler = Callable[["DataTree", Any, Any], ApplyResult]

# OpCode by value without Enum.__call__, which costs about a microsecond per write.
_OPCODES: dict[int, OpCode] = {op.value: op for op in OpCode}

# A znode as a snapshot records it: path, data, ACL, then StatPersisted's fields in order
# (czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, pzxid).
RestoredNode = tuple[str, bytes | None, AclList, int, int, int, int, int, int, int, int, int]


def _split(path: str) -> tuple[str, str]:
    """(parent path, child name); the parent of a top-level znode is "/"."""
    slash = path.rfind("/")
    return path[:slash] or "/", path[slash + 1 :]


def _size(path: str, data: bytes | None) -> int:
    return len(path) + (len(data) if data else 0)


class DataTree:
    """The znodes by full path, plus indexes: ephemerals by session (insertion-ordered, so a
    session's cleanup is deterministic), container paths and TTL paths. ``sessions`` maps each
    session id seen in createSession txns to its timeout, until its closeSession."""

    def __init__(self, *, extended_types: bool = False) -> None:
        self.extended_types = extended_types
        self.acls = AclCache()
        self.nodes: dict[str, DataNode] = {}
        self.sessions: dict[int, int] = {}
        self.last_processed_zxid = 0
        self._ephemerals: dict[int, dict[str, None]] = {}
        self._containers: set[str] = set()
        self._ttls: set[str] = set()
        self.reads = NamespaceSummaries("read_per_namespace")  # counted by zkcompat.reads
        self.writes = NamespaceSummaries("write_per_namespace")
        # ZooKeeper's fresh tree: all stats zero, OPEN_ACL_UNSAFE, except that
        # /zookeeper/config is world-readable only, set with aversion -1 (ZOOKEEPER-2014).
        for path in ("/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"):
            self.nodes[path] = DataNode(b"", OPEN_ACL_UNSAFE, 0, 0, 0)
            if path != "/":
                parent, name = _split(path)
                self.nodes[parent].add_child(name)
        config = self.nodes["/zookeeper/config"]
        config.acl = self.acls.intern(READ_ACL_UNSAFE)
        config.aversion = -1
        self._data_size = sum(_size(p, n.data) for p, n in self.nodes.items())

    # --- restoring from a snapshot ----------------------------------------------------------

    @classmethod
    def empty(cls, *, extended_types: bool = False) -> DataTree:
        """A tree without a single znode, not even "/": a snapshot holds the built-in znodes
        with whatever stats and ACLs they had, so a reader starts from nothing."""
        tree = cls(extended_types=extended_types)
        tree.nodes.clear()
        tree.acls = AclCache()
        tree._data_size = 0
        return tree

    def restore_node(
        self, path: str, data: bytes | None, acl: AclList, stat: StatPersisted
    ) -> None:
        """Insert one znode exactly as a snapshot recorded it (every StatPersisted field, the
        ACL already taken from :attr:`acls`); see :meth:`restore_nodes`."""
        self.restore_nodes([(path, data, acl, *stat)])

    def restore_nodes(self, records: Iterable[RestoredNode]) -> None:
        """Insert znodes as a snapshot lists them: (path, data, ACL, then StatPersisted's
        fields in order), each linked under its parent and indexed as an ephemeral, container
        or TTL node, as ZooKeeper's DataTree.deserialize does. Snapshots list a parent before
        its children, so a missing parent is a broken snapshot and raises ValueError, as does a
        path listed twice.

        This is the start-up path for millions of znodes, so it is one tight loop: siblings
        come one after another, and their parent is looked up once for the run of them. Each
        node is made without calling DataNode.__init__ (a Python frame per znode, a tenth of
        the loop) and every slot is set here; a test holds this to DataNode's slots."""
        nodes = self.nodes
        new_node = object.__new__
        size = 0
        parents: list[DataNode] = []  # each parent a run of siblings was added to
        parent_path: str | None = None
        parent: DataNode | None = None
        for (
            path,
            data,
            acl,
            czxid,
            mzxid,
            ctime,
            mtime,
            version,
            cversion,
            aversion,
            owner,
            pzxid,
        ) in records:
            if path in nodes:
                raise ValueError(f"znode {path!r} listed twice")
            node = new_node(DataNode)
            node.data = data
            node.acl = acl
            node.czxid = czxid
            node.mzxid = mzxid
            node.pzxid = pzxid
            node.ctime = ctime
            node.mtime = mtime
            node.version = version
            node.cversion = cversion
            node.aversion = aversion
            node.ephemeralOwner = owner
            node.children = _NO_CHILDREN
            if path != "/":
                slash = path.rfind("/")
                if path[:slash] != parent_path or parent is None:
                    parent_path = path[:slash]
                    parent = nodes.get(parent_path or "/")
                    if parent is None:
                        raise ValueError(f"parent {parent_path or '/'!r} of {path!r} is missing")
                    parents.append(parent)
                children = parent.children
                if children is _NO_CHILDREN:
                    children = parent.children = JavaHashSet()
                children[path[slash + 1 :]] = None  # new: the path was not in the tree
                if owner:
                    self._index_owner(path, owner)
            nodes[path] = node
            size += len(path) + (len(data) if data else 0)
        for parent in parents:
            parent.children.restored()
        self._data_size += size

    def _index_owner(self, path: str, owner: int) -> None:
        """List a znode with a non-zero ephemeralOwner as a container, TTL or ephemeral."""
        kind = ephemeral_kind(owner, self.extended_types)
        if kind is EphemeralKind.CONTAINER:
            self._containers.add(path)
        elif kind is EphemeralKind.TTL:
            self._ttls.add(path)
        elif kind is EphemeralKind.SESSION:
            self._ephemerals.setdefault(owner, {})[path] = None

    # --- reads -------------------------------------------------------------------------------

    def get(self, path: str) -> DataNode | None:
        return self.nodes.get(path)

    def stat(self, path: str) -> Stat | None:
        node = self.nodes.get(path)
        return None if node is None else node.stat(self.extended_types)

    def children(self, path: str) -> list[str] | None:
        """Child names in the order ZooKeeper lists them (its HashSet's iteration order)."""
        node = self.nodes.get(path)
        return None if node is None else list(node.children.ordered())

    def lookup(self, path: str) -> DataNode | None:
        """The node a read finds at ``path``: ZooKeeper's node map also holds the root under
        "", so getData, exists, getChildren, getACL and the like of "" answer for "/"."""
        return self.nodes.get(path or "/")

    def all_children_number(self, path: str) -> int:
        """Every descendant of ``path``, not counting itself (getAllChildrenNumber). ZooKeeper
        counts the keys of its node map under ``path + "/"``, so "" counts "/" too."""
        node = self.lookup(path)
        if node is None:
            return 0
        if path == "/":
            return len(self.nodes) - 1
        if path == "":
            return len(self.nodes)
        count, stack = 0, [(path, node)]
        while stack:
            base, parent = stack.pop()
            for name in parent.children:
                child_path = f"{base}/{name}"
                stack.append((child_path, self.nodes[child_path]))
                count += 1
        return count

    def ephemerals(self, session_id: int) -> list[str]:
        return list(self._ephemerals.get(session_id, ()))

    def ephemerals_by_session(self) -> Mapping[int, Iterable[str]]:
        """Every session's ephemeral paths, read-only. A session whose ephemerals were all
        deleted keeps an empty entry until it closes, as in ZooKeeper (``dump`` shows it)."""
        return MappingProxyType(self._ephemerals)

    def containers(self) -> frozenset[str]:
        return frozenset(self._containers)

    def ttls(self) -> frozenset[str]:
        return frozenset(self._ttls)

    def node_count(self) -> int:
        """The znode count ZooKeeper reports (mntr's zk_znode_count): its node map also holds
        the root under the alias "", so a fresh server says 5."""
        return len(self.nodes) + 1

    def approximate_data_size(self) -> int:
        """Sum of path lengths and data lengths, kept up to date as ZooKeeper's cached figure."""
        return self._data_size

    # --- the one way to change the tree ------------------------------------------------------

    def apply(self, header: TxnHeader, txn: TxnRecord | None) -> ApplyResult:
        """Apply one txn (``header`` a TxnHeader, ``txn`` its decoded record; None only for a
        closeSession logged without a body). Txns that prep never logs raise ValueError before
        anything changes: an unknown type, a multi holding a setACL or session op, a TTL out of
        range."""
        handler = self._TOP_LEVEL.get(header.type)
        if handler is None:
            raise ValueError(f"cannot apply txn type {header.type}")
        result = handler(self, header, txn)
        self.last_processed_zxid = max(self.last_processed_zxid, header.zxid)
        return result

    def _create(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        owner = header.clientId if txn.ephemeral else 0
        return self._create_node(header, txn, owner, want_stat=header.type == OpCode.create2)

    def _create_ttl(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        return self._create_node(header, txn, ttl_owner(txn.ttl), want_stat=True)

    def _create_container(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        return self._create_node(header, txn, CONTAINER_OWNER, want_stat=True)

    def _create_node(
        self, header: TxnHeader, txn: TxnRecord, owner: int, *, want_stat: bool
    ) -> ApplyResult:
        op, path, zxid = _OPCODES[header.type], txn.path, header.zxid
        parent_path, name = _split(path)
        parent = self.nodes.get(parent_path)
        if parent is None:
            return ApplyResult(op, Err.NoNode, path)
        if name in parent.children:
            # Replay can meet a node that a fuzzy snapshot caught after a later re-create; the
            # parent must still reach this txn's cversion. ZooKeeper does this for create only.
            if op == OpCode.create:
                self._raise_cversion(parent, txn.parentCVersion, zxid)
            return ApplyResult(op, Err.NodeExists, path)
        self._raise_cversion(parent, txn.parentCVersion, zxid)
        node = DataNode(txn.data, self.acls.intern(txn.acl), zxid, header.time, owner)
        parent.add_child(name)
        self.nodes[path] = node
        self._data_size += _size(path, node.data)
        if owner:
            self._index_owner(path, owner)
        self.writes.add(path, java_length(path) + (len(node.data) if node.data else 0))
        stat = node.stat(self.extended_types) if want_stat else None
        events = (
            (path, EventType.NodeCreated, node.acl),
            (parent_path, EventType.NodeChildrenChanged, parent.acl),
        )
        return ApplyResult(op, Err.Ok, path, stat, events=events)

    @staticmethod
    def _raise_cversion(parent: DataNode, cversion: int, zxid: int) -> None:
        """Move the parent to ``cversion`` (-1: one past its own) and stamp pzxid, but never
        backwards: replaying a create that a snapshot already reflects must not undo later
        creates."""
        if cversion == -1:
            cversion = parent.cversion + 1
        if cversion > parent.cversion:
            parent.cversion = cversion
            parent.pzxid = zxid

    def _delete(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        return self._delete_node(_OPCODES[header.type], txn.path, header.zxid)

    def _delete_node(self, op: OpCode, path: str, zxid: int) -> ApplyResult:
        parent_path, name = _split(path)
        parent = self.nodes.get(parent_path)
        if parent is None:
            return ApplyResult(op, Err.NoNode, path)
        # The parent's pzxid moves even when the child is already gone (fuzzy snapshot), but
        # only forwards.
        parent.remove_child(name)
        parent.pzxid = max(parent.pzxid, zxid)
        node = self.nodes.pop(path, None)
        if node is None:
            return ApplyResult(op, Err.NoNode, path)
        self.acls.release(node.acl)
        self._data_size -= _size(path, node.data)
        kind = ephemeral_kind(node.ephemeralOwner, self.extended_types)
        if kind is EphemeralKind.CONTAINER:
            self._containers.discard(path)
        elif kind is EphemeralKind.TTL:
            self._ttls.discard(path)
        elif kind is EphemeralKind.SESSION:
            self._ephemerals.get(node.ephemeralOwner, {}).pop(path, None)
        self.writes.add(path, java_length(path))
        events = (
            (path, EventType.NodeDeleted, node.acl),
            (parent_path, EventType.NodeChildrenChanged, parent.acl),
        )
        return ApplyResult(op, Err.Ok, path, events=events)

    def _set_data(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        """setData, and reconfig, which ZooKeeper logs as a setData of /zookeeper/config."""
        op, path = _OPCODES[header.type], txn.path
        node = self.nodes.get(path)
        if node is None:
            return ApplyResult(op, Err.NoNode, path)
        self._data_size += _size(path, txn.data) - _size(path, node.data)
        node.data = txn.data
        node.mtime = header.time
        node.mzxid = header.zxid
        node.version = txn.version
        self.writes.add(path, java_length(path) + (len(txn.data) if txn.data else 0))
        stat = node.stat(self.extended_types)
        events = ((path, EventType.NodeDataChanged, node.acl),)
        return ApplyResult(op, Err.Ok, path, stat, events=events)

    def _set_acl(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        node = self.nodes.get(txn.path)
        if node is None:
            return ApplyResult(OpCode.setACL, Err.NoNode, txn.path)
        self.acls.release(node.acl)
        node.acl = self.acls.intern(txn.acl)
        node.aversion = txn.version
        return ApplyResult(OpCode.setACL, Err.Ok, txn.path, node.stat(self.extended_types))

    def _check(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        return ApplyResult(OpCode.check, Err.Ok, txn.path)

    def _error(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        return ApplyResult(OpCode.error, Err(txn.err))

    def _create_session(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        self.sessions[header.clientId] = txn.timeOut
        return ApplyResult(OpCode.createSession)

    def _close_session(self, header: TxnHeader, txn: TxnRecord | None) -> ApplyResult:
        """Delete the paths the txn lists, in its order, then any ephemeral of the session it
        did not list (ZooKeeper's killSession); missing paths are skipped."""
        session = header.clientId
        self.sessions.pop(session, None)
        remaining = self._ephemerals.pop(session, {})
        listed = (txn.paths2Delete if txn is not None else None) or []
        for path in listed:
            remaining.pop(path, None)
        events: list[Trigger] = []
        for path in [*listed, *remaining]:
            events.extend(self._delete_node(OpCode.delete, path, header.zxid).events)
        return ApplyResult(OpCode.closeSession, events=tuple(events))

    def _multi(self, header: TxnHeader, txn: TxnRecord) -> ApplyResult:
        """Apply a multi's ops in order, all at the header's zxid. Prep logs a failed multi as
        its real ops up to the failing one, an error txn for that one, and
        RuntimeInconsistency errors after it; here every non-error op of a multi that holds an
        error becomes an error txn too (Ok before the failure, RuntimeInconsistency after), so
        a failed multi changes nothing."""
        ops = []
        for sub in txn.txns:  # decode and check every op before the first one changes anything
            if sub.type not in MULTI_TXN_RECORDS:
                raise ValueError(f"invalid op type {sub.type} in multi")
            record = MULTI_TXN_RECORDS[sub.type].decode(sub.data)[0]
            if sub.type == OpCode.createTTL:
                ttl_owner(record.ttl)
            ops.append((sub.type, record))
        failed = any(op == OpCode.error for op, _ in ops)
        past_failure = False
        results = []
        for op, record in ops:
            if op == OpCode.error:
                past_failure = True
            elif failed:
                code = Err.RuntimeInconsistency if past_failure else Err.Ok
                op, record = OpCode.error, ErrorTxn(int(code))
            results.append(self._SUB_OPS[op](self, header._replace(type=op), record))
        err = next((r.err for r in results if r.err != Err.Ok), Err.Ok)
        events = tuple(event for r in results for event in r.events)
        return ApplyResult(OpCode.multi, err, results=tuple(results), events=events)

    _SUB_OPS: ClassVar[dict[int, _Handler]] = {
        OpCode.create: _create,
        OpCode.create2: _create,
        OpCode.createTTL: _create_ttl,
        OpCode.createContainer: _create_container,
        OpCode.delete: _delete,
        OpCode.deleteContainer: _delete,
        OpCode.setData: _set_data,
        OpCode.check: _check,
        OpCode.error: _error,
    }
    _TOP_LEVEL: ClassVar[dict[int, _Handler]] = {
        **_SUB_OPS,
        OpCode.reconfig: _set_data,
        OpCode.setACL: _set_acl,
        OpCode.createSession: _create_session,
        OpCode.closeSession: _close_session,
        OpCode.multi: _multi,
    }
