"""Snapshot files in Apache ZooKeeper 3.8's exact format, so a data dir moves either way.

Owns: the bytes of a snapshot, its file name (``snapshot.<zxid hex>`` plus ``.gz`` or
``.snappy`` when compressed) in the snapshot dir (``<dataDir>/version-2``), the Adler-32 seals,
the zxid digest section, the crash-safe write, the quick validity check and the newest-first
search recovery starts from. Does not know: when to snapshot (snapCount), txn logs, replay, or
purging; the tree changes only through :class:`~zkcompat.datatree.DataTree`.

The layout, in Jute big-endian encoding, all of it fed through one Adler-32::

    FileHeader            int magic "ZKSN", int version 2, long dbid -1
    sessions              int count, then (long id, int timeout) each
    ACL cache             int count, then (long id, vector<ACL>) each; id -1 (OPEN_ACL_UNSAFE
                          for the built-in znodes) is implied, never listed
    nodes                 (ustring path, buffer data, long acl id, StatPersisted) from the root,
                          whose path is "", depth first; then the path "/" ends the list
    seal                  long Adler-32 of everything so far, ustring "/"
    digest                long zxid, int digest version (2), long tree digest
    seal                  long Adler-32 of everything before it (first seal included), "/"

Compression (``zookeeper.snapshot.compression.method``) wraps the whole stream; the checksums
are over the uncompressed bytes. The digest section is absent in pre-3.6 snapshots (reading
stops cleanly at end of file). ZooKeeper writes it as zxid 0 ("no digest") when its tree has
applied no txn since it was created or loaded; we write zxid 0 only for a tree at zxid 0 or
one that changed during a fuzzy write, and the real digest otherwise.

A snapshot is fuzzy: its zxid is the last txn applied when writing started, and txns applied
while it is written may or may not show. Restoring replays every logged txn after that zxid,
which the tree applies idempotently; each znode is written from one consistent reading.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from types import ModuleType
from typing import Any

from jute.records import ACL, FileHeader, Id, StatPersisted
from zkcompat.datatree import (
    OPEN_ACL_UNSAFE,
    AclCache,
    AclList,
    DataNode,
    DataTree,
    RestoredNode,
)
from zkcompat.javaorder import spread, table_size

try:
    from zkcompat.storage import _snapscan
except ImportError:  # built without a C compiler: the Python loop reads the records
    _snapscan = None

log = logging.getLogger(__name__)

#: Whether the compiled scanner (zkcompat/storage/_snapscan.c) reads snapshots' znode records.
SCANNER_AVAILABLE: bool = _snapscan is not None
if not SCANNER_AVAILABLE:
    log.warning(
        "the compiled snapshot scanner was not built (no C compiler at install?); snapshots"
        " are read by the Python loop, about twice as slowly"
    )

SNAPSHOT_PREFIX = "snapshot"
SNAP_MAGIC = int.from_bytes(b"ZKSN", "big")
SNAP_VERSION = 2
SNAP_DBID = -1
DIGEST_VERSION = 2
OPEN_ACL_ID = -1  # ZooKeeper's ReferenceCountedACLCache.OPEN_UNSAFE_ACL_ID
COMPRESSIONS = ("gz", "snappy")
_SNAPPY_MAGIC = b"\x82SNAPPY\x00"  # snappy-java's SnappyOutputStream stream header
_TMP_SUFFIX = ".tmp"  # added while writing, as ZooKeeper's AtomicFileOutputStream does
_CHUNK = 1 << 16
_SCAN_CHUNK = 1024  # records per call to the scanner: bounds the tuples alive at once
_ZK_SUBTREE = "/zookeeper/"  # below it nothing counts in the digest (quota nodes drift)

_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_SESSION = struct.Struct(">qi")
_DIGEST = struct.Struct(">qiq")  # zxid, digest version, digest
_FILE_HEADER_SIZE = 16
_STAT = struct.Struct(">qqqqiiiqq")  # StatPersisted, in the IDL's order
_ACL_STAT = struct.Struct(">qqqqqiiiqq")  # a znode record's ACL id, then its StatPersisted
_DIGEST_STAT = struct.Struct(">qqqqqiiiq")  # czxid mzxid pzxid ctime mtime version ... owner
_SEAL = _INT.pack(1) + b"/"  # the ustring "/" that follows each checksum and ends the nodes
_HEX_ZXID = re.compile(r"[+-]?[0-9a-fA-F]+")


class SnapshotError(Exception):
    """This snapshot cannot be used (bad name, magic, structure or seal); recovery should fall
    back to an older one."""


class SnapshotChecksumError(SnapshotError):
    """A seal's stored Adler-32 differs from the one computed over the bytes before it."""

    def __init__(self, where: str, offset: int, stored: int, computed: int) -> None:
        super().__init__(
            f"{where}: Adler-32 at byte {offset} of the uncompressed stream is {stored:#010x}, "
            f"the bytes before it sum to {computed:#010x}"
        )
        self.offset, self.stored, self.computed = offset, stored, computed


