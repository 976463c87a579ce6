"""The compiled engine: record shapes handed to ``jute._accel`` as nested tuples.

``jute._accel`` (``jute/_accel.c``) decodes and encodes by walking a record's shape, the same
shape :mod:`jute.shape` reads off the construct declaration, so the records stay declared once.
It is built when zkcompat is installed with a C compiler at hand; where it was not, ``AVAILABLE``
is false and :mod:`jute.codecs` falls back to the Python engine (:mod:`jute.fastcodec`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jute.shape import Fixed, Node, Rec, Var, Vec

try:
    from jute import _accel
except ImportError:  # built without a compiler
    _accel = None

AVAILABLE: bool = _accel is not None


class CEngine:
    """Compiled codecs over record shapes, each made when a record or frame is set up."""

    name = "c"

    def __init__(self, shapes: Mapping[str, Rec], classes: Mapping[str, type]) -> None:
        if _accel is None:
            raise RuntimeError("jute._accel was not built")
        self._classes = classes
        self._fixed_kinds = {
            "b": _accel.BYTE,
            "?": _accel.BOOL,
            "i": _accel.INT,
            "q": _accel.LONG,
            "f": _accel.FLOAT,
            "d": _accel.DOUBLE,
        }

    def record(self, rec: Rec) -> tuple[Callable, Callable]:
        """A record's ``(decode, encode)``; the encoder binds as a method, so
        ``record.encode()`` passes the record. The record's class also gets a compiled
        constructor: building a record in Python is the largest single cost of a write."""
        self._classes[rec.name].__new__ = staticmethod(_accel.new_record)
        spec = self._shape(rec)
        return _accel.Decoder(spec, rec.name), _accel.Encoder(spec, rec.name)

    def frame(self, rec: Rec) -> tuple[Callable, Callable]:
        """A frame's ``(decode, encode)``: ``rec``'s fields are the frame's records; it decodes
        to a plain tuple of them and encodes with its length prefix."""
        spec = (_accel.RECORD, None, tuple(self._shape(child) for _, child in rec.fields))
        return _accel.Decoder(spec, rec.name), _accel.Encoder(spec, rec.name, framed=True)

    def _shape(self, node: Node) -> tuple[Any, ...]:
        """``(kind, record class or None, children)``, the form ``_accel`` reads."""
        if isinstance(node, Fixed):
            return (self._fixed_kinds[node.fmt], None, ())
        if isinstance(node, Var):
            return (_accel.USTRING if node.text else _accel.BUFFER, None, ())
        if isinstance(node, Vec):
            return (_accel.VECTOR, None, (self._shape(node.element),))
        assert isinstance(node, Rec)
        children = tuple(self._shape(child) for _, child in node.fields)
        return (_accel.RECORD, self._classes[node.name], children)
