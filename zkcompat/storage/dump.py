"""Printing a txn log or a snapshot file as ZooKeeper 3.8's own tools print them.

``zkcompat logdump`` is ``TxnLogToolkit``'s dump mode (``zkTxnLogToolkit.sh``) and
``zkcompat snapdump`` is ``SnapshotFormatter`` (``zkSnapShotToolkit.sh``): the same lines, the
same options where they only read, the same messages and exit codes. Output written by either
side can be diffed against the other's for the same file.

This module owns the text formats: Jute's ``toString`` (``ToStringOutputArchive``), the
tools' own layouts, Java's date formats in the en_US locale, and the iteration order of the
Java hash maps the tools walk. The files are read by :mod:`.txnlog` and :mod:`.snapshot`;
nothing here writes to a data directory.

Not mirrored: TxnLogToolkit's recovery (``-r``, ``-v``, ``-y``) and chop (``-c -z``) modes,
which write files, and the dates and zone names of locales other than en_US.
"""

from __future__ import annotations

import base64
import os
import struct
import sys
import time as _time
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any, TextIO

from jute.idl import Primitive, RecordDef, RecordRef, Vector
from jute.records import DEFINITIONS, FileHeader
from zkcompat.constants import OpCode
from zkcompat.datatree import CONTAINER_OWNER, DataTree
from zkcompat.javaorder import hash_set_order, table_size
from zkcompat.storage.snapshot import SnapshotError, load_snapshot
from zkcompat.storage.txnlog import (
    FILE_HEADER_SIZE,
    TXNLOG_MAGIC,
    TxnLogError,
    deserialize_txn,
)

# ZooKeeper's ExitCode values the tools use.
EXIT_OK, EXIT_UNEXPECTED_ERROR, EXIT_INVALID_INVOCATION = 0, 1, 2
#: jute.maxbuffer's default plus the 1024 bytes of slack BinaryInputArchive allows.
MAX_ENTRY = 0xFFFFF + 1024

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MASK64 = (1 << 64) - 1
_ENTRY_HEAD = struct.Struct(">qi")

#: Request.op2String: the names differ from our OpCode names only for createTTL, and addWatch
#: has none there.
_OP_NAMES = {int(op): op.name for op in OpCode if op is not OpCode.addWatch}
_OP_NAMES[OpCode.createTTL] = "createTtl"

_RECORDS: dict[str, RecordDef] = {f"{d.module}.{d.name}": d for d in DEFINITIONS}
_RECORDS_BY_CLASS: dict[str, RecordDef] = {d.name: d for d in DEFINITIONS}


def op_name(op: int) -> str:
    """``Request.op2String``."""
    return _OP_NAMES.get(op, f"unknown {op}")


# --- Java's ways of printing values -------------------------------------------------------


def _local(millis: int, tz: tzinfo | None) -> datetime | None:
    try:
        moment = datetime.fromtimestamp(millis / 1000, tz)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if tz is not None else moment.astimezone()


def java_date_string(millis: int, tz: tzinfo | None = None) -> str:
    """``new Date(millis).toString()``: ``Thu Jan 01 00:00:00 UTC 1970``. ``tz`` None means the
    local zone, as Java's default time zone is."""
    moment = _local(millis, tz)
    if moment is None:
        return str(millis)
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02d} "
        f"{moment:%H:%M:%S} {moment.tzname()} {moment.year}"
    )


def java_short_long_date(millis: int, tz: tzinfo | None = None) -> str:
    """``DateFormat.getDateTimeInstance(SHORT, LONG)`` in en_US: ``11/24/26, 7:55:36 PM UTC``."""
    moment = _local(millis, tz)
    if moment is None:
        return str(millis)
    hour = moment.hour % 12 or 12
    return (
        f"{moment.month}/{moment.day}/{moment.year % 100:02d}, "
        f"{hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'} {moment.tzname()}"
    )


def _hex(value: int) -> str:
    """``Long.toHexString``: two's complement, no padding. Ints are widened first, as
    ``Long.toHexString(int)`` does, so a negative cxid prints with 16 digits."""
    return f"{value & _MASK64:x}"


