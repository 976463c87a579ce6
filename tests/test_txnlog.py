"""The txn log, checked against files Apache ZooKeeper 3.8 wrote.

``tests/fixtures/zk38/`` holds logs written by Debian's ZooKeeper 3.8.0 and a manifest of the
writes that produced them (``tests/fixtures/make_zk38_fixtures.py`` made both). We read those
files and find exactly those txns; we write the same txns and get the same bytes, padding
included; and we cut and corrupt them to see reading stop at the last intact entry.
"""

from __future__ import annotations

import json
import shutil
import struct
import threading
import zlib
from pathlib import Path
from typing import Any

import pytest

from jute.records import (
    ACL,
    CheckVersionTxn,
    CloseSessionTxn,
    CreateSessionTxn,
    CreateTxn,
    CreateTxnV0,
    ErrorTxn,
    Id,
    MultiTxn,
    SetDataTxn,
    Txn,
    TxnDigest,
    TxnHeader,
)
from zkcompat.constants import Err, OpCode
from zkcompat.datatree import DataTree, ttl_owner
from zkcompat.storage import txnlog
from zkcompat.storage.txnlog import (
    CorruptTail,
    LogPosition,
    TxnLogError,
    TxnLogReader,
    TxnLogWriter,
    deserialize_txn,
    last_logged_zxid,
    log_file_name,
    log_files,
    read_txns,
    serialize_txn,
    truncate,
    zxid_from_name,
)

FIXTURES = Path(__file__).parent / "fixtures" / "zk38"
DEFAULT = FIXTURES / "default"  # digests on, closeSession bodies, 1 KiB preallocation, 2 files
LEGACY = FIXTURES / "legacy"  # no digests, bodiless closeSession, no preallocation
WORLD = [ACL(31, Id("world", "anyone"))]
SESSION = 0x1000_0ABC_DEF0_0001
T0 = 1_700_000_000_000


def manifest(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "expected.json").read_text())


def raw_entries(path: Path) -> list[tuple[int, bytes]]:
    """(offset, payload) of each entry, walked with nothing but struct: an independent reading
    of the format, so the module is not checked against its own understanding."""
    data = path.read_bytes()
    assert data[:4] == b"ZKLG"
    assert struct.unpack(">iiq", data[:16])[1:] == (2, 0)  # version 2, dbid 0
    offset, entries = 16, []
    while offset + 12 <= len(data):
        checksum, length = struct.unpack_from(">qi", data, offset)
        if length == 0:
            break
        payload = data[offset + 12 : offset + 12 + length]
        assert checksum == zlib.adler32(payload)
        assert data[offset + 12 + length : offset + 13 + length] == b"B"
        entries.append((offset, payload))
        offset += 13 + length
    assert not data[offset:].strip(b"\0"), "only zeros follow the last entry"
    return entries


