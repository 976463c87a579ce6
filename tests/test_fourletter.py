"""Four-letter words answer in ZooKeeper 3.8.0's exact formats.

The expected texts were taken from a standalone Apache ZooKeeper 3.8.0 given the same
requests; what moves with time (ports, dates, latencies) is matched by pattern.
"""

from __future__ import annotations

import re
import socket
import struct
import time
from pathlib import Path

import pytest

from jute import records as R
from tests.server_support import RunningServer, four_letter, running_server
from tests.wire_client import WireClient
from zkcompat.app import StandaloneServer
from zkcompat.constants import OpCode
from zkcompat.fourletter import (
    _MNTR_PERCENTILE_SUMMARIES,
    _MNTR_SCALARS,
    _MNTR_SUMMARIES,
    VERSION,
    _java_address,
    _java_double,
)
from zkcompat.server import ServerSettings
from zkcompat.sessions import session_password

OPEN = [R.ACL(31, R.Id("world", "anyone"))]
DATE = r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ \d{4}"
FOUR_LETTER_LINE = r" /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)"


@pytest.fixture
def server():
    with running_server(four_letter_whitelist=("*",)) as running:
        yield running


def word(server: RunningServer, text: str) -> str:
    return four_letter(server.server.port, text)


def raw_answer(port: int, data: bytes) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def session(server: RunningServer) -> tuple[WireClient, int]:
    client = WireClient(server.server.port)
    return client, client.connect().sessionId


def test_short_answers(server) -> None:
    assert word(server, "ruok") == "imok"
    assert word(server, "isro") == "rw"
    assert word(server, "gtmk") == "306"
    assert word(server, "hash") == ""
    assert word(server, "crst") == "Connection stats reset.\n"
    assert word(server, "srst") == "Server stats reset.\n"


def test_stmk_sets_the_mask_gtmk_reads(server) -> None:
    port = server.server.port
    assert raw_answer(port, b"stmk" + struct.pack(">q", 370)) == "370"
    assert word(server, "gtmk") == "370"
    assert raw_answer(port, b"stmk") == ""  # no mask: ZooKeeper closes without an answer
    assert word(server, "gtmk") == "370"


def test_a_word_off_the_whitelist_is_refused() -> None:
    with running_server(four_letter_whitelist=("ruok",)) as limited:
        assert word(limited, "cons") == "cons is not executed because it is not in the whitelist.\n"
        assert word(limited, "srvr").startswith("Zookeeper version: ")


def test_srvr_after_srst(server) -> None:
    word(server, "srst")
    assert word(server, "srvr") == (
        f"Zookeeper version: {VERSION}\n"
        "Latency min/avg/max: 0/0.0/0\n"
        "Received: 1\n"  # srvr itself
        "Sent: 1\n"  # srst's answer
        "Connections: 1\n"
        "Outstanding: 0\n"
        "Zxid: 0x0\n"
        "Mode: standalone\n"
        "Node count: 5\n"
    )


def test_cons_tracks_the_last_request(server) -> None:
    before = int(time.time() * 1000)
    client, sid = session(server)  # zxid 1, "SESS", cxid 0
    client.request(1, OpCode.create, R.CreateRequest("/a", b"x", OPEN, 0))  # zxid 2
    client.request(2, OpCode.getData, R.GetDataRequest("/a", True))
    client.request(-2, OpCode.ping)  # a ping keeps the last real cxid
    answer = word(server, "cons")
    lines = answer.split("\n")
    assert lines[2:] == ["", ""]
    match = re.fullmatch(
        rf" /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=4,sent=4,sid=0x{sid:x},lop=PING,"
        # Latencies are milliseconds of this machine's time: their format is what is checked.
        r"est=(\d+),to=30000,lcxid=0x2,lzxid=0x2,lresp=\d+,"
        r"llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)",
        lines[0],
    )
    assert match is not None, answer
    assert before <= int(match.group(1)) <= time.time() * 1000
    assert re.fullmatch(FOUR_LETTER_LINE, lines[1]), answer

    client.request(3, OpCode.create, R.CreateRequest("/a", b"x", OPEN, 0))  # NodeExists
    assert ",lop=NA,est=" in word(server, "cons")  # an error txn, as ZooKeeper names it
    client.close()


