"""Snapshots, checked against files Apache ZooKeeper 3.8 wrote itself.

tests/fixtures/zk38_snap/version-2 is the snapshot dir of a real ZooKeeper 3.8.0 (made by
tests/fixtures/make_zk38_snapshot.py): ``snapshot.0`` of the fresh tree it writes on first
start, and ``snapshot.17`` plain, ``.gz`` and ``.snappy`` of one tree, each written as the
server restarted. ``expected.json`` is what clients saw over the wire before the restarts:
independent evidence, not our reader's opinion.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jute.records import (
    ACL,
    CreateSessionTxn,
    CreateTxn,
    DeleteTxn,
    Id,
    SetACLTxn,
    SetDataTxn,
    StatPersisted,
    TxnHeader,
)
from zkcompat.constants import OpCode
from zkcompat.datatree import CONTAINER_OWNER, OPEN_ACL_UNSAFE, DataNode, DataTree, ttl_owner
from zkcompat.storage import snapshot as snap
from zkcompat.storage.snapshot import SnapshotChecksumError, SnapshotError

FIXTURES = Path(__file__).parent / "fixtures" / "zk38_snap"
SNAP_DIR = FIXTURES / "version-2"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
ZXID = EXPECTED["zxid"]
PLAIN = SNAP_DIR / snap.snapshot_name(ZXID)
COMPRESSED = [SNAP_DIR / snap.snapshot_name(ZXID, c) for c in snap.COMPRESSIONS]
SESSION_A, SESSION_B = EXPECTED["session_a"], EXPECTED["session_b"]

# ZooKeeper numbers ACL lists as they first appear and never reuses a number: 1 is
# /zookeeper/config's READ_ACL_UNSAFE, made with the tree; the script's creates then make
# 2 (world all), 3 (alice + world read), 4 (bob), 5 (/gone's, freed when it was deleted), 6.
# -1 is OPEN_ACL_UNSAFE of the built-in znodes, kept out of the cache.
ACL_IDS = {
    "/": -1,
    "/zookeeper": -1,
    "/zookeeper/quota": -1,
    "/zookeeper/config": 1,
    "/app/empty": 1,  # setACL to a list equal to READ_ACL_UNSAFE shares id 1
    "/app": 2,
    "/app/seq-0000000002": 2,
    "/app/seq-0000000004": 2,
    "/locks": 2,
    "/eph": 2,
    "/app/config": 3,
    "/secure": 4,
    "/locks/lock-0000000000": 4,
    "/ttl": 6,
    "/ttl/item-0000000000": 6,
}


# znode records are read by the compiled scanner (zkcompat/storage/_snapscan.c) where it was
# built and by the Python loop otherwise: every test that reads a snapshot runs with both.
COMPILED_SCANNER = snap._snapscan  # as imported, before any test swaps it out
SCANNERS = {"c": COMPILED_SCANNER, "python": None}


@pytest.fixture(params=sorted(SCANNERS))
def scanner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Read znode records with one scanner for the test."""
    if request.param == "c" and COMPILED_SCANNER is None:
        pytest.skip("zkcompat.storage._snapscan was not built")
    monkeypatch.setattr(snap, "_snapscan", SCANNERS[request.param])
    return request.param


both = pytest.mark.usefixtures("scanner")


def uncompressed(path: Path) -> bytes:
    return snap._decompress(path.read_bytes(), snap.compression_of(path.name))


def expected_stat(path: str) -> StatPersisted:
    """The stat a snapshot must hold, from the Stat a client saw: stored cversion counts
    creations only, and containers and TTL nodes show ephemeralOwner 0 to clients."""
    wire = EXPECTED["nodes"][path]["stat"]
    owner = wire["ephemeralOwner"]
    if path == "/locks":
        owner = CONTAINER_OWNER
    elif path.startswith("/ttl"):
        owner = ttl_owner(EXPECTED["ttl_ms"])
    return StatPersisted(
        wire["czxid"],
        wire["mzxid"],
        wire["ctime"],
        wire["mtime"],
        wire["version"],
        (wire["cversion"] + wire["numChildren"]) // 2,
        wire["aversion"],
        owner,
        wire["pzxid"],
    )


def contents(tree: DataTree) -> dict[str, Any]:
    """Everything a snapshot restores, ACLs by value."""
    return {
        path: (node.data, list(node.acl), node.stat_persisted(), sorted(node.children))
        for path, node in tree.nodes.items()
    }


