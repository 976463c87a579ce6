"""The error a request fails with, carrying ZooKeeper's code to the reply header."""

from __future__ import annotations

from zkcompat.constants import Err


class KeeperError(Exception):
    """A request failed with a ZooKeeper error code (``KeeperException``).

    Raised in prep and in read handling; the pipeline turns it into an error txn (writes, which
    still consume a zxid as in ZooKeeper) or into the reply header's ``err`` (reads).
    """

    def __init__(self, code: Err, path: str | None = None) -> None:
        super().__init__(f"{code.name}{f' for {path}' if path else ''}")
        self.code = code
        self.path = path
