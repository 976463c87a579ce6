"""Purging old snapshots and logs, as ZooKeeper's PurgeTxnLog, zkCleanup.sh and autopurge do.

The kept and removed files in these stories are what Debian's ZooKeeper 3.8.0
(``org.apache.zookeeper.server.PurgeTxnLog``) kept and removed for the same directories.
"""

from __future__ import annotations

import itertools
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jute.records import CreateSessionTxn, CreateTxn, TxnHeader
from tests.server_support import running_server
from tests.test_cli import free_port, serve, wait_for_port, write_cfg
from zkcompat.constants import OpCode
from zkcompat.datatree import OPEN_ACL_UNSAFE, DataTree
from zkcompat.server import ServerSettings
from zkcompat.storage.database import Database
from zkcompat.storage.purge import (
    USAGE,
    DatadirCleanup,
    PurgeError,
    files_to_purge,
    main,
    purge,
    retained_log_names,
    zxid_from_name,
)
from zkcompat.storage.snapshot import iter_snapshot, write_snapshot_file
from zkcompat.storage.txnlog import TxnLogWriter

ROOT = Path(__file__).parent.parent
REMOVING = re.compile(r"Removing file: [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M\t(.*)")


def txn(zxid: int) -> tuple[TxnHeader, object]:
    """Txn ``zxid`` of a simple history: a session, then one znode per txn."""
    if zxid == 1:
        return TxnHeader(7, 0, 1, 1000, OpCode.createSession), CreateSessionTxn(30000)
    create = CreateTxn(f"/n{zxid}", b"", list(OPEN_ACL_UNSAFE), False, zxid - 1)
    return TxnHeader(7, zxid, zxid, 1000 + zxid, OpCode.create), create


def build_data_dir(
    snap_dir: Path,
    log_dir: Path,
    snapshots: list[int],
    logs: list[int],
    last: int,
) -> None:
    """Txns 1..``last``, each log file starting at one of ``logs`` and running to the next,
    and a snapshot of the tree after each zxid in ``snapshots``; as a server writes them."""
    tree = DataTree()
    for zxid in range(0, last + 1):
        if zxid:
            tree.apply(*txn(zxid))
        if zxid in snapshots:
            write_snapshot_file(iter_snapshot(tree, tree.sessions), zxid, snap_dir, fsync=False)
    starts = [*logs, last + 1]
    for start, end in itertools.pairwise(starts):
        with TxnLogWriter(log_dir, pre_alloc_size=4096, force_sync=False) as writer:
            for zxid in range(start, end):
                writer.append(*txn(zxid))


