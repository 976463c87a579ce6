"""ZooKeeper's own command-line clients as subprocesses: the Java zkCli.sh and the C cli_mt.

Owns finding the two binaries (Debian's `zookeeper` and `zookeeper-bin` packages), running one
against an endpoint with commands fed one at a time on stdin, knowing when a command's output
is complete, separating watch notifications and log noise from command output, and parsing
what the CLIs print (stats, child lists, values, return codes) into plain values. It knows
nothing about scenarios or expectations: `conformance.groups.clients` holds those.

Neither CLI says when a command is done: zkCli.sh prints no prompt when stdin is not a
terminal, and cli_mt runs most commands asynchronously and prints the result from its
completion thread whenever the reply arrives. So after every command the driver sends a
*marker* command naming a path that never exists, and reads until the marker's own output:

- zkCli.sh: `ls /zkconf-cli-end-N`, which prints `Node does not exist: /zkconf-cli-end-N`.
  Commands run one after another and both output streams flush on every line, so everything
  the command printed precedes the marker's line (stdout and stderr share one pipe here).
- cli_mt: `sync /zkconf-cli-end-N`, whose completion prints `[/zkconf-cli-end-N]: rc = 0`.
  The C client answers completions in request order on one thread, so the command's own
  completion has been printed by then.

Watch notifications arrive whenever the server sends them; both drivers pull them out of the
stream as they are read (`CliProcess.events`), so a command's output never contains them.
The parsers and output filters are pure functions and classes over bytes, tested without a
JVM in `tests/test_conformance_clients.py`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

log = logging.getLogger(__name__)

ZKCLI_PATHS = (Path("/usr/share/zookeeper/bin/zkCli.sh"),)
CLI_MT_PATHS = (Path("/usr/lib/zookeeper/bin/cli_mt"),)
MARKER_PREFIX = "/zkconf-cli-end-"
COMMAND_TIMEOUT = 15.0  # a command normally answers in milliseconds; the JVM's first in ~0.5s
START_TIMEOUT = 30.0
# Debian's JVM starts zkCli and connects in ~0.25s CPU. Stopping the JIT at its first tier
# (a CLI never runs long enough for the second to pay off) saves ~20% of that; the serial
# collector avoids GC threads. UTF-8 explicitly, in case the C.UTF-8 locale is missing.
ZKCLI_JVMFLAGS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dfile.encoding=UTF-8"


class CliUnavailable(RuntimeError):
    """A CLI binary is not installed; the message names the Debian package that has it."""


class CliError(RuntimeError):
    """A CLI did not answer a command in time, or exited while one was pending."""


# ---------------------------------------------------------------------------------------------
# Finding the binaries


def find_binary(name: str, candidates: Sequence[Path], package: str) -> str:
    """The first existing candidate, else `name` on PATH, else `CliUnavailable`."""
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    looked = ", ".join(str(candidate) for candidate in candidates)
    raise CliUnavailable(
        f"{name} not found (looked in {looked} and on PATH): "
        f"install Debian's {package} package (apt-get install {package})"
    )


def zkcli_binary() -> str:
    """Path of Apache ZooKeeper's Java CLI, `zkCli.sh`."""
    return find_binary("zkCli.sh", ZKCLI_PATHS, "zookeeper")


def cli_mt_binary() -> str:
    """Path of the C client's multithreaded CLI, `cli_mt`."""
    return find_binary("cli_mt", CLI_MT_PATHS, "zookeeper-bin")


# ---------------------------------------------------------------------------------------------
# Output filters: bytes in, command output and events out (no I/O)


@dataclass(frozen=True)
class CliEvent:
    """A watch notification, in the printing CLI's own words.

    zkCli.sh says `type`/`state` as Java's enums do (`NodeDataChanged`, `SyncConnected`) and
    prints a missing path as `null`; cli_mt says `CHANGED_EVENT`, `CONNECTED_STATE`, and
    prints no path at all for session events. Both become `None` here.
    """

    type: str
    state: str
    path: str | None


