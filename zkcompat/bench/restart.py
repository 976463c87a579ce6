"""Restart-to-ready with many znodes: how long a server takes to serve again over a full data dir.

:func:`restart_to_ready` starts one server on an existing data directory and times the launch
to the first session established (ZooKeeper answers ``ruok`` before its data is loaded, so a
session is the honest readiness test); ``make bench`` uses it on each server's own data
directory holding 1,000,000 znodes it created.

Run as a module, it races the two servers on the same bytes: one data directory is built
(``--znodes`` znodes of 100 bytes under 1,000 parents, written as a snapshot by zkcompat),
copied twice, and each server is started on its copy. That zkcompat's snapshot is ZooKeeper's
format is what makes the race fair. Needs Debian's zookeeper package (``make zookeeper``).

    python -m zkcompat.bench.restart --znodes 1000000
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jute import records as R
from zkcompat.bench.targets import DEFAULT_HEAP, TARGETS, Target
from zkcompat.constants import OpCode

OPEN = [R.ACL(31, R.Id("world", "anyone"))]
VALUE = b"v" * 100

#: How long a server may take to load its data before the run gives up on it.
START_TIMEOUT = 900.0


def build(data_dir: Path, znodes: int) -> None:
    """A snapshot of ``znodes`` znodes of 100 bytes under 1,000 parents, in ``data_dir``."""
    # Imported here: ``make bench`` needs only restart_to_ready, not zkcompat's storage.
    from zkcompat.datatree import DataTree
    from zkcompat.storage.snapshot import write_snapshot

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


@dataclass(frozen=True)
class Restart:
    """Seconds from launch to the first session, and the server's RSS once it settled."""

    seconds: float
    rss: int


def restart_to_ready(
    target: Target, data_dir: Path, heap: str = DEFAULT_HEAP, settle: float = 1.0
) -> Restart:
    """Start ``target`` on ``data_dir`` (kept afterwards), time it to its first session, read
    its RSS ``settle`` seconds later, and stop it."""
    server = target.server(data_dir=data_dir, heap=heap, start_timeout=START_TIMEOUT)
    server.start()
    try:
        time.sleep(settle)
        return Restart(server.start_seconds, server.rss())
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--znodes", type=int, default=1_000_000)
    parser.add_argument("--heap", default=DEFAULT_HEAP, help="ZooKeeper's -Xmx")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="zkcompat-restart-"))
    try:
        built = time.monotonic()
        (base / "source").mkdir()
        build(base / "source", args.znodes)
        size = sum(f.stat().st_size for f in (base / "source" / "version-2").iterdir())
        took = time.monotonic() - built
        print(f"built {args.znodes:,} znodes: snapshot {size / 1e6:.0f} MB in {took:.1f} s")
        times = {}
        for target in TARGETS:
            shutil.copytree(base / "source", base / target.name / "data")
            times[target.name] = restart_to_ready(target, base / target.name / "data", args.heap)
        ours, theirs = (times[t.name].seconds for t in TARGETS)
        print(
            f"restart to first session: zkcompat {ours:.2f} s, "
            f"Apache ZooKeeper {theirs:.2f} s, ratio {ours / theirs:.2f}"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
