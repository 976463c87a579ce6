"""Stories about the DataTree, told through txns as a server's prep stage would log them.

Expected stat values follow Apache ZooKeeper 3.8's DataTree and DataNode; where a number looks
odd (a fresh root's cversion of -1), that is what ZooKeeper shows too.
"""

from __future__ import annotations

import pytest

from jute.records import (
    ACL,
    CheckVersionTxn,
    CloseSessionTxn,
    CreateContainerTxn,
    CreateSessionTxn,
    CreateTTLTxn,
    CreateTxn,
    DeleteTxn,
    ErrorTxn,
    Id,
    MultiTxn,
    SetACLTxn,
    SetDataTxn,
    Stat,
    Txn,
    TxnHeader,
)
from zkcompat.constants import Err, EventType, OpCode
from zkcompat.datatree import (
    CONTAINER_OWNER,
    OPEN_ACL_UNSAFE,
    READ_ACL_UNSAFE,
    ApplyResult,
    DataTree,
    owner_ttl,
    ttl_owner,
)

SESSION = 0x1000_0ABC_DEF0_0001
OTHER_SESSION = 0x1000_0ABC_DEF0_0002
EPOCH_START = 0x1_0000_0000
T0 = 1_700_000_000_000

CREATED, DELETED = EventType.NodeCreated, EventType.NodeDeleted
DATA_CHANGED, CHILDREN_CHANGED = EventType.NodeDataChanged, EventType.NodeChildrenChanged


OPEN = (ACL(31, Id("world", "anyone")),)  # what world(31) interns as


def triggers(result: ApplyResult) -> tuple[tuple[str, EventType], ...]:
    """A result's watch triggers without the ACL each carries."""
    return tuple((path, event) for path, event, _acl in result.events)


def world(perms: int) -> list[ACL]:
    """A freshly built ACL list, as each decoded txn carries its own."""
    return [ACL(perms, Id("world", "anyone"))]


def digest_acl() -> list[ACL]:
    return [ACL(31, Id("digest", "bob:Vc5c5bUPbqbq5sB7bQSB0F6y0Y0="))]


class Leader:
    """Plays prep: turns operations into txns with consecutive zxids and applies them, keeping
    the log so a story can replay it."""

    def __init__(self, tree: DataTree) -> None:
        self.tree = tree
        self.zxid = EPOCH_START
        self.log: list[tuple[TxnHeader, object]] = []

    def header(self, op: OpCode, session: int = SESSION) -> TxnHeader:
        self.zxid += 1
        return TxnHeader(session, 1, self.zxid, T0 + self.zxid - EPOCH_START, op)

    def apply(self, op: OpCode, txn: object, session: int = SESSION) -> ApplyResult:
        header = self.header(op, session)
        self.log.append((header, txn))
        return self.tree.apply(header, txn)

    def next_cversion(self, path: str) -> int:
        """The parentCVersion prep puts in a create txn: the parent's stored cversion + 1."""
        parent = path[: path.rfind("/")] or "/"
        return self.tree.get(parent).cversion + 1

    def create(
        self,
        path: str,
        data: bytes | None = b"",
        acl: list[ACL] | None = None,
        *,
        ephemeral: bool = False,
        session: int = SESSION,
        op: OpCode = OpCode.create,
    ) -> ApplyResult:
        acl = world(31) if acl is None else acl
        txn = CreateTxn(path, data, acl, ephemeral, self.next_cversion(path))
        return self.apply(op, txn, session)

    def delete(self, path: str) -> ApplyResult:
        return self.apply(OpCode.delete, DeleteTxn(path))

    def set_data(self, path: str, data: bytes, version: int) -> ApplyResult:
        return self.apply(OpCode.setData, SetDataTxn(path, data, version))

    def multi(self, *ops: tuple[OpCode, object]) -> ApplyResult:
        txns = [Txn(int(op), record.encode()) for op, record in ops]
        return self.apply(OpCode.multi, MultiTxn(txns))


@pytest.fixture
def tree() -> DataTree:
    return DataTree()


@pytest.fixture
def leader(tree: DataTree) -> Leader:
    return Leader(tree)


