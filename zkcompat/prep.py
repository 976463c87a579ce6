"""Prep: turn a client's write request into the txn that will be logged and applied.

This is ZooKeeper's ``PrepRequestProcessor``: every check a write must pass happens here, in
ZooKeeper's order (the order decides which error a client sees when several apply), against the
tree *as it will be* once the txns already prepped have applied. That future view is
:class:`PendingView`, ZooKeeper's ``outstandingChanges`` in small: a multi's later ops see its
earlier ones, and once commit is asynchronous, a write prepped while earlier ones wait on fsync
sees them too.

Prep never changes the tree. A failed check raises :class:`KeeperError`; the caller logs an
error txn in its place, which consumes a zxid exactly as in ZooKeeper.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from jute.records import (
    CheckVersionTxn,
    CreateContainerTxn,
    CreateTTLTxn,
    CreateTxn,
    DeleteTxn,
    ErrorTxn,
    MultiTxn,
    SetACLTxn,
    SetDataTxn,
    Txn,
)
from zkcompat.acl import DEFAULT_PROVIDERS, AuthProvider, InvalidACL, check_acl, fixup_acl
from zkcompat.constants import CreateMode, Err, OpCode, Perms
from zkcompat.datatree import (
    CONTAINER_OWNER,
    TTL_MAX,
    DataTree,
    EphemeralKind,
    ephemeral_kind,
    ttl_owner,
)
from zkcompat.errors import KeeperError
from zkcompat.paths import InvalidPath, validate_path

# Znodes no client may delete (ZKDatabase.isSpecialPath).
SPECIAL_PATHS = frozenset({"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"})


class NodeRecord(NamedTuple):
    """What prep needs to know of a znode. ``cversion`` is the stored count of creations.
    A named tuple: one is made per write, and ``_replace`` is cheap."""

    version: int
    aversion: int
    cversion: int
    ephemeral_owner: int
    child_count: int
    acl: tuple


class Caller(NamedTuple):
    """Who is asking: the session and the identities it has authenticated as. One is made
    per write, so it is a named tuple (a frozen dataclass costs about a microsecond)."""

    session_id: int
    identities: Sequence[Any]


class PendingView:
    """The tree with the effects of prepped-but-unapplied txns laid over it.

    Each change is tagged with the zxid of the txn that makes it; once the tree has applied
    that zxid the change is dropped, unless a later txn has replaced it.
    """

    def __init__(self, tree: DataTree) -> None:
        self.tree = tree
        self.changes: dict[str, tuple[int, NodeRecord | None]] = {}
        self._order: deque[tuple[int, str]] = deque()  # (zxid, path) as changes were made
        self.zxid = 0  # the zxid of the txn being prepped

    def put(self, path: str, record: NodeRecord | None) -> None:
        self.changes[path] = (self.zxid, record)
        self._order.append((self.zxid, path))

    def applied(self, zxid: int) -> None:
        """Drop the changes of txns up to ``zxid``: each apply costs only its own changes.
        A path changed again since (a later zxid) or rolled back (a failed multi) is kept."""
        order, changes = self._order, self.changes
        while order and order[0][0] <= zxid:
            made_at, path = order.popleft()
            change = changes.get(path)
            if change is not None and change[0] == made_at:
                del changes[path]

    def get(self, path: str) -> NodeRecord | None:
        change = self.changes.get(path)
        if change is not None:
            return change[1]
        node = self.tree.get(path)
        if node is None:
            return None
        return NodeRecord(
            node.version,
            node.aversion,
            node.cversion,
            node.ephemeralOwner,
            len(node.children),
            node.acl,
        )

    def require(self, path: str) -> NodeRecord:
        record = self.get(path)
        if record is None:
            raise KeeperError(Err.NoNode, path)
        return record


@dataclass(frozen=True, slots=True)
class PrepSettings:
    extended_types: bool = False
    skip_acl: bool = False
    providers: Mapping[str, AuthProvider] = field(default_factory=lambda: DEFAULT_PROVIDERS)


class Prep:
    """Builds txns for write requests; see the module docstring."""

    def __init__(self, tree: DataTree, settings: PrepSettings) -> None:
        self.tree = tree
        self.settings = settings
        self.view = PendingView(tree)

    def txn(self, op: int, request: Any, caller: Caller, zxid: int) -> tuple[int, Any]:
        """The txn type and record for one write with ``zxid``; raises KeeperError if a check
        fails. The pending view holds the write's effects until :meth:`applied` (``zxid``)."""
        handler = _HANDLERS.get(op)
        if handler is None:
            raise KeeperError(Err.Unimplemented)
        self.view.zxid = zxid
        return handler(self, op, request, caller)

    def multi(self, ops: Sequence[tuple[int, Any]], caller: Caller, zxid: int) -> Any:
        """A MultiTxn: each op's txn, or, from the first failing op on, error txns (that op's
        code, then RuntimeInconsistency), with the view rolled back to before the multi."""
        saved = dict(self.view.changes)
        txns = []
        failed = False
        for op, request in ops:
            if failed:
                txns.append(Txn(OpCode.error, ErrorTxn(Err.RuntimeInconsistency).encode()))
                continue
            try:
                txn_type, record = self.txn(op, request, caller, zxid)
            except KeeperError as error:
                failed = True
                self.view.changes = saved
                txn_type, record = OpCode.error, ErrorTxn(error.code)
            txns.append(Txn(txn_type, record.encode()))
        return MultiTxn(txns)

    def applied(self, zxid: int) -> None:
        """The tree has applied every txn up to ``zxid``."""
        self.view.applied(zxid)

    # --- checks shared by several writes ----------------------------------------------------

    def _check_acl(self, acl: tuple, perm: Perms, caller: Caller) -> None:
        if not check_acl(
            acl,
            int(perm),
            caller.identities,
            skip_acl=self.settings.skip_acl,
            providers=self.settings.providers,
        ):
            raise KeeperError(Err.NoAuth)

    @staticmethod
    def _validate(path: str, *, sequential: bool = False) -> None:
        try:
            validate_path(path, sequential=sequential)
        except InvalidPath as error:
            raise KeeperError(Err.BadArguments, path) from error

    def _existing(self, path: str) -> NodeRecord:
        """The record of ``path`` for a write that validates the path and then needs the node:
        BadArguments for an invalid path, else NoNode. A path that is in the tree (or pending)
        passed validation when it was created, so only a missing one is validated: the
        common case skips the cost of validate_path and the errors come out the same."""
        record = self.view.get(path)
        if record is None:
            self._validate(path)
            raise KeeperError(Err.NoNode, path)
        return record

    def _fixup(self, path: str, caller: Caller, acl: Any) -> list:
        try:
            return fixup_acl(path, caller.identities, acl, providers=self.settings.providers)
        except InvalidACL as error:
            raise KeeperError(Err.InvalidACL, path) from error

    @staticmethod
    def _parent(path: str) -> str:
        """The parent path, or BadArguments for a path with no slash or a NUL in it."""
        slash = path.rfind("/") if path else -1
        if slash == -1 or "\0" in path:
            raise KeeperError(Err.BadArguments, path)
        return path[:slash] or "/"

    @staticmethod
    def _next_version(current: int, expected: int, path: str) -> int:
        if expected != -1 and expected != current:
            raise KeeperError(Err.BadVersion, path)
        return current + 1

    # --- one method per write ---------------------------------------------------------------

    def _create(self, op: int, request: Any, caller: Caller) -> tuple[int, Any]:
        mode = _CREATE_MODES.get(request.flags)
        if mode is None:
            raise KeeperError(Err.BadArguments, request.path)
        ttl = request.ttl if op == OpCode.createTTL else -1
        if mode.ttl and not self.settings.extended_types:
            raise KeeperError(Err.Unimplemented, request.path)
        if (mode.ttl and not 0 < ttl <= TTL_MAX) or (not mode.ttl and ttl >= 0):
            raise KeeperError(Err.BadArguments, request.path)
        path = request.path
        parent_path = self._parent(path)
        acl = self._fixup(path, caller, request.acl)
        parent = self.view.require(parent_path)
        self._check_acl(parent.acl, Perms.CREATE, caller)
        if mode.sequential:
            path = f"{path}{parent.cversion:010d}"
        self._validate(path)
        if self.view.get(path) is not None:
            raise KeeperError(Err.NodeExists, path)
        if ephemeral_kind(parent.ephemeral_owner, self.settings.extended_types) is (
            EphemeralKind.SESSION
        ):
            raise KeeperError(Err.NoChildrenForEphemerals, path)
        cversion = parent.cversion + 1
        # The opcode picks the txn (a plain create with the container flag makes an ordinary
        # znode, as in ZooKeeper); the flags pick the owner the pending view records.
        if op == OpCode.createContainer:
            txn = CreateContainerTxn(path, request.data, acl, cversion)
        elif op == OpCode.createTTL:
            if not mode.ttl:
                raise KeeperError(Err.BadArguments, path)
            txn = CreateTTLTxn(path, request.data, acl, cversion, ttl)
        else:
            txn = CreateTxn(path, request.data, acl, mode.ephemeral, cversion)
        if mode.container:
            owner = CONTAINER_OWNER
        elif mode.ttl:
            owner = ttl_owner(ttl)
        else:
            owner = caller.session_id if mode.ephemeral else 0
        self.view.put(parent_path, _with_children(parent, parent.child_count + 1, cversion))
        self.view.put(path, NodeRecord(0, 0, 0, owner, 0, tuple(acl)))
        return op, txn

    def _delete(self, op: int, request: Any, caller: Caller) -> tuple[int, Any]:
        path = request.path
        parent_path = self._parent(path)
        if path in SPECIAL_PATHS:
            raise KeeperError(Err.BadArguments, path)
        parent = self.view.require(parent_path)
        self._check_acl(parent.acl, Perms.DELETE, caller)
        node = self.view.require(path)
        self._next_version(node.version, request.version, path)
        if node.child_count > 0:
            raise KeeperError(Err.NotEmpty, path)
        self.view.put(parent_path, _with_children(parent, parent.child_count - 1, parent.cversion))
        self.view.put(path, None)
        return op, DeleteTxn(path)

    def _set_data(self, op: int, request: Any, caller: Caller) -> tuple[int, Any]:
        path = request.path
        node = self._existing(path)
        self._check_acl(node.acl, Perms.WRITE, caller)
        version = self._next_version(node.version, request.version, path)
        # Built field by field: NamedTuple._replace goes through _make, twice the cost.
        record = NodeRecord(
            version, node.aversion, node.cversion, node.ephemeral_owner, node.child_count, node.acl
        )
        self.view.put(path, record)
        return op, SetDataTxn(path, request.data, version)

    def _set_acl(self, op: int, request: Any, caller: Caller) -> tuple[int, Any]:
        path = request.path
        self._validate(path)
        acl = self._fixup(path, caller, request.acl)
        node = self.view.require(path)
        self._check_acl(node.acl, Perms.ADMIN, caller)
        aversion = self._next_version(node.aversion, request.version, path)
        self.view.put(path, node._replace(aversion=aversion, acl=tuple(acl)))
        return op, SetACLTxn(path, acl, aversion)

    def _check(self, op: int, request: Any, caller: Caller) -> tuple[int, Any]:
        path = request.path
        node = self._existing(path)
        self._check_acl(node.acl, Perms.READ, caller)
        return op, CheckVersionTxn(path, self._next_version(node.version, request.version, path))


class _CreateMode(NamedTuple):
    """A create's flags, decoded once per mode rather than through the enum on each create
    (``CreateMode(flags)`` and its properties cost about a microsecond per call)."""

    ephemeral: bool
    sequential: bool
    container: bool
    ttl: bool


_CREATE_MODES = {
    int(mode): _CreateMode(mode.ephemeral, mode.sequential, mode.container, mode.ttl)
    for mode in CreateMode
}


def _with_children(record: NodeRecord, child_count: int, cversion: int) -> NodeRecord:
    """``record`` with a new child count and cversion, built field by field:
    NamedTuple._replace goes through _make, twice the cost."""
    return NodeRecord(
        record.version,
        record.aversion,
        cversion,
        record.ephemeral_owner,
        child_count,
        record.acl,
    )


_HANDLERS = {
    OpCode.create: Prep._create,
    OpCode.create2: Prep._create,
    OpCode.createContainer: Prep._create,
    OpCode.createTTL: Prep._create,
    OpCode.delete: Prep._delete,
    OpCode.setData: Prep._set_data,
    OpCode.setACL: Prep._set_acl,
    OpCode.check: Prep._check,
}
