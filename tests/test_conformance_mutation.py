"""Does the conformance suite notice a wrong server? Mutation checks through a lying proxy.

A conformance suite that passes against a correct server proves little unless it also fails
against a wrong one. Here a `MutatingProxy` sits between the suite and a correct zkcompat and
injects one precise fault at a time: an error code swapped, a watch event lost, the children of
a node listed in another order, a Stat field off by one. For each fault a handful of relevant
scenarios run through the proxy, and the suite must report a FAILED scenario (an expectation
that did not hold, not an error or a timeout) whose message names what was checked and shows
the expected and actual values that give the fault away.

First, the same scenarios run through a proxy that changes nothing and must all pass: otherwise
a "caught" fault could be the proxy's own doing.

Events are checked only by scenarios that use `settle()` (a sync round trip), so a lost event
shows up at once instead of after the suite's 10-second wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from conformance import groups
from conformance.results import Outcome, SuiteRun
from conformance.runner import Endpoint, GoldenReference, run_suite
from jute import FrameReader, frame
from jute import records as R
from tests.mutating_proxy import (
    BumpStat,
    DropEvent,
    FlipError,
    Mutation,
    ProxyConnection,
    ReorderChildren,
    mutating_proxy,
)
from tests.server_support import RunningServer, running_server
from zkcompat.constants import NOTIFICATION_XID, PING_XID, Err, EventType, OpCode

SCENARIOS = {found.id: found for found in groups.load_all()}
SCENARIO_TIMEOUT = 20.0  # each chosen scenario takes well under a second when it works


@dataclass(frozen=True)
class Fault:
    """One fault to inject, the scenarios run against it, and the failure that must show it.

    `message` is the exact message the `catcher` scenario must fail with; `{base}` stands for
    that scenario's base znode. None means any FAILED scenario will do.
    """

    name: str
    mutation: Callable[..., Mutation]
    args: tuple[object, ...]
    scenarios: tuple[str, ...]
    catcher: str | None = None
    message: str | None = None

    def make(self) -> Mutation:
        return self.mutation(*self.args)


FAULTS = [
    Fault(
        "getData NoNode becomes NodeExists",
        FlipError,
        (Err.NoNode, Err.NodeExists, OpCode.getData),
        (
            "errors.get_missing_node",
            "errors.set_missing_node",
            "errors.delete_missing_node",
            "watches.failed_get_sets_no_watch",
        ),
        "errors.get_missing_node",
        "get of a missing node: expected NoNodeError, got NodeExistsError",
    ),
    Fault(
        "create NodeExists becomes NoNode",
        FlipError,
        (Err.NodeExists, Err.NoNode, OpCode.create),
        (
            "errors.create_existing_node",
            "errors.create_existing_ephemeral",
            "system.create_zookeeper_again",
        ),
        "errors.create_existing_node",
        "second create of the same path: expected NodeExistsError, got NoNodeError",
    ),
    Fault(
        "the first NodeDataChanged event is lost",
        DropEvent,
        (EventType.NodeDataChanged, 1),
        (
            "watches.watch_fires_once",
            "watches.repeated_watches_one_event",
            "watches.event_precedes_own_write_reply",
        ),
        "watches.watch_fires_once",
        "events after three changes: expected [('CHANGED', '{base}/node')], got []",
    ),
    Fault(
        "every NodeChildrenChanged event is lost",
        DropEvent,
        (EventType.NodeChildrenChanged,),
        ("watches.child_watch_fires_once", "multi.multi_fires_watches_once"),
        "watches.child_watch_fires_once",
        "events after three creates: expected [('CHILD', '{base}/p')], got []",
    ),
    Fault(
        "every NodeCreated event is lost",
        DropEvent,
        (EventType.NodeCreated,),
        ("watches.exists_watch_on_missing_fires_once",),
        "watches.exists_watch_on_missing_fires_once",
        "events: expected [('CREATED', '{base}/node')], got []",
    ),
    Fault(
        "stat.cversion off by one",
        BumpStat,
        ("cversion",),
        ("stat.new_node", "stat.child_create_moves_parent_cversion_and_pzxid"),
        "stat.new_node",
        "(version, cversion, aversion): expected (0, 0, 0), got (0, 1, 0)",
    ),
    Fault(
        "stat.numChildren off by one",
        BumpStat,
        ("numChildren",),
        ("crud.children2_returns_the_parent_stat", "system.root_node"),
        "crud.children2_returns_the_parent_stat",
        "parent stat.numChildren: expected 2, got 3",
    ),
]

REORDER = Fault(
    "children listed in reverse order",
    ReorderChildren,
    (),
    ("crud.children_come_in_hash_set_order", "crud.sequential_children_come_in_hash_set_order"),
    "crud.children_come_in_hash_set_order",
    "children of eight creates: expected ['zz', 'a', 'Q', 'ab', 'b', 'c', 'm1', '10'], "
    "got ['10', 'm1', 'c', 'b', 'ab', 'Q', 'a', 'zz']",
)
FAULTS.append(REORDER)

# Scenarios that sort children before asserting: only the trace comparison sees the order.
SORTING = ("crud.children_are_names_not_paths", "crud.unicode_names_round_trip")


class SuiteMissedFault(AssertionError):
    """The fault was injected, yet no scenario failed."""


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    # The suite expects an endpoint with its defaults plus every four-letter word enabled.
    with running_server(four_letter_whitelist=("*",)) as running:
        yield running


@contextmanager
def endpoint_through_proxy(upstream: str, mutation: Mutation) -> Iterator[Endpoint]:
    """An opened suite endpoint whose every connection (admin included) goes through a proxy."""
    with mutating_proxy(upstream, mutation) as proxy:
        endpoint = Endpoint(proxy.hosts)
        endpoint.open()
        try:
            yield endpoint
        finally:
            endpoint.close()


def run_through(
    upstream: str,
    mutation: Mutation,
    ids: tuple[str, ...],
    reference: GoldenReference | None = None,
) -> tuple[SuiteRun, str]:
    """Run the scenarios `ids` through a proxy applying `mutation`; the run and its root."""
    with endpoint_through_proxy(upstream, mutation) as endpoint:
        scenarios = [SCENARIOS[i] for i in ids]
        run = run_suite(scenarios, endpoint, timeout=SCENARIO_TIMEOUT, reference=reference)
        return run, endpoint.root


def outcomes(run: SuiteRun) -> str:
    return "\n".join(f"  {r.outcome.value:5} {r.id}: {r.message}" for r in run.results)


def assert_caught(fault: Fault, mutation: Mutation, run: SuiteRun, root: str) -> None:
    """The fault happened, some scenario FAILED because of it, and the catcher said so clearly."""
    assert mutation.applied > 0, f"{mutation!r} never fired; the check proves nothing"
    failed = {r.id: r for r in run.results if r.outcome is Outcome.FAILED}
    if not failed:
        raise SuiteMissedFault(f"no scenario failed with {mutation!r}:\n{outcomes(run)}")
    if fault.catcher is None:
        return
    assert fault.catcher in failed, f"{fault.catcher} did not fail:\n{outcomes(run)}"
    assert fault.message is not None
    expected = fault.message.format(base=f"{root}/{fault.catcher}")
    assert failed[fault.catcher].message == expected


# ---------------------------------------------------------------------------------------------
# Through the proxy, against a real zkcompat


def test_identity_proxy_is_faithful(server: RunningServer) -> None:
    """Every scenario used below passes through a proxy that changes nothing."""
    ids = tuple(dict.fromkeys(i for fault in FAULTS for i in [*fault.scenarios, *SORTING]))
    identity = Mutation()
    run, _ = run_through(server.hosts, identity, ids)
    assert run.ok, f"scenarios fail through the identity proxy:\n{outcomes(run)}"
    assert identity.seen > len(ids), "replies did not go through the proxy"
    assert identity.applied == 0
    assert run.server, "the srvr four-letter word did not get through the proxy"


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_suite_fails_clearly_on_fault(server: RunningServer, fault: Fault) -> None:
    mutation = fault.make()
    run, root = run_through(server.hosts, mutation, fault.scenarios)
    assert_caught(fault, mutation, run, root)


def test_differential_mode_catches_what_assertions_do_not(server: RunningServer) -> None:
    """Scenarios that sort children pass a reordering proxy on their assertions, and fail on
    the comparison with Apache ZooKeeper's golden traces."""
    mutation = REORDER.make()
    plain, _ = run_through(server.hosts, mutation, SORTING)
    assert plain.ok, f"expected these to pass on assertions alone:\n{outcomes(plain)}"
    traced, _ = run_through(server.hosts, REORDER.make(), SORTING, GoldenReference())
    failed = {r.id: r for r in traced.results if r.outcome is Outcome.FAILED}
    assert set(failed) == set(SORTING), outcomes(traced)
    result = failed["crud.children_are_names_not_paths"]
    assert result.message == (
        "1 difference(s) from ZooKeeper's trace, first at "
        "trace.clients[0].calls[3] (GetChildren <base>).reply"
    )
    assert (result.expected, result.actual) == ("['a', 'b', 'c']", "['c', 'b', 'a']")


