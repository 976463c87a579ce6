"""The CLI drivers of the conformance suite, without a JVM or a server.

The parsers and filters are fed output captured from zkCli.sh and cli_mt (Debian's 3.8.0)
against Apache ZooKeeper; the subprocess machinery is exercised with a small Python script
that answers like zkCli.
"""

from __future__ import annotations

import calendar
import sys
import textwrap
import time

import pytest
from kazoo.protocol.states import ZnodeStat

from conformance import clients
from conformance.clients import (
    CliError,
    CliEvent,
    CliMtFilter,
    CliProcess,
    CliUnavailable,
    Marker,
    ZkCliFilter,
    ZkCliReply,
    cli_mt_marker,
    cli_mt_stat,
    filter_lines,
    format_zkcli_data,
    format_zkcli_stat,
    parse_cli_mt,
    parse_zkcli_acl,
    parse_zkcli_list,
    parse_zkcli_stat,
    zkcli_marker,
)

# zkCli.sh: `create /cap ''`, `get -w /cap`, a set by another client, `get -s /cap`, `quit`,
# with a marker after each command, stdout and stderr on one pipe.
ZKCLI_SESSION = b"""\
SLF4J: Failed to load class "org.slf4j.impl.StaticLoggerBinder".
SLF4J: Defaulting to no-operation (NOP) logger implementation
SLF4J: See http://www.slf4j.org/codes.html#StaticLoggerBinder for further details.
Connecting to 127.0.0.1:56103
SLF4J: Failed to load class "org.slf4j.impl.StaticMDCBinder".
SLF4J: Defaulting to no-operation MDCAdapter implementation.
SLF4J: See http://www.slf4j.org/codes.html#no_static_mdc_binder for further details.
Welcome to ZooKeeper!
JLine support is disabled

WATCHER::

WatchedEvent state:SyncConnected type:None path:null
Created /cap
Node does not exist: /zkconf-cli-end-1

Node does not exist: /zkconf-cli-end-2

WATCHER::

WatchedEvent state:SyncConnected type:NodeDataChanged path:/cap

cZxid = 0x123
ctime = Tue Nov 24 21:35:00 UTC 2026
mZxid = 0x124
mtime = Tue Nov 24 21:35:01 UTC 2026
pZxid = 0x123
cversion = 0
dataVersion = 1
aclVersion = 0
ephemeralOwner = 0x0
dataLength = 0
numChildren = 0
Node does not exist: /zkconf-cli-end-3

WATCHER::

WatchedEvent state:Closed type:None path:null
"""

# cli_mt: `get /mt` (data "two\nlines\tand tab"), `ls2 /mt` after another client's set,
# `ls /none`, `exists /none`, `create2 /mt/c`, with markers.
CLI_MT_SESSION = b"""\
Watcher SESSION_EVENT state = CONNECTED_STATE
Got a new session id: 0x1000086a2470052
time = 259776970 msec
/mt: rc = 0
 value_len = 17
two
lines\tand tab
Stat:
\tctime = Tue Nov 24 21:35:06 2026
\tczxid=127
\tmtime=Tue Nov 24 21:35:06 2026
\tmzxid=127
\tversion=0\taversion=0
\tephemeralOwner = 0
[/zkconf-cli-end-1]: rc = 0
\tname = /zkconf-cli-end-1
Watcher CHANGED_EVENT state = CONNECTED_STATE for path /mt
time = 0 msec
/mt: rc = 0
\ta
\tb
time = 0 msec
\tctime = Tue Nov 24 21:35:06 2026
\tczxid=127
\tmtime=Tue Nov 24 21:35:07 2026
\tmzxid=12b
\tversion=1\taversion=0
\tephemeralOwner = 0
[/zkconf-cli-end-2]: rc = 0
\tname = /zkconf-cli-end-2
time = 0 msec
/none: rc = -101
time = 0 msec
Error -101 for /none
Creating [/mt/c] node (mode: 0)
Watcher CHILD_EVENT state = CONNECTED_STATE for path /mt
[/mt/c]: rc = 0
\tname = /mt/c
\tctime = Tue Nov 24 21:35:07 2026
\tczxid=12c
\tmtime=Tue Nov 24 21:35:07 2026
\tmzxid=12c
\tversion=0\taversion=0
\tephemeralOwner = 0
[/zkconf-cli-end-3]: rc = 0
\tname = /zkconf-cli-end-3
Quitting...
"""


