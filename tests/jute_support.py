"""Test helpers that read the construct declarations: value strategies and conversions.

Everything here derives from the declarations themselves, so a record added to the IDL is
covered by the property tests without touching them.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from jute import records as R
from jute.codecs import ENGINES, Codecs
from jute.declare import Declarations
from jute.shape import Fixed, Node, Rec, Var, Vec, describe

_FIXED = {
    "b": st.integers(-(2**7), 2**7 - 1),
    "?": st.booleans(),
    "i": st.integers(-(2**31), 2**31 - 1),
    "q": st.integers(-(2**63), 2**63 - 1),
    "f": st.floats(width=32),
    "d": st.floats(),
}


def values(node: Node, classes: dict[str, type]) -> st.SearchStrategy[Any]:
    """A strategy for values of one field shape, records built as their classes."""
    if isinstance(node, Fixed):
        return _FIXED[node.fmt]
    if isinstance(node, Var):
        return st.none() | (st.text(max_size=20) if node.text else st.binary(max_size=40))
    if isinstance(node, Vec):
        return st.none() | st.lists(values(node.element, classes), max_size=4)
    fields = [values(child, classes) for _, child in node.fields]
    return st.builds(classes[node.name], *fields)


def by_engine(declarations: Declarations) -> dict[str, Codecs]:
    """Codecs for these declarations from every engine, so the tests hold each to construct."""
    return {engine: Codecs(declarations, engine) for engine in sorted(ENGINES)}


def frame_and_records(data: st.DataObject, codecs: Codecs) -> tuple[Any, tuple]:
    """Draw a header record (reply, request or multi) and any record of ZooKeeper's IDL to
    follow it: their frame codec and the two records."""
    names = [
        data.draw(st.sampled_from(["ReplyHeader", "RequestHeader", "MultiHeader"])),
        data.draw(st.sampled_from(sorted(codecs.classes))),
    ]
    records = tuple(data.draw(record_values(name, R.DECLARATIONS, codecs)) for name in names)
    return codecs.frame(*(codecs.classes[name] for name in names)), records


def record_values(name: str, declarations: Declarations, codecs: Codecs) -> st.SearchStrategy:
    return values(describe(declarations.structs[name], declarations), codecs.classes)


def to_plain(value: Any) -> Any:
    """Records to dicts and lists, the form construct's ``build`` takes."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def from_container(node: Node, value: Any, classes: dict[str, type]) -> Any:
    """What construct's ``parse`` returns, turned into records of the fast codec's classes."""
    if value is None or isinstance(node, Fixed | Var):
        return value
    if isinstance(node, Vec):
        return [from_container(node.element, v, classes) for v in value]
    assert isinstance(node, Rec)
    return classes[node.name](
        *(from_container(child, value[name], classes) for name, child in node.fields)
    )