class LineFilter(Protocol):
    """Takes a CLI's output a line at a time; keeps the events, returns the command output."""

    events: list[CliEvent]

    def feed(self, line: bytes) -> bytes: ...


_ZKCLI_EVENT = re.compile(rb"^WatchedEvent state:(\S+) type:(\S+) path:(.*)\n?$")
_ZKCLI_NOISE = (
    re.compile(rb"^SLF4J: "),
    re.compile(rb"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[,.]\d{3} .*\b(TRACE|DEBUG|INFO|WARN|ERROR)\b"),
)


class ZkCliFilter:
    """Splits zkCli.sh's merged output into command output and `CliEvent`s.

    zkCli prints an event as two lines each preceded by an empty line (`"\\nWATCHER::"` and
    `"\\nWatchedEvent state:... type:... path:..."`, one write each), from its event thread,
    between any two lines of command output. An empty line is therefore held back until the
    next line shows whether it belongs to an event; every other empty line is output (a
    `get` of empty data prints one). SLF4J's warnings and log lines are dropped.
    """

    def __init__(self) -> None:
        self.events: list[CliEvent] = []
        self._blank_pending = False

    def feed(self, line: bytes) -> bytes:
        """Take one line (with its newline); return the bytes of command output it releases."""
        if line.rstrip(b"\n") == b"WATCHER::":
            self._blank_pending = False
            return b""
        event = _ZKCLI_EVENT.match(line)
        if event:
            self._blank_pending = False
            state, kind, path = (part.decode("utf-8", "replace") for part in event.groups())
            self.events.append(CliEvent(kind, state, None if path == "null" else path))
            return b""
        if any(noise.match(line) for noise in _ZKCLI_NOISE):
            return b""
        released = b"\n" if self._blank_pending else b""
        self._blank_pending = line == b"\n"
        return released if self._blank_pending else released + line


_CLI_MT_EVENT = re.compile(rb"^Watcher (\S+) state = (\S+)(?: for path (.*))?\n?$")
_CLI_MT_NOISE = (
    re.compile(rb"^Got a new session id: 0x[0-9a-f]+\n?$"),
    # the C client's own log (ZOO_LOG_LEVEL_WARN and up, on stderr)
    re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}:\d+\(0x[0-9a-f]+\):ZOO_[A-Z]+@"),
)


class CliMtFilter:
    """Splits cli_mt's output into command output and `CliEvent`s.

    cli_mt's watcher prints `Watcher CHANGED_EVENT state = CONNECTED_STATE for path /a`, with
    `Got a new session id: 0x...` after a session's first connection (dropped, as it varies).
    """

    def __init__(self) -> None:
        self.events: list[CliEvent] = []

    def feed(self, line: bytes) -> bytes:
        """Take one line (with its newline); return the bytes of command output it releases."""
        event = _CLI_MT_EVENT.match(line)
        if event:
            kind, state, path = event.groups()
            self.events.append(
                CliEvent(
                    kind.decode(), state.decode(), path.decode("utf-8", "replace") if path else None
                )
            )
            return b""
        if any(noise.match(line) for noise in _CLI_MT_NOISE):
            return b""
        return line


Marker = Callable[[str], tuple[str, re.Pattern[bytes]]]


def zkcli_marker(path: str) -> tuple[str, re.Pattern[bytes]]:
    """zkCli's marker command for `path`, and the output that shows it (and all before) ran."""
    return f"ls {path}", re.compile(
        rb"^Node does not exist: " + re.escape(path.encode()) + rb"\n", re.M
    )


def cli_mt_marker(path: str) -> tuple[str, re.Pattern[bytes]]:
    """cli_mt's marker command for `path`, and the output that shows it (and all before) ran.

    rc 0 is followed by a `name =` line, a second write: the pattern waits for it too.
    """
    quoted = re.escape(path.encode())
    output = rb"^\[" + quoted + rb"\]: rc = (?:0\n\tname = " + quoted + rb"|-\d+)\n"
    return f"sync {path}", re.compile(output, re.M)


