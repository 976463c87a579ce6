"""Java HashSet iteration order, checked against orders printed by the JVM on this machine
(`new HashSet<>(capacity)`, then add prefix+0 .. prefix+n-1, then iterate)."""

from __future__ import annotations

import pytest

from zkcompat.javaorder import hash_set_order, java_string_hash, table_size

JVM_ORDERS = [
    (16, "/ge/e", 5, "/ge/e0 /ge/e2 /ge/e1 /ge/e4 /ge/e3"),
    (8, "node-", 7, "node-0 node-1 node-2 node-3 node-4 node-5 node-6"),
    (8, "c", 3, "c0 c1 c2"),
    (
        16,
        "seq-00000000",
        20,
        "seq-000000007 seq-0000000014 seq-000000006 seq-0000000013 seq-000000009 "
        "seq-0000000016 seq-000000008 seq-0000000015 seq-0000000018 seq-0000000017 "
        "seq-0000000019 seq-000000001 seq-000000000 seq-000000003 seq-000000002 "
        "seq-000000005 seq-000000004 seq-0000000010 seq-0000000012 seq-0000000011",
    ),
]


@pytest.mark.parametrize(("capacity", "prefix", "count", "expected"), JVM_ORDERS)
def test_matches_the_jvm(capacity, prefix, count, expected) -> None:
    items = [f"{prefix}{i}" for i in range(count)]
    assert hash_set_order(items, capacity) == expected.split()


def test_string_hash_is_javas() -> None:
    assert java_string_hash("") == 0
    assert java_string_hash("a") == 97
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("\U0001f600") == (0xD83D * 31 + 0xDE00)  # two UTF-16 units


def test_table_grows_past_three_quarters() -> None:
    assert [table_size(n, 8) for n in (0, 6, 7, 12, 13)] == [8, 8, 16, 16, 32]