@both
def test_reads_every_znode_zookeeper_wrote_with_its_exact_stat_data_and_acl() -> None:
    tree, sessions, zxid = snap.read_snapshot(PLAIN, extended_types=True)

    assert zxid == ZXID == tree.last_processed_zxid
    assert sorted(tree.nodes) == sorted(EXPECTED["nodes"])
    for path, seen in EXPECTED["nodes"].items():
        node = tree.get(path)
        assert node.data == (None if seen["data"] is None else bytes.fromhex(seen["data"])), path
        assert node.stat_persisted() == expected_stat(path), path
        assert [[a.perms, a.id.scheme, a.id.id] for a in node.acl] == seen["acl"], path
        assert sorted(node.children) == seen["children"], path
        assert tree.acls.acl_id(node.acl) == ACL_IDS[path], path
    assert tree.get("/").acl is OPEN_ACL_UNSAFE
    assert tree.get("/app/empty").acl is tree.get("/zookeeper/config").acl
    assert tree.get("/app/empty").data is None  # a null buffer stays null
    assert sessions == {int(s): t for s, t in EXPECTED["sessions"].items()} == tree.sessions


@both
def test_rebuilds_the_ephemeral_container_and_ttl_indexes() -> None:
    tree, _, _ = snap.read_snapshot(PLAIN, extended_types=True)

    assert tree.ephemerals(SESSION_A) == ["/locks/lock-0000000000"]
    assert tree.ephemerals(SESSION_B) == ["/eph"]
    assert tree.containers() == {"/locks"}
    assert tree.ttls() == {"/ttl", "/ttl/item-0000000000"}
    assert tree.approximate_data_size() == sum(
        len(p) + len(n.data or b"") for p, n in tree.nodes.items()
    )


@both
def test_without_extended_types_ttl_owners_read_as_a_session_as_in_zookeeper() -> None:
    tree, _, _ = snap.read_snapshot(PLAIN)

    assert tree.ttls() == frozenset()
    assert tree.ephemerals(ttl_owner(EXPECTED["ttl_ms"])) == ["/ttl", "/ttl/item-0000000000"]


@both
def test_new_acl_lists_are_numbered_after_the_largest_id_read() -> None:
    tree, _, _ = snap.read_snapshot(PLAIN, extended_types=True)

    fresh = tree.acls.intern([ACL(3, Id("world", "anyone"))])

    assert tree.acls.acl_id(fresh) == 7


@both
@pytest.mark.parametrize("path", COMPRESSED, ids=lambda p: p.name)
def test_gzip_and_snappy_snapshots_hold_the_same_tree(path: Path) -> None:
    plain = snap.load_snapshot(PLAIN, extended_types=True)

    packed = snap.load_snapshot(path, extended_types=True)

    assert contents(packed.tree) == contents(plain.tree)
    assert packed.sessions == plain.sessions
    assert packed.zxid == ZXID


@both
def test_writing_zookeepers_snapshot_back_gives_the_same_bytes() -> None:
    tree, sessions, _ = snap.read_snapshot(PLAIN, extended_types=True)

    assert snap.serialize_snapshot(tree, sessions) == PLAIN.read_bytes()


def test_a_fresh_tree_serializes_to_the_snapshot_zookeeper_writes_on_first_start() -> None:
    assert snap.serialize_snapshot(DataTree(), {}) == (SNAP_DIR / "snapshot.0").read_bytes()


@both
@pytest.mark.parametrize("path", COMPRESSED, ids=lambda p: p.name)
def test_compressed_round_trip_differs_only_in_the_digest_zookeeper_left_out(path: Path) -> None:
    """ZooKeeper wrote these on restarts that applied no txn after loading, when it has no
    digest to record (zxid 0); we always record the tree's. Everything before that matches."""
    raw = uncompressed(path)
    loaded = snap.load_snapshot(path, extended_types=True)
    body_end = len(raw) - 2 * (8 + 5) - 20  # two seals around a 20-byte digest section

    ours = snap.serialize_snapshot(loaded.tree, loaded.sessions)

    assert loaded.digest == snap.ZxidDigest(0, 2, 0)
    assert ours[:body_end] == raw[:body_end]
    assert ours == PLAIN.read_bytes()


