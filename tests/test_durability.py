"""Durable storage through the real server: restarts, crashes, torn logs, ZooKeeper's own files."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from pathlib import Path

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.security import make_digest_acl

from tests.server_support import running_server
from tests.test_cli import free_port, serve, wait_for_port, write_cfg
from tests.wire_client import WireClient
from zkcompat.server import ServerSettings
from zkcompat.storage.database import Database
from zkcompat.storage.snapshot import find_snapshots
from zkcompat.storage.txnlog import TxnLogReader, log_files

FIXTURES = Path(__file__).parent / "fixtures"
SUPER = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="  # the digest of super:test


def server_on(data_dir: Path, snap_count: int = 100000, **settings):
    database = Database(data_dir, snap_count=snap_count, pre_alloc_size=64 * 1024)
    return running_server(ServerSettings(**settings), database=database)


def client(server) -> KazooClient:
    zk = KazooClient(hosts=server.hosts, timeout=10)
    zk.start(timeout=10)
    return zk


def stop(zk: KazooClient) -> None:
    zk.stop()
    zk.close()


def test_a_restart_keeps_every_znode_stat_and_acl(tmp_path) -> None:
    with server_on(tmp_path) as server:
        zk = client(server)
        zk.add_auth("digest", "alice:pw")
        zk.create("/app", b"v1")
        zk.set("/app", b"v2")
        zk.create("/app/seq-", b"s", sequence=True)
        zk.create("/app/seq-", b"s", sequence=True)
        zk.create("/app/locked", b"x", acl=[make_digest_acl("alice", "pw", all=True)])
        zk.delete("/app/seq-0000000000")
        before = {p: zk.get(p) for p in ["/app", "/app/seq-0000000001", "/app/locked"]}
        acl_before = zk.get_acls("/app/locked")
        stop(zk)
    with server_on(tmp_path) as server:
        zk = client(server)
        zk.add_auth("digest", "alice:pw")
        assert {p: zk.get(p) for p in before} == before
        assert zk.get_acls("/app/locked") == acl_before
        # The parent's counter survived too: the next sequential name continues from it.
        assert zk.create("/app/seq-", b"s", sequence=True) == "/app/seq-0000000003"
        stop(zk)


def test_sessions_survive_a_restart_and_expire_if_nobody_returns(tmp_path) -> None:
    fast = {"tick_time": 100, "min_session_timeout": 200, "max_session_timeout": 2000}
    with server_on(tmp_path, **fast) as server:
        owner = WireClient(server.server.port)
        response = owner.connect(timeout=2000)
        zk = client(server)
        zk.create("/stays", ephemeral=False)
        stop(zk)
        from jute import records as R
        from zkcompat.constants import OpCode

        acl = [R.ACL(31, R.Id("world", "anyone"))]
        header, _ = owner.request(1, OpCode.create, R.CreateRequest("/mine", b"", acl, 1))
        assert header.err == 0
        owner.close()
    with server_on(tmp_path, **fast) as server:
        back = WireClient(server.server.port)
        resumed = back.connect(timeout=2000, session_id=response.sessionId, passwd=response.passwd)
        assert resumed.sessionId == response.sessionId  # the session came back from disk
        back.close()
        zk = client(server)
        assert zk.exists("/mine").ephemeralOwner == response.sessionId
        deadline = time.monotonic() + 10
        while zk.exists("/mine") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert zk.exists("/mine") is None  # nobody kept the restored session alive
        assert zk.exists("/stays") is not None
        stop(zk)


def test_snapshots_are_taken_and_the_log_rolls(tmp_path) -> None:
    with server_on(tmp_path, snap_count=10) as server:
        zk = client(server)
        for i in range(60):
            zk.create(f"/n{i}", b"x")
        time.sleep(0.5)  # snapshots are written off the request path
        stop(zk)
    snapshots = find_snapshots(tmp_path / "version-2")
    assert len(snapshots) >= 4
    assert len(log_files(tmp_path / "version-2")) >= 3
    with server_on(tmp_path) as server:
        zk = client(server)
        assert len([c for c in zk.get_children("/") if c.startswith("n")]) == 60
        stop(zk)


def test_a_torn_log_tail_is_cut_and_everything_before_it_kept(tmp_path, caplog) -> None:
    with server_on(tmp_path) as server:
        zk = client(server)
        for i in range(5):
            zk.create(f"/t{i}", b"x" * 50)
        stop(zk)
    log_dir = tmp_path / "version-2"
    reader = TxnLogReader(log_dir)
    entries = list(reader)
    last = max(log_files(log_dir))
    end = reader.position.offset
    with open(last, "r+b") as file:  # cut into the middle of the last entry (closeSession)
        file.truncate(end - 7)
    with server_on(tmp_path) as server:
        zk = client(server)
        assert all(zk.exists(f"/t{i}") for i in range(5))
        stop(zk)
    assert any("Dropping the txn log" in record.message for record in caplog.records)
    assert len(entries) == 7  # createSession, five creates, closeSession


def test_a_corrupt_newest_snapshot_falls_back_to_an_older_one(tmp_path) -> None:
    with server_on(tmp_path, snap_count=10) as server:
        zk = client(server)
        for i in range(30):
            zk.create(f"/c{i}")
        time.sleep(0.5)
        stop(zk)
    newest = find_snapshots(tmp_path / "version-2")[0]
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    newest.write_bytes(bytes(data))
    with server_on(tmp_path) as server:
        zk = client(server)
        assert all(zk.exists(f"/c{i}") for i in range(30))
        stop(zk)


def test_acknowledged_writes_survive_kill_9(tmp_path) -> None:
    """Crash the server process at random moments; every acknowledged write must be there
    afterwards, and no multi may be half applied."""
    rng = random.Random(7)
    port = free_port()
    cfg = write_cfg(tmp_path, port, "snapCount=40\n")
    acknowledged: list[int] = []
    for round_number in range(5):
        process = serve(tmp_path / f"server{round_number}.log", str(cfg))
        wait_for_port(port, process)
        zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10)
        zk.start(timeout=10)
        for i in acknowledged:  # everything acknowledged in earlier rounds is there
            assert zk.exists(f"/k/a{i}") and zk.exists(f"/k/b{i}"), i
        zk.ensure_path("/k")
        deadline = time.monotonic() + rng.uniform(0.3, 1.2)
        killed = False
        n = len(acknowledged) and max(acknowledged) + 1
        while not killed:
            if time.monotonic() > deadline:
                os.kill(process.pid, signal.SIGKILL)
                killed = True
            tx = zk.transaction()
            tx.create(f"/k/a{n}")
            tx.create(f"/k/b{n}")
            try:
                tx.commit()
            except KazooException:
                break
            if not killed:
                acknowledged.append(n)
            n += 1
        process.wait(timeout=10)
        zk.stop()
        zk.close()
    process = serve(tmp_path / "final.log", str(cfg))
    try:
        wait_for_port(port, process)
        zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10)
        zk.start(timeout=10)
        children = set(zk.get_children("/k"))
        for i in acknowledged:
            assert f"a{i}" in children and f"b{i}" in children
        for name in children:  # atomic: a and b together or not at all
            assert ("b" + name[1:] if name[0] == "a" else "a" + name[1:]) in children
        zk.stop()
        zk.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert len(acknowledged) > 20


def test_a_failing_txn_log_shuts_the_server_down_and_loses_no_acknowledged_write(
    tmp_path,
) -> None:
    """ZooKeeper treats an error of its txn log as unrecoverable and shuts the server down;
    so does zkcompat, exiting with status 1. The error is real: the server may not grow a file
    past 512 KB (RLIMIT_FSIZE), so growing the log by its next 64 KB preallocation block fails
    with EFBIG. Every write acknowledged before that is there after a restart without the cap."""
    port = free_port()
    cfg = write_cfg(tmp_path, port, "preAllocSize=64\n")
    process = serve(tmp_path / "capped.log", str(cfg), max_file_size=512 * 1024)
    acknowledged: list[str] = []
    try:
        wait_for_port(port, process)
        zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10, connection_retry=None)
        zk.start(timeout=10)
        try:
            for i in range(2000):  # 2 KB each: the cap is reached within about 250 writes
                acknowledged.append(zk.create(f"/w{i:04d}", b"x" * 2048))
        except KazooException:
            pass
        finally:
            zk.stop()
            zk.close()
        assert process.wait(timeout=20) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert 100 < len(acknowledged) < 2000
    log_text = (tmp_path / "capped.log").read_text()
    assert "Severe unrecoverable error: the txn log failed" in log_text
    assert "File too large" in log_text

    process = serve(tmp_path / "restarted.log", str(cfg))
    try:
        wait_for_port(port, process)
        zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10)
        zk.start(timeout=10)
        present = {f"/{name}" for name in zk.get_children("/")}
        assert set(acknowledged) <= present
        for path in acknowledged:
            assert zk.get(path)[0] == b"x" * 2048
        zk.stop()
        zk.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_zkcompat_serves_a_data_directory_written_by_apache_zookeeper(tmp_path) -> None:
    expected = json.loads((FIXTURES / "zk38_snap" / "expected.json").read_text())
    shutil.copytree(FIXTURES / "zk38_snap" / "version-2", tmp_path / "version-2")
    for extra in ("snapshot.17.gz", "snapshot.17.snappy"):
        (tmp_path / "version-2" / extra).unlink()
    with server_on(tmp_path, extended_types=True, super_digest=SUPER) as server:
        zk = client(server)
        zk.add_auth("digest", "super:test")
        for path, node in expected["nodes"].items():
            data, stat = zk.get(path)
            assert (None if data is None else data.hex()) == node["data"], path  # null stays null
            assert {k: getattr(stat, k) for k in node["stat"]} == node["stat"], path
            assert sorted(zk.get_children(path)) == sorted(node["children"]), path
            acl = [[a.perms, a.id.scheme, a.id.id] for a in zk.get_acls(path)[0]]
            assert acl == node["acl"], path
        stop(zk)


def test_zkcompat_replays_a_txn_log_written_by_apache_zookeeper(tmp_path) -> None:
    fixture = FIXTURES / "zk38" / "default"
    txns = json.loads((fixture / "expected.json").read_text())["txns"]
    (tmp_path / "version-2").mkdir()
    for log in fixture.glob("log.*"):
        shutil.copy(log, tmp_path / "version-2")
    with server_on(tmp_path, extended_types=True, super_digest=SUPER) as server:
        assert server.server.server.tree.last_processed_zxid == len(txns)  # one zxid each
        zk = client(server)
        zk.add_auth("digest", "super:test")
        for path in ["/app", "/app/c2", "/ttl"]:
            assert zk.exists(path) is not None, path
        gone = [
            "/app/seq-0000000002",  # deleted by the multi at zxid 10
            "/app/m1",  # created by that multi, deleted at zxid 12
            "/app/m2",  # the multi at zxid 11 failed
            "/app/eph",  # ephemerals of a closed session
            "/app/eseq-0000000003",
            "/cont",  # a reaped container
            "/ttlseq-0000000003",  # a reaped TTL node
            "/expiring",
        ]
        for path in gone:
            assert zk.exists(path) is None, path
        assert zk.get("/ttl")[1].ephemeralOwner == 0  # a TTL node shows no owner
        stop(zk)