# ---------------------------------------------------------------------------------------------
# The proxy's frame handling on its own, without sockets

STAT = R.Stat(10, 11, 1_700_000_000_000, 1_700_000_000_001, 0, 3, 0, 0, 2, 3, 12)


def connected(mutation: Mutation) -> ProxyConnection:
    """A connection past its handshake: connect request and response relayed unchanged."""
    conn = ProxyConnection(mutation)
    request = frame(R.ConnectRequest(0, 0, 10000, 0, b"\0" * 16, False).encode())
    response = frame(R.ConnectResponse(0, 10000, 0x1234, b"\1" * 16, False).encode())
    assert conn.from_client(request) == request
    assert conn.from_server(response) == response
    assert conn.connect_response.sessionId == 0x1234
    return conn


def ask(conn: ProxyConnection, xid: int, opcode: int) -> None:
    conn.from_client(frame(R.RequestHeader(xid, opcode).encode()))


def reply(xid: int, err: int = 0, body: object | None = None) -> bytes:
    encoded = body.encode() if body is not None else b""  # type: ignore[attr-defined]
    return frame(R.ReplyHeader(xid, 99, err).encode() + encoded)


def notification(event_type: int, path: str) -> bytes:
    return reply(NOTIFICATION_XID, body=R.WatcherEvent(event_type, 3, path))