def millis(text: str) -> int:
    """`Tue Nov 24 21:35:00 2026` (UTC) as epoch milliseconds."""
    return calendar.timegm(time.strptime(text, "%a %b %d %H:%M:%S %Y")) * 1000


def znode_stat(**fields: int) -> ZnodeStat:
    defaults = dict.fromkeys(ZnodeStat._fields, 0)
    defaults.update(fields)
    return ZnodeStat(**defaults)


def split_at_markers(output: bytes, marker: Marker) -> list[bytes]:
    """Cut a filtered session at each marker's output, as `CliProcess.execute` does."""
    pieces, position = [], 0
    for number in range(1, 4):
        _, pattern = marker(f"/zkconf-cli-end-{number}")
        found = pattern.search(output, position)
        assert found, f"marker {number} not found"
        pieces.append(output[position : found.start()])
        position = found.end()
    return pieces


# --- zkCli.sh ----------------------------------------------------------------------------------


def test_zkcli_filter_separates_events_and_keeps_empty_data() -> None:
    zkcli = ZkCliFilter()
    output = filter_lines(ZKCLI_SESSION, zkcli.feed)
    banner = b"Connecting to 127.0.0.1:56103\nWelcome to ZooKeeper!\nJLine support is disabled\n"
    first, second, third = split_at_markers(output, zkcli_marker)
    assert first == banner + b"Created /cap\n"
    assert second == b"\n"  # get of empty data: one empty line, not taken for an event's
    assert third.startswith(b"\ncZxid = 0x123\n")
    assert zkcli.events == [
        CliEvent("None", "SyncConnected", None),
        CliEvent("NodeDataChanged", "SyncConnected", "/cap"),
        CliEvent("None", "Closed", None),
    ]


def test_zkcli_filter_drops_log_lines() -> None:
    zkcli = ZkCliFilter()
    logged = b"2024-05-01 10:00:00,123 [myid:] - INFO  [main:ZooKeeper@637] - Initiating client\n"
    assert zkcli.feed(logged) == b""
    assert zkcli.feed(b"[a, b]\n") == b"[a, b]\n"


def test_zkcli_filter_releases_consecutive_empty_lines() -> None:
    zkcli = ZkCliFilter()
    released = [zkcli.feed(line) for line in (b"\n", b"\n", b"x\n")]
    assert b"".join(released) == b"\n\nx\n"


def test_zkcli_reply_lines_split_at_newlines_only() -> None:
    assert ZkCliReply("get /a", "").lines == []
    assert ZkCliReply("get /a", "\n").lines == [""]
    assert ZkCliReply("get /a", "a\x1cb\n").lines == ["a\x1cb"]


def test_zkcli_stat_parsed_and_formatted() -> None:
    lines = filter_lines(ZKCLI_SESSION, ZkCliFilter().feed).decode().split("\n")
    stat_lines = lines[lines.index("cZxid = 0x123") :][:11]
    parsed = parse_zkcli_stat(stat_lines)
    assert parsed["cZxid"] == 0x123
    assert parsed["mZxid"] == 0x124
    assert parsed["ctime"] == "Tue Nov 24 21:35:00 UTC 2026"
    assert parsed["dataVersion"] == 1
    kazoo_view = znode_stat(
        czxid=0x123,
        mzxid=0x124,
        pzxid=0x123,
        ctime=millis("Tue Nov 24 21:35:00 2026") + 999,
        mtime=millis("Tue Nov 24 21:35:01 2026"),
        version=1,
    )
    assert format_zkcli_stat(kazoo_view) == stat_lines