def test_our_gzip_stream_is_byte_for_byte_javas() -> None:
    path = SNAP_DIR / snap.snapshot_name(ZXID, "gz")
    encoder = snap._Gzip()

    packed = encoder.compress(uncompressed(path)) + encoder.flush()

    assert packed == path.read_bytes()


@both
def test_our_tree_digest_is_the_one_zookeeper_recorded() -> None:
    loaded = snap.load_snapshot(PLAIN, extended_types=True)

    assert loaded.digest is not None and loaded.digest.zxid == ZXID
    assert snap.tree_digest(loaded.tree) == loaded.digest.digest


@both
def test_a_corrupted_byte_fails_the_checksum(tmp_path: Path) -> None:
    raw = bytearray(PLAIN.read_bytes())
    raw[raw.index(b"app-v2")] ^= 0x01
    damaged = tmp_path / PLAIN.name
    damaged.write_bytes(raw)

    with pytest.raises(SnapshotChecksumError) as caught:
        snap.read_snapshot(damaged)

    assert caught.value.offset == len(raw) - 2 * 13 - 20  # where the first seal sits
    assert caught.value.stored != caught.value.computed
    assert snap.is_valid_snapshot(damaged)  # the quick check cannot see it; reading does


@both
def test_a_corrupted_digest_section_fails_the_second_checksum(tmp_path: Path) -> None:
    raw = bytearray(PLAIN.read_bytes())
    raw[-13 - 1] ^= 0x01  # last byte of the digest itself
    damaged = tmp_path / PLAIN.name
    damaged.write_bytes(raw)

    with pytest.raises(SnapshotChecksumError, match=r"^digest"):
        snap.read_snapshot(damaged)