def copy_log(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "version-2"
    target.mkdir()
    for path in source.glob("log.*"):
        shutil.copyfile(path, target / path.name)
    return target


def header(zxid: int, op: OpCode, cxid: int = 0, session: int = SESSION) -> Any:
    return TxnHeader(session, cxid, zxid, T0 + zxid, int(op))


def create(zxid: int, path: str, data: bytes = b"") -> tuple[Any, Any]:
    return header(zxid, OpCode.create, cxid=zxid), CreateTxn(path, data, WORLD, False, -1)


# --- reading what ZooKeeper wrote --------------------------------------------------------


def test_every_txn_the_fixture_script_made_is_read_back_in_order() -> None:
    expected = manifest(DEFAULT)
    sessions = expected["sessions"]
    entries = list(read_txns(DEFAULT))

    assert [OpCode(e.header.type).name for e in entries] == [t["type"] for t in expected["txns"]]
    assert [e.header.zxid for e in entries] == list(range(1, len(expected["txns"]) + 1))
    for entry, want in zip(entries, expected["txns"], strict=True):
        header, txn = entry.header, entry.txn
        if want["zxid"] is not None:
            assert header.zxid == want["zxid"]
        assert header.clientId == sessions[want["session"]]
        if want["path"] is not None:
            assert txn.path == want["path"]
        if "ephemeral" in want:
            assert txn.ephemeral is want["ephemeral"]
        if "ttl" in want:
            assert txn.ttl == want["ttl"]
        if "err" in want:
            assert txn == ErrorTxn(want["err"])
        if "ops" in want:
            assert [OpCode(sub.type).name for sub in txn.txns] == want["ops"]
        if "paths2Delete" in want:
            assert sorted(txn.paths2Delete) == sorted(want["paths2Delete"])


def test_zookeeper_38_appends_a_digest_to_every_txn_but_a_failed_single_op() -> None:
    entries = list(read_txns(DEFAULT))
    without = [e.header.type for e in entries if e.digest is None]
    assert without == [OpCode.error]  # the create of an existing node, logged as NodeExists
    assert {e.digest.version for e in entries if e.digest is not None} == {2}


def test_a_failed_multi_keeps_the_ops_before_the_failure_and_errors_after_it() -> None:
    failed = [e for e in read_txns(DEFAULT) if e.header.type == OpCode.multi][1]
    create_op, failing, after = failed.txn.txns
    assert CreateTxn.decode(create_op.data)[0].path == "/app/m2"
    assert ErrorTxn.decode(failing.data)[0].err == Err.BadVersion
    assert ErrorTxn.decode(after.data)[0].err == Err.RuntimeInconsistency


def test_legacy_settings_write_no_digest_and_a_closesession_without_body() -> None:
    expected = manifest(LEGACY)
    entries = list(read_txns(LEGACY))
    assert [OpCode(e.header.type).name for e in entries] == [t["type"] for t in expected["txns"]]
    assert all(e.digest is None for e in entries)
    close = entries[-1]
    assert close.header.type == OpCode.closeSession and close.txn is None
    assert close.header.clientId == expected["sessions"]["a"]


def test_replaying_zookeepers_log_into_the_data_tree_rebuilds_its_tree() -> None:
    tree = DataTree(extended_types=True)
    for header, txn, _ in read_txns(DEFAULT):
        tree.apply(header, txn)
    app = tree.get("/app")
    assert app is not None and app.data == b"v2" and app.version == 1
    assert tree.children("/app") == ["c2"]  # seq deleted by the multi, ephemerals by closeSession
    assert tree.get("/app/c2").acl[0].id.scheme == "digest"
    assert tree.get("/ttl").ephemeralOwner == ttl_owner(3_600_000)
    assert tree.get("/cont") is None and tree.get("/expiring") is None
    assert tree.sessions == {}
    assert tree.last_processed_zxid == 25


def test_files_are_named_after_their_first_zxid_in_lowercase_hex() -> None:
    names = [p.name for p in log_files(DEFAULT)]
    assert names == ["log.1", "log.10"]
    for path in log_files(DEFAULT):
        first = TxnHeader.decode(raw_entries(path)[0][1])[0]
        assert zxid_from_name(path.name) == first.zxid
    assert log_file_name(0x1_0000_00AB) == "log.1000000ab"
    assert zxid_from_name("log.1000000AB") == 0x1_0000_00AB
    assert zxid_from_name("log.10.fixed") is None  # TxnLogToolkit's repaired copy
    assert zxid_from_name("snapshot.10") is None


def test_reading_from_a_zxid_picks_files_as_getlogfiles_does() -> None:
    assert log_files(DEFAULT, 0) == [DEFAULT / "log.1", DEFAULT / "log.10"]
    assert log_files(DEFAULT, 0xF) == [DEFAULT / "log.1", DEFAULT / "log.10"]
    assert log_files(DEFAULT, 0x10) == [DEFAULT / "log.10"]
    assert log_files(DEFAULT, 0x99) == [DEFAULT / "log.10"]
    for start in range(0, 28):
        zxids = [e.header.zxid for e in read_txns(DEFAULT, start)]
        assert zxids == list(range(max(start, 1), 26))


def test_the_last_logged_zxid_is_the_last_entry_of_the_newest_file() -> None:
    assert last_logged_zxid(DEFAULT) == 25
    assert last_logged_zxid(LEGACY) == 5


# --- writing what ZooKeeper writes -------------------------------------------------------


def test_every_entry_reencodes_to_zookeepers_bytes() -> None:
    for path in [*log_files(DEFAULT), *log_files(LEGACY)]:
        for _, payload in raw_entries(path):
            assert serialize_txn(*deserialize_txn(payload)) == payload


@pytest.mark.parametrize("fixture, pre_alloc", [(DEFAULT, 1024), (LEGACY, 0)])
def test_the_writer_reproduces_zookeepers_files_byte_for_byte(
    tmp_path: Path, fixture: Path, pre_alloc: int
) -> None:
    # ZooKeeper committed each of these txns on its own (the script waited for every reply),
    # so one flush per append and a roll where its files split replay its writes exactly.
    starts = {zxid_from_name(p.name) for p in log_files(fixture)}
    with TxnLogWriter(tmp_path, pre_alloc_size=pre_alloc) as writer:
        for header, txn, digest in read_txns(fixture):
            if header.zxid in starts:
                writer.roll()
            writer.append(header, txn, digest)
            writer.flush()
    for path in log_files(fixture):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_preallocation_grows_files_in_blocks_as_filepadding_does(tmp_path: Path) -> None:
    block = 64 * 1024
    with TxnLogWriter(tmp_path, pre_alloc_size=block) as writer:
        writer.append(*create(1, "/a"))
        writer.flush()
        # The header counts as written, so the first entry grows the file to header + block.
        assert (tmp_path / "log.1").stat().st_size == 16 + block
        writer.append(*create(2, "/b", b"x" * 70_000))
        writer.append(*create(3, "/c"))
        writer.flush()
        # Both appends saw the flushed position far from the end: the data itself ran past it.
        end = 16 + sum(13 + len(p) for _, p in raw_entries(tmp_path / "log.1"))
        assert (tmp_path / "log.1").stat().st_size == end
        writer.append(*create(4, "/d"))
        writer.flush()
    # Past the preallocated end, the next append rounds up to whole blocks beyond the data.
    assert (tmp_path / "log.1").stat().st_size == (end + block) - (end + block) % block
    assert [e.header.zxid for e in read_txns(tmp_path)] == [1, 2, 3, 4]


def test_a_roll_starts_a_new_file_at_the_next_zxid(tmp_path: Path) -> None:
    with TxnLogWriter(tmp_path, pre_alloc_size=0) as writer:
        for zxid in (1, 2, 3):
            writer.append(*create(zxid, f"/n{zxid}"))
        writer.roll()
        writer.roll()  # nothing appended since: no empty file appears
        assert writer.current_file is None
        for zxid in (4, 5):
            writer.append(*create(zxid, f"/n{zxid}"))
        assert writer.current_file == tmp_path / "log.4"
    assert [p.name for p in log_files(tmp_path)] == ["log.1", "log.4"]
    assert [e.header.zxid for e in read_txns(tmp_path)] == [1, 2, 3, 4, 5]


def test_every_txn_type_round_trips(tmp_path: Path) -> None:
    digest = TxnDigest(2, 0x1234_5678)
    multi = MultiTxn([Txn(int(OpCode.check), CheckVersionTxn("/a", 1).encode())])
    txns = [
        (header(1, OpCode.createSession), CreateSessionTxn(30_000), digest),
        (header(2, OpCode.create), CreateTxn("/a", b"1", WORLD, False, 1), digest),
        (header(3, OpCode.reconfig), SetDataTxn("/zookeeper/config", b"server.1=x", 3), digest),
        (header(4, OpCode.check), CheckVersionTxn("/a", 0), None),
        (header(5, OpCode.multi), multi, digest),
        (header(6, OpCode.closeSession), CloseSessionTxn([]), digest),
        (header(7, OpCode.closeSession), None, digest),  # closeSessionTxn disabled, digest on
        (header(8, OpCode.closeSession), CloseSessionTxn(["/e1", "/e2"]), None),
        (header(9, OpCode.closeSession), None, None),
    ]
    with TxnLogWriter(tmp_path) as writer:
        for entry in txns:
            writer.append(*entry)
    assert [tuple(e) for e in read_txns(tmp_path)] == txns


def test_a_create_from_before_33_reads_with_parent_cversion_minus_one() -> None:
    payload = header(7, OpCode.create).encode() + CreateTxnV0("/v0", b"d", WORLD, True).encode()
    _, txn, digest = deserialize_txn(payload)
    assert txn == CreateTxn("/v0", b"d", WORLD, True, -1)
    assert digest is None


def test_an_unknown_txn_type_is_an_error_not_a_torn_tail(tmp_path: Path) -> None:
    with TxnLogWriter(tmp_path, pre_alloc_size=0) as writer:
        writer.append(*create(1, "/a"))
        writer.append_serialized(TxnHeader(SESSION, 2, 2, T0, 99).encode())
    with pytest.raises(TxnLogError, match="unsupported txn type 99"):
        list(read_txns(tmp_path))


# --- torn and corrupt tails --------------------------------------------------------------


def test_a_log_cut_at_every_byte_of_its_last_entry_reads_up_to_the_entry(tmp_path: Path) -> None:
    source = LEGACY / "log.1"  # no preallocation: the file ends with its last entry
    data = source.read_bytes()
    last = raw_entries(source)[-1][0]
    first_set = last + next(i for i, byte in enumerate(data[last:]) if byte)
    log = tmp_path / "log.1"
    for cut in range(last, len(data)):
        log.write_bytes(data[:cut])
        reader = TxnLogReader(tmp_path)
        assert [e.header.zxid for e in reader] == [1, 2, 3, 4], cut
        assert reader.position == LogPosition(log, last)
        if cut <= first_set:  # only zeros (the checksum's high bytes): a clean end
            assert reader.corruption is None, cut
        else:
            assert reader.corruption is not None, cut
            assert (reader.corruption.path, reader.corruption.offset) == (log, last)
    assert last_logged_zxid(tmp_path) == 4


def test_a_torn_entry_in_a_preallocated_file_stops_reading(tmp_path: Path) -> None:
    source = DEFAULT / "log.10"
    data = source.read_bytes()
    offset, payload = raw_entries(source)[-1]
    first_set = offset + next(i for i, byte in enumerate(data[offset:]) if byte)
    log = tmp_path / "log.10"
    for cut in range(first_set + 1, offset + 13 + len(payload)):
        log.write_bytes(data[:cut].ljust(len(data), b"\0"))  # the rest still preallocated
        reader = TxnLogReader(tmp_path)
        assert [e.header.zxid for e in reader] == list(range(16, 25)), cut
        assert reader.corruption is not None and reader.corruption.offset == offset, cut


def test_a_flipped_byte_stops_reading_before_its_entry(tmp_path: Path) -> None:
    source = DEFAULT / "log.1"
    data = source.read_bytes()
    entries = raw_entries(source)
    offset, payload = entries[4]  # zxid 5, in the middle of the first of two files
    log_dir = copy_log(DEFAULT, tmp_path)
    for at in range(offset, offset + 13 + len(payload)):
        damaged = bytearray(data)
        damaged[at] ^= 0xFF
        (log_dir / "log.1").write_bytes(damaged)
        reader = TxnLogReader(log_dir)
        # Nothing after the damage, not even the intact second file: a gap must not be replayed.
        assert [e.header.zxid for e in reader] == [1, 2, 3, 4], at
        assert reader.corruption is not None
        assert (reader.corruption.path, reader.corruption.offset) == (log_dir / "log.1", offset)


def test_zero_padding_after_the_last_entry_is_a_clean_end(tmp_path: Path) -> None:
    with TxnLogWriter(tmp_path, pre_alloc_size=64 * 1024) as writer:
        writer.append(*create(1, "/a"))
        writer.append(*create(2, "/b"))
    reader = TxnLogReader(tmp_path)
    assert [e.header.zxid for e in reader] == [1, 2]
    assert reader.corruption is None
    end = 16 + sum(13 + len(p) for _, p in raw_entries(tmp_path / "log.1"))
    assert reader.position == LogPosition(tmp_path / "log.1", end)
    assert (tmp_path / "log.1").stat().st_size == 16 + 64 * 1024


def test_a_file_with_only_its_header_and_zeros_is_empty(tmp_path: Path) -> None:
    (tmp_path / "log.5").write_bytes(b"ZKLG" + struct.pack(">iq", 2, 0) + bytes(1024))
    reader = TxnLogReader(tmp_path)
    assert list(reader) == [] and reader.corruption is None
    assert last_logged_zxid(tmp_path) == -1


def test_a_file_cut_inside_its_header_is_a_torn_tail(tmp_path: Path) -> None:
    shutil.copyfile(LEGACY / "log.1", tmp_path / "log.1")
    (tmp_path / "log.6").write_bytes(b"ZKL")
    reader = TxnLogReader(tmp_path)
    assert len(list(reader)) == 5
    assert reader.corruption == CorruptTail(
        tmp_path / "log.6", 0, "file header missing or cut short"
    )
    assert last_logged_zxid(tmp_path) == 5  # the newest file holds nothing: ask the one before


def test_a_file_that_is_not_a_txn_log_is_refused(tmp_path: Path) -> None:
    (tmp_path / "log.1").write_bytes(b"ZKSN" + bytes(100))
    with pytest.raises(TxnLogError, match="not a txn log"):
        list(read_txns(tmp_path))


# --- truncate ----------------------------------------------------------------------------


def test_truncate_keeps_txns_up_to_the_zxid_and_removes_later_files(tmp_path: Path) -> None:
    log_dir = copy_log(DEFAULT, tmp_path)
    truncate(log_dir, 0x12)
    assert [e.header.zxid for e in read_txns(log_dir)] == list(range(1, 0x13))
    truncate(log_dir, 0x0B)
    assert [p.name for p in log_files(log_dir)] == ["log.1"]
    assert [e.header.zxid for e in read_txns(log_dir)] == list(range(1, 0x0C))
    entries = raw_entries(log_dir / "log.1")
    assert (log_dir / "log.1").stat().st_size == entries[-1][0] + 13 + len(entries[-1][1])
    assert last_logged_zxid(log_dir) == 0x0B


def test_truncate_cuts_a_corrupt_tail_so_appends_can_follow(tmp_path: Path) -> None:
    log_dir = copy_log(DEFAULT, tmp_path)
    damaged = bytearray((log_dir / "log.1").read_bytes())
    damaged[raw_entries(log_dir / "log.1")[7][0] + 20] ^= 0x01  # inside zxid 8
    (log_dir / "log.1").write_bytes(damaged)
    reader = TxnLogReader(log_dir)
    last = [e.header.zxid for e in reader][-1]
    assert last == 7 and reader.corruption is not None

    truncate(log_dir, last)
    with TxnLogWriter(log_dir, pre_alloc_size=0) as writer:
        writer.append(*create(8, "/after"))
    reader = TxnLogReader(log_dir)
    assert [e.header.zxid for e in reader] == list(range(1, 9))
    assert reader.corruption is None
    assert [p.name for p in log_files(log_dir)] == ["log.1", "log.8"]


def test_truncate_below_the_first_file_removes_it(tmp_path: Path) -> None:
    shutil.copyfile(DEFAULT / "log.10", tmp_path / "log.10")
    truncate(tmp_path, 5)
    assert log_files(tmp_path) == []
    with pytest.raises(FileNotFoundError):
        truncate(tmp_path, 5)


# --- group commit ------------------------------------------------------------------------


def test_one_sync_covers_every_txn_flushed_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_fds: list[int] = []
    monkeypatch.setattr(txnlog, "_fdatasync", synced_fds.append)
    writer = TxnLogWriter(tmp_path)
    assert writer.sync() == -1
    for zxid in (1, 2, 3):
        writer.append(*create(zxid, f"/n{zxid}"))
    assert writer.flush() == 3
    writer.append(*create(4, "/n4"))  # buffered, not flushed: the sync does not cover it
    assert writer.sync() == 3 and len(synced_fds) == 1
    assert writer.sync() == 3 and len(synced_fds) == 1  # nothing new: no fdatasync
    writer.flush()
    assert writer.sync() == 4 and writer.synced_zxid == 4
    writer.close()


def test_without_force_sync_nothing_is_fdatasynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_fds: list[int] = []
    monkeypatch.setattr(txnlog, "_fdatasync", synced_fds.append)
    with TxnLogWriter(tmp_path, force_sync=False) as writer:
        writer.append(*create(1, "/a"))
        writer.flush()
        assert writer.sync() == 1
    assert synced_fds == []


def test_syncs_in_a_thread_run_safely_beside_appends_flushes_and_rolls(tmp_path: Path) -> None:
    writer = TxnLogWriter(tmp_path, pre_alloc_size=4096)
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def syncer() -> None:
        try:
            while not stop.is_set():
                seen.append(writer.sync())
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=syncer)
    thread.start()
    try:
        for zxid in range(1, 601):
            writer.append(*create(zxid, f"/n{zxid}", b"x" * (zxid % 50)))
            if zxid % 7 == 0:
                writer.flush()
            if zxid % 100 == 0:
                writer.roll()
    finally:
        stop.set()
        thread.join()
    writer.close()
    assert errors == []
    assert seen == sorted(seen) and seen[-1] <= 600
    assert [e.header.zxid for e in read_txns(tmp_path)] == list(range(1, 601))
    assert len(log_files(tmp_path)) == 6