def test_zkcli_stat_negative_owner_is_javas_unsigned_hex() -> None:
    stat = znode_stat(ephemeralOwner=-(1 << 63), ctime=millis("Sun Nov  1 01:02:03 2026"))
    lines = format_zkcli_stat(stat)
    assert "ephemeralOwner = 0x8000000000000000" in lines
    assert "ctime = Sun Nov 01 01:02:03 UTC 2026" in lines  # Java pads the day with a zero
    assert parse_zkcli_stat(lines)["ephemeralOwner"] == -(1 << 63)


def test_zkcli_lists_acls_and_data() -> None:
    assert parse_zkcli_list("[10, Q, ab]") == ["10", "Q", "ab"]
    assert parse_zkcli_list("[]") == []
    with pytest.raises(ValueError):
        parse_zkcli_list("Node does not exist: /a")
    assert parse_zkcli_acl(["'digest,'alice:x", ": rw", "'world,'anyone", ": cdrwa"]) == [
        ("digest", "alice:x", "rw"),
        ("world", "anyone", "cdrwa"),
    ]
    with pytest.raises(ValueError):
        parse_zkcli_acl(["Insufficient permission : /a", ""])
    assert format_zkcli_data(None) == ["null"]
    assert format_zkcli_data(b"") == [""]
    assert format_zkcli_data("a\nné".encode()) == ["a", "né"]


# --- cli_mt -------------------------------------------------------------------------------------


def cli_mt_replies() -> list[bytes]:
    mt = CliMtFilter()
    return split_at_markers(filter_lines(CLI_MT_SESSION, mt.feed), cli_mt_marker)


def test_cli_mt_filter_separates_events() -> None:
    mt = CliMtFilter()
    filter_lines(CLI_MT_SESSION, mt.feed)
    assert mt.events == [
        CliEvent("SESSION_EVENT", "CONNECTED_STATE", None),
        CliEvent("CHANGED_EVENT", "CONNECTED_STATE", "/mt"),
        CliEvent("CHILD_EVENT", "CONNECTED_STATE", "/mt"),
    ]
    log_line = b"2024-05-01 10:00:00,123:4242(0x7f00aa):ZOO_WARN@handle_socket_error_msg@1: x\n"
    assert mt.feed(log_line) == b""


def test_cli_mt_get_takes_the_value_by_length() -> None:
    reply = parse_cli_mt("get /mt", cli_mt_replies()[0])
    assert reply.rc == 0
    assert reply.value == b"two\nlines\tand tab"
    assert reply.children is None
    assert reply.notes == ()
    assert reply.stat == {
        "ctime": "Tue Nov 24 21:35:06 2026",
        "czxid": 0x127,
        "mtime": "Tue Nov 24 21:35:06 2026",
        "mzxid": 0x127,
        "version": 0,
        "aversion": 0,
        "ephemeralOwner": 0,
    }


def test_cli_mt_ls2_children_then_stat() -> None:
    reply = parse_cli_mt("ls2 /mt", cli_mt_replies()[1])
    assert (reply.rc, reply.children) == (0, ["a", "b"])
    assert reply.stat is not None
    assert (reply.stat["mzxid"], reply.stat["version"]) == (0x12B, 1)


def test_cli_mt_errors_and_create2() -> None:
    raw = cli_mt_replies()[2]
    ls_part, rest = raw.split(b"Error", 1)
    failed = parse_cli_mt("ls /none", ls_part)
    assert (failed.rc, failed.children) == (-101, None)
    assert parse_cli_mt("exists /none", b"Error" + rest.split(b"\n", 1)[0] + b"\n").rc == -101
    created = parse_cli_mt("create2 /mt/c", raw[raw.index(b"Creating") :])
    assert (created.rc, created.name) == (0, "/mt/c")
    assert created.notes == ("Creating [/mt/c] node (mode: 0)",)
    assert created.stat is not None and created.stat["czxid"] == 0x12C