@both
def test_a_digest_that_does_not_match_the_tree_is_reported_and_the_tree_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As in ZooKeeper: a digest mismatch is logged, not fatal. The seal over the digest
    section is recomputed, so only the digest comparison can notice."""
    raw = bytearray(PLAIN.read_bytes())
    digest_at = len(raw) - 13 - 8
    recorded = int.from_bytes(raw[digest_at : digest_at + 8], "big", signed=True)
    raw[digest_at : digest_at + 8] = (recorded + 1).to_bytes(8, "big", signed=True)
    raw[-13:-5] = zlib.adler32(bytes(raw[:-13])).to_bytes(8, "big")
    damaged = tmp_path / PLAIN.name
    damaged.write_bytes(raw)

    with caplog.at_level("WARNING"):
        tree, _, _ = snap.read_snapshot(damaged, extended_types=True)

    assert tree.node_count() == snap.read_snapshot(PLAIN, extended_types=True)[0].node_count()
    expected = f"tree digest {recorded:#x} differs from the recorded {recorded + 1:#x}"
    assert any(expected in message for message in caplog.messages), caplog.messages


@both
def test_an_intact_snapshot_logs_no_digest_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        snap.read_snapshot(PLAIN, extended_types=True)
    assert not [m for m in caplog.messages if "digest" in m]


@both
@pytest.mark.parametrize("keep", [0, 9, 100, 1000, -14, -1])
def test_a_truncated_snapshot_is_an_error_and_fails_the_quick_check(
    tmp_path: Path, keep: int
) -> None:
    raw = PLAIN.read_bytes()
    cut = tmp_path / PLAIN.name
    cut.write_bytes(raw[:keep])

    with pytest.raises(SnapshotError):
        snap.read_snapshot(cut)
    assert not snap.is_valid_snapshot(cut)


@both
def test_a_truncated_gzip_snapshot_is_an_error(tmp_path: Path) -> None:
    path = SNAP_DIR / snap.snapshot_name(ZXID, "gz")
    cut = tmp_path / path.name
    cut.write_bytes(path.read_bytes()[:-20])

    with pytest.raises(SnapshotError, match="gzip"):
        snap.read_snapshot(cut)


@both
def test_a_znode_whose_parent_is_missing_is_an_invalid_tree(tmp_path: Path) -> None:
    tree = DataTree()
    tree.restore_node("/a", b"", OPEN_ACL_UNSAFE, StatPersisted(1, 1, 0, 0, 0, 0, 0, 0, 1))
    tree.restore_node("/a/b", b"", OPEN_ACL_UNSAFE, StatPersisted(2, 2, 0, 0, 0, 0, 0, 0, 2))
    raw = snap.serialize_snapshot(tree, {}).replace(
        b"\x00\x00\x00\x02/a\x00", b"\x00\x00\x00\x02/x\x00"
    )
    path = tmp_path / "snapshot.0"
    path.write_bytes(raw)

    with pytest.raises(SnapshotError, match="parent '/a' of '/a/b' is missing"):
        snap.read_snapshot(path)


@both
def test_a_file_without_the_magic_is_not_a_snapshot(tmp_path: Path) -> None:
    path = tmp_path / PLAIN.name
    path.write_bytes(b"ZKLG" + PLAIN.read_bytes()[4:])

    with pytest.raises(SnapshotError, match="not ZKSN"):
        snap.read_snapshot(path)


@pytest.mark.parametrize(
    ("name", "zxid"),
    [
        ("snapshot.17", 0x17),
        ("snapshot.100000001.gz", 0x100000001),
        ("snapshot.5.tmp", 5),  # ZooKeeper parses the part after the first dot only
        ("snapshot.+a", 10),  # Long.parseLong takes a sign
        ("snapshot.-1", -1),
        ("snapshot.0x5", -1),
        ("snapshot.1_0", -1),
        ("snapshot.ffffffffffffffff", -1),  # too big for a signed long
        ("snapshot", -1),
        ("snapshot.", -1),
        ("log.5", -1),
    ],
)
def test_zxid_from_name_follows_zookeeper(name: str, zxid: int) -> None:
    assert snap.zxid_from_name(name) == zxid


def test_names_carry_the_zxid_in_lowercase_hex_and_the_compression() -> None:
    assert snap.snapshot_name(0x1_0000_00AB) == "snapshot.1000000ab"
    assert snap.snapshot_name(0, "gz") == "snapshot.0.gz"
    assert snap.compression_of("snapshot.5.GZ") == "gz"
    assert snap.compression_of("snapshot.5.snappy") == "snappy"
    assert snap.compression_of("snapshot.5") is None
    assert snap.compression_of("snapshot.5.tmp") is None


def test_find_snapshots_lists_valid_ones_newest_first(tmp_path: Path) -> None:
    for path in [PLAIN, *COMPRESSED, SNAP_DIR / "snapshot.0"]:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "snapshot.20").write_bytes(PLAIN.read_bytes()[:-3])  # torn by a crash
    (tmp_path / "snapshot.21.tmp").write_bytes(PLAIN.read_bytes()[:100])
    (tmp_path / "snapshot.xyz").write_bytes(PLAIN.read_bytes())
    (tmp_path / "log.30").write_bytes(b"")

    found = snap.find_snapshots(tmp_path)

    assert [p.name for p in found] == [
        "snapshot.17",
        "snapshot.17.gz",
        "snapshot.17.snappy",
        "snapshot.0",
    ]
    assert snap.find_snapshots(tmp_path, limit=1) == [tmp_path / "snapshot.17"]
    assert snap.find_snapshots(tmp_path / "missing") == []


@both
def test_write_snapshot_renames_a_whole_file_into_place(tmp_path: Path) -> None:
    tree, sessions, _ = snap.read_snapshot(PLAIN, extended_types=True)

    written = snap.write_snapshot(tree, sessions, ZXID, tmp_path / "version-2")

    assert written == tmp_path / "version-2" / "snapshot.17"
    assert [p.name for p in written.parent.iterdir()] == ["snapshot.17"]
    assert written.read_bytes() == PLAIN.read_bytes()


@both
def test_write_snapshot_compresses_with_gzip(tmp_path: Path) -> None:
    tree, sessions, _ = snap.read_snapshot(PLAIN, extended_types=True)

    written = snap.write_snapshot(tree, sessions, ZXID, tmp_path, compression="gz")

    assert written.name == "snapshot.17.gz"
    assert uncompressed(written) == PLAIN.read_bytes()
    assert snap.find_snapshots(tmp_path) == [written]


def test_write_snapshot_refuses_a_zxid_the_tree_has_not_reached(tmp_path: Path) -> None:
    tree = DataTree()

    with pytest.raises(ValueError, match="ahead of the tree"):
        snap.write_snapshot(tree, {}, 5, tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- fuzzy snapshots ---------------------------------------------------------------------


class Log:
    """Applies txns with consecutive zxids to a live tree and keeps them, as a txn log."""

    def __init__(self, tree: DataTree) -> None:
        self.tree, self.zxid = tree, 0x1_0000_0000
        self.entries: list[tuple[TxnHeader, Any]] = []

    def apply(self, op: OpCode, txn: Any, session: int = 0x77) -> None:
        self.zxid += 1
        header = TxnHeader(session, 1, self.zxid, 1_700_000_000_000 + self.zxid % 1000, op)
        self.entries.append((header, txn))
        self.tree.apply(header, txn)

    def create(self, path: str, acl: list[Any], ephemeral: bool = False) -> None:
        parent = self.tree.get(path[: path.rfind("/")] or "/")
        txn = CreateTxn(path, path.encode(), acl, ephemeral, parent.cversion + 1)
        self.apply(OpCode.create, txn)

    def after(self, zxid: int) -> Iterator[tuple[TxnHeader, Any]]:
        return ((h, t) for h, t in self.entries if h.zxid > zxid)


def world(perms: int) -> list[ACL]:
    return [ACL(perms, Id("world", "anyone"))]


@both
def test_a_fuzzy_snapshot_plus_the_later_txns_restores_the_live_tree(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    live = DataTree()
    log = Log(live)
    log.apply(OpCode.createSession, CreateSessionTxn(30000))
    for top in ("/a", "/b", "/c"):
        log.create(top, world(31))
        for i in range(6):
            log.create(f"{top}/n{i}", world(31) if i % 2 else world(3))
    log.create("/b/n0/eph", world(31), ephemeral=True)
    start = live.last_processed_zxid
    monkeypatch.setattr(snap, "_CHUNK", 1)  # suspend after every znode
    chunks = snap.iter_snapshot(live, dict(live.sessions))

    written = [next(chunks)]  # the header, sessions, ACL map and root are out
    log.create("/b/fresh-list", world(17))  # new ACL list, created after the start: left out
    log.create("/b/old-list", world(3))  # created after the start, but its list is written
    log.apply(OpCode.setACL, SetACLTxn("/c/n1", world(19), 1))  # new list on an old znode
    log.apply(OpCode.delete, DeleteTxn("/a/n5"))
    log.apply(OpCode.createSession, CreateSessionTxn(5000), session=0x78)
    for i, chunk in enumerate(chunks):
        written.append(chunk)
        if i % 3 == 0:
            log.apply(OpCode.setData, SetDataTxn("/c/n2", f"v{i}".encode(), i + 1))
        if i == 5:
            log.create(f"/c/late{i}", world(31))
    path = tmp_path / snap.snapshot_name(start)
    path.write_bytes(b"".join(written))

    restored = snap.load_snapshot(path)
    assert restored.tree.get("/b/fresh-list") is None
    assert restored.tree.get("/b/old-list") is not None  # fuzzy: a txn after the start shows
    assert restored.tree.get("/c/n1").acl is OPEN_ACL_UNSAFE  # until the setACL is replayed
    assert restored.tree.get("/a/n5") is None
    for header, txn in log.after(start):
        restored.tree.apply(header, txn)

    assert restored.zxid == start
    assert restored.digest == snap.ZxidDigest(0, 2, 0)  # the tree moved: no digest to give
    assert contents(restored.tree) == contents(live)
    assert restored.tree.sessions == live.sessions
    assert restored.tree.ephemerals(0x77) == live.ephemerals(0x77) == ["/b/n0/eph"]


def test_a_snapshot_of_a_still_tree_records_its_digest() -> None:
    live = DataTree()
    log = Log(live)
    log.create("/a", world(31))

    raw = snap.serialize_snapshot(live, {})

    zxid, version, digest = snap._DIGEST.unpack_from(raw, len(raw) - 13 - 20)
    assert (zxid, version, digest) == (live.last_processed_zxid, 2, snap.tree_digest(live))


@both
def test_children_come_back_in_the_order_they_were_listed() -> None:
    """A snapshot stores children in HashSet order and a load re-adds them in that order, so a
    set that only grew lists its children the same way after a restart, as in ZooKeeper."""
    live = DataTree()
    log = Log(live)
    log.create("/q", world(31))
    for number in range(40):
        log.create(f"/q/item-{number:010d}", world(31))

    restored = snap.parse_snapshot(snap.serialize_snapshot(live, {}), live.last_processed_zxid)

    assert restored.tree.children("/q") == live.children("/q")
    assert restored.tree.children("/q") != sorted(live.children("/q"))
    assert restored.tree.get("/q").children.table == live.get("/q").children.table == 64


# --- the compiled scanner and the Python loop ---------------------------------------------


def read_records(raw: bytes, scanner: str, chunk: int = snap._SCAN_CHUNK) -> Any:
    """Read an uncompressed snapshot's znode records as parse_snapshot does, with one scanner
    taking ``chunk`` records a call: the tree's contents, each ACL id's references, the digest
    and where reading stopped; or the error's type and message."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(snap, "_snapscan", SCANNERS[scanner])
        patch.setattr(snap, "_SCAN_CHUNK", chunk)
        cursor = snap._Cursor(raw)
        try:
            cursor.skip(snap._FILE_HEADER_SIZE, "file header")
            for _ in range(cursor.int("session count")):
                cursor.long("session id")
                cursor.int("session timeout")
            tree = DataTree.empty()
            acls = snap._AclResolver(tree.acls, snap._read_acl_map(cursor))
            tree.restore_nodes(cursor.nodes(acls))
            acls.finish()
        except (SnapshotError, ValueError) as exc:
            return type(exc), str(exc)
    return contents(tree), acl_references(tree), acls.digest, cursor.pos


