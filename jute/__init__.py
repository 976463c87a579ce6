"""Jute, ZooKeeper's binary record format: records, frames and the one error type.

``jute.records`` holds every record of ``zookeeper.jute`` as a class with ``encode`` and
``decode``; ``jute.framing`` splits a byte stream into length-prefixed frames. This package
knows bytes, not ZooKeeper: what a record means is the business of ``zkcompat``.
"""

from jute.errors import JuteError
from jute.framing import DEFAULT_MAX_BUFFER, FrameReader, frame

__all__ = ["DEFAULT_MAX_BUFFER", "FrameReader", "JuteError", "frame"]
