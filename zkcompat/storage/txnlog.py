"""The transaction log: ZooKeeper's ``version-2/log.<zxid>`` files, read and written byte for byte.

This module owns the log's file format and the files themselves: naming, the file header,
entry framing and checksums, preallocation, rolling to a new file, group-commit syncing,
reading from a zxid across files, finding a torn tail and truncating. It does not know what a
txn means (the data tree applies them), when to roll (the snapshot policy decides) or where the
data directory is (callers pass the directory that holds the ``log.*`` files, which in a
ZooKeeper data directory is ``<dataLogDir>/version-2``).

The format, as Apache ZooKeeper 3.8 writes it (``FileTxnLog``, ``Util``, ``FilePadding``):

* A file is named ``log.`` + the zxid of its first entry in lowercase hex without padding
  (``Long.toHexString``), e.g. ``log.1`` or ``log.100000001``.
* It opens with a 16-byte ``FileHeader``: magic ``"ZKLG"`` read as a big-endian int, version
  2, dbid 0.
* Then entries: an 8-byte checksum (Adler-32 of the payload, stored as a long), the payload
  length (int), the payload, and the end-of-record byte ``'B'``. The payload is the serialized
  ``TxnHeader``, then the txn record when there is one, then, on 3.6+ servers with
  ``zookeeper.digest.enabled`` (the default), a ``TxnDigest`` after every txn.
* Files are preallocated: whenever the write position comes within 4 KiB of the file's end it
  grows by ``zookeeper.preAllocSize`` KiB (64 MiB by default) by writing one zero byte at the
  new end. So a log normally ends with zeros, and a reader takes a zero length (or the end of
  the file) as the end of the log.

Threading contract of :class:`TxnLogWriter`: one owner thread (the event loop) calls
``append``, ``flush``, ``roll`` and ``close``; ``sync`` may run in any other thread at the same
time (one ``sync`` at a time), which is how the expensive fsync stays off the event loop while
appends for the next group commit continue.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, NamedTuple

from jute import JuteError
from jute.records import (
    CloseSessionTxn,
    CreateSessionTxn,
    CreateTxn,
    CreateTxnV0,
    FileHeader,
    MultiTxn,
    SetACLTxn,
    SetDataTxn,
    TxnDigest,
    TxnHeader,
)
from zkcompat.constants import OpCode
from zkcompat.datatree import MULTI_TXN_RECORDS

log = logging.getLogger(__name__)

# Jute records are classes generated at import time: there is no static type to name for them.
TxnRecord = Any

LOG_PREFIX = "log"
TXNLOG_MAGIC = int.from_bytes(b"ZKLG", "big")
TXNLOG_VERSION = 2
DEFAULT_PRE_ALLOC_SIZE = 64 * 1024 * 1024
FILE_HEADER_SIZE = len(FileHeader(TXNLOG_MAGIC, TXNLOG_VERSION, 0).encode())
TXN_HEADER_SIZE = len(TxnHeader(0, 0, 0, 0, 0).encode())
DIGEST_SIZE = len(TxnDigest(0, 0).encode())
END_OF_RECORD = b"B"
_LOG_NAME = re.compile(LOG_PREFIX + r"\.([0-9a-fA-F]{1,16})")
# FilePadding grows the file once the write position is this close to its end.
_PAD_WINDOW = 4096

# The entry envelope is not a Jute record: FileTxnLog writes it with bare writeLong,
# writeBuffer and writeByte calls, so it is packed here rather than declared in the IDL.
_ENTRY_HEAD = struct.Struct(">qi")

#: The record that follows a TxnHeader of each type (SerializeUtils.deserializeTxn). ZooKeeper
#: logs a reconfig as a setData of /zookeeper/config and a check only inside a multi; a
#: top-level check is accepted here as the data tree accepts it.
TXN_RECORDS: dict[int, Any] = {
    **MULTI_TXN_RECORDS,
    OpCode.reconfig: SetDataTxn,
    OpCode.setACL: SetACLTxn,
    OpCode.multi: MultiTxn,
    OpCode.createSession: CreateSessionTxn,
    OpCode.closeSession: CloseSessionTxn,
}


class TxnLogError(ValueError):
    """A log that is not ours to repair: a file that is not a txn log, or an intact entry (its
    checksum holds) that cannot be decoded. Unlike a torn tail, truncating would lose data."""


class TxnEntry(NamedTuple):
    """One logged txn: its header, its record (None only for a closeSession written without
    a body) and the tree digest ZooKeeper appends (None when the writer had digests off)."""

    header: Any
    txn: TxnRecord | None
    digest: Any | None


class LogPosition(NamedTuple):
    """A byte offset in one log file."""

    path: Path
    offset: int


@dataclass(frozen=True, slots=True)
class CorruptTail:
    """Where reading stopped before the end of the log, and why. Everything before ``offset``
    in ``path`` (and in the files before it) is intact; recovery truncates from there."""

    path: Path
    offset: int
    reason: str


# --- file names --------------------------------------------------------------------------


def log_file_name(zxid: int) -> str:
    """``log.<zxid>`` in lowercase hex, as ``Util.makeLogName`` names the file whose first
    entry has this zxid."""
    return f"{LOG_PREFIX}.{zxid & 0xFFFFFFFFFFFFFFFF:x}"


def zxid_from_name(name: str) -> int | None:
    """The zxid a log file's name starts at, or None when it is not a log file's name.

    Stricter than ``Util.getZxidFromName``, which also accepts ``log.1a.fixed`` (what
    TxnLogToolkit's recovery mode writes next to the original): such a copy is not part of
    the log, and reading both would replay its txns twice.
    """
    match = _LOG_NAME.fullmatch(name)
    return int(match.group(1), 16) if match else None


def _sorted_logs(log_dir: Path) -> list[tuple[int, Path]]:
    try:
        names = os.listdir(log_dir)
    except FileNotFoundError:
        return []
    found = [(zxid_from_name(name), log_dir / name) for name in names]
    return sorted((zxid, path) for zxid, path in found if zxid is not None)


def log_files(log_dir: str | os.PathLike[str], from_zxid: int = 0) -> list[Path]:
    """The log files that can hold txns with zxid >= ``from_zxid``, oldest first.

    ``FileTxnLog.getLogFiles``: the newest file that starts at or before ``from_zxid`` (it may
    hold that txn) and every file after it. When no file starts that early, all of them.
    """
    logs = _sorted_logs(Path(log_dir))
    start = max((zxid for zxid, _ in logs if zxid <= from_zxid), default=0)
    return [path for zxid, path in logs if zxid >= start]


# --- entries -----------------------------------------------------------------------------


def serialize_txn(header: Any, txn: TxnRecord | None = None, digest: Any | None = None) -> bytes:
    """The payload of a log entry: header, record, digest (``Util.marshallTxnEntry``). It is
    also what a ZooKeeper leader puts in a PROPOSAL packet."""
    parts = [header.encode()]
    if txn is not None:
        parts.append(txn.encode())
    if digest is not None:
        parts.append(digest.encode())
    return b"".join(parts)


def deserialize_txn(payload: bytes) -> TxnEntry:
    """Decode an entry payload (``SerializeUtils.deserializeTxn``).

    The record's type comes from the header. Two layouts from older servers are understood: a
    create without ``parentCVersion`` (before 3.3; read with parentCVersion -1, which the data
    tree takes as "one past the parent's") and a closeSession with no body (before 3.6, or with
    ``zookeeper.closeSessionTxn.enabled=false``). A digest is read whenever 12 bytes follow the
    record, whatever this server's own digest setting: it is data in the file either way.
    Raises :class:`TxnLogError` for an unknown type or a record that does not decode.
    """
    try:
        header, offset = TxnHeader.decode(payload, 0)
    except JuteError as exc:
        raise TxnLogError(f"txn header does not decode: {exc}") from exc
    record_type = TXN_RECORDS.get(header.type)
    if record_type is None:
        raise TxnLogError(f"unsupported txn type {header.type} at zxid {header.zxid:#x}")
    if header.type == OpCode.closeSession:
        txn, offset = _decode_close_session(payload, offset)
    else:
        try:
            txn, offset = record_type.decode(payload, offset)
        except JuteError as exc:
            if header.type != OpCode.create:
                raise TxnLogError(f"txn at zxid {header.zxid:#x} does not decode: {exc}") from exc
            txn, offset = _decode_create_v0(payload, offset, header.zxid)
    digest = None
    if len(payload) - offset >= DIGEST_SIZE:
        digest = TxnDigest.decode(payload, offset)[0]
    return TxnEntry(header, txn, digest)


def _decode_create_v0(payload: bytes, offset: int, zxid: int) -> tuple[Any, int]:
    try:
        old, offset = CreateTxnV0.decode(payload, offset)
    except JuteError as exc:
        raise TxnLogError(f"create at zxid {zxid:#x} does not decode: {exc}") from exc
    return CreateTxn(old.path, old.data, old.acl, old.ephemeral, -1), offset


def _decode_close_session(payload: bytes, offset: int) -> tuple[Any | None, int]:
    """A closeSession's body is optional and a digest may follow either way, so the body is
    taken only when it lists absolute paths and what is left after it is nothing or room for a
    digest; otherwise the bytes are a digest alone (a digest can happen to decode as a vector
    of empty strings)."""
    remaining = len(payload) - offset
    if remaining == 0:
        return None, offset
    try:
        txn, end = CloseSessionTxn.decode(payload, offset)
    except JuteError:
        txn, end = None, -1
    plausible = txn is not None and all(p and p[0] == "/" for p in txn.paths2Delete or ())
    if plausible and (end == len(payload) or len(payload) - end >= DIGEST_SIZE):
        return txn, end
    if remaining >= DIGEST_SIZE:  # no body, only the digest
        return None, offset
    raise TxnLogError(f"closeSession body of {remaining} bytes does not decode")


def frame_entry(payload: bytes) -> bytes:
    """A payload as it sits in the file: checksum, length, payload, ``'B'``
    (``FileTxnLog.append`` and ``Util.writeTxnBytes``)."""
    if len(payload) < TXN_HEADER_SIZE:
        raise ValueError(f"a txn payload holds at least a TxnHeader, got {len(payload)} bytes")
    return _ENTRY_HEAD.pack(zlib.adler32(payload), len(payload)) + payload + END_OF_RECORD


def padded_size(position: int, size: int, pre_alloc_size: int) -> int:
    """The size a log file is grown to before an entry is written at ``position``
    (``FilePadding.calculateFileSizeWithPadding``): one more preallocation block once the
    position is within 4 KiB of the end, rounded to whole blocks if the data ran past it."""
    if pre_alloc_size > 0 and position + _PAD_WINDOW >= size:
        if position > size:
            size = position + pre_alloc_size
            size -= size % pre_alloc_size
        else:
            size += pre_alloc_size
    return size


# --- reading -----------------------------------------------------------------------------


class _LogFileScan:
    """The intact entries of one file, in order. After iterating, ``end`` is the offset just
    past the last intact entry (or the header) and ``problem`` says why reading stopped early,
    or is None when the file ended cleanly (end of file, or a zero-length entry)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.end = 0
        self.problem: str | None = None
        self.header_ok = False

    def entries(self) -> Iterator[tuple[int, bytes]]:
        """(offset, payload) of each intact entry."""
        with open(self.path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if not self._read_header(f):
                return
            position = FILE_HEADER_SIZE
            self.end = position
            while True:
                head = f.read(_ENTRY_HEAD.size)
                if len(head) < _ENTRY_HEAD.size:
                    if head.strip(b"\0"):
                        self.problem = "entry header cut short"
                    return
                checksum, length = _ENTRY_HEAD.unpack(head)
                if length == 0:  # preallocated zeros: the end of the log
                    if checksum:
                        self.problem = "zero-length entry with a checksum"
                    return
                if length < 0:
                    self.problem = f"negative entry length {length}"
                    return
                if position + _ENTRY_HEAD.size + length + 1 > size:
                    self.problem = f"entry of {length} bytes runs past the end of the file"
                    return
                payload = f.read(length)
                marker = f.read(1)
                if len(payload) != length or len(marker) != 1:  # shrank while we read
                    self.problem = "entry cut short"
                    return
                if zlib.adler32(payload) != checksum:
                    self.problem = "checksum mismatch"
                    return
                if marker != END_OF_RECORD:
                    self.problem = f"end-of-record byte is {marker!r}, not {END_OF_RECORD!r}"
                    return
                yield position, payload
                position += _ENTRY_HEAD.size + length + 1
                self.end = position

    def _read_header(self, f: BinaryIO) -> bool:
        raw = f.read(FILE_HEADER_SIZE)
        if len(raw) < FILE_HEADER_SIZE or not raw.strip(b"\0"):
            # ZooKeeper writes the header before anything else, so a short or zero header is
            # a file whose creation a crash interrupted: torn, not foreign.
            self.problem = "file header missing or cut short"
            return False
        header = FileHeader.decode(raw)[0]
        if header.magic != TXNLOG_MAGIC:
            raise TxnLogError(
                f"{self.path} is not a txn log: magic {header.magic:#x} != {TXNLOG_MAGIC:#x}"
            )
        if header.version != TXNLOG_VERSION:
            log.warning("%s: txn log format version %d, expected 2", self.path, header.version)
        self.header_ok = True
        return True


class TxnLogReader:
    """The txns of a log directory with zxid >= ``from_zxid``, in log order, across files.

    Iterating yields :class:`TxnEntry` tuples (``for header, txn, digest in reader``). Reading
    stops at the first entry that is torn or corrupt (short, bad checksum, no ``'B'``), even
    when later files exist: a txn after a gap must not be applied. It logs a warning and
    records where in :attr:`corruption`, so recovery can truncate there. (ZooKeeper's iterator
    differs: it skips to the next file after a partial entry and refuses to start on a bad
    checksum.) :attr:`position` is the end of the last intact entry read. An intact entry that
    does not decode raises :class:`TxnLogError`.

    Files are chosen as ``FileTxnLog.getLogFiles`` chooses them (see :func:`log_files`), so
    from_zxid = snapshot zxid + 1 reads what a restore must replay. A file that a writer is
    still appending to reads up to what was flushed when it was opened; an entry flushed only
    in part at that moment is reported like any torn tail.
    """

    def __init__(self, log_dir: str | os.PathLike[str], from_zxid: int = 0) -> None:
        self.log_dir = Path(log_dir)
        self.from_zxid = from_zxid
        self.files: list[Path] = log_files(self.log_dir, from_zxid)
        self.position: LogPosition | None = None
        self.corruption: CorruptTail | None = None

    def __iter__(self) -> Iterator[TxnEntry]:
        for path in self.files:
            scan = _LogFileScan(path)
            for offset, payload in scan.entries():
                try:
                    entry = deserialize_txn(payload)
                except TxnLogError as exc:
                    raise TxnLogError(f"{path} at offset {offset}: {exc}") from exc
                self.position = LogPosition(path, scan.end)
                if entry.header.zxid >= self.from_zxid:
                    yield entry
            self.position = LogPosition(path, scan.end)
            if scan.problem is not None:
                self.corruption = CorruptTail(path, scan.end, scan.problem)
                log.warning(
                    "txn log %s: %s at offset %d; reading stops there", path, scan.problem, scan.end
                )
                return


def read_txns(log_dir: str | os.PathLike[str], from_zxid: int = 0) -> Iterator[TxnEntry]:
    """Iterate the txns with zxid >= ``from_zxid`` (see :class:`TxnLogReader`)."""
    return iter(TxnLogReader(log_dir, from_zxid))


def last_logged_zxid(log_dir: str | os.PathLike[str]) -> int:
    """The zxid of the last intact entry in the log, or -1 when there is none.

    Reads only the newest file that holds an entry. ZooKeeper's ``getLastLoggedZxid`` answers
    with the newest file's name when that file holds no entry yet; the name only says which
    zxid the file was opened for, so here the files before it are asked instead.
    """
    for _, path in reversed(_sorted_logs(Path(log_dir))):
        scan = _LogFileScan(path)
        last = None
        for _, payload in scan.entries():
            last = payload
        if last is not None:
            return TxnHeader.decode(last)[0].zxid
    return -1


def truncate(log_dir: str | os.PathLike[str], zxid: int) -> None:
    """Drop every txn after ``zxid`` (``FileTxnLog.truncate``, used when a leader sends TRUNC
    and to cut a torn tail): files that start after it are deleted and the file holding it is
    cut just past its last intact entry with zxid <= ``zxid``, which also drops its padding and
    any torn bytes.

    ZooKeeper's version keeps the first entry past ``zxid`` when ``zxid`` itself is not in the
    log; here the log afterwards holds exactly the intact entries up to ``zxid``. Raises
    FileNotFoundError when there is no log file, as ZooKeeper refuses to truncate nothing.
    """
    directory = Path(log_dir)
    logs = _sorted_logs(directory)
    if not logs:
        raise FileNotFoundError(f"no txn log files in {directory} to truncate")
    holder = max((start for start, _ in logs if start <= zxid), default=None)
    for start, path in logs:
        if start > zxid:
            log.info("truncating txn log: removing %s", path)
            path.unlink()
        elif start == holder:
            _cut_after(path, zxid)
    _fsync_directory(directory)


def _cut_after(path: Path, zxid: int) -> None:
    """Cut one file just past its last intact entry with zxid <= ``zxid``."""
    scan = _LogFileScan(path)
    keep = FILE_HEADER_SIZE
    with closing(scan.entries()) as entries:
        for offset, payload in entries:
            if TxnHeader.decode(payload)[0].zxid > zxid:
                break
            keep = offset + _ENTRY_HEAD.size + len(payload) + len(END_OF_RECORD)
    if not scan.header_ok:
        log.info("truncating txn log: removing %s (no file header)", path)
        path.unlink()
        return
    log.info("truncating txn log %s to %d bytes (zxid %#x)", path, keep, zxid)
    with open(path, "r+b") as f:
        f.truncate(keep)
        os.fsync(f.fileno())


def _fsync_directory(directory: Path) -> None:
    """Make created, removed or renamed directory entries durable (POSIX needs an fsync of the
    directory itself; ZooKeeper does not do this)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some platforms cannot fsync a directory; nothing more to do there
        pass
    finally:
        os.close(fd)


# --- writing -----------------------------------------------------------------------------

_fdatasync = getattr(os, "fdatasync", os.fsync)


class _OpenLog:
    """One log file being written. ``flushed`` and ``size`` model FileTxnLog's view: the
    position the file's channel is at (the header counts as flushed from the start, as
    ZooKeeper flushes it at once) and the size FilePadding has grown it to."""

    __slots__ = ("allocated", "dir_synced", "fd", "flushed", "path", "retired", "size", "written")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        self.written = 0  # bytes handed to the OS
        self.allocated = 0  # size the file has actually been extended to
        self.flushed = FILE_HEADER_SIZE
        self.size = FILE_HEADER_SIZE
        self.retired = False
        self.dir_synced = False


class TxnLogWriter:
    """Appends txns to the log in ``log_dir``, in ZooKeeper's format.

    ``append`` only encodes into memory; ``flush`` hands the bytes to the OS (cheap, on the
    event loop); ``sync`` makes everything flushed so far durable and returns the last zxid it
    covers, so one fdatasync acknowledges a whole group of txns. ``sync`` may run in a worker
    thread while the owner thread keeps appending and flushing: it works on a snapshot of what
    was flushed when it started, and files retired by ``roll`` are closed only once a sync has
    covered them. Only one ``sync`` runs at a time; the other methods belong to one owner
    thread.

    A new file is started at the first append after construction or ``roll`` and named after
    that txn's zxid; an existing file is never appended to. Preallocation follows
    ``FilePadding`` step for step, so when each flush covers less than 8 KiB (Java's
    ``BufferedOutputStream``) the files are identical to ZooKeeper's, padding included.
    ``force_sync=False`` is ``zookeeper.forceSync=no``: sync then only does the bookkeeping.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str],
        *,
        pre_alloc_size: int = DEFAULT_PRE_ALLOC_SIZE,
        dbid: int = 0,
        force_sync: bool = True,
    ) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.pre_alloc_size = pre_alloc_size
        self.dbid = dbid
        self.force_sync = force_sync
        self._current: _OpenLog | None = None
        self._pending = bytearray()  # framed entries (and a new file's header) not yet written
        self._pending_zxid = -1
        self._last_zxid = -1  # last zxid appended
        self._closed = False
        # Shared with the sync thread, under _lock: files with unsynced bytes, the last zxid
        # handed to the OS, and the last zxid made durable.
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._unsynced: list[_OpenLog] = []
        self._flushed_zxid = -1
        self._synced_zxid = -1

    # -- owner thread --

    @property
    def last_zxid(self) -> int:
        """The zxid of the last txn appended, or -1."""
        return self._last_zxid

    @property
    def current_file(self) -> Path | None:
        """The file appends go to now, or None until the next append opens one."""
        return self._current.path if self._current is not None else None

    def append(self, header: Any, txn: TxnRecord | None = None, digest: Any | None = None) -> int:
        """Buffer one txn (header and record records, plus the TxnDigest when digests are on);
        returns its zxid. Nothing reaches the file until :meth:`flush`."""
        return self._append(serialize_txn(header, txn, digest), header.zxid)

    def append_serialized(self, payload: bytes) -> int:
        """Buffer one txn already serialized as header + record (+ digest), as a leader's
        PROPOSAL carries it; returns its zxid."""
        return self._append(payload, TxnHeader.decode(payload)[0].zxid)

    def _append(self, payload: bytes, zxid: int) -> int:
        """Buffer one serialized txn whose header says ``zxid`` (the caller knows it, so the
        write path does not decode the header it has just encoded)."""
        if self._closed:
            raise ValueError("txn log writer is closed")
        entry = frame_entry(payload)
        if zxid <= self._last_zxid:
            # ZooKeeper warns and appends anyway; so do we.
            log.warning("appending zxid %#x after %#x", zxid, self._last_zxid)
        else:
            self._last_zxid = zxid
        current = self._current
        if current is None:
            current = self._current = _OpenLog(self.log_dir / log_file_name(zxid))
            self._pending += FileHeader(TXNLOG_MAGIC, TXNLOG_VERSION, self.dbid).encode()
            log.info("creating new txn log file %s", current.path.name)
        current.size = padded_size(current.flushed, current.size, self.pre_alloc_size)
        self._pending += entry
        self._pending_zxid = zxid
        return zxid

    def flush(self) -> int:
        """Write the buffered entries to the current file (no fsync); returns the last zxid
        written, which the next :meth:`sync` will cover."""
        current = self._current
        if current is None or not self._pending:
            return self._flushed_zxid
        if current.fd is None:
            current.fd = self._open(current.path)
        if current.size > current.allocated:
            os.pwrite(current.fd, b"\0", current.size - 1)  # FilePadding's way of growing
            current.allocated = current.size
        with memoryview(self._pending) as data:
            done = 0
            while done < len(data):
                done += os.pwrite(current.fd, data[done:], current.written + done)
        current.written += done
        self._pending.clear()
        current.flushed = current.written
        current.allocated = max(current.allocated, current.written)
        with self._lock:
            if current not in self._unsynced:
                self._unsynced.append(current)
            self._flushed_zxid = self._pending_zxid
        return self._flushed_zxid

    def roll(self) -> None:
        """Finish the current file (flushing it); the next append starts ``log.<its zxid>``.
        ZooKeeper rolls when it starts a snapshot, so each snapshot has a log file that begins
        right after it. The old file stays open until a sync has covered it."""
        current = self._current
        if current is None:
            return
        self.flush()
        self._current = None
        with self._lock:
            current.retired = True
            if current not in self._unsynced:
                self._close_file(current)

    def close(self) -> None:
        """Flush, sync (waiting for a sync already running) and close every file. The files
        are closed even when the flush or sync fails, and the error is raised after."""
        if self._closed:
            return
        try:
            self.flush()
            self.sync()
        finally:
            self._closed = True
            with self._sync_lock, self._lock:
                for log_file in [*self._unsynced, self._current]:
                    if log_file is not None:
                        self._close_file(log_file)
                self._unsynced.clear()
                self._current = None

    # -- any thread, one at a time --

    def sync(self) -> int:
        """fdatasync every file with flushed bytes not yet synced (and the directory when a
        file is new); returns the last zxid now durable, -1 if none. Safe to call from a worker
        thread while the owner thread appends and flushes."""
        with self._sync_lock:
            with self._lock:
                files = [(f, f.written, f.fd) for f in self._unsynced]
                target = self._flushed_zxid
            if self.force_sync:
                if any(not f.dir_synced for f, _, _ in files):
                    _fsync_directory(self.log_dir)
                for _, _, fd in files:
                    if fd is not None:
                        _fdatasync(fd)
            with self._lock:
                for f, written, _ in files:
                    f.dir_synced = True
                    if f.written == written:
                        self._unsynced.remove(f)
                        if f.retired:
                            self._close_file(f)
                self._synced_zxid = max(self._synced_zxid, target)
                return self._synced_zxid

    @property
    def synced_zxid(self) -> int:
        """The last zxid a sync has made durable, or -1."""
        with self._lock:
            return self._synced_zxid

    # -- helpers --

    @staticmethod
    def _open(path: Path) -> int:
        if path.exists() and path.stat().st_size:
            # FileOutputStream truncates silently; a same-named file can only be one whose
            # txns were dropped (a truncate or a crash before any sync), but say so.
            log.warning("overwriting existing txn log file %s", path)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    @staticmethod
    def _close_file(log_file: _OpenLog) -> None:
        if log_file.fd is not None:
            os.close(log_file.fd)
            log_file.fd = None

    def __enter__(self) -> TxnLogWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