def decoded(data: bytes, record: type) -> list[tuple[object, object]]:
    """(ReplyHeader, body) for each frame in `data`."""
    frames = FrameReader().feed(data)
    return [(R.ReplyHeader.decode(p, 0)[0], record.decode(p, 16)[0]) for p in frames]


def test_identity_relays_every_byte_in_any_chunking() -> None:
    conn = connected(Mutation())
    requests = frame(R.RequestHeader(1, OpCode.getData).encode() + b"\0\0\0\x02/a\0")
    requests += frame(R.RequestHeader(PING_XID, OpCode.ping).encode())
    replies = reply(1, body=R.GetDataResponse(b"x", STAT)) + reply(PING_XID)
    replies += notification(EventType.NodeDataChanged, "/a")
    relayed_requests = b"".join(conn.from_client(requests[i : i + 1]) for i in range(len(requests)))
    relayed_replies = b"".join(
        conn.from_server(replies[i : i + 3]) for i in range(0, len(replies), 3)
    )
    assert (relayed_requests, relayed_replies) == (requests, replies)


def test_flip_error_touches_only_the_chosen_opcode() -> None:
    mutation = FlipError(Err.NoNode, Err.NodeExists, OpCode.getData)
    conn = connected(mutation)
    ask(conn, 1, OpCode.getData)
    ask(conn, 2, OpCode.exists)
    flipped = conn.from_server(reply(1, Err.NoNode))
    untouched = conn.from_server(reply(2, Err.NoNode))
    assert flipped == reply(1, Err.NodeExists)
    assert untouched == reply(2, Err.NoNode)
    assert (mutation.seen, mutation.applied) == (2, 1)


def test_drop_event_drops_only_the_first_of_its_type() -> None:
    conn = connected(DropEvent(EventType.NodeDataChanged, limit=1))
    first = notification(EventType.NodeDataChanged, "/a")
    other = notification(EventType.NodeDeleted, "/a")
    second = notification(EventType.NodeDataChanged, "/b")
    assert conn.from_server(first + other + second) == other + second


def test_reorder_children_reencodes_a_valid_frame() -> None:
    conn = connected(ReorderChildren())
    ask(conn, 7, OpCode.getChildren2)
    ask(conn, 8, OpCode.getChildren)
    out = conn.from_server(reply(7, body=R.GetChildren2Response(["a", "b", "c"], STAT)))
    [(header, body)] = decoded(out, R.GetChildren2Response)
    assert (header.xid, body.children, body.stat) == (7, ["c", "b", "a"], STAT)
    single = reply(8, body=R.GetChildrenResponse(["only"]))
    assert conn.from_server(single) == single


def test_bump_stat_changes_one_field_of_successful_replies() -> None:
    conn = connected(BumpStat("cversion"))
    ask(conn, 3, OpCode.exists)
    ask(conn, 4, OpCode.exists)
    [(_, body)] = decoded(conn.from_server(reply(3, body=R.ExistsResponse(STAT))), R.ExistsResponse)
    assert body.stat == STAT._replace(cversion=4)
    assert conn.from_server(reply(4, Err.NoNode)) == reply(4, Err.NoNode)


def test_bump_stat_rejects_a_field_stat_does_not_have() -> None:
    with pytest.raises(ValueError, match="no field 'children'"):
        BumpStat("children")


def test_four_letter_words_pass_unframed() -> None:
    conn = ProxyConnection(BumpStat("cversion"))
    assert conn.from_client(b"sr") == b""  # not yet known whether this is a frame length
    assert conn.from_client(b"vr") == b"srvr"
    assert conn.four_letter
    answer = b"Zookeeper version: 3.8.0\n"
    assert conn.from_server(answer) == answer


def test_reply_to_an_unseen_xid_has_no_opcode() -> None:
    """A reply the proxy cannot match to a request is only touched by an any-opcode mutation."""
    stray = reply(42, Err.NoNode)
    on_get_data = connected(FlipError(Err.NoNode, Err.NodeExists, OpCode.getData))
    assert on_get_data.from_server(stray) == stray
    flipped = connected(FlipError(Err.NoNode, Err.NodeExists)).from_server(stray)
    assert flipped == reply(42, Err.NodeExists)