def acl_references(tree: DataTree) -> dict[int, int]:
    return {tree.acls.acl_id(acl): tree.acls.references(acl) for acl in tree.acls}


needs_compiled = pytest.mark.skipif(
    COMPILED_SCANNER is None, reason="zkcompat.storage._snapscan was not built"
)


def test_the_compiled_scanner_reads_znode_records_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """make test builds it (a C compiler is part of the set-up); the Python loop is only the
    fallback for an install without one."""
    assert snap.SCANNER_AVAILABLE
    assert snap._snapscan is COMPILED_SCANNER is not None
    starts: list[int] = []
    scan = COMPILED_SCANNER.scan

    def counted(*args: Any) -> Any:
        starts.append(args[1])
        return scan(*args)

    monkeypatch.setattr(COMPILED_SCANNER, "scan", counted)

    tree, _, _ = snap.read_snapshot(PLAIN, extended_types=True)

    assert starts  # once per ACL list first seen, then on to the end marker
    assert sorted(tree.nodes) == sorted(EXPECTED["nodes"])


@needs_compiled
def test_both_scanners_read_every_cut_and_every_flipped_byte_alike() -> None:
    """The same records, digest and references from any damaged file, or the same error: both
    stop at one record, and the compiled one hands it to the same field-by-field re-read."""
    raw = PLAIN.read_bytes()
    cases = [raw[:cut] for cut in range(len(raw))]
    for at in range(len(raw)):
        for bits in (0x01, 0x80, 0xFF):
            cases.append(raw[:at] + bytes([raw[at] ^ bits]) + raw[at + 1 :])

    for number, case in enumerate(cases):
        assert read_records(case, "c") == read_records(case, "python"), number