@dataclass(frozen=True, slots=True)
class ZxidDigest:
    """The digest section: the tree digest as of ``zxid``; zxid 0 means there is none."""

    zxid: int
    version: int
    digest: int


@dataclass(slots=True)
class Snapshot:
    """A loaded snapshot: the tree (its ``last_processed_zxid`` and ``sessions`` set), the
    session timeouts, the zxid its name gives, and its digest section when it has one."""

    tree: DataTree
    sessions: dict[int, int]
    zxid: int
    digest: ZxidDigest | None


# --- names and the quick validity check ----------------------------------------------------


def snapshot_name(zxid: int, compression: str | None = None) -> str:
    """ZooKeeper's file name for a snapshot started at ``zxid`` (Util.makeSnapshotName)."""
    if compression is not None and compression not in COMPRESSIONS:
        raise ValueError(f"unknown snapshot compression {compression!r}")
    suffix = f".{compression}" if compression else ""
    return f"{SNAPSHOT_PREFIX}.{zxid & (1 << 64) - 1:x}{suffix}"


def zxid_from_name(name: str) -> int:
    """The zxid in a snapshot file name, or -1 when the name is not one (Util.getZxidFromName:
    the part after the first dot, as a signed 64-bit hex number; ``snapshot.5.tmp`` counts)."""
    parts = name.split(".")
    if len(parts) < 2 or parts[0] != SNAPSHOT_PREFIX or not _HEX_ZXID.fullmatch(parts[1]):
        return -1
    zxid = int(parts[1], 16)
    return zxid if -(1 << 63) <= zxid < 1 << 63 else -1


def compression_of(name: str) -> str | None:
    """The compression a file name announces (SnapStream.getStreamMode): its last suffix,
    if that is "gz" or "snappy" in any case; otherwise the plain checked stream."""
    if "." not in name:
        return None
    suffix = name.rsplit(".", 1)[1].lower()
    return suffix if suffix in COMPRESSIONS else None


def is_valid_snapshot(path: str | os.PathLike[str]) -> bool:
    """ZooKeeper's cheap check before trusting a file (SnapStream.isValidSnapshot): a snapshot
    name, then the gzip or snappy magic, or for a plain file its last five bytes being the
    final ``"/"``. A file cut short by a crash fails it; a corrupted body does not (the
    checksum catches that when the file is read)."""
    path = Path(path)
    if zxid_from_name(path.name) == -1:
        return False
    mode = compression_of(path.name)
    try:
        with open(path, "rb") as file:
            if mode == "gz":
                return file.read(2) == b"\x1f\x8b"
            if mode == "snappy":
                return file.read(len(_SNAPPY_MAGIC)) == _SNAPPY_MAGIC
            size = file.seek(0, os.SEEK_END)
            if size < 10:
                return False
            file.seek(size - len(_SEAL))
            return file.read(len(_SEAL)) == _SEAL
    except OSError as exc:
        log.warning("invalid snapshot %s: %s", path, exc)
        return False


def find_snapshots(snap_dir: str | os.PathLike[str], limit: int | None = None) -> list[Path]:
    """The snapshots in ``snap_dir`` that pass :func:`is_valid_snapshot`, newest zxid first
    (FileSnap.findNValidSnapshots), at most ``limit`` of them. Files with one zxid in several
    compressions come in name order. A missing dir has none."""
    try:
        entries = list(Path(snap_dir).iterdir())
    except FileNotFoundError:
        return []
    named = [(zxid_from_name(p.name), p) for p in entries]
    named = [(zxid, p) for zxid, p in named if zxid != -1 and p.is_file()]
    named.sort(key=lambda item: (-item[0], item[1].name))
    found = []
    for _, path in named:
        if is_valid_snapshot(path):
            found.append(path)
            if limit is not None and len(found) == limit:
                break
        else:
            log.info("skipping invalid snapshot %s", path)
    return found


