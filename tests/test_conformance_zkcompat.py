"""The conformance suite, proven against Apache ZooKeeper 3.8 (`make conformance`), must
pass completely against zkcompat too, and differentially: each scenario's trace (every reply,
error, stat and watch event its clients saw) must match the golden trace recorded from
Apache ZooKeeper (`make golden`). Each scenario is one test, so a failure names it and shows
ZooKeeper's value next to ours. Ensemble scenarios wait for the quorum."""

from __future__ import annotations

import pytest

from conformance import groups
from conformance.runner import Endpoint, GoldenReference, run_one
from conformance.scenario import ENDPOINT
from tests.server_support import running_server

SCENARIOS = [found for found in groups.load_all() if found.needs == ENDPOINT]
GOLDEN = GoldenReference()


@pytest.fixture(scope="module")
def endpoint():
    # The suite expects an endpoint with its defaults plus every four-letter word enabled.
    with running_server(four_letter_whitelist=("*",)) as server:
        host = Endpoint(server.hosts)
        host.open()
        yield host
        host.close()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_passes_against_zkcompat(endpoint, scenario) -> None:
    result = run_one(scenario, endpoint, timeout=60, reference=GOLDEN)
    assert result.passed, (
        f"{result.message}\n  expected: {result.expected}\n  actual:   {result.actual}\n"
        f"{result.detail}"
    )