def state(tree: DataTree) -> dict[str, object]:
    """Everything apply may change, in comparable form."""
    return {
        "nodes": {
            path: (node.data, node.acl, node.stat_persisted(), sorted(node.children))
            for path, node in tree.nodes.items()
        },
        "ephemerals": {s: tree.ephemerals(s) for s in (SESSION, OTHER_SESSION)},
        "containers": tree.containers(),
        "ttls": tree.ttls(),
        "sessions": dict(tree.sessions),
        "acl_lists": list(tree.acls),
        "acl_refs": [tree.acls.references(acl) for acl in tree.acls],
        "size": tree.approximate_data_size(),
    }


def test_a_fresh_tree_is_the_one_zookeeper_starts_with(tree: DataTree) -> None:
    assert sorted(tree.nodes) == ["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"]
    # Stored cversions are 0, so the client-visible cversion is -numChildren.
    assert tree.stat("/") == Stat(0, 0, 0, 0, 0, -1, 0, 0, 0, 1, 0)
    assert tree.stat("/zookeeper") == Stat(0, 0, 0, 0, 0, -2, 0, 0, 0, 2, 0)
    assert tree.stat("/zookeeper/quota") == Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert tree.stat("/zookeeper/config") == Stat(0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0)
    assert tree.get("/").acl is OPEN_ACL_UNSAFE
    assert tree.get("/zookeeper/quota").acl is OPEN_ACL_UNSAFE
    assert tree.get("/zookeeper/config").acl == READ_ACL_UNSAFE
    assert list(tree.acls) == [READ_ACL_UNSAFE]
    assert sorted(tree.children("/zookeeper")) == ["config", "quota"]
    assert tree.node_count() == 5
    assert tree.all_children_number("/") == 3
    assert tree.approximate_data_size() == len("//zookeeper/zookeeper/quota/zookeeper/config")
    assert tree.last_processed_zxid == 0


def test_create_stamps_the_node_and_its_parent(tree: DataTree, leader: Leader) -> None:
    plain = leader.create("/app", b"hello")
    z1 = leader.zxid
    assert plain == ApplyResult(
        OpCode.create,
        Err.Ok,
        "/app",
        None,
        events=(("/app", CREATED, OPEN), ("/", CHILDREN_CHANGED, OPEN)),
    )
    assert tree.stat("/app") == Stat(z1, z1, T0 + 1, T0 + 1, 0, 0, 0, 0, 5, 0, z1)
    # The root's stored cversion went 0 -> 1; clients see 2*1 - 2 children = 0.
    assert tree.get("/").cversion == 1
    assert tree.stat("/") == Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 2, z1)

    second = leader.create("/app/b", b"", op=OpCode.create2)
    z2 = leader.zxid
    assert second.op == OpCode.create2
    assert second.stat == Stat(z2, z2, T0 + 2, T0 + 2, 0, 0, 0, 0, 0, 0, z2)
    assert triggers(second) == (("/app/b", CREATED), ("/app", CHILDREN_CHANGED))
    assert tree.stat("/app") == Stat(z1, z1, T0 + 1, T0 + 1, 0, 1, 0, 0, 5, 1, z2)
    assert tree.last_processed_zxid == z2


def test_parent_cversion_minus_one_means_one_more(tree: DataTree, leader: Leader) -> None:
    leader.create("/app")
    leader.apply(OpCode.create, CreateTxn("/app/x", b"", world(31), False, -1))
    leader.apply(OpCode.create, CreateTxn("/app/y", b"", world(31), False, -1))
    assert tree.get("/app").cversion == 2
    assert tree.get("/app").pzxid == leader.zxid


def test_create_under_a_missing_parent_is_nonode(tree: DataTree, leader: Leader) -> None:
    before = state(tree)
    result = leader.apply(OpCode.create, CreateTxn("/no/such", b"", world(31), False, 1))
    assert result == ApplyResult(OpCode.create, Err.NoNode, "/no/such")
    assert state(tree) == before


def test_deleting_a_child_counts_in_the_client_cversion(tree: DataTree, leader: Leader) -> None:
    leader.create("/app")
    leader.create("/app/b")
    leader.create("/app/c")
    assert tree.stat("/app").cversion == 2
    result = leader.delete("/app/b")
    zd = leader.zxid
    assert result == ApplyResult(
        OpCode.delete,
        Err.Ok,
        "/app/b",
        events=(("/app/b", DELETED, OPEN), ("/app", CHILDREN_CHANGED, OPEN)),
    )
    parent = tree.get("/app")
    assert (parent.cversion, parent.pzxid) == (2, zd)  # stored: creations only
    stat = tree.stat("/app")
    assert (stat.cversion, stat.numChildren, stat.pzxid) == (3, 1, zd)
    assert tree.get("/app/b") is None
    assert tree.children("/app") == ["c"]


