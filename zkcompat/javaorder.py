"""The order in which Java's hash-based sets iterate, which ZooKeeper's clients can observe.

ZooKeeper keeps a znode's children, a session's ephemerals and a session's identities in
``HashSet``s and returns them in iteration order, so ``ls``, ``getEphemerals`` and ``whoAmI``
list them in that order, and a snapshot stores a znode's children in it. A ``HashMap``
iterates bucket by bucket, where the bucket of a key is
``(h ^ h >>> 16) & (capacity - 1)`` for the key's ``hashCode`` ``h``; within a bucket, entries
keep the order they were inserted in, and a resize splits buckets without reordering. So the
iteration order is the insertion order, stably sorted by bucket: that is all this module
computes. (Buckets of eight or more colliding keys turn into trees in Java; not modelled.)
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

_INT_MASK = 0xFFFFFFFF


@lru_cache(maxsize=65536)
def java_string_hash(text: str) -> int:
    """``String.hashCode`` (over UTF-16 code units), as an unsigned 32-bit value."""
    h = 0
    data = text.encode("utf-16-be", "surrogatepass")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & _INT_MASK
    return h


def table_size(count: int, initial_capacity: int = 16, *, concurrent: bool = False) -> int:
    """The bucket count of a HashMap that has held ``count`` entries: it doubles whenever the
    size passes three quarters of the table (a ConcurrentHashMap: once it reaches them)."""
    size = 1
    while size < initial_capacity:
        size <<= 1
    while count > size * 3 // 4 or (concurrent and count == size * 3 // 4):
        size <<= 1
    return size


def hash_set_order(items: Iterable[str], initial_capacity: int = 16) -> list[str]:
    """``items`` (in insertion order) in the order a Java ``HashSet`` of them iterates."""
    ordered = list(items)
    if len(ordered) < 2:
        return ordered
    mask = table_size(len(ordered), initial_capacity) - 1

    def bucket(item: str) -> int:
        return spread(java_string_hash(item)) & mask

    ordered.sort(key=bucket)
    return ordered


_ABSENT = object()


class JavaHashSet(dict[str, None]):
    """A set of strings that lists itself as a ``java.util.HashSet`` with that history would.

    A znode's children live in one: ZooKeeper creates the set with ``new HashSet<>(8)`` on the
    first child and never shrinks it, so the bucket count depends on the most children the
    node ever had, which this tracks as ``table``. The dict keeps insertion order, and a name
    removed and added again goes to the end, as it does in a Java bucket's chain.
    ``ordered()`` is cached until the next change: ``getChildren`` is a hot read.
    """

    __slots__ = ("_ordered", "table")

    def __init__(self, initial_capacity: int = 8) -> None:
        super().__init__()
        self.table = table_size(0, initial_capacity)
        self._ordered: list[str] | None = None

    def add(self, name: str) -> None:
        if name not in self:
            self[name] = None
            if len(self) > self.table * 3 // 4:
                self.table <<= 1
            self._ordered = None

    def restored(self) -> None:
        """Names were stored straight into the dict (a snapshot being loaded, where each name
        is new and only ever added): size the table as those adds would have."""
        self.table = table_size(len(self), self.table)
        self._ordered = None

    def discard(self, name: str) -> None:
        if self.pop(name, _ABSENT) is not _ABSENT:
            self._ordered = None

    def ordered(self) -> list[str]:
        """The names in Java's iteration order. The list is shared: do not modify it."""
        if self._ordered is None:
            mask = self.table - 1
            self._ordered = sorted(self, key=lambda name: spread(java_string_hash(name)) & mask)
        return self._ordered


def spread(h: int) -> int:
    """HashMap's bucket hash: the high half folded into the low half."""
    return h ^ (h >> 16)