def _java_text(data: bytes | None) -> str:
    """``new String(data, UTF_8)`` with TxnLogToolkit's null-to-empty rule."""
    return data.decode("utf-8", "replace") if data else ""


def _escape_string(text: str | None) -> str:
    if text is None:
        return ""
    replaced = (
        text.replace("%", "%25")
        .replace("\0", "%00")
        .replace("\n", "%0A")
        .replace("\r", "%0D")
        .replace(",", "%2C")
        .replace("}", "%7D")
    )
    return "'" + replaced


def _escape_buffer(data: bytes | None) -> str:
    """``ToStringOutputArchive.escapeBuffer``: '#' and each byte as ``Integer.toHexString`` of
    the signed byte, unpadded (so 0x0a is "a" and 0x9a is "ffffff9a")."""
    if not data:
        return ""
    return "#" + "".join(f"{b:x}" if b < 0x80 else f"{(b - 256) & 0xFFFFFFFF:x}" for b in data)


class _JuteText:
    """``Record.toString()``: Jute's ToStringOutputArchive over the IDL's fields."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.first = True

    def _comma(self) -> None:
        if not self.first:
            self.parts.append(",")
        self.first = False

    def record(self, value: Any, definition: RecordDef, tag: str) -> None:
        if tag:
            self._comma()
            self.parts.append("s{")
            self.first = True
        for field in definition.fields:
            self.value(getattr(value, field.name), field.type)
        if tag:
            self.parts.append("}")
            self.first = False
        else:
            self.parts.append("\n")
            self.first = True

    def value(self, value: Any, jute_type: Any) -> None:
        if isinstance(jute_type, Primitive):
            self._comma()
            if jute_type.name == "ustring":
                self.parts.append(_escape_string(value))
            elif jute_type.name == "buffer":
                self.parts.append(_escape_buffer(value))
            elif jute_type.name == "boolean":
                self.parts.append("T" if value else "F")
            else:
                self.parts.append(str(value))
        elif isinstance(jute_type, Vector):
            self._comma()
            self.parts.append("v{")
            self.first = True
            for element in value or ():
                self.value(element, jute_type.element)
            self.parts.append("}")
            self.first = False
        elif isinstance(jute_type, RecordRef) and value is not None:
            self.record(value, _RECORDS[jute_type.name], "e")  # writeRecord skips a null one


def jute_to_string(record: Any) -> str:
    """What Java's generated ``toString()`` gives for a Jute record: its fields comma
    separated, strings with a leading quote, nested records in ``s{}``, vectors in ``v{}``,
    and a newline at the end."""
    text = _JuteText()
    text.record(record, _RECORDS_BY_CLASS[type(record).__name__], "")
    return "".join(text.parts)


def _acl_list(acl: Sequence[Any] | None) -> str:
    """``List<ACL>.toString()``: ``[31,s{'world,'anyone}\\n]``."""
    if acl is None:
        return "null"
    return "[" + ", ".join(jute_to_string(entry) for entry in acl) + "]"


def _java_str(value: Any) -> str:
    """String concatenation's view of a value: null prints as "null", booleans in lowercase."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- the txn log ---------------------------------------------------------------------------


def format_txn_body(op: int, txn: Any | None) -> str:
    """``TxnLogToolkit.getFormattedTxnStr``: creates and setData with the data as text, a
    multi as ``type:data`` pairs, anything else as its Jute ``toString()``."""
    if txn is None:
        return ""
    name = type(txn).__name__
    if name == "CreateTxn":
        fields = (txn.path, _java_text(txn.data), _acl_list(txn.acl), txn.ephemeral)
        return ",".join(_java_str(v) for v in (*fields, txn.parentCVersion))
    if name == "SetDataTxn":
        return ",".join(_java_str(v) for v in (txn.path, _java_text(txn.data), txn.version))
    if name == "CreateContainerTxn":
        fields = (txn.path, _java_text(txn.data), _acl_list(txn.acl), txn.parentCVersion)
        return ",".join(_java_str(v) for v in fields)
    if name == "CreateTTLTxn":
        fields = (txn.path, _java_text(txn.data), _acl_list(txn.acl), txn.parentCVersion)
        return ",".join(_java_str(v) for v in (*fields, txn.ttl))
    if name == "MultiTxn":
        return ";".join(f"{op_name(t.type)}:{_java_text(t.data)}" for t in txn.txns or ())
    return jute_to_string(txn)