def test_deleting_a_missing_child_still_moves_the_parent_pzxid(
    tree: DataTree, leader: Leader
) -> None:
    leader.create("/app")
    result = leader.apply(OpCode.deleteContainer, DeleteTxn("/app/gone"))
    assert result == ApplyResult(OpCode.deleteContainer, Err.NoNode, "/app/gone")
    assert tree.get("/app").pzxid == leader.zxid
    assert leader.delete("/nowhere/gone").err == Err.NoNode


def test_set_data_and_set_acl(tree: DataTree, leader: Leader) -> None:
    leader.create("/cfg", b"v0")
    zc = leader.zxid
    result = leader.set_data("/cfg", b"version-one", 1)
    zs = leader.zxid
    expected = Stat(zc, zs, T0 + 1, T0 + 2, 1, 0, 0, 0, 11, 0, zc)
    assert result == ApplyResult(
        OpCode.setData, Err.Ok, "/cfg", expected, events=(("/cfg", DATA_CHANGED, OPEN),)
    )
    assert tree.get("/cfg").data == b"version-one"

    result = leader.apply(OpCode.setACL, SetACLTxn("/cfg", digest_acl(), 1))
    assert result == ApplyResult(OpCode.setACL, Err.Ok, "/cfg", expected._replace(aversion=1))
    assert tree.get("/cfg").acl == tuple(digest_acl())

    assert leader.set_data("/missing", b"", 1) == ApplyResult(
        OpCode.setData, Err.NoNode, "/missing"
    )
    missing_acl = leader.apply(OpCode.setACL, SetACLTxn("/missing", world(1), 1))
    assert missing_acl == ApplyResult(OpCode.setACL, Err.NoNode, "/missing")


def test_reconfig_is_a_set_data_of_the_config_node(tree: DataTree, leader: Leader) -> None:
    result = leader.apply(OpCode.reconfig, SetDataTxn("/zookeeper/config", b"server.1=a", 4))
    assert result.op == OpCode.reconfig
    assert result.stat.version == 4
    assert triggers(result) == (("/zookeeper/config", DATA_CHANGED),)


def test_data_size_follows_paths_and_data(tree: DataTree, leader: Leader) -> None:
    fresh = tree.approximate_data_size()
    leader.create("/a", b"xyz")
    assert tree.approximate_data_size() == fresh + 2 + 3
    leader.set_data("/a", b"", 1)
    assert tree.approximate_data_size() == fresh + 2
    leader.delete("/a")
    assert tree.approximate_data_size() == fresh


def test_null_data_and_null_acl_stay_null(tree: DataTree, leader: Leader) -> None:
    leader.apply(OpCode.create, CreateTxn("/n", None, None, False, 1))
    node = tree.get("/n")
    assert node.data is None
    assert node.acl is OPEN_ACL_UNSAFE  # ZooKeeper's ACL id -1, kept out of the cache
    assert tree.stat("/n").dataLength == 0
    assert list(tree.acls) == [READ_ACL_UNSAFE]


def test_equal_acl_lists_share_one_tuple_until_the_last_user_goes(
    tree: DataTree, leader: Leader
) -> None:
    leader.create("/a", acl=digest_acl())
    leader.create("/b", acl=digest_acl())
    leader.create("/c", acl=world(31))
    a, b, c = tree.get("/a"), tree.get("/b"), tree.get("/c")
    assert a.acl is b.acl
    assert tree.acls.references(a.acl) == 2
    # A client's open ACL is cached like any other list; only the built-in nodes carry -1.
    assert c.acl == OPEN_ACL_UNSAFE
    assert c.acl is not OPEN_ACL_UNSAFE
    assert len(tree.acls) == 3

    leader.apply(OpCode.setACL, SetACLTxn("/a", world(31), 1))
    assert a.acl is c.acl
    assert tree.acls.references(b.acl) == 1
    leader.delete("/b")
    assert list(tree.acls) == [READ_ACL_UNSAFE, c.acl]
    assert tree.acls.references(c.acl) == 2


