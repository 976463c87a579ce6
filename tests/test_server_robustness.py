"""Hostile and broken clients lose their own connection and nothing else."""

from __future__ import annotations

import socket

import pytest
from kazoo.client import KazooClient

from jute import frame
from jute import records as R
from tests.server_support import four_letter, running_server
from tests.wire_client import WireClient
from zkcompat.constants import Err, OpCode


@pytest.fixture(scope="module")
def server():
    with running_server(four_letter_whitelist=("ruok", "srvr", "mntr")) as running:
        yield running


@pytest.fixture(scope="module")
def bystander(server):
    """A healthy session that must keep working through every test here."""
    client = KazooClient(hosts=server.hosts, timeout=10)
    client.start(timeout=10)
    client.create("/bystander", b"safe")
    yield client
    client.stop()
    client.close()


def still_healthy(bystander) -> None:
    assert bystander.get("/bystander")[0] == b"safe"


@pytest.mark.parametrize(
    "junk",
    [
        b"\x00\x00\x00\x05garbage-that-is-not-a-handshake",
        (10_000_000).to_bytes(4, "big") + b"x" * 100,  # a 10 MB length prefix
        b"\xff\xff\xff\xfe",  # a negative length
        b"\x00\x00\x00\x02\x01",  # a truncated handshake, then the client hangs up
    ],
)
def test_junk_before_the_handshake_closes_only_that_connection(server, bystander, junk) -> None:
    client = WireClient(server.server.port)
    client.send_raw(junk)
    if junk.startswith(b"\x00\x00\x00\x02"):
        client.sock.shutdown(socket.SHUT_WR)
    assert client.closed_by_server()
    client.close()
    still_healthy(bystander)


def test_an_oversized_frame_after_the_handshake_closes_the_connection(server, bystander) -> None:
    client = WireClient(server.server.port)
    client.connect()
    client.send_raw((0xFFFFF + 1).to_bytes(4, "big"))
    assert client.closed_by_server()
    client.close()
    still_healthy(bystander)


def test_an_unknown_opcode_answers_unimplemented_and_closes(server, bystander) -> None:
    client = WireClient(server.server.port)
    client.connect()
    client.send_raw(frame(R.RequestHeader(7, 999).encode()))
    header = R.ReplyHeader.decode(client.read_frame())[0]
    assert (header.xid, header.err) == (7, Err.Unimplemented)
    assert client.closed_by_server()
    client.close()
    still_healthy(bystander)


def test_a_malformed_body_answers_marshalling_error_and_keeps_the_session(
    server, bystander
) -> None:
    client = WireClient(server.server.port)
    client.connect()
    client.send_raw(frame(R.RequestHeader(3, OpCode.getData).encode() + b"\x00\x00\x01"))
    header = R.ReplyHeader.decode(client.read_frame())[0]
    assert (header.xid, header.err) == (3, Err.MarshallingError)
    header, _ = client.request(4, OpCode.exists, R.ExistsRequest("/bystander", False))
    assert header.err == Err.Ok
    client.close()
    still_healthy(bystander)


def test_many_connections_opened_and_dropped(server, bystander) -> None:
    for _ in range(200):
        sock = socket.create_connection(("127.0.0.1", server.server.port))
        sock.close()
    assert server.call(_connection_count(server)) <= 2
    still_healthy(bystander)


async def _connection_count(server) -> int:
    return len(server.server.client_port.connections)


def test_four_letter_words(server) -> None:
    assert four_letter(server.server.port, "ruok") == "imok"
    srvr = four_letter(server.server.port, "srvr")
    assert srvr.startswith("Zookeeper version: 3.8.0-zkcompat")
    assert "Mode: standalone\n" in srvr
    assert "zk_znode_count\t" in four_letter(server.server.port, "mntr")
    refused = four_letter(server.server.port, "envi")
    assert refused == "envi is not executed because it is not in the whitelist.\n"


def test_max_client_connections_per_ip() -> None:
    with running_server(max_client_cnxns=2) as limited:
        first, second = WireClient(limited.server.port), WireClient(limited.server.port)
        first.connect()
        second.connect()
        third = WireClient(limited.server.port)
        assert third.closed_by_server()
        for client in (first, second, third):
            client.close()


@pytest.mark.parametrize("path", ["/bystander/.", "/bystander/", "/bystander/a\u0001b"])
def test_paths_kazoo_refuses_reach_the_servers_validator(server, path) -> None:
    # kazoo rejects these client-side; other clients send them, and ZooKeeper answers
    # BadArguments once the parent is found.
    client = WireClient(server.server.port)
    client.connect()
    acl = [R.ACL(31, R.Id("world", "anyone"))]
    header, _ = client.request(1, OpCode.create, R.CreateRequest(path, b"", acl, 0))
    assert header.err == Err.BadArguments
    client.close()


def test_a_client_that_never_reads_cannot_exhaust_the_server(server, bystander) -> None:
    bystander.create("/big", b"x" * 100_000)
    hog = WireClient(server.server.port)
    hog.connect()
    hog.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = frame(
        R.RequestHeader(1, OpCode.getData).encode() + R.GetDataRequest("/big", False).encode()
    )
    hog.sock.setblocking(False)
    sent = 0
    for _ in range(5000):  # 500 MB of replies if the server answered them all
        try:
            sent += hog.sock.send(request)
        except BlockingIOError:
            break  # the server stopped reading us: backpressure reached the client
    still_healthy(bystander)
    buffered = server.call(_buffered_bytes(server))
    assert buffered < 50_000_000, f"the server buffered {buffered} bytes for one client"
    hog.close()
    bystander.delete("/big")


async def _buffered_bytes(server) -> int:
    return sum(
        conn.transport.get_write_buffer_size()
        for conn in server.server.client_port.connections
        if conn.transport is not None and not conn.closed
    )
