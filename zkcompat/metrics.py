"""ZooKeeper's summary metrics, as `mntr` prints them.

A summary (ZooKeeper's AvgMinMaxCounter) takes data points and reports five rows:
`avg_<name>`, `min_<name>`, `max_<name>`, `cnt_<name>` and `sum_<name>`. The average is the
exact quotient rounded half-up to four places, printed as a Java double.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

Row = tuple[str, int | float]


class Summary:
    """Count, total, minimum and maximum of the data points added so far."""

    __slots__ = ("count", "high", "low", "total")

    def __init__(self) -> None:
        self.count = self.total = self.low = self.high = 0

    def add(self, value: int) -> None:
        if self.count == 0:
            self.low = self.high = value
        elif value < self.low:
            self.low = value
        elif value > self.high:
            self.high = value
        self.count += 1
        self.total += value

    def rows(self, name: str) -> list[Row]:
        return [
            (f"avg_{name}", average(self.total, self.count)),
            (f"min_{name}", self.low),
            (f"max_{name}", self.high),
            (f"cnt_{name}", self.count),
            (f"sum_{name}", self.total),
        ]


def average(total: int, count: int) -> float:
    """AvgMinMaxCounter.getAvg: the exact double quotient rounded half-up to 4 places."""
    if not count:
        return 0.0
    exact = Decimal(total / count)
    return float(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