def test_a_fresh_connection_before_any_reply(server) -> None:
    client, sid = session(server)
    assert f"sid=0x{sid:x},lop=SESS," in word(server, "cons")
    again = WireClient(server.server.port)
    again.connect(session_id=sid, passwd=session_password(sid))  # a reconnect has no SESS reply
    line = word(server, "cons").split("\n")[0]
    assert re.fullmatch(
        rf" /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=1,sent=1,sid=0x{sid:x},lop=null,est=\d+,"
        r"to=30000,lcxid=0x0,lzxid=0x0,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0\)",
        line,
    ), line
    client.close()
    again.close()


def test_crst_resets_connection_stats(server) -> None:
    client, sid = session(server)
    client.request(1, OpCode.exists, R.ExistsRequest("/", False))
    assert word(server, "crst") == "Connection stats reset.\n"
    line = word(server, "cons").split("\n")[0]
    assert re.fullmatch(
        rf" /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=0,sent=0,sid=0x{sid:x},lop=NA,est=\d+,"
        r"to=30000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0\)",
        line,
    ), line
    # The server's own counters are not connection stats: crst leaves them.
    assert "Received: 5\n" in word(server, "srvr")  # handshake, exists, cons, crst, srvr
    client.close()


def test_latencies_of_a_millisecond_or_more(server) -> None:
    client, _ = session(server)
    pipeline = server.server.server
    handle = pipeline.handle

    def slow_handle(conn, payload: bytes) -> bool:
        time.sleep(0.006)
        return handle(conn, payload)

    pipeline.handle = slow_handle  # type: ignore[method-assign]
    try:
        client.request(1, OpCode.exists, R.ExistsRequest("/", False))
        line = word(server, "cons").split("\n")[0]
        found = re.search(r",llat=(\d+),minlat=(\d+),avglat=(\d+),maxlat=(\d+)\)$", line)
        assert found is not None, line
        latency, low, average, high = map(int, found.groups())
        assert latency >= 6
        # ZooKeeper's minlat starts at 0 and stays there until a crst. The average covers the
        # session's earlier reply too, whose latency depends on the machine's load.
        assert low == 0
        assert latency // 2 <= average <= max(latency, high)
        assert high >= latency
        srvr = word(server, "srvr")
        assert re.search(rf"Latency min/avg/max: 0/[0-9.E-]+/{high}\n", srvr), srvr
        word(server, "crst")
        client.request(2, OpCode.exists, R.ExistsRequest("/", False))
        line = word(server, "cons").split("\n")[0]
        found = re.search(r",llat=(\d+),minlat=(\d+),avglat=(\d+),maxlat=(\d+)\)$", line)
        assert found is not None, line
        assert len(set(found.groups())) == 1 and int(found.group(1)) >= 6, line
    finally:
        del pipeline.handle
    client.close()


def test_stat_lists_clients_briefly(server) -> None:
    client, _ = session(server)
    answer = word(server, "stat")
    head, header, tail = answer.partition("Clients:\n")
    assert header
    assert head == f"Zookeeper version: {VERSION}\n"
    lines = tail.split("\n")
    assert re.fullmatch(r" /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=1,sent=1\)", lines[0])
    assert re.fullmatch(FOUR_LETTER_LINE, lines[1])
    assert lines[2] == ""
    assert lines[3].startswith("Latency min/avg/max: ")
    assert lines[-2:] == ["Node count: 5", ""]
    client.close()


def test_watch_reports(server) -> None:
    first, sid1 = session(server)
    second, sid2 = session(server)
    first.request(1, OpCode.create, R.CreateRequest("/a", b"", OPEN, 0))
    first.request(2, OpCode.getData, R.GetDataRequest("/a", True))
    second.request(1, OpCode.exists, R.ExistsRequest("/a", True))
    second.request(2, OpCode.exists, R.ExistsRequest("/nope", True))
    second.request(3, OpCode.getChildren, R.GetChildrenRequest("/a", True))  # child table
    assert word(server, "wchs") == "2 connections watching 2 paths\nTotal watches:3\n"
    assert word(server, "wchc") == f"0x{sid1:x}\n\t/a\n0x{sid2:x}\n\t/a\n\t/nope\n\n"
    assert word(server, "wchp") == f"/a\n\t0x{sid1:x}\n\t0x{sid2:x}\n/nope\n\t0x{sid2:x}\n\n"
    first.close()
    second.close()


