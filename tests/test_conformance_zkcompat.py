"""The conformance suite, proven against Apache ZooKeeper 3.8 (`make conformance`), must
pass completely against zkcompat too, and differentially: each scenario's trace (every reply,
error, stat and watch event its clients saw) must match the golden trace recorded from
Apache ZooKeeper (`make golden`). Each scenario is one test, so a failure names it and shows
ZooKeeper's value next to ours. EXTENDED scenarios get a server started as ZooKeeper is for
them (extended types on, containers and TTL nodes reaped every 100 ms); ensemble scenarios
wait for the quorum."""

from __future__ import annotations

import pytest

from conformance import groups
from conformance.runner import Endpoint, GoldenReference, run_one
from conformance.scenario import ENDPOINT, EXTENDED, EXTENDED_PROPERTIES
from tests.server_support import running_server
from zkcompat.server import ServerSettings

SCENARIOS = [found for found in groups.load_all() if found.needs in (ENDPOINT, EXTENDED)]
GOLDEN = GoldenReference()
EXTENDED_SETTINGS = ServerSettings(
    extended_types=EXTENDED_PROPERTIES["zookeeper.extendedTypesEnabled"] == "true",
    container_check_interval_ms=int(EXTENDED_PROPERTIES["znode.container.checkIntervalMs"]),
)


@pytest.fixture(scope="module")
def endpoints():
    # The suite expects endpoints with their defaults plus every four-letter word enabled.
    opened: dict[str, Endpoint] = {}
    with (
        running_server(four_letter_whitelist=("*",)) as plain,
        running_server(EXTENDED_SETTINGS, four_letter_whitelist=("*",)) as extended,
    ):
        for needs, server in ((ENDPOINT, plain), (EXTENDED, extended)):
            opened[needs] = Endpoint(server.hosts)
            opened[needs].open()
        yield opened
        for host in opened.values():
            host.close()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_passes_against_zkcompat(endpoints, scenario) -> None:
    result = run_one(scenario, endpoints[scenario.needs], timeout=60, reference=GOLDEN)
    assert result.passed, (
        f"{result.message}\n  expected: {result.expected}\n  actual:   {result.actual}\n"
        f"{result.detail}"
    )
