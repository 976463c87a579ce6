"""Restart-to-ready with many znodes: zkcompat and Apache ZooKeeper on the same data directory.

One data directory is built (``--znodes`` znodes of 100 bytes under 1,000 parents, written as
a snapshot by zkcompat), copied twice, and each server is started on its copy; the figure is
the time from launching the process to the first session connecting (ZooKeeper answers
``ruok`` before its data is loaded, so a session is the honest readiness test). Both servers
read the same bytes: that zkcompat's snapshot is ZooKeeper's format is what makes the race
fair. Needs Debian's zookeeper package (``make conformance`` installs it).

    python -m zkcompat.bench.restart --znodes 1000000
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kazoo.client import KazooClient

from conformance.zookeeper import ApacheZooKeeper, free_port
from jute import records as R
from zkcompat.constants import OpCode
from zkcompat.datatree import DataTree
from zkcompat.storage.snapshot import write_snapshot

OPEN = [R.ACL(31, R.Id("world", "anyone"))]
VALUE = b"v" * 100


def build(data_dir: Path, znodes: int) -> None:
    tree = DataTree()
    zxid = 0
    now = int(time.time() * 1000)

    def create(path: str, data: bytes) -> None:
        nonlocal zxid
        zxid += 1
        tree.apply(
            R.TxnHeader(0, 0, zxid, now, OpCode.create), R.CreateTxn(path, data, OPEN, False, -1)
        )

    create("/bench", b"")
    parents = 1000
    for p in range(parents):
        create(f"/bench/p{p:04d}", b"")
    for i in range(znodes):
        create(f"/bench/p{i % parents:04d}/n{i:07d}", VALUE)
    write_snapshot(tree, {}, zxid, data_dir / "version-2", fsync=False)


def _first_session(hosts: str, started: float, deadline: float = 600) -> float:
    while time.monotonic() - started < deadline:
        zk = KazooClient(hosts=hosts, timeout=5, connection_retry={"max_tries": 0})
        try:
            zk.start(timeout=5)
            zk.stop()
            return time.monotonic() - started
        except Exception:
            time.sleep(0.05)
        finally:
            zk.close()
    raise TimeoutError("no session within the deadline")


def zkcompat_ready(data_dir: Path) -> float:
    port = free_port()
    cfg = data_dir.parent / "zoo.cfg"
    cfg.write_text(f"dataDir={data_dir}\nclientPort={port}\nclientPortAddress=127.0.0.1\n")
    started = time.monotonic()
    with open(data_dir.parent / "zkcompat.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "zkcompat", "serve", str(cfg)], stdout=log, stderr=log
        )
    try:
        return _first_session(f"127.0.0.1:{port}", started)
    finally:
        process.terminate()
        process.wait(timeout=60)


def zookeeper_ready(data_dir: Path, heap: str) -> float:
    started = time.monotonic()
    server = ApacheZooKeeper(data_dir=data_dir, max_heap=heap, start_timeout=600)
    server.start()  # returns once a kazoo session has connected
    elapsed = time.monotonic() - started
    server.stop()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--znodes", type=int, default=1_000_000)
    parser.add_argument("--heap", default="4g", help="ZooKeeper's -Xmx")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="zkcompat-restart-"))
    try:
        built = time.monotonic()
        (base / "source").mkdir()
        build(base / "source", args.znodes)
        size = sum(f.stat().st_size for f in (base / "source" / "version-2").iterdir())
        took = time.monotonic() - built
        print(f"built {args.znodes:,} znodes: snapshot {size / 1e6:.0f} MB in {took:.1f} s")
        for name in ("zkcompat", "zookeeper"):
            shutil.copytree(base / "source", base / name / "data")
        ours = zkcompat_ready(base / "zkcompat" / "data")
        theirs = zookeeper_ready(base / "zookeeper" / "data", args.heap)
        print(
            f"restart to first session: zkcompat {ours:.2f} s, "
            f"Apache ZooKeeper {theirs:.2f} s, ratio {ours / theirs:.2f}"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