def filter_lines(text: bytes, feed: Callable[[bytes], bytes]) -> bytes:
    """Run a whole captured output through a filter's `feed`, line by line."""
    return b"".join(feed(line) for line in text.splitlines(keepends=True))


# ---------------------------------------------------------------------------------------------
# The subprocess


class CliProcess:
    """A CLI subprocess fed one command at a time; see `ZkCli` and `CliMt`.

    A reader thread takes the merged stdout and stderr line by line through the CLI's filter,
    appending command output to a buffer and events to `events`. `execute` sends a command
    and its marker and returns the output up to the marker. Use as a context manager, or call
    `start()` and `close()`; the process is stopped by its PID.
    """

    name = "cli"

    def __init__(
        self, argv: list[str], env: dict[str, str], line_filter: LineFilter, marker: Marker
    ) -> None:
        self.argv = argv
        self.env = env
        self._filter = line_filter
        self._marker = marker
        self._output = bytearray()
        self._consumed = 0
        self._markers = 0
        self._eof = False
        self._changed = threading.Condition()
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self.startup_seconds = 0.0

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def events(self) -> list[CliEvent]:
        """Every watch notification printed so far, in order."""
        with self._changed:
            return list(self._filter.events)

    def start(self, timeout: float = START_TIMEOUT) -> CliProcess:
        """Start the CLI and return once it has answered a first marker (so is connected)."""
        started = time.monotonic()
        log.debug("starting %s", " ".join(self.argv))
        self._process = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,  # a Ctrl-C in the terminal reaches us; we stop it by PID
        )
        self._reader = threading.Thread(
            target=self._read_loop, name=f"{self.name} reader", daemon=True
        )
        self._reader.start()
        try:
            banner = self.execute("", timeout=timeout)
        except BaseException:
            self.close()
            raise
        self.startup_seconds = time.monotonic() - started
        log.debug("%s pid %s ready in %.2fs: %r", self.name, self.pid, self.startup_seconds, banner)
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Ask the CLI to quit (closing its session), then kill it by PID if it lingers."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.write(b"quit\n")
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s pid %s did not quit; killing it", self.name, process.pid)
            process.kill()
            process.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout)
        if process.stdout:
            process.stdout.close()

    def __enter__(self) -> CliProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- commands -------------------------------------------------------------------------------

    def execute(self, command: str, timeout: float = COMMAND_TIMEOUT) -> bytes:
        """Send `command` (none if empty) and return what it printed, events excluded."""
        if "\n" in command:
            raise ValueError(f"one command line at a time, not {command!r}")
        if self._process is None or self._process.stdin is None:
            raise CliError(f"{self.name} is not running")
        self._markers += 1
        marker_command, marker_output = self._marker(f"{MARKER_PREFIX}{self._markers}")
        lines = [command] if command else []
        lines.append(marker_command)
        log.debug("%s <- %r", self.name, command)
        try:
            self._process.stdin.write("".join(f"{line}\n" for line in lines).encode("utf-8"))
            self._process.stdin.flush()
        except OSError as exc:
            raise CliError(f"{self.name} stopped reading commands: {exc}") from exc
        found = self._wait_for(marker_output, timeout, command)
        with self._changed:
            output = bytes(self._output[self._consumed : found.start()])
            self._consumed = found.end()
        log.debug("%s -> %r", self.name, output)
        return output

    def _wait_for(
        self, pattern: re.Pattern[bytes], timeout: float, command: str
    ) -> re.Match[bytes]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = pattern.search(self._output, self._consumed)
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    tail = bytes(self._output[self._consumed :])[-2000:]
                    why = "exited" if self._eof else f"did not answer within {timeout:g}s"
                    raise CliError(f"{self.name} {why} after {command!r}; output so far: {tail!r}")
                self._changed.wait(remaining)

    def _read_loop(self) -> None:
        """The reader thread: lines through the filter into the output buffer, until EOF."""
        assert self._process is not None and self._process.stdout is not None
        stream = self._process.stdout
        partial = b""
        while chunk := stream.read1(65536):
            lines = (partial + chunk).split(b"\n")
            partial = lines.pop()
            with self._changed:
                for line in lines:
                    self._output += self._filter.feed(line + b"\n")
                self._changed.notify_all()
        with self._changed:
            if partial:
                self._output += self._filter.feed(partial)
            self._eof = True
            self._changed.notify_all()


