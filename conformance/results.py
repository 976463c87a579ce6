"""The outcome of a run: one `ScenarioResult` per scenario, gathered in a `SuiteRun`.

Plain data shared by the runner (which fills it) and the report writers (which read it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Outcome(enum.StrEnum):
    PASSED = "pass"
    FAILED = "fail"  # an expectation did not hold: the endpoint behaves unlike ZooKeeper
    ERROR = "error"  # the scenario could not finish: unexpected exception, timeout, setup


@dataclass(frozen=True)
class ScenarioResult:
    group: str
    name: str
    description: str
    outcome: Outcome
    seconds: float
    what: str = ""  # for a failure: what was checked
    expected: str = ""  # ... the value Apache ZooKeeper gives
    actual: str = ""  # ... the value the endpoint gave
    message: str = ""  # one line: why it failed or errored
    detail: str = ""  # traceback, for errors

    @property
    def id(self) -> str:
        return f"{self.group}.{self.name}"

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


@dataclass(frozen=True)
class GroupTotals:
    group: str
    total: int
    passed: int
    failed: int
    errors: int
    seconds: float


@dataclass
class SuiteRun:
    hosts: str
    started: datetime
    seconds: float = 0.0
    server: str = ""  # the endpoint's version line, when it answers `srvr`
    results: list[ScenarioResult] = field(default_factory=list)

    def absorb(self, other: SuiteRun) -> None:
        """Take in a later run's results (the ensemble phase after the standalone one)."""
        hosts = [part for part in self.hosts.split("; ") if part]
        if other.hosts not in hosts:
            self.hosts = "; ".join([*hosts, other.hosts])
        self.results.extend(other.results)
        self.seconds += other.seconds
        self.server = self.server or other.server

    @property
    def groups(self) -> list[str]:
        """Group names in the order their first scenario ran."""
        return list(dict.fromkeys(result.group for result in self.results))

    def in_group(self, group: str) -> list[ScenarioResult]:
        return [result for result in self.results if result.group == group]

    def totals(self, group: str | None = None) -> GroupTotals:
        results = self.results if group is None else self.in_group(group)
        return GroupTotals(
            group=group or "total",
            total=len(results),
            passed=sum(r.outcome is Outcome.PASSED for r in results),
            failed=sum(r.outcome is Outcome.FAILED for r in results),
            errors=sum(r.outcome is Outcome.ERROR for r in results),
            seconds=sum(r.seconds for r in results),
        )

    @property
    def failures(self) -> list[ScenarioResult]:
        return [result for result in self.results if not result.passed]

    @property
    def ok(self) -> bool:
        return not self.failures
