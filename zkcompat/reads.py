"""Read requests: answered from the tree as it stands, never logged, never given a zxid.

Each handler mirrors its case in ZooKeeper 3.8's ``FinalRequestProcessor``, including the
quirks clients can observe: reads do not validate paths (a malformed path is simply not there),
``exists`` checks no ACL and leaves a watch even on a missing node, ``getData`` and
``getChildren`` leave no watch when they fail, and ``getACL`` hides digest hashes from a caller
without ADMIN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from jute import records as R
from zkcompat.acl import AuthInfo, AuthProvider, check_acl, client_info, redact_acl
from zkcompat.constants import AddWatchMode, Err, OpCode, Perms, WatcherType
from zkcompat.datatree import DataNode, DataTree
from zkcompat.errors import KeeperError
from zkcompat.javaorder import hash_set_order
from zkcompat.namespaces import STAT_OVERHEAD_BYTES, java_length
from zkcompat.watches import WatchManager

# Plain ints: IntFlag arithmetic goes through enum's Python-level operators on every check.
_READ = int(Perms.READ)
_ADMIN = int(Perms.ADMIN)


class Reader(Protocol):
    """What a read needs of the caller: its connection (the watcher) and identities."""

    session_id: int
    identities: AuthInfo


class ReadContext(Protocol):
    tree: DataTree
    watches: WatchManager
    skip_acl: bool
    providers: Mapping[str, AuthProvider]


def _node(ctx: ReadContext, path: str, perm: int, reader: Reader) -> DataNode:
    node = ctx.tree.lookup(path)
    if node is None:
        raise KeeperError(Err.NoNode, path)
    if not check_acl(
        node.acl, perm, reader.identities, skip_acl=ctx.skip_acl, providers=ctx.providers
    ):
        raise KeeperError(Err.NoAuth, path)
    return node


def _stat(ctx: ReadContext, node: DataNode) -> Any:
    return node.stat(ctx.tree.extended_types)


def exists(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    path = request.path
    if "\0" in path:
        raise KeeperError(Err.BadArguments, path)
    if request.watch:
        ctx.watches.add_data_watch(path, reader)
    node = ctx.tree.lookup(path)
    if node is None:
        raise KeeperError(Err.NoNode, path)
    ctx.tree.reads.add(path, java_length(path) + STAT_OVERHEAD_BYTES)
    return R.ExistsResponse(_stat(ctx, node))


def get_data(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    node = _node(ctx, request.path, _READ, reader)
    if request.watch:
        ctx.watches.add_data_watch(request.path, reader)
    data = node.data
    ctx.tree.reads.add(
        request.path, java_length(request.path) + (len(data) if data else 0) + STAT_OVERHEAD_BYTES
    )
    return R.GetDataResponse(data, _stat(ctx, node))


def _children(ctx: ReadContext, reader: Reader, request: Any) -> tuple[list[str], DataNode]:
    node = _node(ctx, request.path, _READ, reader)
    if request.watch:
        ctx.watches.add_child_watch(request.path, reader)
    names = node.children.ordered()
    size = java_length(request.path) + sum(map(java_length, names)) + STAT_OVERHEAD_BYTES
    ctx.tree.reads.add(request.path, size)
    return names, node


def get_children(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    return R.GetChildrenResponse(_children(ctx, reader, request)[0])


def get_children2(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    children, node = _children(ctx, reader, request)
    return R.GetChildren2Response(children, _stat(ctx, node))


def get_all_children_number(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    _node(ctx, request.path, _READ, reader)
    return R.GetAllChildrenNumberResponse(ctx.tree.all_children_number(request.path))


def get_acl(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    node = _node(ctx, request.path, _READ | _ADMIN, reader)
    acl = list(node.acl)
    if not check_acl(
        node.acl, _ADMIN, reader.identities, skip_acl=ctx.skip_acl, providers=ctx.providers
    ):
        acl = redact_acl(acl)
    return R.GetACLResponse(acl, _stat(ctx, node))


def sync(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    return R.SyncResponse(request.path)


def get_ephemerals(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    paths = hash_set_order(ctx.tree.ephemerals(reader.session_id))  # a HashSet in ZooKeeper
    prefix = (request.prefixPath or "").strip()
    if prefix not in ("", "/"):
        paths = [p for p in paths if p.startswith(request.prefixPath)]
    return R.GetEphemeralsResponse(paths)


def who_am_i(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    return R.WhoAmIResponse(client_info(reader.identities, providers=ctx.providers))


def add_watch(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    if request.mode not in (AddWatchMode.PERSISTENT, AddWatchMode.PERSISTENT_RECURSIVE):
        raise KeeperError(Err.MarshallingError, request.path)  # 3.8 fails to map the mode
    ctx.watches.add_persistent(
        request.path, reader, recursive=request.mode == AddWatchMode.PERSISTENT_RECURSIVE
    )
    return R.ErrorResponse(0)


# The watcher types a 3.8 server knows; 3.9 added Persistent and PersistentRecursive.
_WATCHER_TYPES_38 = frozenset({WatcherType.Children, WatcherType.Data, WatcherType.Any})


def _watcher_type(request: Any) -> WatcherType:
    if request.type not in _WATCHER_TYPES_38:
        raise KeeperError(Err.MarshallingError, request.path)
    return WatcherType(request.type)


def check_watches(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    if not ctx.watches.contains(request.path, reader, _watcher_type(request)):
        raise KeeperError(Err.NoWatcher, request.path)


def remove_watches(ctx: ReadContext, reader: Reader, request: Any) -> Any:
    if not ctx.watches.remove(request.path, reader, _watcher_type(request)):
        raise KeeperError(Err.NoWatcher, request.path)


READS: dict[int, Callable[[ReadContext, Reader, Any], Any]] = {
    OpCode.exists: exists,
    OpCode.getData: get_data,
    OpCode.getChildren: get_children,
    OpCode.getChildren2: get_children2,
    OpCode.getAllChildrenNumber: get_all_children_number,
    OpCode.getACL: get_acl,
    OpCode.sync: sync,
    OpCode.getEphemerals: get_ephemerals,
    OpCode.whoAmI: who_am_i,
    OpCode.addWatch: add_watch,
    OpCode.checkWatches: check_watches,
    OpCode.removeWatches: remove_watches,
}