def test_dump(server) -> None:
    client, sid = session(server)
    client.request(1, OpCode.create, R.CreateRequest("/e1", b"", OPEN, 1))
    client.request(2, OpCode.create, R.CreateRequest("/e2", b"", OPEN, 1))
    client.request(3, OpCode.delete, R.DeleteRequest("/e1", -1))
    answer = word(server, "dump")
    expected = (
        "SessionTracker dump:\n"
        r"Session Sets \(1\)/\(1\):\n"
        rf"1 expire at {DATE}:\n"
        rf"\t0x{sid:x}\n"
        "ephemeral nodes dump:\n"
        r"Sessions with Ephemerals \(1\):\n"
        rf"0x{sid:x}:\n"
        r"\t/e2\n"
        "Connections dump:\n"
        r"Connections Sets \([12]\)/\(2\):\n"
        rf"(\d expire at {DATE}:\n(\tip: /127\.0\.0\.1:\d+ sessionId: 0x[0-9a-f]+\n)+)+"
    )
    assert re.fullmatch(expected, answer), answer
    assert f"sessionId: 0x{sid:x}\n" in answer and "sessionId: 0x0\n" in answer
    client.request(4, OpCode.delete, R.DeleteRequest("/e2", -1))
    # An emptied session stays listed, as in ZooKeeper, until it closes.
    assert f"Sessions with Ephemerals (1):\n0x{sid:x}:\nConnections dump:\n" in word(server, "dump")
    client.close()


def test_mntr_prints_zookeepers_keys_in_order(server) -> None:
    client, _ = session(server)
    client.request(1, OpCode.create, R.CreateRequest("/e", b"abc", OPEN, 1))
    word(server, "srst")
    answer = word(server, "mntr")
    rows = [line.split("\t") for line in answer.splitlines()]
    assert all(len(row) == 2 for row in rows)
    keys = [key for key, _ in rows]
    expected = ["zk_version", "zk_server_state", *(f"zk_{key}" for key in _MNTR_SCALARS)]
    for name in _MNTR_SUMMARIES:
        expected += [f"zk_{kind}_{name}" for kind in ("avg", "min", "max", "cnt", "sum")]
    for name in _MNTR_PERCENTILE_SUMMARIES:
        expected += [f"zk_{kind}_{name}" for kind in ("avg", "min", "max", "cnt", "sum")]
        expected += [f"zk_{kind}_{name}" for kind in ("p50", "p95", "p99", "p999")]
    # The create under /e makes namespace "e" appear, with its own summary rows at the end.
    expected += [f"zk_{kind}_e_write_per_namespace" for kind in ("avg", "min", "max", "cnt", "sum")]
    assert keys == expected
    assert len(keys) == 490  # as many as ZooKeeper 3.8.0 prints after one create, under /e
    values = dict(rows)
    assert values["zk_cnt_e_write_per_namespace"] == "1"
    assert values["zk_sum_e_write_per_namespace"] == str(len("/e") + len(b"abc"))
    assert values["zk_avg_e_write_per_namespace"] == "5.0"
    assert values["zk_version"] == VERSION
    assert values["zk_server_state"] == "standalone"
    assert values["zk_ephemerals_count"] == "1"
    assert values["zk_num_alive_connections"] == "2"
    assert values["zk_znode_count"] == "6"
    assert values["zk_global_sessions"] == "1"
    assert values["zk_approximate_data_size"] == str(44 + len("/e") + 3)
    assert values["zk_packets_received"] == "1"  # mntr itself, since srst
    assert values["zk_packets_sent"] == "1"  # srst's answer
    assert values["zk_bytes_received_count"] == "4"
    assert values["zk_connection_request_count"] == "0"
    assert values["zk_avg_latency"] == "0.0"
    assert values["zk_connection_drop_probability"] == "0.0"
    assert int(values["zk_max_file_descriptor_count"]) > 0
    assert int(values["zk_open_file_descriptor_count"]) > 0
    assert values["zk_avg_fsynctime"] == "0.0" and values["zk_p999_readlatency"] == "0"
    client.close()