def format_txn(header: Any, txn: Any | None, tz: tzinfo | None = None) -> str:
    """One txn as ``TxnLogToolkit.printTxn`` prints it, newline included (a body that ends
    in a newline, as a Jute ``toString()`` does, gets no second one)."""
    line = (
        f"{java_short_long_date(header.time, tz)} session 0x{_hex(header.clientId)} "
        f"cxid 0x{_hex(header.cxid)} zxid 0x{_hex(header.zxid)} {op_name(header.type)} "
        f"{format_txn_body(header.type, txn)}"
    )
    return line if line.endswith("\n") else line + "\n"


class DumpError(Exception):
    """The tool stops here: ``message`` goes to stderr and the exit code is ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_UNEXPECTED_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def dump_txn_log(path: str | os.PathLike[str], tz: tzinfo | None = None) -> Iterator[str]:
    """The text TxnLogToolkit prints for one log file, a piece at a time. Reading stops at
    the end of the file, a cut-short entry or a zero length (the preallocated tail), with
    "EOF reached after N txns."; an entry whose checksum is wrong is printed once with
    ``CRC ERROR - `` in front and once as usual. Raises :class:`DumpError` where the tool
    gives up: a foreign file, a missing end-of-record byte, an entry that does not decode."""
    with open(path, "rb") as file:
        raw = file.read(FILE_HEADER_SIZE)
        if len(raw) < FILE_HEADER_SIZE:
            raise DumpError(f"{os.fspath(path)}: file header cut short")
        header = FileHeader.decode(raw)[0]
        if header.magic != TXNLOG_MAGIC:
            name = os.path.basename(os.fspath(path))
            raise DumpError(f"Invalid magic number for {name}", EXIT_INVALID_INVOCATION)
        yield (
            f"ZooKeeper Transactional Log File with dbid {header.dbid} "
            f"txnlog format version {header.version}\n"
        )
        count = 0
        while True:
            head = file.read(_ENTRY_HEAD.size)
            if len(head) < _ENTRY_HEAD.size:
                break
            checksum, length = _ENTRY_HEAD.unpack(head)
            if length < 0 or length > MAX_ENTRY:
                raise DumpError(f"Unreasonable length = {length}")
            payload = file.read(length)
            if len(payload) < length or length == 0:
                break
            if checksum != zlib.adler32(payload):
                yield "CRC ERROR - " + _format_payload(payload, tz)
            yield _format_payload(payload, tz)
            marker = file.read(1)
            if not marker:
                raise DumpError(f"{os.fspath(path)}: end of file before the end-of-record byte")
            if marker != b"B":
                raise DumpError("Last transaction was partial.")
            count += 1
        yield f"EOF reached after {count} txns.\n"


def _format_payload(payload: bytes, tz: tzinfo | None) -> str:
    try:
        entry = deserialize_txn(payload)
    except TxnLogError as exc:
        raise DumpError(str(exc)) from exc
    return format_txn(entry.header, entry.txn, tz)


_LOGDUMP_HELP = """\
usage: TxnLogToolkit [-dhrvc] <txn_log_file_name> (-z <zxid>)
 -d,--dump         Dump mode. Dump all entries of the log file with printing the content of a nodepath (default)
 -h,--help         Print help message
