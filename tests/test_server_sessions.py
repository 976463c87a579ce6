"""Sessions over the raw wire: timeout negotiation, expiry, reconnect, passwords."""

from __future__ import annotations

import time

from kazoo.client import KazooClient

from jute import records as R
from tests.server_support import running_server
from tests.wire_client import WireClient
from zkcompat.constants import Err, OpCode
from zkcompat.server import ServerSettings
from zkcompat.sessions import session_password

FAST = ServerSettings(tick_time=100, min_session_timeout=200, max_session_timeout=2000)


def test_timeout_is_negotiated_into_the_configured_range() -> None:
    with running_server(FAST) as server:
        for asked, granted in [(10, 200), (1000, 1000), (60000, 2000)]:
            client = WireClient(server.server.port)
            assert client.connect(timeout=asked).timeOut == granted
            client.close()


def test_password_is_zookeepers_and_a_reconnect_keeps_the_session() -> None:
    with running_server(FAST) as server:
        first = WireClient(server.server.port)
        response = first.connect(timeout=2000)
        assert response.passwd == session_password(response.sessionId)
        header, _ = first.request(1, OpCode.create, R.CreateRequest("/mine", b"", None, 1))
        assert header.err == Err.InvalidACL  # a null ACL list is invalid, as in ZooKeeper
        acl = [R.ACL(31, R.Id("world", "anyone"))]
        header, _ = first.request(2, OpCode.create, R.CreateRequest("/mine", b"", acl, 1))
        assert header.err == Err.Ok
        first.close()
        again = WireClient(server.server.port)
        resumed = again.connect(timeout=2000, session_id=response.sessionId, passwd=response.passwd)
        assert (resumed.sessionId, resumed.timeOut) == (response.sessionId, 2000)
        header, body = again.request(3, OpCode.exists, R.ExistsRequest("/mine", False))
        assert R.ExistsResponse.decode(body)[0].stat.ephemeralOwner == response.sessionId
        again.close()


def test_a_wrong_password_is_refused_and_the_connection_closed() -> None:
    with running_server(FAST) as server:
        first = WireClient(server.server.port)
        response = first.connect(timeout=2000)
        thief = WireClient(server.server.port)
        refused = thief.connect(session_id=response.sessionId, passwd=b"\1" * 16)
        assert (refused.sessionId, refused.timeOut, refused.passwd) == (0, 0, b"\0" * 16)
        assert thief.closed_by_server()
        first.close()
        thief.close()


def test_a_silent_session_expires_and_its_ephemerals_go() -> None:
    with running_server(FAST) as server:
        watcher = KazooClient(hosts=server.hosts, timeout=10)
        watcher.start(timeout=10)
        quiet = WireClient(server.server.port)
        response = quiet.connect(timeout=200)
        acl = [R.ACL(31, R.Id("world", "anyone"))]
        header, _ = quiet.request(1, OpCode.create, R.CreateRequest("/quiet", b"", acl, 1))
        assert header.err == Err.Ok
        assert watcher.exists("/quiet") is not None
        deadline = time.monotonic() + 10
        while watcher.exists("/quiet") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watcher.exists("/quiet") is None
        assert quiet.closed_by_server()
        expired = WireClient(server.server.port)
        refused = expired.connect(session_id=response.sessionId, passwd=response.passwd)
        assert refused.sessionId == 0
        watcher.stop()
        watcher.close()
        quiet.close()
        expired.close()