def test_a_long_answer_counts_a_packet_per_8192_characters(server) -> None:
    word(server, "srst")
    mntr = word(server, "mntr")
    assert len(mntr) > 8192
    sent = 1 + -(-len(mntr) // 8192)  # srst's answer, then mntr's
    assert f"Sent: {sent}\n" in word(server, "srvr")


def test_envi_lists_zookeepers_keys() -> None:
    with running_server(four_letter_whitelist=("envi",)) as running:
        lines = word(running, "envi").splitlines()
    assert lines[0] == "Environment:"
    assert [line.partition("=")[0] for line in lines[1:]] == [
        "zookeeper.version", "host.name", "java.version", "java.vendor", "java.home",
        "java.class.path", "java.library.path", "java.io.tmpdir", "java.compiler", "os.name",
        "os.arch", "os.version", "user.name", "user.home", "user.dir", "os.memory.free",
        "os.memory.max", "os.memory.total",
    ]  # fmt: skip
    assert lines[1] == f"zookeeper.version={VERSION}"
    assert all(re.fullmatch(r"os\.memory\.\w+=\d+MB", line) for line in lines[-3:])


def test_conf_and_dirs_measure_the_data_directories(tmp_path: Path) -> None:
    snaps, logs = tmp_path / "data" / "version-2", tmp_path / "logs" / "version-2"
    snaps.mkdir(parents=True)
    logs.mkdir(parents=True)
    (snaps / "snapshot.0").write_bytes(b"s" * 100)
    (logs / "log.1").write_bytes(b"l" * 1000)
    (logs / "log.2").write_bytes(b"l" * 24)
    config_lines = (
        "clientPort=0",
        "secureClientPort=-1",
        f"dataDir={snaps}",
        f"dataLogDir={logs}",
        "tickTime=2000",
    )
    server = StandaloneServer(
        ServerSettings(),
        port=0,
        four_letter_whitelist=("*",),
        config_lines=config_lines,
        data_dir=str(tmp_path / "data"),
        data_log_dir=str(tmp_path / "logs"),
    )
    running = RunningServer(server)
    running.start()
    try:
        # ZooKeeper 3.8.0 labels them crosswise: "datadir" is the txn log directory.
        assert word(running, "dirs") == "datadir_size: 1024\nlogdir_size: 100\n"
        assert word(running, "conf") == (
            "clientPort=0\n"
            "secureClientPort=-1\n"
            f"dataDir={snaps}\n"
            "dataDirSize=1024\n"
            f"dataLogDir={logs}\n"
            "dataLogSize=100\n"
            "tickTime=2000\n"
        )
    finally:
        running.stop()


def test_conf_of_a_server_started_without_a_zoo_cfg(server) -> None:
    assert word(server, "conf") == (
        f"clientPort={server.server.port}\n"
        "secureClientPort=-1\n"
        "dataDir=\n"
        "dataDirSize=0\n"
        "dataLogDir=\n"
        "dataLogSize=0\n"
        "tickTime=2000\n"
        "maxClientCnxns=60\n"
        "minSessionTimeout=4000\n"
        "maxSessionTimeout=40000\n"
        "clientPortListenBacklog=-1\n"
        "serverId=0\n"
    )


def test_dirs_without_data_directories(server) -> None:
    assert word(server, "dirs") == "datadir_size: 0\nlogdir_size: 0\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0.0"),
        (0.731, "0.731"),
        (2.5, "2.5"),
        (12.0, "12.0"),
        (0.0001, "1.0E-4"),
        (0.0005, "5.0E-4"),
        (12345678.0, "1.2345678E7"),
    ],
)
def test_doubles_print_as_java_prints_them(value: float, text: str) -> None:
    assert _java_double(value) == text


@pytest.mark.parametrize(
    ("remote", "text"),
    [
        (("127.0.0.1", 5), "/127.0.0.1:5"),
        (("::1", 5), "/0:0:0:0:0:0:0:1:5"),
        (("::ffff:10.0.0.1", 5), "/10.0.0.1:5"),
        (("fe80::1%eth0", 5), "/fe80:0:0:0:0:0:0:1%eth0:5"),
    ],
)
def test_addresses_print_as_java_prints_them(remote: tuple[str, int], text: str) -> None:
    assert _java_address(remote) == text
