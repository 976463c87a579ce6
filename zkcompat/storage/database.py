"""The data directory as a whole: restore at start, the log writer, and the snapshot policy.

This is ZooKeeper's ``FileTxnSnapLog`` plus the snapshot half of ``SyncRequestProcessor``:

* restore = the newest snapshot that reads back whole (older ones are tried if it does not),
  then every later txn of the log, applied in order; a torn or corrupt tail is cut off with a
  warning, never fatal, because the txns in it were never acknowledged;
* after restoring, a snapshot is written in the background once clients are served
  (ZooKeeper writes one before serving), so the next restart replays little;
* while serving, a snapshot is due once more than ``snapCount / 2 + r`` txns have been logged
  since the last (``r`` drawn anew from ``[0, snapCount / 2)`` each time, so that the servers
  of an ensemble do not all snapshot at once); the log rolls to a new file and the snapshot
  is written fuzzily: serialized a chunk at a time between requests, then fsynced and renamed
  in a worker thread.

It knows files and the tree; it knows nothing about requests or connections.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import time
from pathlib import Path

from zkcompat.datatree import DataTree
from zkcompat.storage.snapshot import (
    SnapshotError,
    SnapshotFile,
    find_snapshots,
    iter_snapshot,
    read_snapshot,
)
from zkcompat.storage.txnlog import TxnLogReader, TxnLogWriter, truncate

log = logging.getLogger(__name__)

VERSION_DIR = "version-2"
# Chunks of the snapshot stream serialized between two yields to the event loop.
_CHUNKS_PER_SLICE = 64


class Database:
    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        data_log_dir: str | os.PathLike[str] | None = None,
        *,
        snap_count: int = 100000,
        pre_alloc_size: int = 64 * 1024 * 1024,
        force_sync: bool = True,
    ) -> None:
        self.snap_dir = Path(data_dir) / VERSION_DIR
        self.log_dir = Path(data_log_dir or data_dir) / VERSION_DIR
        self.snap_count = max(snap_count, 2)
        self.pre_alloc_size = pre_alloc_size
        self.force_sync = force_sync
        self.writer: TxnLogWriter | None = None
        self._logged_since_snapshot = 0
        self._roll = self._new_roll()
        self._snapshot_task: asyncio.Task[None] | None = None
        self._loaded_snapshot = False
        self._snapshot_at_start = False

    # --- start-up ---------------------------------------------------------------------------

    def load(self, *, extended_types: bool = False) -> DataTree:
        """The tree as the data directory holds it; opens the log for appending.

        ``extended_types`` (``zookeeper.extendedTypesEnabled``) decides whether ephemeral
        owners with the TTL marker are read as TTL znodes, so it is the server's setting."""
        self.snap_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        # Millions of new objects and none of them garbage: the cyclic collector would only
        # rescan them again and again. Once loaded, the tree is frozen out of later collections.
        collecting = gc.isenabled()
        gc.disable()
        try:
            tree = self._newest_snapshot(extended_types)
            reader = TxnLogReader(self.log_dir, tree.last_processed_zxid + 1)
            replayed = 0
            for header, txn, _digest in reader:
                if header.zxid > tree.last_processed_zxid:
                    tree.apply(header, txn)
                    replayed += 1
        finally:
            if collecting:
                gc.enable()
        gc.freeze()
        if reader.corruption is not None:
            log.warning(
                "Dropping the txn log after zxid 0x%x: %s in %s at offset %d",
                tree.last_processed_zxid,
                reader.corruption.reason,
                reader.corruption.path,
                reader.corruption.offset,
            )
            truncate(self.log_dir, tree.last_processed_zxid)
        log.info(
            "Restored %d znodes and %d sessions to zxid 0x%x (%d txns replayed) in %.3f s",
            tree.node_count(),
            len(tree.sessions),
            tree.last_processed_zxid,
            replayed,
            time.monotonic() - started,
        )
        self.writer = TxnLogWriter(
            self.log_dir, pre_alloc_size=self.pre_alloc_size, force_sync=self.force_sync
        )
        # A snapshot of what was just restored lets the replayed logs be purged (ZooKeeper
        # writes one at every start). It is not needed before serving: it is taken in the
        # background once the server runs, and not at all when the newest snapshot already
        # holds everything (nothing was replayed) or the directory is still empty.
        self._snapshot_at_start = replayed > 0 or not self._loaded_snapshot
        return tree

    def serving(self, tree: DataTree) -> None:
        """The server is taking clients: write the start-up snapshot if one is due."""
        if self._snapshot_at_start:
            self._snapshot_at_start = False
            self._snapshot_task = asyncio.get_running_loop().create_task(self._fuzzy_snapshot(tree))

    def _newest_snapshot(self, extended_types: bool) -> DataTree:
        for path in find_snapshots(self.snap_dir):
            try:
                tree, _sessions, _zxid = read_snapshot(path, extended_types=extended_types)
            except (SnapshotError, OSError) as error:
                log.warning("Skipping unusable snapshot %s: %s", path, error)
                continue
            log.info("Reading snapshot %s", path)
            self._loaded_snapshot = True
            return tree
        return DataTree(extended_types=extended_types)

    # --- while serving ----------------------------------------------------------------------

    def logged(self, tree: DataTree) -> None:
        """A txn was appended to the log; start a snapshot when one is due."""
        self._logged_since_snapshot += 1
        if self._logged_since_snapshot <= self.snap_count // 2 + self._roll:
            return
        if self._snapshot_task is not None and not self._snapshot_task.done():
            log.warning("Too busy to snap, skipping")
            return
        assert self.writer is not None
        self._logged_since_snapshot = 0
        self._roll = self._new_roll()
        self.writer.roll()
        self._snapshot_task = asyncio.get_running_loop().create_task(self._fuzzy_snapshot(tree))

    async def _fuzzy_snapshot(self, tree: DataTree) -> None:
        """Serialize the tree a slice at a time between requests (ZooKeeper's fuzzy snapshot)
        and stream each slice to the file in a worker thread, so a snapshot costs memory for
        one slice, not for the whole tree."""
        zxid = tree.last_processed_zxid
        loop = asyncio.get_running_loop()
        try:
            with SnapshotFile(zxid, self.snap_dir, fsync=self.force_sync) as out:
                chunks: list[bytes] = []
                for count, chunk in enumerate(iter_snapshot(tree, tree.sessions), 1):
                    chunks.append(chunk)
                    if count % _CHUNKS_PER_SLICE == 0:
                        await loop.run_in_executor(None, out.write, chunks)
                        chunks = []
                await loop.run_in_executor(None, out.write, chunks)
                await loop.run_in_executor(None, out.commit)
        except OSError:
            log.exception("Writing the snapshot at zxid 0x%x failed", zxid)

    async def close(self) -> None:
        if self._snapshot_task is not None:
            await self._snapshot_task
        if self.writer is not None:
            self.writer.close()

    def _new_roll(self) -> int:
        return random.randrange(max(self.snap_count // 2, 1))
