"""Commit: make a txn durable, then apply it, in zxid order, with group commit.

A txn is appended to the log at once, and applied (and answered) only after an fsync covers
it: a write is never acknowledged before it is on disk. One fsync runs at a time, in a worker
thread; every txn appended while it runs waits for the next one, so under load one fsync
covers a whole batch (group commit) and the event loop keeps accepting and prepping requests
meanwhile. Without a log (an in-memory server) a txn is applied at once.

What does not live here: what a txn means (the data tree) and what to answer (the pipeline,
through the ``done`` callbacks, which run on the event loop in zxid order).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from zkcompat.datatree import ApplyResult
from zkcompat.storage.txnlog import TxnLogWriter

log = logging.getLogger(__name__)

Apply = Callable[[Any, Any], ApplyResult]
Done = Callable[[ApplyResult], None]


class LogFailure(RuntimeError):
    """The txn log could not be written or synced: the server cannot go on safely."""


class Committer:
    def __init__(self, apply: Apply, writer: TxnLogWriter | None) -> None:
        self.apply = apply
        self.writer = writer
        self._pending: list[tuple[Any, Any, Done]] = []
        self._syncing = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="txnlog-sync")
        self.failure: BaseException | None = None

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
        assert self.writer is not None
        self._syncing = True
        count = len(self._pending)
        try:
            self.writer.flush()
        except OSError as error:
            self._fail(error)
            return
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, self.writer.sync)
        future.add_done_callback(lambda f: self._synced(f, count))

    def _synced(self, future: asyncio.Future, count: int) -> None:
        self._syncing = False
        error = future.exception()
        if error is not None:
            self._fail(error)
            return
        batch, self._pending = self._pending[:count], self._pending[count:]
        for header, txn, done in batch:
            done(self.apply(header, txn))
        if self._pending:
            self._start_sync()

    def _fail(self, error: BaseException) -> None:
        log.error("The txn log failed; no further write can be made durable", exc_info=error)
        self.failure = error

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self.writer is not None:
            self.writer.close()
