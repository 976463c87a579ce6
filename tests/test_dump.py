"""``zkcompat logdump`` and ``zkcompat snapdump`` print what ZooKeeper's own tools print.

The expected text in ``tests/fixtures/zk38_tools/`` was captured from Debian's ZooKeeper 3.8.0
(Java 17, LANG=C.UTF-8, TZ=UTC):

* ``TxnLogToolkit`` on the logs ZooKeeper wrote (``tests/fixtures/zk38``) and
  ``SnapshotFormatter`` (plain, ``-d``, ``-json``) on the snapshot it wrote
  (``tests/fixtures/zk38_snap``);
* both tools on a log and a snapshot written by zkcompat's own writers from the txns that
  :func:`write_zkcompat_files` builds below, which it rebuilds byte for byte in every run;
  they cover what the ZooKeeper fixtures do not: escapes in Jute's ``toString``, several
  ACLs, odd bytes in data, a negative cxid, 20 children and 14 sessions (Java's hash orders
  after a resize), AM and PM and 12 o'clock;
* TxnLogToolkit on that log with one checksum broken and with an end-of-record byte broken.

To capture again: ``CP=/etc/zookeeper/conf:$(ls /usr/share/java/*.jar | tr '\\n' :)`` then
``TZ=UTC java -cp "$CP" org.apache.zookeeper.server.persistence.TxnLogToolkit <log>`` and
``... org.apache.zookeeper.server.SnapshotFormatter [-d|-json] <snapshot>``, stdout only.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest

from jute.records import (
    ACL,
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
    Txn,
    TxnDigest,
    TxnHeader,
)
from zkcompat.constants import Err, OpCode
from zkcompat.datatree import DataTree
from zkcompat.storage.dump import (
    dump_txn_log,
    format_snapshot,
    format_snapshot_json,
    format_txn,
    jute_to_string,
    logdump_main,
    snapdump_main,
)
from zkcompat.storage.snapshot import iter_snapshot, snapshot_name, write_snapshot_file
from zkcompat.storage.txnlog import TxnLogWriter, frame_entry, serialize_txn

ROOT = Path(__file__).parent
FIXTURES = ROOT / "fixtures"
EXPECTED = FIXTURES / "zk38_tools"
ZK_LOGS = FIXTURES / "zk38"
ZK_SNAP = FIXTURES / "zk38_snap" / "version-2" / "snapshot.17"

WORLD = [ACL(31, Id("world", "anyone"))]
SESSION = 0x1000_0ABC_DEF0_0000
T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC; each txn is 97 minutes after the last


def expected(name: str) -> str:
    """The captured text, byte for byte (a lone carriage return stays one)."""
    return (EXPECTED / name).read_bytes().decode("utf-8")


def log_text(path: Path) -> str:
    return "".join(dump_txn_log(path, tz=UTC))


# --- zkcompat's own files ------------------------------------------------------------------


def zkcompat_txns() -> list[tuple[TxnHeader, object]]:
    """A session's worth of every txn type ZooKeeper logs, with awkward values."""
    txns: list[tuple[int, int, int, object]] = []  # (session, cxid, type, record)
    for i in range(14):
        txns.append((SESSION + i, 0, OpCode.createSession, CreateSessionTxn(10000 + 1000 * i)))
    odd = b"x,y}%\n\r\x00\xff\xfe\xe2\x82 '"
    txns.append((SESSION, 1, OpCode.create, CreateTxn("/app", odd, WORLD, False, 1)))
    for i in range(20):
        txns.append(
            (SESSION, 2 + i, OpCode.create, CreateTxn(f"/app/n{i}", b"%d" % i, WORLD, False, 1 + i))
        )
    three = [
        ACL(31, Id("digest", "alice:V55/p2T0OpjQ+low3NVAH4aLvm0=")),
        ACL(1, Id("world", "anyone")),
        ACL(2, Id("ip", "127.0.0.1,}%")),
    ]
    txns.append((SESSION, 30, OpCode.create2, CreateTxn("/multi", None, three, False, 2)))
    two = [ACL(31, Id("world", "anyone")), ACL(1, Id("digest", "bob:x"))]
    txns.append((SESSION, 31, OpCode.setACL, SetACLTxn("/multi", two, 1)))
    txns.append((SESSION, -5, OpCode.setData, SetDataTxn("/app", "été".encode(), 1)))
    txns.append((SESSION, 33, OpCode.delete, DeleteTxn("/app/n3")))
    ops = [
        Txn(OpCode.create, CreateTxn("/app/t1", b"q", WORLD, False, 21).encode()),
        Txn(OpCode.check, bytes.fromhex("00000004") + b"/app" + bytes.fromhex("00000002")),
        Txn(OpCode.setData, SetDataTxn("/app/t1", b"r", 1).encode()),
        Txn(OpCode.delete, DeleteTxn("/app/n4").encode()),
    ]
    txns.append((SESSION, 34, OpCode.multi, MultiTxn(ops)))
    failed = [
        Txn(OpCode.error, ErrorTxn(Err.Ok).encode()),
        Txn(OpCode.error, ErrorTxn(Err.NoNode).encode()),
    ]
    txns.append((SESSION, 35, OpCode.multi, MultiTxn(failed)))
    txns.append((SESSION, 36, OpCode.error, ErrorTxn(Err.NodeExists)))
    txns.append(
        (SESSION + 1, 1, OpCode.createContainer, CreateContainerTxn("/cont", b"c", WORLD, 3))
    )
    txns.append((SESSION + 1, 2, OpCode.createTTL, CreateTTLTxn("/ttl", b"t", WORLD, 4, 3600000)))
    txns.append((0, 0, OpCode.deleteContainer, DeleteTxn("/cont")))
    for i in range(14):
        create = CreateTxn(f"/e{i}", b"e", WORLD, True, 6 + i)
        txns.append((SESSION + i, 5, OpCode.create, create))
    txns.append((SESSION + 13, 6, OpCode.closeSession, CloseSessionTxn(["/e13"])))
    txns.append((SESSION + 12, 6, OpCode.closeSession, CloseSessionTxn([])))
    return [
        (TxnHeader(session, cxid, zxid, T0 + 97 * 60_000 * zxid, op), record)
        for zxid, (session, cxid, op, record) in enumerate(txns, 1)
    ]