# --- the digest ------------------------------------------------------------------------------


def node_digest(path: str, node: DataNode) -> int:
    """ZooKeeper's digest (version 2) of one znode: CRC-32 over its path ("" for the root),
    its data and 60 bytes of stat, 0 for anything below /zookeeper/."""
    if path.startswith(_ZK_SUBTREE):
        return 0
    stat = _DIGEST_STAT.pack(
        node.czxid,
        node.mzxid,
        node.pzxid,
        node.ctime,
        node.mtime,
        node.version,
        node.cversion,
        node.aversion,
        node.ephemeralOwner,
    )
    crc = zlib.crc32(b"" if path == "/" else path.encode())
    if node.data:
        crc = zlib.crc32(node.data, crc)
    return zlib.crc32(stat, crc)


def _as_long(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


def tree_digest(tree: DataTree) -> int:
    """The tree digest ZooKeeper keeps (its AdHash): the sum of every znode's digest, as a
    signed 64-bit long. A txn log's TxnDigest carries the same number."""
    return _as_long(sum(node_digest(path, node) for path, node in tree.nodes.items()))


# --- Java's iteration orders, for byte-identical output ------------------------------------
# ZooKeeper writes sessions, ACLs and children in java.util.HashMap / HashSet order. Readers
# do not care, but writing the same order makes a ZooKeeper file round-trip byte for byte. A
# HashMap iterates its buckets in index order (hash spread by h ^ h >>> 16, masked by the
# capacity) and each bucket in insertion order. The capacity depends on the map's history,
# which a snapshot does not record: we assume a map that only ever grew.


def _long_hash(value: int) -> int:
    value &= (1 << 64) - 1
    return spread((value ^ (value >> 32)) & 0xFFFFFFFF)


def _copy_capacity(size: int) -> int:
    """The capacity of ``new HashMap<>(map)`` for a map of ``size`` entries."""
    wanted = int(size / 0.75 + 1.0)
    capacity = 1
    while capacity < wanted:
        capacity *= 2
    return capacity


def _java_copy_order(keys: Iterable[int], source_capacity: int) -> list[int]:
    """Long keys in the iteration order of a HashMap copied from a map of capacity
    ``source_capacity`` that received them in the given order."""
    keys = list(keys)
    copy_mask, source_mask = _copy_capacity(len(keys)) - 1, source_capacity - 1
    hashes = {key: _long_hash(key) for key in keys}
    return sorted(keys, key=lambda k: (hashes[k] & copy_mask, hashes[k] & source_mask))


# --- writing ---------------------------------------------------------------------------------


def _ustring(text: str) -> bytes:
    raw = text.encode()
    return _INT.pack(len(raw)) + raw


def _buffer(data: bytes | None) -> bytes:
    return _INT.pack(-1) if data is None else _INT.pack(len(data)) + data


def _acl_vector(acl: AclList) -> bytes:
    parts = [_INT.pack(len(acl))]
    for entry in acl:
        parts.append(_INT.pack(entry.perms) + _ustring(entry.id.scheme) + _ustring(entry.id.id))
    return b"".join(parts)


def _node_record(path: str, node: DataNode, acl_id: int) -> bytes:
    return b"".join(
        (
            _ustring("" if path == "/" else path),
            _buffer(node.data),
            _LONG.pack(acl_id),
            _STAT.pack(
                node.czxid,
                node.mzxid,
                node.ctime,
                node.mtime,
                node.version,
                node.cversion,
                node.aversion,
                node.ephemeralOwner,
                node.pzxid,
            ),
        )
    )


def iter_snapshot(tree: DataTree, sessions: Mapping[int, int]) -> Iterator[bytes]:
    """The uncompressed snapshot stream of ``tree`` in chunks, seals and digest included.

    The caller may apply txns to the tree between chunks (a fuzzy snapshot, taken without
    stopping the server); each znode is encoded from one reading, with the child list it had
    then. A znode whose ACL list was made after writing started cannot name it (the ACL map
    is already written): if the znode was also created after the start it is left out with
    its subtree, as replaying its create restores it; otherwise its ACL changed by a setACL
    that replay repeats, and it is written with id -1 meanwhile. The digest section carries
    the tree digest only if no txn was applied while writing, and "none" otherwise.
    """
    start_zxid = tree.last_processed_zxid
    checksum = zlib.adler32(b"")
    parts: list[bytes] = []
    size = 0

    def emit(part: bytes) -> None:
        nonlocal size
        parts.append(part)
        size += len(part)

    header = FileHeader(SNAP_MAGIC, SNAP_VERSION, SNAP_DBID).encode()
    emit(header)
    session_items = dict(sessions)
    emit(_INT.pack(len(session_items)))
    # ZooKeeper copies its ConcurrentHashMap of sessions into a HashMap and writes that.
    capacity = table_size(len(session_items), 16, concurrent=True)
    for session in _java_copy_order(session_items, capacity):
        emit(_SESSION.pack(session, session_items[session]))

    numbered = dict(tree.acls.numbered())
    emit(_INT.pack(len(numbered)))
    for acl_id in _java_copy_order(sorted(numbered), table_size(len(numbered), 16)):
        emit(_LONG.pack(acl_id) + _acl_vector(numbered[acl_id]))
    # ``numbered`` keeps the written lists alive, so their id() stays theirs.
    by_identity = {id(acl): acl_id for acl_id, acl in numbered.items()}
    by_content = {acl: acl_id for acl_id, acl in numbered.items()}

    digest = 0
    stack = ["/"]
    while stack:
        path = stack.pop()
        node = tree.nodes.get(path)
        if node is None:  # deleted since its parent was written
            continue
        acl = node.acl
        if acl is OPEN_ACL_UNSAFE:
            acl_id: int | None = OPEN_ACL_ID
        else:
            acl_id = by_identity.get(id(acl))
            if acl_id is None:  # a list made after the start; an equal one may be written
                acl_id = by_content.get(acl)
        if acl_id is None:
            if node.czxid > start_zxid:
                continue  # created after the start: replay creates it and its subtree
            acl_id = OPEN_ACL_ID  # setACL after the start: replay sets it
        emit(_node_record(path, node, acl_id))
        digest += node_digest(path, node)
        base = "/" if path == "/" else path + "/"
        stack.extend(base + name for name in reversed(node.children.ordered()))
        if size >= _CHUNK:
            chunk = b"".join(parts)
            parts.clear()
            size = 0
            checksum = zlib.adler32(chunk, checksum)
            yield chunk  # the tree may change while we are suspended here
    emit(_SEAL)

    chunk = b"".join(parts)
    checksum = zlib.adler32(chunk, checksum)
    seal = _LONG.pack(checksum) + _SEAL
    checksum = zlib.adler32(seal, checksum)
    if tree.last_processed_zxid == start_zxid and start_zxid > 0:
        section = _DIGEST.pack(start_zxid, DIGEST_VERSION, _as_long(digest))
    else:  # the sum over a changing tree is the digest of no zxid
        section = _DIGEST.pack(0, DIGEST_VERSION, 0)
    checksum = zlib.adler32(section, checksum)
    yield chunk + seal + section + _LONG.pack(checksum) + _SEAL


def serialize_snapshot(tree: DataTree, sessions: Mapping[int, int]) -> bytes:
    """The whole uncompressed snapshot of a tree nobody changes meanwhile."""
    return b"".join(iter_snapshot(tree, sessions))


class _Gzip:
    """gzip exactly as java.util.zip.GZIPOutputStream writes it: no name, mtime 0, OS byte
    255 (JDK 16+), deflate at zlib's default level."""

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        self._crc = 0
        self._size = 0
        self._header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"

    def compress(self, data: bytes) -> bytes:
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        out, self._header = self._header + self._deflate.compress(data), b""
        return out

    def flush(self) -> bytes:
        trailer = struct.pack("<II", self._crc, self._size & 0xFFFFFFFF)
        return self._header + self._deflate.flush() + trailer


def write_snapshot(
    tree: DataTree,
    sessions: Mapping[int, int],
    zxid: int,
    snap_dir: str | os.PathLike[str],
    *,
    compression: str | None = None,
    fsync: bool = True,
) -> Path:
    """Write ``snap_dir/snapshot.<zxid hex>[.gz]`` and return its path.

    ``zxid`` must be the last txn the tree had applied when writing started (ZooKeeper names
    a snapshot so); a larger one would make recovery skip txns the snapshot lacks.
    """
    if zxid > tree.last_processed_zxid:
        raise ValueError(
            f"zxid {zxid:#x} is ahead of the tree, which has applied {tree.last_processed_zxid:#x}"
        )
    return write_snapshot_file(
        iter_snapshot(tree, sessions), zxid, snap_dir, compression=compression, fsync=fsync
    )


def write_snapshot_file(
    chunks: Iterable[bytes],
    zxid: int,
    snap_dir: str | os.PathLike[str],
    *,
    compression: str | None = None,
    fsync: bool = True,
) -> Path:
    """Write an already serialized snapshot stream as ``snapshot.<zxid hex>[.gz]`` (see
    :class:`SnapshotFile`) and return its path."""
    with SnapshotFile(zxid, snap_dir, compression=compression, fsync=fsync) as out:
        out.write(chunks)
        return out.commit()


class SnapshotFile:
    """A snapshot file being written: ``snapshot.<zxid hex>[.gz]``, made whole or not at all.

    The bytes go to ``<name>.tmp`` first (ZooKeeper's AtomicFileOutputStream name); ``commit``
    fsyncs it, renames it into place and fsyncs the directory, so a crash leaves either no
    file or a whole one (a leftover ``.tmp`` fails the validity check unless whole). Leaving
    the ``with`` block without a commit removes the temporary file. ``write`` may be called
    many times, from a worker thread, so a server can stream a snapshot to disk a slice at a
    time instead of holding it all in memory.
    """

    def __init__(
        self,
        zxid: int,
        snap_dir: str | os.PathLike[str],
        *,
        compression: str | None = None,
        fsync: bool = True,
    ) -> None:
        if compression == "snappy":
            raise ValueError("zkcompat reads snappy snapshots but writes only plain or gz ones")
        self.directory = Path(snap_dir)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / snapshot_name(zxid, compression)
        self.temp = self.path.with_name(self.path.name + _TMP_SUFFIX)
        self.fsync = fsync
        self._encoder = _Gzip() if compression == "gz" else None
        self._file = open(self.temp, "wb")  # noqa: SIM115 (closed by commit or __exit__)
        self._committed = False

    def write(self, chunks: Iterable[bytes]) -> None:
        encoder, file = self._encoder, self._file
        for chunk in chunks:
            file.write(encoder.compress(chunk) if encoder else chunk)

    def commit(self) -> Path:
        """Finish the file and put it in place under its final name."""
        with self._file as file:
            if self._encoder:
                file.write(self._encoder.flush())
            file.flush()
            if self.fsync:
                os.fsync(file.fileno())
        os.replace(self.temp, self.path)
        self._committed = True
        if self.fsync:
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        log.info("wrote snapshot %s", self.path)
        return self.path

    def __enter__(self) -> SnapshotFile:
        return self

    def __exit__(self, *_: object) -> None:
        if not self._committed:
            self._file.close()
            self.temp.unlink(missing_ok=True)


# --- reading ---------------------------------------------------------------------------------


def _snappy_block(block: bytes) -> bytes:
    """Decompress one raw snappy block (the format snappy-java's stream frames)."""
    length = shift = pos = 0
    while True:
        byte = block[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    out = bytearray()
    while pos < len(block):
        tag = block[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(block[pos : pos + extra], "little")
                pos += extra
            size += 1
            if pos + size > len(block):
                raise SnapshotError("snappy literal runs past its block")
            out += block[pos : pos + size]
            pos += size
            continue
        if kind == 1:
            size = 4 + (tag >> 2 & 7)
            offset = (tag >> 5) << 8 | block[pos]
            pos += 1
        elif kind == 2:
            size, offset = 1 + (tag >> 2), int.from_bytes(block[pos : pos + 2], "little")
            pos += 2
        else:
            size, offset = 1 + (tag >> 2), int.from_bytes(block[pos : pos + 4], "little")
            pos += 4
        if not 0 < offset <= len(out):
            raise SnapshotError(f"snappy copy offset {offset} outside the {len(out)} bytes so far")
        start = len(out) - offset
        if offset >= size:
            out += out[start : start + size]
        else:  # overlapping copy repeats the last ``offset`` bytes
            for i in range(size):
                out.append(out[start + i])
    if len(out) != length:
        raise SnapshotError(f"snappy block gave {len(out)} bytes, its header says {length}")
    return bytes(out)


def _unsnappy(raw: bytes) -> bytes:
    """snappy-java's stream: magic, two version ints, then (int length, block) frames."""
    if raw[: len(_SNAPPY_MAGIC)] != _SNAPPY_MAGIC or len(raw) < 16:
        raise SnapshotError("not a snappy-java stream")
    pos, blocks = 16, []
    while pos < len(raw):
        if pos + 4 > len(raw):
            raise SnapshotError("snappy stream truncated in a frame length")
        (size,) = _INT.unpack_from(raw, pos)
        pos += 4
        if size < 0 or pos + size > len(raw):
            raise SnapshotError("snappy stream truncated in a frame")
        blocks.append(_snappy_block(raw[pos : pos + size]))
        pos += size
    return b"".join(blocks)


def _decompress(raw: bytes, compression: str | None) -> bytes:
    if compression == "gz":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise SnapshotError(f"bad gzip stream: {exc}") from exc
    if compression == "snappy":
        try:
            return _unsnappy(raw)
        except IndexError as exc:
            raise SnapshotError("snappy block truncated") from exc
    return raw


class _Cursor:
    """Reads Jute primitives from the uncompressed stream, reporting truncation by offset."""

    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def skip(self, size: int, what: str) -> int:
        """Move past ``size`` bytes, returning where they start."""
        pos = self.pos
        if size < 0 or pos + size > len(self.buf):
            raise SnapshotError(
                f"truncated: {what} at byte {pos} needs {size} bytes, {len(self.buf) - pos} left"
            )
        self.pos = pos + size
        return pos

    def at_end(self) -> bool:
        return self.pos == len(self.buf)

    def int(self, what: str) -> int:
        return _INT.unpack_from(self.buf, self.skip(4, what))[0]

    def long(self, what: str) -> int:
        return _LONG.unpack_from(self.buf, self.skip(8, what))[0]

    def buffer(self, what: str) -> bytes | None:
        size = self.int(what)
        if size == -1:
            return None
        start = self.skip(size, what)
        return self.buf[start : start + size]

    def string(self, what: str) -> str | None:
        raw = self.buffer(what)
        if raw is None:
            return None
        try:
            return raw.decode()
        except UnicodeDecodeError as exc:
            raise SnapshotError(f"{what} before byte {self.pos} is not UTF-8") from exc

    def stat(self) -> Any:
        return StatPersisted(*_STAT.unpack_from(self.buf, self.skip(_STAT.size, "stat")))

    def nodes(self, acls: _AclResolver) -> Iterator[RestoredNode]:
        """The znode records up to the "/" end marker, for DataTree.restore_nodes, setting
        ``acls.digest`` to their tree digest once all are read.

        The compiled scanner reads them where it was built, the Python loop otherwise; both
        stop at the first record they cannot read and re-read it field by field, which raises
        the precise error (what, at which byte, how many bytes were missing). Records before
        it are yielded first, so an invalid tree earlier on is reported as it would be.
        """
        if _snapscan is None:
            return self._python_nodes(acls)
        return chain.from_iterable(self._scanned_chunks(_snapscan, acls))

    def _scanned_chunks(
        self, scanner: ModuleType, acls: _AclResolver
    ) -> Iterator[list[RestoredNode]]:
        """The compiled scanner's records, a bounded list at a time. It looks ACL ids up in
        ``acls.resolved`` and counts them in ``acls.uses`` itself, and comes back here only
        for an id it has not seen (once per list) and at the end or an unreadable record."""
        scan, buf, resolved, uses = scanner.scan, self.buf, acls.resolved, acls.uses
        digest = 0
        while True:
            records, self.pos, chunk_digest, stop = scan(buf, self.pos, resolved, uses, _SCAN_CHUNK)
            digest += chunk_digest
            yield records
            if stop == scanner.END:
                acls.digest = _as_long(digest)
                return
            if stop == scanner.NEW_ACL:
                self._first_acl_use(acls)
            elif stop == scanner.UNREADABLE:
                self._unreadable_node()

    def _first_acl_use(self, acls: _AclResolver) -> None:
        """Resolve the ACL id of the record at ``pos``, which the scanner read whole but could
        not resolve, and stay at that record so that the scanner reads it again."""
        start = self.pos
        path = self.string("path") or "/"
        self.buffer(f"data of {path!r}")
        acl_id = self.long(f"ACL id of {path!r}")
        self.pos = start
        acls.first_use(acl_id, path)

    def _python_nodes(self, acls: _AclResolver) -> Iterator[RestoredNode]:
        """The records read by one fused Python loop with no per-field calls, for where the
        scanner was not built; the digest is taken from the record's own bytes (the stat's
        fields in digest order are three slices of it)."""
        buf, end, pos = self.buf, len(self.buf), self.pos
        unpack_int, unpack_tail, tail = _INT.unpack_from, _ACL_STAT.unpack_from, _ACL_STAT.size
        resolved, uses = acls.resolved, acls.uses
        crc32, join, system = zlib.crc32, b"".join, _ZK_SUBTREE.encode()
        digest = 0
        start = pos
        try:
            while True:
                start = pos
                (size,) = unpack_int(buf, pos)
                pos += 4
                if size < 0 or pos + size > end:
                    break
                raw_path = buf[pos : pos + size]
                pos += size
                if raw_path == b"/":
                    self.pos = pos
                    acls.digest = _as_long(digest)
                    return
                (size,) = unpack_int(buf, pos)
                pos += 4
                if size == -1:
                    data = None
                elif 0 <= size <= end - pos:
                    data = buf[pos : pos + size]
                    pos += size
                else:
                    break
                fields = unpack_tail(buf, pos)
                if not raw_path.startswith(system):
                    # czxid mzxid | ctime mtime version cversion aversion owner | pzxid, taken
                    # in digest order (czxid mzxid pzxid ctime ...): one CRC over one join.
                    stat = pos + 8
                    digest += crc32(
                        join(
                            (
                                raw_path,
                                data or b"",
                                buf[stat : stat + 16],
                                buf[stat + 52 : stat + 60],
                                buf[stat + 16 : stat + 52],
                            )
                        )
                    )
                pos += tail
                path = raw_path.decode() or "/"
                acl_id = fields[0]
                acl = resolved.get(acl_id)
                if acl is None:
                    acl = acls.first_use(acl_id, path)
                uses[acl_id] += 1
                yield (path, data, acl, *fields[1:])
        except (struct.error, UnicodeDecodeError):
            pass
        self.pos = start
        self._unreadable_node()

    def _unreadable_node(self) -> None:
        """Read one znode record field by field, to raise the error that stopped the loop."""
        path = self.string("path")
        if path is None:
            raise SnapshotError(f"null path before byte {self.pos}")
        self.buffer(f"data of {path!r}")
        self.long(f"ACL id of {path!r}")
        self.stat()
        raise SnapshotError(f"znode record {path!r} before byte {self.pos} is unreadable")

    def seal(self, where: str) -> None:
        computed = zlib.adler32(memoryview(self.buf)[: self.pos])  # no copy of a large file
        offset = self.pos
        stored = self.long(f"{where} checksum")
        if self.string(f"{where} end mark") != "/":
            raise SnapshotError(f"{where}: no '/' after the checksum at byte {offset}")
        if stored != computed:
            raise SnapshotChecksumError(where, offset, stored, computed)


class _AclResolver:
    """The ACL lists of a snapshot's map, restored into the tree's cache on first use, with
    one reference per znode that uses them (taken in bulk by :meth:`finish`)."""

    def __init__(self, cache: AclCache, acl_map: Mapping[int, tuple[Any, ...]]) -> None:
        self.cache = cache
        self.acl_map = acl_map
        self.resolved: dict[int, AclList] = {OPEN_ACL_ID: OPEN_ACL_UNSAFE}
        self.uses: dict[int, int] = {OPEN_ACL_ID: 0}  # znodes read with each list
        self.digest = 0  # the tree digest of every znode read, once all are

    def first_use(self, acl_id: int, path: str) -> AclList:
        if acl_id not in self.acl_map:
            raise SnapshotError(f"znode {path!r} names ACL id {acl_id}, not in the map")
        acl = self.resolved[acl_id] = self.cache.restore(acl_id, self.acl_map[acl_id])
        self.uses[acl_id] = 0
        return acl

    def finish(self) -> None:
        """Take the references of every znode read beyond the first, which restore took."""
        for acl_id, count in self.uses.items():
            if acl_id != OPEN_ACL_ID and count > 1:
                self.cache.add_references(self.resolved[acl_id], count - 1)


def _read_acl_map(cursor: _Cursor) -> dict[int, tuple[Any, ...]]:
    acl_map: dict[int, tuple[Any, ...]] = {}
    for _ in range(cursor.int("ACL map size")):
        acl_id = cursor.long("ACL id")
        count = cursor.int("ACL vector size")
        if count < 0:  # ZooKeeper refuses a null vector here too
            raise SnapshotError(f"ACL id {acl_id} has a null vector")
        entries = []
        for _ in range(count):
            perms = cursor.int("ACL perms")
            scheme, ident = cursor.string("ACL scheme"), cursor.string("ACL id")
            entries.append(ACL(perms, Id(scheme, ident)))
        acl_map[acl_id] = tuple(entries)
    return acl_map


def parse_snapshot(raw: bytes, zxid: int, *, extended_types: bool = False) -> Snapshot:
    """Decode an uncompressed snapshot stream taken at ``zxid``, checking both seals."""
    cursor = _Cursor(raw)
    cursor.skip(_FILE_HEADER_SIZE, "file header")
    header = FileHeader.decode(raw[:_FILE_HEADER_SIZE], 0)[0]
    if header.magic != SNAP_MAGIC:
        raise SnapshotError(f"magic {header.magic:#010x} is not ZKSN ({SNAP_MAGIC:#010x})")
    sessions: dict[int, int] = {}
    for _ in range(cursor.int("session count")):
        session = cursor.long("session id")
        sessions[session] = cursor.int("session timeout")
    acl_map = _read_acl_map(cursor)
    tree = DataTree.empty(extended_types=extended_types)
    acls = _AclResolver(tree.acls, acl_map)
    try:
        tree.restore_nodes(cursor.nodes(acls))
    except ValueError as exc:
        raise SnapshotError(f"invalid tree: {exc}") from exc
    acls.finish()
    if "/" not in tree.nodes:
        raise SnapshotError("the snapshot has no root znode")
    tree.acls.reserve_ids(max([1, *acl_map]))  # a fresh ZooKeeper tree has used id 1
    cursor.seal("snapshot")
    digest = None
    if not cursor.at_end():  # pre-3.6 snapshots end here
        digest_zxid = cursor.long("digest zxid")
        version = cursor.int("digest version")
        if version >= 2:
            value = cursor.long("digest")
        else:  # older versions wrote it as a hex string
            text = cursor.string("digest")
            value = int(text, 16) if text else 0
        cursor.seal("digest")
        digest = ZxidDigest(digest_zxid, version, value)
    tree.last_processed_zxid = zxid
    tree.sessions = dict(sessions)
    if digest and digest.zxid == zxid > 0 and digest.version == DIGEST_VERSION:
        actual = acls.digest
        if actual != digest.digest:  # ZooKeeper reports this too, and still loads
            log.warning(
                "snapshot %#x: tree digest %#x differs from the recorded %#x",
                zxid,
                actual,
                digest.digest,
            )
    return Snapshot(tree, sessions, zxid, digest)


def load_snapshot(path: str | os.PathLike[str], *, extended_types: bool = False) -> Snapshot:
    """Read and check one snapshot file; its name gives the zxid and the compression.
    ``extended_types`` is zookeeper.extendedTypesEnabled: whether TTL owners mean TTL."""
    path = Path(path)
    zxid = zxid_from_name(path.name)
    if zxid == -1:
        raise SnapshotError(f"{path.name} is not a snapshot file name")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"cannot read {path}: {exc}") from exc
    try:
        return parse_snapshot(
            _decompress(raw, compression_of(path.name)), zxid, extended_types=extended_types
        )
    except SnapshotError as exc:
        exc.add_note(f"reading {path}")
        raise


def read_snapshot(
    path: str | os.PathLike[str], *, extended_types: bool = False
) -> tuple[DataTree, dict[int, int], int]:
    """The tree, the session timeouts and the zxid of one snapshot file; raises
    :class:`SnapshotError` (:class:`SnapshotChecksumError` for a bad seal) if unusable."""
    snapshot = load_snapshot(path, extended_types=extended_types)
    return snapshot.tree, snapshot.sessions, snapshot.zxid