@both
def test_a_snapshot_cut_anywhere_is_an_error() -> None:
    raw = PLAIN.read_bytes()
    pre_36_end = len(raw) - 13 - 20  # a snapshot from before 3.6 ends at its first seal

    for cut in range(len(raw)):
        if cut == pre_36_end:
            assert snap.parse_snapshot(raw[:cut], ZXID).digest is None
            continue
        with pytest.raises(SnapshotError):
            snap.parse_snapshot(raw[:cut], ZXID)


def one_child_snapshot() -> bytes:
    """A tree of "/", the built-ins and "/a" holding b"x" with OPEN_ACL_UNSAFE (id -1)."""
    tree = DataTree()
    tree.restore_node("/a", b"x", OPEN_ACL_UNSAFE, StatPersisted(1, 1, 0, 0, 0, 0, 0, 0, 1))
    return snap.serialize_snapshot(tree, {})


_A_RECORD = b"\x00\x00\x00\x02/a\x00\x00\x00\x01x" + b"\xff" * 8  # path, data, ACL id -1


@both
@pytest.mark.parametrize(
    ("record", "error"),
    [
        (b"\x00\x00\x00\x02/\xff\x00\x00\x00\x01x" + b"\xff" * 8, r"^path before byte \d+ is not"),
        (b"\xff\xff\xff\xff", r"^null path before byte \d+$"),
        (b"\x00\x00\x00\x02/a\xff\xff\xff\xfe", r"^truncated: data of '/a' at byte \d+ needs -2"),
        (b"\x00\x00\x00\x02/a\x00\x00\x00\x01x" + b"\x00" * 7 + b"\x63", "names ACL id 99, not"),
        (b"\x00\x00\x00\x0a/zookeeper\xff\xff\xff\xff" + b"\xff" * 8, "'/zookeeper' listed twice"),
    ],
    ids=["utf8", "null-path", "data-length", "unknown-acl", "twice"],
)
def test_an_unreadable_znode_record_is_reported_exactly(record: bytes, error: str) -> None:
    raw = one_child_snapshot()
    assert raw.count(_A_RECORD) == 1

    with pytest.raises(SnapshotError, match=error):
        snap.parse_snapshot(raw.replace(_A_RECORD, record), 1)