"""  # noqa: E501 - commons-cli's help is one line per option


def logdump_main(args: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``zkcompat logdump [-d] <txn log file>``: TxnLogToolkit's dump mode."""
    out = out or sys.stdout
    err = err or sys.stderr
    files = []
    for arg in args:
        if arg in ("-h", "--help"):
            out.write(_LOGDUMP_HELP)
            return EXIT_OK
        if arg in ("-d", "--dump"):
            continue
        if arg.startswith("-") and arg != "-":
            err.write(f"Unrecognized option: {arg}\n\n")
            out.write(_LOGDUMP_HELP)
            return EXIT_UNEXPECTED_ERROR
        files.append(arg)
    if not files:
        out.write(_LOGDUMP_HELP)
        return EXIT_UNEXPECTED_ERROR
    path = files[0]
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        err.write(f"File doesn't exist or not readable: {path}\n")
        return EXIT_UNEXPECTED_ERROR
    try:
        for text in dump_txn_log(path):
            out.write(text)
    except DumpError as exc:
        out.flush()
        err.write(f"{exc}\n")
        return exc.exit_code
    except OSError as exc:
        err.write(f"{path}: {exc}\n")
        return EXIT_UNEXPECTED_ERROR
    return EXIT_OK


# --- snapshots -----------------------------------------------------------------------------


def _long_bucket(value: int, mask: int) -> int:
    """The HashMap bucket of a ``Long`` key."""
    value &= _MASK64
    h = (value ^ (value >> 32)) & 0xFFFFFFFF
    return (h ^ (h >> 16)) & mask


def _session_order(sessions: dict[int, int]) -> list[int]:
    """The keys of a ``new HashMap<Long, Integer>()`` filled in the snapshot's order."""
    ids = list(sessions)
    mask = table_size(len(ids)) - 1
    return sorted(ids, key=lambda sid: _long_bucket(sid, mask))


def _children_in_file_order(tree: DataTree) -> dict[str, list[str]]:
    """Each znode's children in the order the snapshot listed them (the tree's node map keeps
    that order), which is the order ZooKeeper added them to the child HashSet."""
    children: dict[str, list[str]] = {}
    for path in tree.nodes:
        if path != "/":
            parent, name = path.rsplit("/", 1)
            children.setdefault(parent or "/", []).append(name)
    return children


def _walk(tree: DataTree) -> Iterator[tuple[str, Any]]:
    """(path, node) depth first from "/", children in the order of a Java ``HashSet`` of
    initial capacity 8 filled in file order (DataNode.addChild)."""
    children = _children_map(tree)
    stack = ["/"]
    while stack:
        path = stack.pop()
        node = tree.nodes.get(path)
        if node is None:
            continue
        yield path, node
        names = children.get(path, [])
        base = "/" if path == "/" else path + "/"
        stack.extend(base + name for name in reversed(names))


def _children_map(tree: DataTree) -> dict[str, list[str]]:
    in_file_order = _children_in_file_order(tree)
    return {path: hash_set_order(names, 8) for path, names in in_file_order.items()}


def _java_hex_padded(value: int) -> str:
    """``String.format("%#016x", value)``: 0x and at least 14 digits, two's complement."""
    return f"{value & _MASK64:#016x}"


def format_snapshot(
    path: str | os.PathLike[str], *, dump_data: bool = False, tz: tzinfo | None = None
) -> str:
    """SnapshotFormatter's text for one snapshot file (``-d`` when ``dump_data``)."""
    snapshot = load_snapshot(path)
    tree = snapshot.tree
    lines = [f"ZNode Details (count={len(tree.nodes) + 1}):"]
    last = None
    for node_path, node in _walk(tree):
        lines += [
            "----",
            node_path,
            f"  cZxid = {_java_hex_padded(node.czxid)}",
            f"  ctime = {java_date_string(node.ctime, tz)}",
            f"  mZxid = {_java_hex_padded(node.mzxid)}",
            f"  mtime = {java_date_string(node.mtime, tz)}",
            f"  pZxid = {_java_hex_padded(node.pzxid)}",
            f"  cversion = {node.cversion}",
            f"  dataVersion = {node.version}",
            f"  aclVersion = {node.aversion}",
            f"  ephemeralOwner = {_java_hex_padded(node.ephemeralOwner)}",
        ]
        if dump_data:
            lines.append(f"  data = {base64.b64encode(node.data or b'').decode()}")
        else:
            lines.append(f"  dataLength = {len(node.data or b'')}")
        highest = max(node.mzxid, node.pzxid)
        last = highest if last is None else max(last, highest)
    lines += ["----", "Session Details (sid, timeout, ephemeralCount):"]
    for sid in _session_order(snapshot.sessions):
        owned = 0 if sid == CONTAINER_OWNER else len(tree.ephemerals(sid))
        lines.append(f"{_java_hex_padded(sid)}, {snapshot.sessions[sid]}, {owned}")
    lines += ["----", f"Last zxid: 0x{_hex(max(snapshot.zxid, last or 0))}"]
    return "\n".join(lines) + "\n"