def test_ephemerals_are_indexed_by_session(tree: DataTree, leader: Leader) -> None:
    leader.apply(OpCode.createSession, CreateSessionTxn(30000))
    leader.create("/e", b"", ephemeral=True)
    assert tree.stat("/e").ephemeralOwner == SESSION
    assert tree.ephemerals(SESSION) == ["/e"]
    assert tree.sessions == {SESSION: 30000}
    leader.delete("/e")
    assert tree.ephemerals(SESSION) == []
    assert tree.ephemerals(OTHER_SESSION) == []


def test_close_session_deletes_listed_paths_first_then_the_rest(
    tree: DataTree, leader: Leader
) -> None:
    leader.apply(OpCode.createSession, CreateSessionTxn(30000))
    leader.apply(OpCode.createSession, CreateSessionTxn(10000), session=OTHER_SESSION)
    leader.create("/locks")
    for name in ("e1", "e2", "e3"):
        leader.create(f"/locks/{name}", ephemeral=True)
    leader.create("/locks/theirs", ephemeral=True, session=OTHER_SESSION)

    txn = CloseSessionTxn(["/locks/e3", "/locks/e1", "/locks/already-gone"])
    result = leader.apply(OpCode.closeSession, txn)
    zc = leader.zxid
    assert result == ApplyResult(
        OpCode.closeSession,
        events=(
            ("/locks/e3", DELETED, OPEN),
            ("/locks", CHILDREN_CHANGED, OPEN),
            ("/locks/e1", DELETED, OPEN),
            ("/locks", CHILDREN_CHANGED, OPEN),
            ("/locks/e2", DELETED, OPEN),
            ("/locks", CHILDREN_CHANGED, OPEN),
        ),
    )
    assert tree.children("/locks") == ["theirs"]
    assert tree.ephemerals(SESSION) == []
    assert tree.ephemerals(OTHER_SESSION) == ["/locks/theirs"]
    assert tree.sessions == {OTHER_SESSION: 10000}
    locks = tree.stat("/locks")
    assert (locks.cversion, locks.numChildren, locks.pzxid) == (7, 1, zc)


def test_close_session_logged_without_a_body(tree: DataTree, leader: Leader) -> None:
    leader.create("/e", ephemeral=True)
    result = leader.apply(OpCode.closeSession, None)
    assert triggers(result) == (("/e", DELETED), ("/", CHILDREN_CHANGED))
    assert tree.get("/e") is None


def test_container_and_ttl_nodes_carry_markers_clients_do_not_see() -> None:
    tree = DataTree(extended_types=True)
    leader = Leader(tree)
    container = leader.apply(OpCode.createContainer, CreateContainerTxn("/c", b"", world(31), 1))
    zc = leader.zxid
    assert container.stat == Stat(zc, zc, T0 + 1, T0 + 1, 0, 0, 0, 0, 0, 0, zc)
    assert tree.get("/c").ephemeralOwner == CONTAINER_OWNER == 0x8000_0000_0000_0000 - (1 << 64)

    ttl = leader.apply(OpCode.createTTL, CreateTTLTxn("/t", b"x", world(31), 2, 5000))
    assert ttl.stat.ephemeralOwner == 0
    assert ttl.stat.dataLength == 1
    owner = tree.get("/t").ephemeralOwner
    assert owner == 0xFF00_0000_0000_1388 - (1 << 64)
    assert owner_ttl(owner) == 5000
    assert tree.containers() == {"/c"}
    assert tree.ttls() == {"/t"}
    assert tree.ephemerals(owner) == []

    leader.apply(OpCode.deleteContainer, DeleteTxn("/c"))
    leader.delete("/t")
    assert tree.containers() == frozenset()
    assert tree.ttls() == frozenset()


def test_without_extended_types_a_ttl_marker_reads_as_a_session(tree: DataTree) -> None:
    leader = Leader(tree)
    leader.apply(OpCode.createTTL, CreateTTLTxn("/t", b"", world(31), 1, 5000))
    owner = ttl_owner(5000)
    assert tree.ttls() == frozenset()
    assert tree.ephemerals(owner) == ["/t"]
    assert tree.stat("/t").ephemeralOwner == owner


