"""A ZooKeeper conformance suite: scenarios that assert Apache ZooKeeper 3.8's behaviour directly.

`python -m conformance run --hosts HOST:PORT` runs every scenario against an endpoint;
`python -m conformance oracle-run` proves the suite against a throwaway Apache ZooKeeper.
Scenarios live in `conformance.groups`, one module per group, registered with `@scenario`.
"""

from conformance.scenario import (
    ExpectationFailed,
    Scenario,
    expect,
    expect_in,
    expect_match,
    expect_order,
    expect_raises,
    scenario,
)

__all__ = [
    "ExpectationFailed",
    "Scenario",
    "expect",
    "expect_in",
    "expect_match",
    "expect_order",
    "expect_raises",
    "scenario",
]
