"""The standalone server, driven over real TCP by the stock kazoo client."""

from __future__ import annotations

import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    NoAuthError,
    NoChildrenForEphemeralsError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
)
from kazoo.security import make_digest_acl

from jute import records as R
from tests.server_support import running_server
from tests.wire_client import WireClient
from zkcompat.constants import Err, OpCode
from zkcompat.server import ServerSettings

OPEN = [R.ACL(31, R.Id("world", "anyone"))]


@pytest.fixture(scope="module")
def server():
    with running_server() as running:
        yield running


@pytest.fixture
def zk(server):
    client = KazooClient(hosts=server.hosts, timeout=10)
    client.start(timeout=10)
    yield client
    client.stop()
    client.close()


def test_create_get_set_delete_with_exact_stats(zk) -> None:
    path = zk.create("/crud", b"one")
    assert path == "/crud"
    data, stat = zk.get("/crud")
    assert data == b"one"
    assert (stat.version, stat.cversion, stat.aversion, stat.dataLength) == (0, 0, 0, 3)
    assert stat.czxid == stat.mzxid == stat.pzxid
    assert stat.ephemeralOwner == 0 and stat.numChildren == 0
    new = zk.set("/crud", b"three")
    assert (new.version, new.dataLength) == (1, 5)
    assert new.mzxid > new.czxid and new.czxid == stat.czxid
    zk.delete("/crud")
    assert zk.exists("/crud") is None


def test_children_cversion_and_pzxid(zk) -> None:
    zk.create("/kids")
    zk.create("/kids/a")
    zk.create("/kids/b")
    zk.delete("/kids/a")
    children, stat = zk.get_children("/kids", include_data=True)
    assert children == ["b"]
    # Apache ZooKeeper counts both creations and the deletion: cversion 3.
    assert (stat.cversion, stat.numChildren) == (3, 1)
    assert stat.pzxid > zk.exists("/kids/b").czxid


def test_sequential_names_are_ten_digits_of_the_parent_cversion(zk) -> None:
    zk.create("/seq")
    first = zk.create("/seq/n-", sequence=True)
    second = zk.create("/seq/n-", sequence=True)
    assert (first, second) == ("/seq/n-0000000000", "/seq/n-0000000001")


def test_ephemerals_belong_to_their_session(server, zk) -> None:
    other = KazooClient(hosts=server.hosts, timeout=10)
    other.start(timeout=10)
    other.create("/eph", b"x", ephemeral=True)
    owner = zk.exists("/eph").ephemeralOwner
    assert owner == other.client_id[0]
    with pytest.raises(NoChildrenForEphemeralsError):
        other.create("/eph/child")
    other.stop()
    other.close()
    assert zk.exists("/eph") is None


def test_errors_match_zookeeper(zk) -> None:
    with pytest.raises(NoNodeError):
        zk.get("/missing")
    zk.create("/err")
    with pytest.raises(NodeExistsError):
        zk.create("/err")
    with pytest.raises(BadVersionError):
        zk.set("/err", b"x", version=7)
    zk.create("/err/c")
    with pytest.raises(NotEmptyError):
        zk.delete("/err")
    with pytest.raises(NoNodeError):
        zk.create("/no/parent")


def test_data_and_child_watches_fire_once(zk) -> None:
    zk.create("/w", b"0")
    events = []
    fired = threading.Event()

    def record(event):
        events.append((event.type, event.path))
        fired.set()

    zk.get("/w", watch=record)
    zk.set("/w", b"1")
    assert fired.wait(10)
    fired.clear()
    zk.set("/w", b"2")  # the watch was one-time: no second event
    zk.get_children("/w", watch=record)
    zk.create("/w/c")
    assert fired.wait(10)
    assert events == [("CHANGED", "/w"), ("CHILD", "/w")]


def test_exists_watch_on_a_missing_node_sees_it_created(zk) -> None:
    seen = threading.Event()
    assert zk.exists("/later", watch=lambda e: seen.set() if e.type == "CREATED" else None) is None
    zk.create("/later")
    assert seen.wait(10)


def test_multi_is_atomic(zk) -> None:
    tx = zk.transaction()
    tx.create("/tx")
    tx.create("/tx/a", b"a")
    tx.set_data("/tx", b"top")
    assert tx.commit()[0] == "/tx"
    assert zk.get("/tx")[0] == b"top"
    failing = zk.transaction()
    failing.create("/tx/b")
    failing.delete("/tx/missing")
    results = failing.commit()
    assert isinstance(results[0], RolledBackError)
    assert isinstance(results[1], NoNodeError)
    assert zk.exists("/tx/b") is None


def test_digest_acl_keeps_out_other_sessions(server, zk) -> None:
    zk.add_auth("digest", "alice:secret")
    zk.create("/private", b"s", acl=[make_digest_acl("alice", "secret", all=True)])
    assert zk.get("/private")[0] == b"s"
    other = KazooClient(hosts=server.hosts, timeout=10)
    other.start(timeout=10)
    try:
        with pytest.raises(NoAuthError):
            other.get("/private")
        other.add_auth("digest", "alice:secret")
        assert other.get("/private")[0] == b"s"
    finally:
        other.stop()
        other.close()


def test_system_nodes_exist(zk) -> None:
    assert sorted(zk.get_children("/zookeeper")) == ["config", "quota"]
    assert zk.exists("/zookeeper/config").aversion == -1


def test_containers_and_ttl_nodes_are_reaped() -> None:
    settings = ServerSettings(extended_types=True, container_check_interval_ms=100)
    with running_server(settings) as server:
        zk = KazooClient(hosts=server.hosts, timeout=10)
        zk.start(timeout=10)
        wire = WireClient(server.server.port)  # kazoo 2.11 has no containers or TTL nodes
        wire.connect()
        for xid, path in enumerate(["/box", "/unused"]):  # /unused never has a child: kept
            header, _ = wire.request(
                xid, OpCode.createContainer, R.CreateRequest(path, b"", OPEN, 4)
            )
            assert header.err == Err.Ok
        header, _ = wire.request(9, OpCode.createTTL, R.CreateTTLRequest("/ttl", b"", OPEN, 5, 200))
        assert header.err == Err.Ok
        zk.create("/box/item")
        zk.delete("/box/item")
        deadline = time.monotonic() + 10
        while (zk.exists("/box") or zk.exists("/ttl")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert zk.exists("/box") is None
        assert zk.exists("/ttl") is None
        assert zk.exists("/unused") is not None
        wire.close()
        zk.stop()
        zk.close()


def test_ttl_nodes_need_extended_types(server) -> None:
    wire = WireClient(server.server.port)
    wire.connect()
    header, _ = wire.request(1, OpCode.createTTL, R.CreateTTLRequest("/ttl", b"", OPEN, 5, 1000))
    assert header.err == Err.Unimplemented
    wire.close()
