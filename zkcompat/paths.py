"""ZooKeeper's znode path rules: which paths are valid, and how a path splits and joins.

This module owns the text of a znode path. :func:`validate_path` applies ZooKeeper's
``PathUtils.validatePath`` rules and raises with the very message ZooKeeper would log, so that an
operator comparing logs sees the same reason. The rest are small string helpers the prep stage,
the DataTree and test clients share (parent and name, the sequential suffix, a client's chroot).

What it must not know: whether a znode exists, ACLs, sessions, or which error code a request
fails with. The prep stage turns :class:`InvalidPath` into ``BadArguments``.

ZooKeeper is written in Java, whose strings are UTF-16: a character outside the Basic
Multilingual Plane is two ``char`` values, both in the forbidden surrogate range, and positions
in messages count UTF-16 units. We do the same, so an emoji is an invalid character here too.
"""

from __future__ import annotations

import re
from typing import ClassVar

from zkcompat.constants import Err

__all__ = [
    "InvalidPath",
    "basename",
    "join",
    "parent_of",
    "prepend_chroot",
    "sequential_path",
    "strip_chroot",
    "validate_path",
]


class InvalidPath(ValueError):
    """A path breaks one of ZooKeeper's rules; the message is ZooKeeper's own wording."""

    code: ClassVar[Err] = Err.BadArguments


# Anything that might break a rule inside the path. Most paths match none of it, so validation
# costs one regex scan; a hit falls through to the exact, position-reporting loop below.
_SUSPECT = re.compile(
    r"//|/\.\.?(?:/|\Z)|[\x00-\x1f\x7f-\x9f\ud800-\uf8ff\ufff0-\U0010ffff]",
)


def _utf16_units(text: str) -> list[int]:
    """The UTF-16 code units of ``text``: Java's ``char[]`` of the same string."""
    if text.isascii():
        return [ord(c) for c in text]
    raw = text.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


def _forbidden(unit: int) -> bool:
    return (
        0x01 <= unit <= 0x1F
        or 0x7F <= unit <= 0x9F
        or 0xD800 <= unit <= 0xF8FF
        or 0xFFF0 <= unit <= 0xFFFF
    )


_SLASH, _DOT = ord("/"), ord(".")


def _reason(path: str) -> str | None:
    """Why ZooKeeper rejects the inside of ``path`` (first offence, UTF-16 position), if it does."""
    units = _utf16_units(path)
    end = len(units)
    for i in range(1, end):
        c, last = units[i], units[i - 1]
        at_segment_end = i + 1 == end or units[i + 1] == _SLASH
        if c == 0:
            return f"null character not allowed @{i}"
        if c == _SLASH and last == _SLASH:
            return f"empty node name specified @{i}"
        if c == _DOT and last == _DOT:
            if units[i - 2] == _SLASH and at_segment_end:
                return f"relative paths not allowed @{i}"
        elif c == _DOT:
            if last == _SLASH and at_segment_end:
                return f"relative paths not allowed @{i}"
        elif _forbidden(c):
            return f"invalid character @{i}"
    return None


def validate_path(path: str | None, *, sequential: bool = False) -> None:
    """Raise :class:`InvalidPath` unless ZooKeeper would accept ``path`` as a znode path.

    ``sequential`` checks the path with a "1" appended, as ZooKeeper does before a sequential
    create: a name ending in "/" is fine then, because the counter will follow it. (ZooKeeper
    appends to a null path too, so a missing sequential path reads "null1"; we keep that.)
    """
    if sequential:
        path = ("null" if path is None else path) + "1"
    if path is None:
        raise InvalidPath("Path cannot be null")
    if not path:
        raise InvalidPath("Path length must be > 0")
    if path[0] != "/":
        raise InvalidPath("Path must start with / character")
    if len(path) == 1:
        return
    if path[-1] == "/":
        raise InvalidPath("Path must not end with / character")
    if _SUSPECT.search(path) is None:
        return
    reason = _reason(path)
    if reason is not None:
        raise InvalidPath(f'Invalid path string "{path}" caused by {reason}')


def parent_of(path: str) -> str:
    """The parent of ``path``; "/" for a top-level znode and for the root itself.

    ZooKeeper cuts at the last "/" and files the root under both "" and "/", so a create of
    "/" meets the root as its own parent (and then fails with NodeExists). Returning "/" keeps
    that behaviour without a second name for the root.
    """
    slash = path.rfind("/")
    if slash < 0:
        raise InvalidPath("Path must start with / character")
    return path[:slash] or "/"


def basename(path: str) -> str:
    """The last name in ``path`` ("" for the root)."""
    return path[path.rfind("/") + 1 :]


def join(parent: str, name: str) -> str:
    """The path of child ``name`` under ``parent``."""
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


def sequential_path(path: str, parent_cversion: int) -> str:
    """``path`` with ZooKeeper's sequence suffix: the parent's cversion, zero-padded to 10.

    A negative cversion (after overflow) keeps its sign inside the 10 characters, as Java's
    ``%010d`` does.
    """
    return f"{path}{parent_cversion:010d}"


def prepend_chroot(chroot: str | None, path: str) -> str:
    """A client's path as the server sees it under ``chroot`` (client-side in ZooKeeper).

    ``chroot`` is None or a valid path other than "/" (a "/" chroot means none).
    """
    if not chroot:
        return path
    return chroot if path == "/" else chroot + path


def strip_chroot(chroot: str | None, path: str) -> str:
    """A server path as a client under ``chroot`` sees it, as ZooKeeper's client strips it.

    Like the Java client this is a plain prefix test, so a path outside the chroot comes back
    unchanged.
    """
    if not chroot or not path.startswith(chroot):
        return path
    return path[len(chroot) :] or "/"
