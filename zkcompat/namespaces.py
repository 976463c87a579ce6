"""ZooKeeper's per-namespace traffic summaries, which `mntr` reports.

ZooKeeper 3.8 counts, for each top-level znode (the "namespace" of a path: `/app` for
`/app/a/b`), the bytes of every read (getData, exists, getChildren) and write (create,
delete, setData) as the data tree serves or applies it, and `mntr` lists an avg/min/max/
cnt/sum row set per namespace: `zk_avg_app_read_per_namespace` and so on. A namespace shows up
the first time it is touched, and stays (`srst` does not reset these). Read sizes include a
fixed allowance for the Stat.

Sizes count the path as Java does (UTF-16 units), so a name outside the Basic Multilingual
Plane counts twice.
"""

from __future__ import annotations

from zkcompat.javaorder import hash_set_order
from zkcompat.metrics import Row, Summary

STAT_OVERHEAD_BYTES = 6 * 8 + 5 * 4  # DataTree.STAT_OVERHEAD_BYTES: six longs, five ints


def java_length(text: str) -> int:
    """``String.length()``: UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for char in text if char > "\uffff")


class NamespaceSummaries:
    """One summary set (ZooKeeper's AvgMinMaxCounterSet) keyed by top-level namespace."""

    __slots__ = ("_summaries", "suffix")

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix  # "read_per_namespace" or "write_per_namespace"
        self._summaries: dict[str, Summary] = {}

    def add(self, path: str, amount: int) -> None:
        """Count `amount` bytes against the namespace of `path` ("/" has none)."""
        end = path.find("/", 1)
        namespace = path[1:end] if end > 0 else path[1:]
        if not namespace:
            return
        summary = self._summaries.get(namespace)
        if summary is None:
            summary = self._summaries[namespace] = Summary()
        summary.add(amount)

    def rows(self) -> list[Row]:
        """mntr's rows, namespaces in the order ZooKeeper's ConcurrentHashMap lists them."""
        rows: list[Row] = []
        for namespace in hash_set_order(self._summaries):
            rows.extend(self._summaries[namespace].rows(f"{namespace}_{self.suffix}"))
        return rows
