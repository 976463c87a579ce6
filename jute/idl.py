"""A parser for the Jute IDL: modules of classes of typed fields.

It turns IDL text into plain descriptions (:class:`RecordDef`, :class:`Field` and the type
classes below). It knows the grammar and resolves record names; it knows nothing about how a
type is encoded, which is the job of :mod:`jute.declare`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jute.errors import JuteError

PRIMITIVES = frozenset({"byte", "boolean", "int", "long", "float", "double", "ustring", "buffer"})


@dataclass(frozen=True)
class Primitive:
    name: str


@dataclass(frozen=True)
class Vector:
    element: JuteType


@dataclass(frozen=True)
class RecordRef:
    """A reference to another class, by fully qualified name once resolved."""

    name: str


JuteType = Primitive | Vector | RecordRef


@dataclass(frozen=True)
class Field:
    name: str
    type: JuteType


@dataclass(frozen=True)
class RecordDef:
    module: str
    name: str
    fields: tuple[Field, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.name}"


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<punct>[{};<>,])
    """,
    re.VERBOSE | re.DOTALL,
)


def _tokenize(text: str) -> list[tuple[str, int]]:
    """Split IDL text into (token, line) pairs, dropping blanks and comments."""
    tokens: list[tuple[str, int]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            line = text.count("\n", 0, pos) + 1
            raise JuteError(f"IDL line {line}: unexpected character {text[pos]!r}")
        if match.lastgroup in ("name", "punct"):
            tokens.append((match.group(), text.count("\n", 0, pos) + 1))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _next(self) -> str:
        if self.pos >= len(self.tokens):
            raise JuteError("IDL: unexpected end of input")
        token = self.tokens[self.pos][0]
        self.pos += 1
        return token

    def _expect(self, wanted: str) -> None:
        line = self.tokens[self.pos][1] if self.pos < len(self.tokens) else "end"
        token = self._next()
        if token != wanted:
            raise JuteError(f"IDL line {line}: expected {wanted!r}, found {token!r}")

    def parse(self) -> list[RecordDef]:
        records: list[RecordDef] = []
        while self._peek() is not None:
            self._expect("module")
            module = self._next()
            self._expect("{")
            while self._peek() != "}":
                records.append(self._parse_class(module))
            self._expect("}")
        return records

    def _parse_class(self, module: str) -> RecordDef:
        self._expect("class")
        name = self._next()
        self._expect("{")
        fields: list[Field] = []
        while self._peek() != "}":
            field_type = self._parse_type()
            fields.append(Field(self._next(), field_type))
            self._expect(";")
        self._expect("}")
        return RecordDef(module, name, tuple(fields))

    def _parse_type(self) -> JuteType:
        token = self._next()
        if token == "vector":
            self._expect("<")
            element = self._parse_type()
            self._expect(">")
            return Vector(element)
        if token == "map":
            raise JuteError("IDL: map types are not supported (ZooKeeper uses none)")
        if token in PRIMITIVES:
            return Primitive(token)
        return RecordRef(token)


def parse_idl(text: str) -> list[RecordDef]:
    """Parse IDL text into record definitions with every record reference fully qualified.

    A reference may name a class bare when exactly one module defines that name. Classes may
    refer only to classes defined earlier, which rules out recursive records.
    """
    records = _Parser(text).parse()
    by_qualified: dict[str, RecordDef] = {}
    by_bare: dict[str, list[str]] = {}
    resolved: list[RecordDef] = []
    for record in records:
        if record.qualified_name in by_qualified:
            raise JuteError(f"IDL: class {record.qualified_name} is defined twice")
        fields = tuple(
            Field(f.name, _resolve(f.type, by_qualified, by_bare, record)) for f in record.fields
        )
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise JuteError(f"IDL: class {record.qualified_name} repeats a field name")
        done = RecordDef(record.module, record.name, fields)
        by_qualified[done.qualified_name] = done
        by_bare.setdefault(done.name, []).append(done.qualified_name)
        resolved.append(done)
    return resolved


def _resolve(
    jute_type: JuteType,
    by_qualified: dict[str, RecordDef],
    by_bare: dict[str, list[str]],
    owner: RecordDef,
) -> JuteType:
    if isinstance(jute_type, Vector):
        return Vector(_resolve(jute_type.element, by_qualified, by_bare, owner))
    if isinstance(jute_type, Primitive):
        return jute_type
    name = jute_type.name
    if name in by_qualified:
        return jute_type
    local = f"{owner.module}.{name}"
    if local in by_qualified:
        return RecordRef(local)
    candidates = by_bare.get(name, [])
    if len(candidates) == 1:
        return RecordRef(candidates[0])
    if candidates:
        raise JuteError(f"IDL: {owner.qualified_name} names {name!r}, which is ambiguous")
    raise JuteError(f"IDL: {owner.qualified_name} names unknown class {name!r}")