def test_a_ttl_out_of_range_is_refused_before_any_change(tree: DataTree, leader: Leader) -> None:
    before = state(tree)
    with pytest.raises(ValueError):
        leader.apply(OpCode.createTTL, CreateTTLTxn("/t", b"", world(31), 1, 0))
    with pytest.raises(ValueError):
        leader.multi(
            (OpCode.create, CreateTxn("/ok", b"", world(31), False, 1)),
            (OpCode.createTTL, CreateTTLTxn("/t", b"", world(31), 2, (1 << 40))),
        )
    assert state(tree) == before


def test_check_error_and_create_session_change_no_znode(tree: DataTree, leader: Leader) -> None:
    before = state(tree)["nodes"]
    check = leader.apply(OpCode.check, CheckVersionTxn("/zookeeper", 0))
    assert check == ApplyResult(OpCode.check, Err.Ok, "/zookeeper")
    assert leader.apply(OpCode.error, ErrorTxn(-103)) == ApplyResult(OpCode.error, Err.BadVersion)
    assert leader.apply(OpCode.createSession, CreateSessionTxn(4000)).op == OpCode.createSession
    assert state(tree)["nodes"] == before
    assert tree.last_processed_zxid == leader.zxid


def test_a_multi_applies_every_op_at_one_zxid(tree: DataTree, leader: Leader) -> None:
    leader.create("/m")
    result = leader.multi(
        (OpCode.create2, CreateTxn("/m/a", b"", world(31), False, 1)),
        (OpCode.setData, SetDataTxn("/m/a", b"on", 1)),
        (OpCode.check, CheckVersionTxn("/m/a", 1)),
        (OpCode.create, CreateTxn("/m/b", b"", world(31), False, 2)),
    )
    z = leader.zxid
    create2, set_data, check, create = result.results
    assert (result.op, result.err, result.path, result.stat) == (OpCode.multi, Err.Ok, None, None)
    assert create2.stat == Stat(z, z, T0 + 2, T0 + 2, 0, 0, 0, 0, 0, 0, z)
    assert set_data.stat == Stat(z, z, T0 + 2, T0 + 2, 1, 0, 0, 0, 2, 0, z)
    assert check == ApplyResult(OpCode.check, Err.Ok, "/m/a")
    assert (create.op, create.path, create.stat) == (OpCode.create, "/m/b", None)
    assert triggers(result) == (
        ("/m/a", CREATED),
        ("/m", CHILDREN_CHANGED),
        ("/m/a", DATA_CHANGED),
        ("/m/b", CREATED),
        ("/m", CHILDREN_CHANGED),
    )
    assert tree.stat("/m") == Stat(z - 1, z - 1, T0 + 1, T0 + 1, 0, 2, 0, 0, 0, 2, z)


def test_a_failed_multi_changes_nothing(tree: DataTree, leader: Leader) -> None:
    leader.create("/m", b"old")
    before = state(tree)
    # As prep logs it: the ops before the failure as real txns, then the failing op's error,
    # then RuntimeInconsistency for the rest.
    result = leader.multi(
        (OpCode.create, CreateTxn("/m/a", b"", world(31), False, 1)),
        (OpCode.setData, SetDataTxn("/m", b"new", 1)),
        (OpCode.error, ErrorTxn(int(Err.NoNode))),
        (OpCode.error, ErrorTxn(int(Err.RuntimeInconsistency))),
    )
    assert result == ApplyResult(
        OpCode.multi,
        Err.NoNode,
        results=(
            ApplyResult(OpCode.error, Err.Ok),
            ApplyResult(OpCode.error, Err.Ok),
            ApplyResult(OpCode.error, Err.NoNode),
            ApplyResult(OpCode.error, Err.RuntimeInconsistency),
        ),
    )
    assert state(tree) == before
    assert tree.last_processed_zxid == leader.zxid


def test_real_ops_after_a_multi_error_become_runtime_inconsistency(
    tree: DataTree, leader: Leader
) -> None:
    leader.create("/m", b"old")
    result = leader.multi(
        (OpCode.error, ErrorTxn(int(Err.BadVersion))),
        (OpCode.setData, SetDataTxn("/m", b"new", 1)),
    )
    assert [(r.op, r.err) for r in result.results] == [
        (OpCode.error, Err.BadVersion),
        (OpCode.error, Err.RuntimeInconsistency),
    ]
    assert result.err == Err.BadVersion
    assert tree.get("/m").data == b"old"