def cli_environment(**extra: str) -> dict[str, str]:
    """The environment both CLIs run in: UTF-8 text and UTC times, whatever ours are."""
    env = dict(os.environ)
    env.update(LC_ALL="C.UTF-8", LANG="C.UTF-8", TZ="UTC", **extra)
    return env


# ---------------------------------------------------------------------------------------------
# zkCli.sh


@dataclass(frozen=True)
class ZkCliReply:
    """What zkCli.sh printed for one command (stdout and stderr together, events removed)."""

    command: str
    text: str

    @property
    def lines(self) -> list[str]:
        """The output split at newlines only (a `get` of empty data prints one empty line)."""
        return self.text.removesuffix("\n").split("\n") if self.text else []


class ZkCli(CliProcess):
    """Apache ZooKeeper's Java CLI, connected to `host` (host:port, optionally with a chroot).

    zkCli.sh starts `org.apache.zookeeper.ZooKeeperMain`; without a terminal it disables
    JLine and reads plain lines from stdin, printing no prompt. Debian ships no SLF4J
    binding for it, so it logs nothing but SLF4J's warnings about that.
    """

    name = "zkCli.sh"

    def __init__(self, host: str, jvmflags: str = ZKCLI_JVMFLAGS) -> None:
        super().__init__(
            [zkcli_binary(), "-server", host],
            cli_environment(JVMFLAGS=jvmflags),
            ZkCliFilter(),
            zkcli_marker,
        )

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT) -> ZkCliReply:
        """Run one zkCli command line and return its output."""
        return ZkCliReply(command, self.execute(command, timeout).decode("utf-8", "replace"))

    def settle(self) -> list[CliEvent]:
        """`sync /`, then every event printed so far.

        zkCli's `sync` waits for its callback, which the client's event thread runs after
        delivering every event that arrived before the reply; so once it returns, each event
        caused by a write acknowledged earlier has been printed, and "no event" needs no sleep.
        """
        reply = self.run("sync /")
        if reply.text != "Sync is OK\n":
            raise CliError(f"zkCli sync failed: {reply.text!r}")
        return self.events


ZKCLI_STAT_FIELDS = (
    "cZxid",
    "ctime",
    "mZxid",
    "mtime",
    "pZxid",
    "cversion",
    "dataVersion",
    "aclVersion",
    "ephemeralOwner",
    "dataLength",
    "numChildren",
)
_ZKCLI_STAT_LINE = re.compile(r"^(\w+) = (.*)$")


def parse_zkcli_stat(lines: Sequence[str]) -> dict[str, int | str]:
    """The stat fields among `lines` (`cZxid = 0x21` ...); times stay text, the rest ints."""
    stat: dict[str, int | str] = {}
    for line in lines:
        found = _ZKCLI_STAT_LINE.match(line)
        if found and found.group(1) in ZKCLI_STAT_FIELDS:
            name, value = found.groups()
            stat[name] = value if name.endswith("time") else _signed(int(value, 0), 64)
    return stat


def _signed(value: int, bits: int) -> int:
    """Undo printing as unsigned hex: Java's `Long.toHexString` and C's `%x` / `%llx`."""
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def _java_hex(value: int) -> str:
    """`"0x" + Long.toHexString(value)`: negative longs as their two's complement."""
    return hex(value & 0xFFFF_FFFF_FFFF_FFFF)


