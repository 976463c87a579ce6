"""The shape of a record, read off its construct declaration.

A shape is the tree of a record's fields: fixed-width scalars (``Fixed``, as a ``struct``
format character), strings and buffers (``Var``), vectors (``Vec``) and nested records
(``Rec``). Both codec engines work from these shapes, the generated Python one
(:mod:`jute.fastcodec`) and the compiled one (:mod:`jute.accel`), so neither holds a layout
of its own: every record is declared once, as its construct ``Struct``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import construct
from construct import Construct, FormatField, Renamed, Struct

from jute.declare import Declarations, NullableBytes, NullableVector
from jute.errors import JuteError

_INT32 = "i"  # construct spells int32 "l"; in standard sizes both are four bytes


@dataclass(frozen=True)
class Fixed:
    fmt: str  # one struct format character

    @property
    def size(self) -> int:
        return struct.calcsize(">" + self.fmt)


@dataclass(frozen=True)
class Var:
    text: bool


@dataclass(frozen=True)
class Vec:
    element: Node


@dataclass(frozen=True)
class Rec:
    name: str
    fields: tuple[tuple[str, Node], ...]

    @property
    def fixed(self) -> bool:
        return all(is_fixed(node) for _, node in self.fields)


Node = Fixed | Var | Vec | Rec


def is_fixed(node: Node) -> bool:
    return isinstance(node, Fixed) or (isinstance(node, Rec) and node.fixed)


def describe(struct_: Struct, declarations: Declarations) -> Rec:
    """Read a record's shape off its construct Struct."""
    name = declarations.record_name(struct_)
    if name is None:
        raise JuteError("not a declared record")
    fields = []
    for sub in struct_.subcons:
        if not isinstance(sub, Renamed):
            raise JuteError(f"{name}: every field must be named")
        fields.append((sub.name, _node(sub.subcon, declarations)))
    return Rec(name, tuple(fields))


def _node(sub: Construct, declarations: Declarations) -> Node:
    if sub is construct.Flag:
        return Fixed("?")
    if isinstance(sub, FormatField):
        return Fixed(_INT32 if sub.fmtstr[-1] == "l" else sub.fmtstr[-1])
    if isinstance(sub, NullableBytes):
        return Var(sub.text)
    if isinstance(sub, NullableVector):
        return Vec(_node(sub.subcon, declarations))
    if isinstance(sub, Struct):
        return describe(sub, declarations)
    raise JuteError(f"no fast codec for construct {sub!r}")
