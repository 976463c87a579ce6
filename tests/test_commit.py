"""The committer: nothing is applied before a sync covers it, one sync covers everything
appended while the previous one ran, and a failed log stops every later write."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from zkcompat.commit import Committer, LogFailure


class GatedLog:
    """A txn log whose syncs wait until the test lets each one finish."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.appended: list[int] = []
        self.flushed = 0
        self.syncs: list[int] = []  # how many txns were flushed when each sync started
        self.fail = fail
        self.gate = threading.Semaphore(0)
        self.closed = False

    def append(self, header: int, txn: object) -> None:
        self.appended.append(header)

    def flush(self) -> None:
        self.flushed = len(self.appended)

    def sync(self) -> None:
        self.syncs.append(self.flushed)
        self.gate.acquire()
        if self.fail is not None:
            raise self.fail

    def close(self) -> None:
        self.closed = True


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never came true")


def committer_over(log: GatedLog, applied: list[int]) -> Committer:
    def apply(header: int, txn: object) -> object:
        applied.append(header)
        return header

    return Committer(apply, log)  # type: ignore[arg-type]  # a duck-typed TxnLogWriter


def test_writes_are_applied_only_once_synced_and_one_sync_covers_a_batch() -> None:
    async def story() -> None:
        log, applied, answered = GatedLog(), [], []
        committer = committer_over(log, applied)
        committer.submit(1, None, answered.append)
        await until(lambda: log.syncs == [1])
        committer.submit(2, None, answered.append)  # both arrive while the first sync runs
        committer.submit(3, None, answered.append)
        await asyncio.sleep(0.01)
        assert applied == [] and answered == []
        log.gate.release()
        await until(lambda: answered == [1])
        await until(lambda: log.syncs == [1, 3])  # the next sync covers 2 and 3 together
        assert applied == [1]
        log.gate.release()
        await until(lambda: answered == [1, 2, 3])
        assert log.syncs == [1, 3]
        committer.close()
        assert log.closed

    asyncio.run(story())


def test_a_failed_sync_acknowledges_nothing_and_refuses_later_writes() -> None:
    async def story() -> None:
        log, applied, answered = GatedLog(fail=OSError("disk gone")), [], []
        committer = committer_over(log, applied)
        committer.submit(1, None, answered.append)
        log.gate.release()
        await until(lambda: committer.failure is not None)
        assert applied == [] and answered == []
        with pytest.raises(LogFailure):
            committer.submit(2, None, answered.append)
        committer.close()

    asyncio.run(story())