def java_date(millis: int) -> str:
    """A time as Java's `Date.toString()` prints it in UTC: `Tue Nov 24 21:25:08 UTC 2026`."""
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(millis // 1000))


def format_zkcli_stat(stat: Any) -> list[str]:
    """A kazoo `ZnodeStat` printed as zkCli.sh prints a stat (`get -s`, `stat`, `ls -s`).

    Zxids and the owner are `0x` plus lower-case hex (`Long.toHexString`), times are
    `Date.toString()`, the rest decimal.
    """
    values = (
        _java_hex(stat.czxid),
        java_date(stat.ctime),
        _java_hex(stat.mzxid),
        java_date(stat.mtime),
        _java_hex(stat.pzxid),
        stat.cversion,
        stat.version,
        stat.aversion,
        _java_hex(stat.ephemeralOwner),
        stat.dataLength,
        stat.numChildren,
    )
    return [f"{name} = {value}" for name, value in zip(ZKCLI_STAT_FIELDS, values, strict=True)]


def format_zkcli_data(data: bytes | None) -> list[str]:
    """Data as zkCli's get prints it: UTF-8 text and a newline, or `null` for null data."""
    return ["null"] if data is None else data.decode("utf-8", "replace").split("\n")


def parse_zkcli_list(line: str) -> list[str]:
    """`[a, b, c]` (ls, getEphemerals) as a list; `[]` is empty."""
    if not (line.startswith("[") and line.endswith("]")):
        raise ValueError(f"not a zkCli list: {line!r}")
    inner = line[1:-1]
    return inner.split(", ") if inner else []


def parse_zkcli_acl(lines: Sequence[str]) -> list[tuple[str, str, str]]:
    """getAcl's output as (scheme, id, permissions) triples.

    zkCli prints each entry as `'scheme,'id` then `: cdrwa` on the next line.
    """
    entries = []
    for first, second in zip(lines[::2], lines[1::2], strict=False):
        scheme, _, ident = first.partition(",")
        if not (scheme.startswith("'") and ident.startswith("'") and second.startswith(": ")):
            raise ValueError(f"not a zkCli ACL entry: {first!r} {second!r}")
        entries.append((scheme[1:], ident[1:], second[2:]))
    return entries


# ---------------------------------------------------------------------------------------------
# cli_mt


@dataclass(frozen=True)
class CliMtReply:
    """What cli_mt printed for one command, parsed.

    `rc` is the completion's return code (`/a: rc = -101`) or, for the synchronous `exists`
    and `wexists`, the code of its `Error -101 for /a` line; `None` if it printed neither
    (`exists` of a node that exists prints nothing at all). `stat` is None when none was
    printed or cli_mt printed `null`. `notes` are the remaining lines, such as `Creating
    [/a] node (mode: 0)`; the volatile `time = 3 msec` lines are dropped.
    """

    command: str
    raw: bytes
    rc: int | None = None
    name: str | None = None
    value: bytes | None = None
    children: list[str] | None = None
    stat: dict[str, int | str] | None = None
    notes: tuple[str, ...] = ()


class CliMt(CliProcess):
    """The C client's CLI (`cli_mt`, ZooKeeper's `cli.c` on the multithreaded library).

    Its commands: `create [+e|+s|+es|+c] /p` (data is always `new`), `create2`, `get`, `set
    /p data...` (the rest of the line), `ls`, `ls2`, `delete`, `exists`, `wexists`, `sync`,
    `addauth scheme auth`, `config`. get, ls and ls2 leave watches; exists and wexists are
    synchronous and print only errors. Everything goes to stderr.
    """

    name = "cli_mt"

    def __init__(self, host: str) -> None:
        super().__init__(
            [cli_mt_binary(), "-h", host], cli_environment(), CliMtFilter(), cli_mt_marker
        )

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT) -> CliMtReply:
        """Run one cli_mt command line and return its parsed output."""
        return parse_cli_mt(command, self.execute(command, timeout))

    def settle(self) -> list[CliEvent]:
        """A marker round trip, then every event printed so far.

        The C client runs watchers and completions on one thread in arrival order, so once
        the marker's sync completion is printed, so is every event that preceded its reply.
        """
        self.execute("")
        return self.events


