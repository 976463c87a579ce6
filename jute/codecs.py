"""Record classes for a set of declarations, served by one of two engines.

Each record becomes a named tuple class with ``encode`` and ``decode``. Which engine does the
work is an internal detail: the compiled one (:mod:`jute.accel`) where it was built, else the
generated Python one (:mod:`jute.fastcodec`). Both read the same shapes off the construct
declarations, and both are held to construct's bytes by the property tests.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

from jute import accel
from jute.declare import Declarations
from jute.fastcodec import PythonEngine
from jute.shape import Rec, describe

ENGINES = {"c": accel.CEngine, "python": PythonEngine}
DEFAULT_ENGINE = "c" if accel.AVAILABLE else "python"


class Codecs:
    """Record classes for every declaration, plus frame codecs made on demand."""

    def __init__(self, declarations: Declarations, engine: str = DEFAULT_ENGINE) -> None:
        self.shapes = {name: describe(s, declarations) for name, s in declarations.structs.items()}
        self.classes: dict[str, type] = {}
        for name, shape in self.shapes.items():
            base = namedtuple(name, [field for field, _ in shape.fields])
            members = {"__slots__": (), "__module__": "jute.records"}
            self.classes[name] = type(name, (base,), members)
        self.engine = ENGINES[engine](self.shapes, self.classes)
        for name, cls in self.classes.items():
            decode, encode = self.engine.record(self.shapes[name])
            cls.decode = staticmethod(decode)
            cls.encode = encode
        self._frames: dict[tuple[type, ...], FrameCodec] = {}

    def frame(self, *parts: type) -> FrameCodec:
        """The codec of a frame made of these records in order (see :class:`FrameCodec`)."""
        codec = self._frames.get(parts)
        if codec is None:
            names = [part.__name__ for part in parts]
            fields = tuple((f"p{i}", self.shapes[n]) for i, n in enumerate(names))
            decode, encode = self.engine.frame(Rec("+".join(names), fields))
            codec = self._frames[parts] = FrameCodec(parts, decode, encode)
        return codec


class FrameCodec:
    """A length-prefixed frame holding several records back to back, e.g. a reply header and
    its body.

    ``encode(records)`` takes a tuple of the records and returns the frame with its 4-byte
    length prefix. ``decode(buf, off=0)`` reads a frame's payload (the bytes after the length
    prefix, as :class:`jute.framing.FrameReader` yields them) and returns ``(records, next_off)``.
    """

    __slots__ = ("decode", "encode", "parts")

    def __init__(
        self,
        parts: tuple[type, ...],
        decode: Callable[..., tuple[tuple[Any, ...], int]],
        encode: Callable[[tuple[Any, ...]], bytes],
    ) -> None:
        self.parts = parts
        self.decode = decode
        self.encode = encode