def test_cli_mt_no_node_get_and_unsigned_versions() -> None:
    missing = parse_cli_mt("get /x", b"time = 5 msec\n/x: rc = -101\n\nStat:\nnull\n")
    assert (missing.rc, missing.value, missing.stat, missing.notes) == (-101, None, None, ())
    config = parse_cli_mt(
        "config",
        b"time = 0 msec\n/zookeeper/config: rc = 0\n value_len = 0\n\nStat:\n"
        b"\tctime = Thu Jan  1 00:00:00 1970\n\tczxid=0\n\tmtime=Thu Jan  1 00:00:00 1970\n"
        b"\tmzxid=0\n\tversion=0\taversion=ffffffff\n\tephemeralOwner = 8000000000000000\n",
    )
    assert config.value == b""
    assert config.stat is not None
    assert config.stat["aversion"] == -1
    assert config.stat["ephemeralOwner"] == -(1 << 63)
    assert config.stat["ctime"] == "Thu Jan  1 00:00:00 1970"


def test_cli_mt_stat_from_kazoo() -> None:
    expected = parse_cli_mt("get /mt", cli_mt_replies()[0]).stat
    stamp = millis("Tue Nov 24 21:35:06 2026") + 500
    assert cli_mt_stat(znode_stat(czxid=0x127, mzxid=0x127, ctime=stamp, mtime=stamp)) == expected


def test_cli_mt_marker_waits_for_the_name_line() -> None:
    command, pattern = cli_mt_marker("/zkconf-cli-end-7")
    assert command == "sync /zkconf-cli-end-7"
    assert pattern.search(b"x\n[/zkconf-cli-end-7]: rc = 0\n") is None
    assert pattern.search(b"[/zkconf-cli-end-7]: rc = 0\n\tname = /zkconf-cli-end-7\n")
    assert pattern.search(b"[/zkconf-cli-end-7]: rc = -116\n")
    assert pattern.search(b"[/zkconf-cli-end-70]: rc = -116\n") is None


# --- binaries and the subprocess ------------------------------------------------------------------


def test_missing_binary_names_the_package(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(clients, "CLI_MT_PATHS", (tmp_path / "cli_mt",))
    with pytest.raises(CliUnavailable, match=r"apt-get install zookeeper-bin"):
        clients.cli_mt_binary()


# Answers like zkCli: markers, `echo`, an event on `event <path>`, exits on `quit` or `die`.
FAKE_ZKCLI = textwrap.dedent(
    """
    import sys
    print("Welcome to ZooKeeper!", flush=True)
    for line in sys.stdin:
        word, _, rest = line.rstrip("\\n").partition(" ")
        if word == "ls":
            print("Node does not exist:", rest, file=sys.stderr, flush=True)
        elif word == "echo":
            print(rest, flush=True)
        elif word == "event":
            print("\\nWATCHER::", flush=True)
            print("\\nWatchedEvent state:SyncConnected type:NodeDeleted path:" + rest, flush=True)
        elif word in ("quit", "die"):
            break
    """
)


@pytest.fixture
def fake_cli():
    cli = CliProcess(
        [sys.executable, "-c", FAKE_ZKCLI], clients.cli_environment(), ZkCliFilter(), zkcli_marker
    )
    cli.start(timeout=10)
    yield cli
    cli.close()


def test_process_returns_each_commands_output(fake_cli) -> None:
    assert fake_cli.execute("echo one") == b"one\n"
    assert fake_cli.execute("event /gone") == b""
    assert fake_cli.execute("echo") == b"\n"
    assert fake_cli.events == [CliEvent("NodeDeleted", "SyncConnected", "/gone")]


def test_process_reports_an_exit_and_refuses_two_lines(fake_cli) -> None:
    with pytest.raises(ValueError):
        fake_cli.execute("echo a\necho b")
    with pytest.raises(CliError, match="exited"):
        fake_cli.execute("die", timeout=10)


def test_process_times_out_without_a_marker(fake_cli) -> None:
    fake_cli._marker = lambda path: (f"echo {path}", zkcli_marker(path)[1])
    with pytest.raises(CliError, match=r"did not answer within 0\.3s"):
        fake_cli.execute("echo x", timeout=0.3)