def _json_string(text: str) -> str:
    """Jackson's ``quoteAsString``: quote, backslash and control characters escaped, the
    short forms where JSON has them, otherwise ``\\u00XX`` in capitals."""
    short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
    short["\r"] = "\\r"
    out = []
    for char in text:
        if char in short:
            out.append(short[char])
        elif char < " ":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def format_snapshot_json(path: str | os.PathLike[str], *, timestamp: int | None = None) -> str:
    """SnapshotFormatter's ``-json`` (ncdu's export format); no newline at the end.
    ``timestamp`` defaults to now, in milliseconds, as the tool writes it."""
    tree = load_snapshot(path).tree
    children = _children_map(tree)
    if timestamp is None:
        timestamp = _time.time_ns() // 1_000_000
    parts = [
        f'[1,0,{{"progname":"SnapshotFormatter.java","progver":"0.01","timestamp":{timestamp}}}'
    ]
    inode = 1000

    def node_json(node_path: str) -> None:
        nonlocal inode
        node = tree.nodes.get(node_path)
        if node is None:
            return
        name = node_path if node_path == "/" else node_path.rsplit("/", 1)[1]
        size = len(node.data or b"")
        inode += 1
        entry = (
            f'{{"name":"{_json_string(name)}","asize":{size},"dsize":{size},"dev":0,"ino":{inode}}}'
        )
        parts.append(",")
        names = children.get(node_path, [])
        if not names:
            parts.append(entry)
            return
        parts.append("[" + entry)
        base = "/" if node_path == "/" else node_path + "/"
        for child in names:
            node_json(base + child)
        parts.append("]")

    node_json("/")
    parts.append("]")
    return "".join(parts)


_SNAPDUMP_USAGE = """\
USAGE: SnapshotFormatter [-d|-json] snapshot_file
       -d dump the data for each znode
       -json dump znode info in json format
"""


def _file_problem(path: str) -> str | None:
    """``ZKUtil.validateFileInput``."""
    absolute = path if path.startswith("/") else os.path.join(os.getcwd(), path)
    if not os.path.exists(path):
        return f"File '{absolute}' does not exist."
    if not os.access(path, os.R_OK):
        return f"Read permission is denied on the file '{absolute}'"
    if os.path.isdir(path):
        return f"'{absolute}' is a directory. it must be a file."
    return None


def snapdump_main(args: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``zkcompat snapdump [-d|-json] <snapshot file>``: SnapshotFormatter."""
    out = out or sys.stdout
    err = err or sys.stderr
    dump_data = dump_json = False
    path = None
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "-d":
            dump_data = True
        elif arg == "-json":
            dump_json = True
        else:
            path = arg
            break
    if index != len(args) or path is None:
        err.write(_SNAPDUMP_USAGE)
        return EXIT_INVALID_INVOCATION
    problem = _file_problem(path)
    if problem is not None:
        err.write(problem + "\n")
        return EXIT_INVALID_INVOCATION
    if dump_data and dump_json:
        err.write("Cannot specify both data dump (-d) and json mode (-json) in same call\n")
        return EXIT_INVALID_INVOCATION
    try:
        if dump_json:
            out.write(format_snapshot_json(path))
        else:
            out.write(format_snapshot(path, dump_data=dump_data))
    except (SnapshotError, OSError) as exc:
        err.write(f"{exc}\n")
        return EXIT_UNEXPECTED_ERROR
    return EXIT_OK