def write_zkcompat_files(directory: Path) -> tuple[Path, Path]:
    """Write the txns above with TxnLogWriter (digests on) and a snapshot of the tree they
    make with the snapshot writer; returns (log file, snapshot file)."""
    tree = DataTree()
    with TxnLogWriter(directory, pre_alloc_size=4096, force_sync=False) as writer:
        for header, record in zkcompat_txns():
            writer.append(header, record, TxnDigest(2, header.zxid * 7919))
            tree.apply(header, record)
    zxid = tree.last_processed_zxid
    write_snapshot_file(iter_snapshot(tree, tree.sessions), zxid, directory, fsync=False)
    return directory / "log.1", directory / snapshot_name(zxid)


@pytest.fixture
def zkcompat_files(tmp_path: Path) -> tuple[Path, Path]:
    return write_zkcompat_files(tmp_path)


# --- logdump ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("log", "text"),
    [
        (ZK_LOGS / "default" / "log.1", "zk38_default_log.1.txt"),
        (ZK_LOGS / "default" / "log.10", "zk38_default_log.10.txt"),
        (ZK_LOGS / "legacy" / "log.1", "zk38_legacy_log.1.txt"),
    ],
)
def test_logdump_prints_zookeepers_logs_as_txnlogtoolkit_does(log: Path, text: str) -> None:
    assert log_text(log) == expected(text)


def test_logdump_prints_zkcompats_logs_as_txnlogtoolkit_does(zkcompat_files) -> None:
    log, _ = zkcompat_files
    assert log_text(log) == expected("zkcompat_log.1.txt")


def test_a_bad_checksum_is_flagged_and_the_txn_still_printed(zkcompat_files) -> None:
    log, _ = zkcompat_files
    raw = bytearray(log.read_bytes())
    raw[16 + 3] ^= 0x01  # the first entry's stored checksum
    log.write_bytes(raw)
    lines = log_text(log).splitlines()
    assert lines[1] == (
        "CRC ERROR - 11/14/23, 11:50:20 PM UTC session 0x10000abcdef00000 cxid 0x0 zxid 0x1 "
        "createSession 10000"
    )
    assert lines[2] == lines[1].removeprefix("CRC ERROR - ")
    assert log_text(log) == expected("zkcompat_log.1.crc.txt")


def test_a_missing_end_of_record_stops_with_exit_code_1(zkcompat_files, capsys) -> None:
    log, _ = zkcompat_files
    header, record = zkcompat_txns()[0]
    first = frame_entry(serialize_txn(header, record, TxnDigest(2, header.zxid * 7919)))
    raw = bytearray(log.read_bytes())
    raw[16 + len(first) - 1] = ord("X")
    log.write_bytes(raw)
    assert logdump_main([str(log)]) == 1
    out, err = capsys.readouterr()
    assert err == "Last transaction was partial.\n"
    assert (
        out.splitlines()[0]
        == "ZooKeeper Transactional Log File with dbid 0 txnlog format version 2"
    )
    assert len(out.splitlines()) == 2  # the header line and the one txn before the 'X'