_MT_RC = re.compile(
    rb"^(?:\[(?P<bracketed>.*)\]|(?P<path>.*)): rc = (?P<rc>-?\d+)(?P<stat> Stat:)?$"
)
_MT_ERROR = re.compile(rb"^Error (-?\d+) for (.*)$")
_MT_VALUE = re.compile(rb"^ value_len = (\d+)$")
_MT_STAT = re.compile(
    rb"\tctime = (?P<ctime>.*)\n\tczxid=(?P<czxid>[0-9a-f]+)\n"
    rb"\tmtime=(?P<mtime>.*)\n\tmzxid=(?P<mzxid>[0-9a-f]+)\n"
    rb"\tversion=(?P<version>[0-9a-f]+)\taversion=(?P<aversion>[0-9a-f]+)\n"
    rb"\tephemeralOwner = (?P<ephemeralOwner>[0-9a-f]+)\n"
)
_MT_TIME = re.compile(rb"^time = -?\d+ msec$")


def parse_cli_mt_stat(found: re.Match[bytes]) -> dict[str, int | str]:
    """One `dumpStat` block: ctime/mtime as text (`ctime_r`), the rest as ints."""
    fields = {name: value.decode() for name, value in found.groupdict().items()}
    return {
        "ctime": fields["ctime"],
        "czxid": int(fields["czxid"], 16),
        "mtime": fields["mtime"],
        "mzxid": int(fields["mzxid"], 16),
        "version": _signed(int(fields["version"], 16), 32),
        "aversion": _signed(int(fields["aversion"], 16), 32),
        "ephemeralOwner": _signed(int(fields["ephemeralOwner"], 16), 64),
    }


def parse_cli_mt(command: str, raw: bytes) -> CliMtReply:
    """Parse one command's output from cli_mt (events already removed by `CliMtFilter`).

    A value is taken by its printed length, so it may hold any bytes, newlines included.
    Tab-indented lines after a `path: rc = N` line are children (ls, ls2), until a stat
    block (`\\tctime = ...`) begins.
    """
    fields: dict[str, Any] = {}
    notes: list[str] = []
    position = 0
    listing = False
    while position < len(raw):
        stat = _MT_STAT.match(raw, position)
        if stat:
            fields["stat"] = parse_cli_mt_stat(stat)
            position = stat.end()
            listing = False
            continue
        end = raw.find(b"\n", position)
        end = len(raw) if end < 0 else end
        line = raw[position:end]
        position = end + 1
        if value := _MT_VALUE.match(line):
            length = int(value.group(1))
            fields["value"] = raw[position : position + length]
            position += length + 1  # and the newline cli_mt prints before "Stat:"
        elif rc := _MT_RC.match(line):
            fields.setdefault("rc", int(rc.group("rc")))
            # `path: rc = 0` (no brackets, no Stat:) opens ls's list of children
            listing = rc.group("path") is not None and not rc.group("stat") and rc["rc"] == b"0"
        elif error := _MT_ERROR.match(line):
            fields.setdefault("rc", int(error.group(1)))
        elif line.startswith(b"\tname = "):
            fields["name"] = line[len(b"\tname = ") :].decode("utf-8", "replace")
        elif listing and line.startswith(b"\t"):
            fields.setdefault("children", []).append(line[1:].decode("utf-8", "replace"))
        elif _MT_TIME.match(line):
            if listing:
                fields.setdefault("children", [])
        elif line not in (b"", b"Stat:", b"null"):
            notes.append(line.decode("utf-8", "replace"))
    return CliMtReply(command, raw, notes=tuple(notes), **fields)


def c_time(millis: int) -> str:
    """A time as C's `ctime_r` prints it in UTC, without the newline: `Tue Nov 24 21:25:20 2026`."""
    return time.asctime(time.gmtime(millis // 1000))


def cli_mt_stat(stat: Any) -> dict[str, int | str]:
    """A kazoo `ZnodeStat` as `parse_cli_mt` returns cli_mt's stat: the same seven fields."""
    return {
        "ctime": c_time(stat.ctime),
        "czxid": stat.czxid,
        "mtime": c_time(stat.mtime),
        "mzxid": stat.mzxid,
        "version": stat.version,
        "aversion": stat.aversion,
        "ephemeralOwner": stat.ephemeralOwner,
    }
