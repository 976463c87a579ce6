"""Commit: make a txn durable, then apply it, in zxid order, with group commit.

A txn is appended to the log at once, and applied (and answered) only after an fsync covers
it: a write is never acknowledged before it is on disk. One fsync runs at a time, in a
long-lived sync thread; every txn appended while it runs waits for the next one, so under load
one fsync covers a whole batch (group commit) and the event loop keeps accepting and prepping
requests meanwhile. Without a log (an in-memory server) a txn is applied at once.

The hand-off is one lock release to start a sync and one ``call_soon_threadsafe`` when it is
done: that is all an unloaded write pays on top of the fsync itself. (``run_in_executor`` per
batch wrapped each sync in a concurrent future and an asyncio future, and took two loop
iterations to get back.)

What does not live here: what a txn means (the data tree) and what to answer (the pipeline,
through the ``done`` callbacks, which run on the event loop in zxid order).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from zkcompat.datatree import ApplyResult
from zkcompat.storage.txnlog import TxnLogWriter

log = logging.getLogger(__name__)

Apply = Callable[[Any, Any], ApplyResult]
Done = Callable[[ApplyResult], None]
Synced = Callable[[BaseException | None], None]


class LogFailure(RuntimeError):
    """The txn log could not be written or synced: the server cannot go on safely."""


class SyncThread:
    """One thread that runs ``sync`` each time it is asked, and reports back on the loop.

    It waits on a plain lock (released = a sync is wanted), so a request costs one futex wake
    and no allocation; when the sync returns it calls ``synced(None)``, or ``synced(error)``,
    on the asking loop. The caller asks again only after ``synced`` ran: one sync at a time.
    """

    def __init__(self, sync: Callable[[], object], synced: Synced) -> None:
        self._sync = sync
        self._synced = synced
        self._wanted = threading.Lock()
        self._wanted.acquire()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    def request(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start one sync; ``synced`` runs on ``loop`` when it is over."""
        self._loop = loop
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="txnlog-sync", daemon=True)
            self._thread.start()
        self._wanted.release()

    def _run(self) -> None:
        while True:
            self._wanted.acquire()
            if self._stopping:
                return
            error: BaseException | None = None
            try:
                self._sync()
            except BaseException as caught:  # reported on the loop, which stops all writes
                error = caught
            self._report(error)

    def _report(self, error: BaseException | None) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._synced, error)
        except RuntimeError:  # the loop closed while the last sync ran: nobody to tell
            log.debug("txn log sync finished after the event loop closed")

    def stop(self) -> None:
        """Wait for a sync under way, then end the thread. Not to be called with a request
        outstanding that ``synced`` has not answered yet on a loop that no longer runs."""
        if self._thread is None:
            return
        self._stopping = True
        if self._wanted.locked():
            self._wanted.release()
        self._thread.join()
        self._thread = None


class Committer:
    def __init__(self, apply: Apply, writer: TxnLogWriter | None) -> None:
        self.apply = apply
        self.writer = writer
        self._pending: list[tuple[Any, Any, Done]] = []
        self._syncing = 0  # how many of _pending the running sync covers; 0: none runs
        self._closed = False
        self._syncer = SyncThread(writer.sync, self._synced) if writer is not None else None
        self.failure: BaseException | None = None
        # Told once, on the loop, when the log fails: the standalone server shuts down then,
        # as ZooKeeper's SyncRequestProcessor does on an error it cannot recover from.
        self.on_failure: Callable[[BaseException], None] | None = None

    def submit(self, header: Any, txn: Any, done: Done) -> None:
        if self.failure is not None:
            raise LogFailure("the txn log failed earlier") from self.failure
        if self.writer is None:
            done(self.apply(header, txn))
            return
        self.writer.append(header, txn)
        self._pending.append((header, txn, done))
        if not self._syncing:
            self._start_sync()

    def _start_sync(self) -> None:
        assert self.writer is not None and self._syncer is not None
        if self._closed:
            return
        try:
            self.writer.flush()
        except OSError as error:
            self._fail(error)
            return
        self._syncing = len(self._pending)
        self._syncer.request(asyncio.get_running_loop())

    def _synced(self, error: BaseException | None) -> None:
        """On the loop, once a sync is over: apply its batch in zxid order, then sync what
        was appended meanwhile."""
        count, self._syncing = self._syncing, 0
        if error is not None:
            self._fail(error)
            return
        batch = self._pending[:count]
        del self._pending[:count]
        apply = self.apply
        for header, txn, done in batch:
            done(apply(header, txn))
        if self._pending:
            self._start_sync()

    def _fail(self, error: BaseException) -> None:
        log.error("The txn log failed; no further write can be made durable", exc_info=error)
        self.failure = error
        if self.on_failure is not None:
            self.on_failure(error)

    def close(self) -> None:
        self._closed = True
        if self._syncer is not None:
            self._syncer.stop()
        if self.writer is None:
            return
        try:
            self.writer.close()
        except OSError as error:
            if self.failure is None:
                raise
            # Nothing it still held was acknowledged; the failure itself is logged already.
            log.warning("Closing the failed txn log: %s", error)
