"""Every ZooKeeper record, as a class with ``encode`` and ``decode``.

``jute.records.GetDataRequest(path="/a", watch=True).encode()`` gives the record's bytes and
``jute.records.GetDataResponse.decode(buf, offset)`` gives ``(record, next_offset)``. Records
are named tuples whose fields carry the IDL's names in the IDL's order; ``ustring``, ``buffer``
and ``vector`` fields may be ``None``, which encodes as Jute's length -1.

The layouts come from ``zookeeper.jute`` through the construct declarations
(``DECLARATIONS.structs``); :mod:`jute.codecs` makes the classes and picks the engine that
serves them, compiled where it was built.
"""

from __future__ import annotations

import logging
from importlib import resources

from jute.codecs import Codecs, FrameCodec
from jute.declare import Declarations
from jute.idl import RecordDef, parse_idl

IDL_TEXT: str = resources.files("jute").joinpath("zookeeper.jute").read_text("utf-8")
DEFINITIONS: tuple[RecordDef, ...] = tuple(parse_idl(IDL_TEXT))
DECLARATIONS = Declarations(DEFINITIONS)
_CODECS = Codecs(DECLARATIONS)
ENGINE: str = _CODECS.engine.name  # "c", or "python" where jute._accel was not built
if ENGINE != "c":
    logging.getLogger(__name__).warning(
        "jute's compiled engine was not built (no C compiler at install?); the Python engine"
        " serves, several times slower"
    )
RECORDS: dict[str, type] = _CODECS.classes


def frame(*parts: type) -> FrameCodec:
    """The codec of a length-prefixed frame of these records, e.g.
    ``frame(ReplyHeader, GetDataResponse).encode((header, body))``."""
    return _CODECS.frame(*parts)


globals().update(RECORDS)