def names(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Snapshots at 0, 5, 10, 15, 20 and logs from 1, 3, 8, 12, 21 to 22."""
    build_data_dir(
        tmp_path / "version-2", tmp_path / "version-2", [0, 5, 10, 15, 20], [1, 3, 8, 12, 21], 22
    )
    return tmp_path


def test_keeps_the_newest_snapshots_and_the_logs_from_the_one_holding_the_oldest(
    data_dir, capsys
) -> None:
    removed = purge(data_dir, data_dir, 3, out=sys.stdout)
    version_2 = data_dir / "version-2"
    # snapshot.a (10) is the oldest kept; log.8 holds txn 11 (0xb), the first to replay on it.
    assert names(version_2) == {
        "snapshot.a",
        "snapshot.f",
        "snapshot.14",
        "log.8",
        "log.c",
        "log.15",
    }
    assert removed == [
        f"{version_2}/{name}" for name in ("log.1", "log.3", "snapshot.0", "snapshot.5")
    ]
    printed = [REMOVING.fullmatch(line).group(1) for line in capsys.readouterr().out.splitlines()]
    assert printed == removed
    # What is left restores the same tree.
    tree = Database(data_dir).load()
    assert tree.last_processed_zxid == 22 and "/n22" in tree.nodes and tree.sessions == {7: 30000}


def test_the_oldest_snapshot_replays_from_the_newest_log_starting_at_or_before_it() -> None:
    # ZooKeeper keeps log.8 for snapshot.b even when log.c starts right after it.
    assert retained_log_names(["log.1", "log.8", "log.c", "log.15"], 0xB) == {
        "log.8",
        "log.c",
        "log.15",
    }
    # A log that starts at the snapshot's own zxid is the one: the ones before it go.
    assert retained_log_names(["log.1", "log.8", "log.b", "log.15"], 0xB) == {"log.b", "log.15"}
    # No log starts that early: ZooKeeper's search starts from 0 and keeps every log.
    assert retained_log_names(["log.c", "log.15"], 0xB) == {"log.c", "log.15"}
    assert zxid_from_name("log.1a.fixed", "log") == 0x1A
    assert zxid_from_name("log.garbage", "log") == -1
    assert zxid_from_name("snapshot.-5", "snapshot") == -5


def test_fewer_snapshots_than_the_count_still_sets_the_line_and_odd_names_go(tmp_path) -> None:
    version_2 = tmp_path / "version-2"
    build_data_dir(version_2, version_2, [5, 10], [1, 6], 12)
    (version_2 / "snapshot.2").write_bytes(b"cut short")  # not a valid snapshot
    for odd in ["log.garbage", "log.", "log.3.fixed", "log.1a.fixed", "snapshot.1.tmp", "logfoo"]:
        (version_2 / odd).write_text("x")
    (version_2 / "log.2").mkdir()  # an empty directory is deleted like a file
    purge(tmp_path, tmp_path, 3)
    assert names(version_2) == {
        "snapshot.5", "snapshot.a", "log.3.fixed", "log.6", "log.1a.fixed", "logfoo",
    }  # fmt: skip


def test_nothing_is_deleted_without_a_valid_snapshot(tmp_path) -> None:
    version_2 = tmp_path / "version-2"
    build_data_dir(version_2, version_2, [], [1], 4)
    (version_2 / "snapshot.3").write_bytes(b"torn")
    assert files_to_purge(tmp_path, tmp_path, 3) == []


def test_separate_log_and_snapshot_directories(tmp_path) -> None:
    logs, snaps = tmp_path / "logs", tmp_path / "snaps"
    build_data_dir(
        snaps / "version-2", logs / "version-2", [0, 5, 10, 15, 20], [1, 3, 8, 12, 21], 22
    )
    purge(logs, snaps, 4)
    assert names(logs / "version-2") == {"log.3", "log.8", "log.c", "log.15"}
    assert names(snaps / "version-2") == {"snapshot.5", "snapshot.a", "snapshot.f", "snapshot.14"}
    # Swapped, the directories' contents give the mistake away, as in ZooKeeper.
    with pytest.raises(PurgeError, match="Log directory has snapshot files"):
        purge(snaps, logs, 3)
    with pytest.raises(ValueError, match="count should be greater than or equal to 3"):
        purge(logs, snaps, 2)


def test_missing_version_dirs_are_created_as_zookeeper_does(tmp_path) -> None:
    assert purge(tmp_path / "logs", tmp_path / "snaps", 3) == []
    assert (tmp_path / "logs" / "version-2").is_dir()
    assert (tmp_path / "snaps" / "version-2").is_dir()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zkcompat", "purge", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_the_purge_command_takes_zkcleanups_arguments(data_dir) -> None:
    done = run_cli(str(data_dir), "-n", "4", cwd=data_dir)
    assert done.returncode == 0, done.stderr
    removed = [REMOVING.fullmatch(line).group(1) for line in done.stdout.splitlines()]
    assert removed == [f"{data_dir}/version-2/log.1", f"{data_dir}/version-2/snapshot.0"]
    # The path is printed as given: relative stays relative.
    build_data_dir(data_dir / "version-2", data_dir / "version-2", [25], [23], 26)
    done = run_cli(".", ".", "-n", "+3", cwd=data_dir)
    assert done.returncode == 0, done.stderr
    assert re.findall(r"\t(.*)", done.stdout) == [
        "./version-2/log.3",
        "./version-2/log.8",
        "./version-2/snapshot.5",
        "./version-2/snapshot.a",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], ""),
        (["{d}"], ""),
        (["{d}", "-n", "2"], "count should be greater than or equal to 3\n"),
        (["{d}", "-n", "-3"], "count should be greater than or equal to 3\n"),
        (["{d}", "-n", "x"], "'x' can not be parsed to integer.\n"),
        (["{d}", "-n", " 4"], "' 4' can not be parsed to integer.\n"),
        (["{d}", "-n", "99999999999"], "'99999999999' can not be parsed to integer.\n"),
        (["{d}", "-x", "3"], ""),
        (["{d}", "{d}", "-m", "3"], ""),
        (["{d}", "a", "b", "-n", "3"], ""),
        (["nope", "-n", "3"], "Path '{d}/nope' does not exist. \n"),
        (["{d}", "nope/", "-n", "3"], "Path '{d}/nope' does not exist. \n"),
    ],
)
def test_bad_arguments_print_purgetxnlogs_usage_and_exit_1(
    tmp_path, monkeypatch, args, message, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([a.format(d=tmp_path) for a in args]) == 1
    out, err = capsys.readouterr()
    assert out == USAGE
    assert err == message.format(d=tmp_path)


def test_usage_is_purgetxnlogs() -> None:
    assert USAGE.splitlines()[:2] == ["Usage:", "PurgeTxnLog dataLogDir [snapDir] -n count"]


# --- autopurge -------------------------------------------------------------------------------


def wait_until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def served_dir(tmp_path: Path) -> Path:
    """Like ``data_dir`` but the newest snapshot holds every txn, so a server starting on it
    replays nothing and writes no snapshot of its own."""
    version_2 = tmp_path / "version-2"
    build_data_dir(version_2, version_2, [0, 5, 10, 15, 20], [1, 3, 8, 12, 16], 20)
    return tmp_path


def test_autopurge_runs_at_start_and_then_every_interval(served_dir, caplog) -> None:
    caplog.set_level(logging.INFO, logger="zkcompat.storage.purge")
    data_dir = served_dir
    version_2 = data_dir / "version-2"
    cleanup = DatadirCleanup(data_dir, data_dir, 3, 0.3 / 3600)  # every 0.3 s
    database = Database(data_dir, pre_alloc_size=4096)
    with running_server(ServerSettings(), database=database, autopurge=cleanup) as server:
        # The first purge runs as the server starts, as DatadirCleanupManager's does.
        wait_until(lambda: "snapshot.5" not in names(version_2))
        assert {n for n in names(version_2) if n.startswith("snapshot.")} == {
            "snapshot.a", "snapshot.f", "snapshot.14",
        }  # fmt: skip
        # Later ones catch snapshots that appear meanwhile.
        tree = DataTree()
        write_snapshot_file(iter_snapshot(tree, {}), 0x30, version_2, fsync=False)
        wait_until(lambda: "snapshot.a" not in names(version_2))
        assert "snapshot.f" in names(version_2) and "log.8" not in names(version_2)
        assert server.server.port
    messages = [r.getMessage() for r in caplog.records if r.name == "zkcompat.storage.purge"]
    assert messages[:3] == [
        "autopurge.snapRetainCount set to 3",
        f"autopurge.purgeInterval set to {0.3 / 3600}",
        "Purge task started.",
    ]
    assert messages.count("Purge task started.") >= 2
    assert messages.count("Purge task started.") == messages.count("Purge task completed.")
    assert "Shutting down purge task." in messages
    assert cleanup.started is False


def test_autopurge_with_interval_0_never_runs(data_dir, caplog) -> None:
    caplog.set_level(logging.INFO, logger="zkcompat.storage.purge")
    cleanup = DatadirCleanup(data_dir, None, 3, 0)
    with running_server(ServerSettings(), autopurge=cleanup):
        pass
    assert "Purge task is not scheduled." in caplog.messages
    assert "Purge task started." not in caplog.messages
    assert "snapshot.0" in names(data_dir / "version-2")


def test_a_failing_purge_is_logged_and_the_schedule_goes_on(tmp_path, caplog) -> None:
    logs, snaps = tmp_path / "logs", tmp_path / "snaps"
    build_data_dir(snaps / "version-2", logs / "version-2", [0], [1], 2)
    cleanup = DatadirCleanup(logs, snaps, 3, 0.1 / 3600)  # swapped: every purge refuses
    with running_server(ServerSettings(), autopurge=cleanup):
        wait_until(lambda: caplog.messages.count("Error occurred while purging.") >= 2)
    assert names(snaps / "version-2") == {"snapshot.0"}


def test_zkcompat_serve_autopurges_as_zoo_cfg_says(tmp_path) -> None:
    data = tmp_path / "data"
    build_data_dir(
        data / "version-2", data / "version-2", [0, 5, 10, 15, 20], [1, 3, 8, 12, 16], 20
    )
    port = free_port()
    cfg = write_cfg(tmp_path, port, "autopurge.snapRetainCount=4\nautopurge.purgeInterval=1\n")
    log_path = tmp_path / "server.log"
    process = serve(log_path, str(cfg))
    try:
        wait_for_port(port, process)
        wait_until(lambda: "snapshot.0" not in names(data / "version-2"))
        assert "snapshot.5" in names(data / "version-2")
    finally:
        process.terminate()
        process.wait(timeout=20)
    text = log_path.read_text()
    for line in [
        "autopurge.snapRetainCount set to 4",
        "autopurge.purgeInterval set to 1",
        "Purge task started.",
        "Purge task completed.",
        "Shutting down purge task.",
    ]:
        assert line in text