@both
def test_each_acl_list_is_referenced_once_per_znode_using_it() -> None:
    tree, _, _ = snap.read_snapshot(PLAIN, extended_types=True)

    used = Counter(tree.acls.acl_id(n.acl) for n in tree.nodes.values())
    del used[snap.OPEN_ACL_ID]  # kept out of the cache

    assert acl_references(tree) == used


@both
def test_a_restored_znode_has_every_slot_of_a_created_one() -> None:
    """restore_nodes fills DataNode's slots itself, without __init__: a slot added to
    DataNode must be restored too."""
    tree, _, _ = snap.read_snapshot(PLAIN, extended_types=True)

    for node in tree.nodes.values():
        assert all(hasattr(node, slot) for slot in DataNode.__slots__)


LONGS = st.integers(-(1 << 63), (1 << 63) - 1)
INTS = st.integers(-(1 << 31), (1 << 31) - 1)
ZNODES = st.lists(
    st.tuples(
        st.integers(0, 1 << 16),  # which earlier znode is the parent
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/"), min_size=1),
        st.none() | st.binary(max_size=24),
        st.integers(0, 3),  # ACL: OPEN_ACL_UNSAFE or one of three lists
        st.tuples(LONGS, LONGS, LONGS, LONGS, INTS, INTS, INTS, LONGS, LONGS),
    ),
    max_size=40,
)


def random_tree(znodes: list[tuple[Any, ...]]) -> DataTree:
    """A fresh tree plus ``znodes``, each under an earlier one (/zookeeper and its children
    included, whose digests do not count), with any stat and data."""
    tree = DataTree()
    lists = [None, world(31), world(1), [ACL(31, Id("digest", "u:p"))]]
    for parent_at, name, data, acl_at, stat in znodes:
        paths = list(tree.nodes)
        parent = paths[parent_at % len(paths)]
        path = f"{parent.rstrip('/')}/{name}"
        if path not in tree.nodes:
            acl = tree.acls.intern(lists[acl_at])
            tree.restore_node(path, data, acl, StatPersisted(*stat))
    return tree


@needs_compiled
@settings(max_examples=150, deadline=None)
@given(znodes=ZNODES, chunk=st.sampled_from([1, 2, 3, snap._SCAN_CHUNK]))
def test_both_scanners_restore_any_tree_with_zookeepers_digest(
    znodes: list[tuple[Any, ...]], chunk: int
) -> None:
    tree = random_tree(znodes)
    raw = snap.serialize_snapshot(tree, {})

    compiled = read_records(raw, "c", chunk)

    assert compiled == read_records(raw, "python")
    restored, references, digest, _ = compiled
    assert restored == contents(tree)
    assert references == acl_references(tree)
    assert digest == snap.tree_digest(tree)


def test_a_snapshot_file_streamed_in_slices_is_whole_or_absent(tmp_path) -> None:
    """The server writes a snapshot a slice at a time; the file appears under its name only
    on commit, and leaving without one (a failure midway) leaves nothing behind."""
    tree = DataTree()
    create = CreateTxn("/a", b"x", list(OPEN_ACL_UNSAFE), False, -1)
    tree.apply(TxnHeader(1, 1, 1, 0, OpCode.create), create)
    chunks = list(snap.iter_snapshot(tree, {}))
    with snap.SnapshotFile(1, tmp_path, fsync=False) as out:
        for chunk in chunks:
            out.write([chunk])
        assert not (tmp_path / "snapshot.1").exists()
        path = out.commit()
    assert path == tmp_path / "snapshot.1"
    assert path.read_bytes() == b"".join(chunks)
    assert snap.read_snapshot(path)[0].nodes["/a"].data == b"x"

    with pytest.raises(RuntimeError), snap.SnapshotFile(2, tmp_path, fsync=False) as out:
        out.write(chunks[:1])
        raise RuntimeError("the server stopped midway")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snapshot.1"]