def test_a_multi_with_an_op_prep_never_logs_is_refused_whole(
    tree: DataTree, leader: Leader
) -> None:
    before = state(tree)
    with pytest.raises(ValueError, match="invalid op type 7"):
        leader.multi(
            (OpCode.create, CreateTxn("/ok", b"", world(31), False, 1)),
            (OpCode.setACL, SetACLTxn("/ok", world(1), 1)),
        )
    assert state(tree) == before


def test_an_unknown_txn_type_is_refused(tree: DataTree) -> None:
    with pytest.raises(ValueError, match="cannot apply txn type 4"):
        tree.apply(TxnHeader(SESSION, 1, 5, T0, OpCode.getData), None)
    assert tree.last_processed_zxid == 0


def test_replaying_the_whole_log_again_changes_nothing() -> None:
    tree = DataTree(extended_types=True)
    leader = Leader(tree)
    leader.apply(OpCode.createSession, CreateSessionTxn(30000))
    leader.create("/app", b"v0", digest_acl())
    leader.create("/app/e", b"", ephemeral=True)
    leader.set_data("/app", b"v1", 1)
    leader.apply(OpCode.createContainer, CreateContainerTxn("/c", b"", world(31), 2))
    leader.apply(OpCode.createTTL, CreateTTLTxn("/t", b"", world(31), 3, 60_000))
    leader.apply(OpCode.setACL, SetACLTxn("/app", world(31), 1))
    leader.multi(
        (OpCode.create, CreateTxn("/app/x", b"", world(31), False, 2)),
        (OpCode.delete, DeleteTxn("/app/x")),
    )
    leader.create("/c/child")
    leader.apply(OpCode.closeSession, CloseSessionTxn(["/app/e"]))
    leader.delete("/t")
    after_first_pass = state(tree)

    replayed = [tree.apply(header, txn) for header, txn in leader.log]

    assert state(tree) == after_first_pass
    assert replayed[1].err == Err.NodeExists  # /app
    assert replayed[2].err == Err.Ok  # /app/e was gone, comes back, and closeSession removes it


def test_a_replayed_create_over_a_fuzzy_snapshot_still_raises_the_parent_cversion(
    tree: DataTree, leader: Leader
) -> None:
    leader.create("/p")
    leader.create("/p/a")
    assert tree.get("/p").cversion == 1
    # The snapshot caught /p/a from a later re-create but /p before two more creates.
    late = leader.apply(OpCode.create, CreateTxn("/p/a", b"", world(31), False, 3))
    assert late == ApplyResult(OpCode.create, Err.NodeExists, "/p/a")
    assert (tree.get("/p").cversion, tree.get("/p").pzxid) == (3, leader.zxid)
    # An older create never moves it back, and ZooKeeper adjusts for plain create only.
    leader.apply(OpCode.create, CreateTxn("/p/a", b"", world(31), False, 2))
    leader.apply(OpCode.create2, CreateTxn("/p/a", b"", world(31), False, 9))
    assert tree.get("/p").cversion == 3


def test_read_helpers(tree: DataTree, leader: Leader) -> None:
    leader.create("/a")
    leader.create("/a/b")
    leader.create("/a/b/c")
    leader.create("/a/d")
    assert tree.all_children_number("/a") == 3
    assert tree.all_children_number("/a/b/c") == 0
    assert tree.all_children_number("/") == 7
    assert tree.all_children_number("/missing") == 0
    assert sorted(tree.children("/a")) == ["b", "d"]
    assert tree.children("/missing") is None
    assert tree.get("/missing") is None
    assert tree.stat("/missing") is None
    assert tree.node_count() == 9


def test_triggers_carry_the_acl_a_watcher_must_read(tree: DataTree, leader: Leader) -> None:
    """The node's own ACL for its events, the parent's for NodeChildrenChanged, and the
    deleted node's for NodeDeleted: what ZooKeeper checks before it delivers an event."""
    leader.create("/p", b"", acl=world(1))
    created = leader.create("/p/c", b"", acl=digest_acl())
    secret, public = tuple(digest_acl()), tuple(world(1))
    assert created.events == (("/p/c", CREATED, secret), ("/p", CHILDREN_CHANGED, public))
    assert leader.set_data("/p/c", b"x", 1).events == (("/p/c", DATA_CHANGED, secret),)
    deleted = leader.delete("/p/c")
    assert deleted.events == (("/p/c", DELETED, secret), ("/p", CHILDREN_CHANGED, public))
