"""Stories about znode paths: which ones ZooKeeper accepts, and the reason it gives when not.

Every message below is the text ZooKeeper 3.8's ``PathUtils.validatePath`` puts in its
IllegalArgumentException for the same input (checked against the 3.8.0 jar). Positions count
UTF-16 units, as Java does.
"""

from __future__ import annotations

import pytest

from zkcompat.constants import Err
from zkcompat.paths import (
    InvalidPath,
    basename,
    join,
    parent_of,
    prepend_chroot,
    sequential_path,
    strip_chroot,
    validate_path,
)

VALID = [
    "/",
    "/a",
    "/a/b/c",
    "/zookeeper/quota",
    "/a.b",
    "/.a",
    "/a.",
    "/...",
    "/..a",
    "/a..",
    "/a b",
    "/\u00a0",  # the first character after the forbidden C1 controls
    "/\ud7ff",  # the last before the surrogates
    "/\uf900",  # the first after the private use area
    "/\uffef",  # the last before the specials
    "/é/ü/日本",
]

INVALID = [
    (None, "Path cannot be null"),
    ("", "Path length must be > 0"),
    ("a", "Path must start with / character"),
    ("a/b", "Path must start with / character"),
    ("/a/", "Path must not end with / character"),
    ("//", "Path must not end with / character"),
    ("//a", 'Invalid path string "//a" caused by empty node name specified @1'),
    ("/a//b", 'Invalid path string "/a//b" caused by empty node name specified @3'),
    ("/.", 'Invalid path string "/." caused by relative paths not allowed @1'),
    ("/..", 'Invalid path string "/.." caused by relative paths not allowed @2'),
    ("/a/.", 'Invalid path string "/a/." caused by relative paths not allowed @3'),
    ("/a/..", 'Invalid path string "/a/.." caused by relative paths not allowed @4'),
    ("/./a", 'Invalid path string "/./a" caused by relative paths not allowed @1'),
    ("/a/../b", 'Invalid path string "/a/../b" caused by relative paths not allowed @4'),
    ("/a\x00b", 'Invalid path string "/a\x00b" caused by null character not allowed @2'),
    ("/\x01", 'Invalid path string "/\x01" caused by invalid character @1'),
    ("/a\x1f", 'Invalid path string "/a\x1f" caused by invalid character @2'),
    ("/a\x7f", 'Invalid path string "/a\x7f" caused by invalid character @2'),
    ("/a\x9f", 'Invalid path string "/a\x9f" caused by invalid character @2'),
    ("/a\ue000", 'Invalid path string "/a\ue000" caused by invalid character @2'),
    ("/a\uf8ff", 'Invalid path string "/a\uf8ff" caused by invalid character @2'),
    ("/a\ufff0", 'Invalid path string "/a\ufff0" caused by invalid character @2'),
    ("/a\uffff", 'Invalid path string "/a\uffff" caused by invalid character @2'),
    # What a malformed UTF-8 name decodes to, on our side and on ZooKeeper's.
    ("/a\ufffd", 'Invalid path string "/a\ufffd" caused by invalid character @2'),
    # Outside the BMP: two UTF-16 units, the first a surrogate.
    ("/😀", 'Invalid path string "/😀" caused by invalid character @1'),
    # The first offence wins, and the position counts the emoji as two units.
    ("/😀/\x01", 'Invalid path string "/😀/\x01" caused by invalid character @1'),
    ("/é😀", 'Invalid path string "/é😀" caused by invalid character @2'),
    ("/ab/x\x01//", "Path must not end with / character"),
    ("/a\x01//b", 'Invalid path string "/a\x01//b" caused by invalid character @2'),
    ("/a//b\x01", 'Invalid path string "/a//b\x01" caused by empty node name specified @3'),
]


@pytest.mark.parametrize("path", VALID)
def test_zookeeper_accepts_these_paths(path: str) -> None:
    validate_path(path)


@pytest.mark.parametrize(("path", "message"), INVALID)
def test_each_rule_rejects_with_zookeepers_message(path: str | None, message: str) -> None:
    with pytest.raises(InvalidPath) as caught:
        validate_path(path)
    assert str(caught.value) == message


def test_an_invalid_path_is_a_value_error_that_prep_reports_as_bad_arguments() -> None:
    with pytest.raises(ValueError):
        validate_path("relative")
    assert InvalidPath.code is Err.BadArguments


def test_a_sequential_create_is_validated_with_the_counter_in_place() -> None:
    # "/locks/lock-" would be fine either way; "/queue/" only because a number will follow.
    validate_path("/queue/", sequential=True)
    validate_path("/locks/lock-", sequential=True)
    with pytest.raises(InvalidPath, match=r"^Path must not end with / character$"):
        validate_path("/queue/")


def test_a_sequential_path_is_reported_with_the_appended_one() -> None:
    with pytest.raises(InvalidPath) as caught:
        validate_path("/a//", sequential=True)
    assert str(caught.value) == 'Invalid path string "/a//1" caused by empty node name specified @3'
    with pytest.raises(InvalidPath, match=r"^Path must start with / character$"):
        validate_path("", sequential=True)  # "" + "1" is "1"
    with pytest.raises(InvalidPath, match=r"^Path must start with / character$"):
        validate_path(None, sequential=True)  # Java's null + "1" is "null1"


def test_a_sequential_dot_name_becomes_a_real_name() -> None:
    validate_path("/a/.", sequential=True)  # "/a/.1"
    validate_path("/a/..", sequential=True)  # "/a/..1"


def test_parent_and_name() -> None:
    assert parent_of("/a/b/c") == "/a/b"
    assert parent_of("/a") == "/"
    assert parent_of("/") == "/"
    assert basename("/a/b/c") == "c"
    assert basename("/a") == "a"
    assert basename("/") == ""
    with pytest.raises(InvalidPath):
        parent_of("no-slash")


def test_join_is_the_inverse_of_parent_and_name() -> None:
    for path in ("/a", "/a/b", "/a/b/c"):
        assert join(parent_of(path), basename(path)) == path


def test_sequential_suffix_is_ten_digits_and_keeps_a_negative_sign() -> None:
    assert sequential_path("/q/item-", 0) == "/q/item-0000000000"
    assert sequential_path("/q/item-", 42) == "/q/item-0000000042"
    assert sequential_path("/q/", 2147483647) == "/q/2147483647"
    assert sequential_path("/q/", -2147483648) == "/q/-2147483648"
    assert sequential_path("/q/", -1) == "/q/-000000001"


def test_a_chroot_prefixes_client_paths_and_is_stripped_from_server_paths() -> None:
    assert prepend_chroot("/app", "/") == "/app"
    assert prepend_chroot("/app", "/x/y") == "/app/x/y"
    assert prepend_chroot(None, "/x") == "/x"
    assert strip_chroot("/app", "/app") == "/"
    assert strip_chroot("/app", "/app/x") == "/x"
    assert strip_chroot("/app", "/zookeeper/quota") == "/zookeeper/quota"
    assert strip_chroot(None, "/x") == "/x"
    # ZooKeeper's client compares plain prefixes, not path segments.
    assert strip_chroot("/app", "/apple") == "le"