def test_each_txn_is_one_line_or_as_many_as_its_acls_make() -> None:
    header = TxnHeader(0x1, -1, 0x100000001, 0, OpCode.create)
    txn = CreateTxn(
        "/a", b"", [ACL(1, Id("world", "anyone")), ACL(2, Id("ip", "10.0.0.1"))], True, 0
    )
    assert format_txn(header, txn, UTC) == (
        "1/1/70, 12:00:00 AM UTC session 0x1 cxid 0xffffffffffffffff zxid 0x100000001 create "
        "/a,,[1,s{'world,'anyone}\n, 2,s{'ip,'10.0.0.1}\n],true,0\n"
    )
    assert jute_to_string(SetDataTxn("/a,b", b"\x00\x0a\x9a", 3)) == "'/a%2Cb,#0affffff9a,3\n"
    assert jute_to_string(CloseSessionTxn(None)) == "v{}\n"


def test_logdump_command_line(tmp_path, capsys) -> None:
    assert logdump_main(["-d", str(ZK_LOGS / "legacy" / "log.1")]) == 0
    assert capsys.readouterr().out.endswith("EOF reached after 5 txns.\n")

    assert logdump_main([str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err == f"File doesn't exist or not readable: {tmp_path}/nope\n"

    assert logdump_main([str(ZK_SNAP)]) == 2
    assert capsys.readouterr().err == "Invalid magic number for snapshot.17\n"

    assert logdump_main([]) == 1
    assert capsys.readouterr().out.startswith("usage: TxnLogToolkit [-dhrvc] <txn_log_file_name>")
    assert logdump_main(["-h"]) == 0
    assert logdump_main(["-x", "log.1"]) == 1
    assert capsys.readouterr().err == "Unrecognized option: -x\n\n"


# --- snapdump --------------------------------------------------------------------------------


def test_snapdump_prints_zookeepers_snapshot_as_snapshotformatter_does() -> None:
    assert format_snapshot(ZK_SNAP, tz=UTC) == expected("zk38_snapshot.17.txt")
    assert format_snapshot(ZK_SNAP, dump_data=True, tz=UTC) == expected("zk38_snapshot.17.d.txt")
    for compressed in ("snapshot.17.gz", "snapshot.17.snappy"):
        assert format_snapshot(ZK_SNAP.with_name(compressed), tz=UTC) == expected(
            "zk38_snapshot.17.txt"
        )


def test_snapdump_json_is_snapshotformatters_but_for_the_clock() -> None:
    captured = expected("zk38_snapshot.17.json")
    stamp = int(re.search(r'"timestamp":(\d+)', captured).group(1))
    assert format_snapshot_json(ZK_SNAP, timestamp=stamp) == captured


def test_snapdump_prints_zkcompats_snapshot_as_snapshotformatter_does(zkcompat_files) -> None:
    _, snapshot = zkcompat_files
    assert format_snapshot(snapshot, tz=UTC) == expected("zkcompat_snapshot.txt")
    assert format_snapshot(snapshot, dump_data=True, tz=UTC) == expected("zkcompat_snapshot.d.txt")


def test_snapdump_command_line(tmp_path, capsys) -> None:
    usage = "USAGE: SnapshotFormatter [-d|-json] snapshot_file\n"
    assert snapdump_main([]) == 2
    assert capsys.readouterr().err.startswith(usage)
    assert snapdump_main(["a", "b"]) == 2
    assert capsys.readouterr().err.startswith(usage)
    assert snapdump_main([str(tmp_path / "gone")]) == 2
    assert capsys.readouterr().err == f"File '{tmp_path}/gone' does not exist.\n"
    assert snapdump_main([str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"'{tmp_path}' is a directory. it must be a file.\n"
    assert snapdump_main(["-d", "-json", str(ZK_SNAP)]) == 2
    assert "Cannot specify both" in capsys.readouterr().err
    assert snapdump_main(["-json", str(ZK_SNAP)]) == 0
    assert capsys.readouterr().out.startswith('[1,0,{"progname":"SnapshotFormatter.java"')


def test_the_zkcompat_command_runs_both_tools() -> None:
    env = {**os.environ, "TZ": "UTC", "PYTHONPATH": str(ROOT.parent)}
    for tool, target, text in [
        ("logdump", ZK_LOGS / "default" / "log.1", "zk38_default_log.1.txt"),
        ("snapdump", ZK_SNAP, "zk38_snapshot.17.txt"),
    ]:
        run = subprocess.run(
            [sys.executable, "-m", "zkcompat", tool, str(target)],
            capture_output=True,
            env=env,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.decode("utf-8") == expected(text)
