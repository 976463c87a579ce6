"""The conformance runner itself: selection, outcomes, exit codes, progress and report formats.

No ZooKeeper is involved: scenarios here are plain functions, and a fake host hands them a
context without opening any session.
"""

from __future__ import annotations

import io
import re
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance import groups, report
from conformance.context import Context
from conformance.results import Outcome, ScenarioResult, SuiteRun
from conformance.runner import (
    EXIT_FAILED,
    EXIT_NOT_RUN,
    EXIT_OK,
    EndpointUnreachable,
    Progress,
    main,
    run_one,
    select,
)
from conformance.scenario import (
    REGISTRY,
    ExpectationFailed,
    Scenario,
    expect,
    expect_in,
    expect_order,
    expect_raises,
    scenario,
)
from conformance.zookeeper import ApacheZooKeeper


class FakeHost:
    """A ScenarioHost that opens nothing and remembers which scenarios it set up."""

    def __init__(self, hosts: str) -> None:
        self.hosts = hosts
        self.ran: list[str] = []
        self.released = 0
        self.closed = False

    def open(self) -> None:
        pass

    def context(self, found: Scenario) -> Context:
        self.ran.append(found.id)
        return Context(self.hosts, f"/base/{found.id}", admin=None)  # type: ignore[arg-type]

    def release(self, context: Context) -> None:
        self.released += 1

    def server_version(self) -> str:
        return "9.9.9-fake"

    def close(self) -> None:
        self.closed = True


class UnreachableHost(FakeHost):
    def open(self) -> None:
        raise EndpointUnreachable("cannot set up a run on nowhere:1")


def passes(ctx: Context) -> None:
    """Always passes."""


def fails(ctx: Context) -> None:
    """Expects 3, sees 2."""
    expect(2, 3, "the answer | with a pipe")


def errors(ctx: Context) -> None:
    """Raises something unexpected."""
    raise RuntimeError("boom")


def make(group: str, func) -> Scenario:  # type: ignore[no-untyped-def]
    return Scenario(group, func.__name__, func, (func.__doc__ or "").strip())


PASS = make("alpha", passes)
FAIL = make("alpha", fails)
ERROR = make("beta", errors)


def run_cli(args: list[str], scenarios: list[Scenario], host_class=FakeHost):  # type: ignore[no-untyped-def]
    hosts: list[FakeHost] = []

    def factory(address: str) -> FakeHost:
        host = host_class(address)
        hosts.append(host)
        return host

    out, err = io.StringIO(), io.StringIO()
    code = main(args, scenarios=scenarios, host_factory=factory, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue(), hosts


# --- exit codes and selection -----------------------------------------------------------------


def test_all_passing_exits_zero_and_prints_a_summary() -> None:
    code, out, _, hosts = run_cli(["run", "--hosts", "fake:1"], [PASS])
    assert code == EXIT_OK
    assert "PASSED: 1/1 scenarios passed against fake:1 (9.9.9-fake)" in out
    assert hosts[0].ran == ["alpha.passes"]
    assert hosts[0].released == 1
    assert hosts[0].closed


def test_a_failure_exits_one_and_shows_expected_and_actual() -> None:
    code, out, err, _ = run_cli(["run", "--hosts", "fake:1"], [PASS, FAIL])
    assert code == EXIT_FAILED
    assert "FAIL alpha.fails: the answer | with a pipe: expected 3, got 2" in out
    assert "    expected: 3\n    actual:   2" in out
    assert "FAILED: 1/2 scenarios passed" in out
    assert "FAIL alpha.fails" in err  # the progress output names it as it happens


def test_an_unexpected_exception_is_an_error_and_exits_one() -> None:
    code, out, _, _ = run_cli(["run", "--hosts", "fake:1"], [PASS, ERROR])
    assert code == EXIT_FAILED
    assert "ERROR beta.errors: RuntimeError: boom" in out


def test_k_selects_by_substring_of_group_and_name() -> None:
    code, _, _, hosts = run_cli(["run", "--hosts", "f:1", "-k", "PASSES"], [PASS, FAIL, ERROR])
    assert code == EXIT_OK
    assert hosts[0].ran == ["alpha.passes"]
    code, _, _, hosts = run_cli(["run", "--hosts", "f:1", "-k", "beta."], [PASS, FAIL, ERROR])
    assert hosts[0].ran == ["beta.errors"]


def test_repeated_k_matches_any() -> None:
    _, _, _, hosts = run_cli(
        ["run", "--hosts", "f:1", "-k", "passes", "-k", "errors"], [PASS, FAIL, ERROR]
    )
    assert hosts[0].ran == ["alpha.passes", "beta.errors"]


def test_k_matching_nothing_runs_nothing_and_exits_two() -> None:
    code, _, err, hosts = run_cli(["run", "--hosts", "f:1", "-k", "nope"], [PASS])
    assert code == EXIT_NOT_RUN
    assert "no scenario matches" in err
    assert hosts == []


def test_group_selection_accepts_commas_and_repeats() -> None:
    _, _, _, hosts = run_cli(["run", "--hosts", "f:1", "--group", "beta"], [PASS, FAIL, ERROR])
    assert hosts[0].ran == ["beta.errors"]
    _, _, _, hosts = run_cli(["run", "--hosts", "f:1", "--group", "alpha,beta"], [PASS, ERROR])
    assert hosts[0].ran == ["alpha.passes", "beta.errors"]


def test_unknown_group_exits_two() -> None:
    code, _, err, _ = run_cli(["run", "--hosts", "f:1", "--group", "gamma"], [PASS])
    assert code == EXIT_NOT_RUN
    assert "unknown group(s): gamma" in err


def test_unreachable_endpoint_exits_two() -> None:
    code, _, err, _ = run_cli(["run", "--hosts", "nowhere:1"], [PASS], UnreachableHost)
    assert code == EXIT_NOT_RUN
    assert "cannot set up a run on nowhere:1" in err


def test_list_prints_ids_and_descriptions() -> None:
    code, out, _, _ = run_cli(["list", "-k", "alpha"], [PASS, FAIL, ERROR])
    assert code == EXIT_OK
    assert "alpha.passes" in out and "Always passes." in out
    assert "beta.errors" not in out
    assert out.rstrip().endswith("2 scenarios")


def test_select_is_case_insensitive_and_keeps_order() -> None:
    chosen = select([ERROR, PASS, FAIL], groups_wanted=["ALPHA"], keywords=["ail", "ass"])
    assert [found.id for found in chosen] == ["alpha.passes", "alpha.fails"]


def test_a_scenario_past_its_deadline_is_an_error() -> None:
    released = threading.Event()

    class ReleasingHost(FakeHost):
        def release(self, context: Context) -> None:
            super().release(context)
            released.set()  # as closing a real context's clients fails their pending calls

    def stuck(ctx: Context) -> None:
        released.wait(10)

    host = ReleasingHost("f:1")
    result = run_one(make("slow", stuck), host, timeout=0.1)
    assert result.outcome is Outcome.ERROR
    assert result.message == "did not finish within 0.1s"
    assert host.released == 1


# --- report writers ---------------------------------------------------------------------------


def sample_run() -> SuiteRun:
    run = SuiteRun(hosts="127.0.0.1:2181", started=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    run.server = "3.8.0"
    run.seconds = 1.5
    run.results = [
        ScenarioResult(
            "crud", "create_returns_the_path", "create returns its path.", Outcome.PASSED, 0.01
        ),
        ScenarioResult(
            "crud",
            "sequential_suffix",
            "Sequential suffix is 10 digits.",
            Outcome.FAILED,
            0.02,
            what="created path | suffix",
            expected="'/a/s-0000000000'",
            actual="'/a/s-1\x00'",
            message="created path: expected '/a/s-0000000000', got '/a/s-1'",
        ),
        ScenarioResult(
            "watches",
            "fires_once",
            "A watch fires once.",
            Outcome.ERROR,
            0.5,
            message="ConnectionLoss: ",
            detail="Traceback (most recent call last):\n  ...\nConnectionLoss\n",
        ),
    ]
    return run


def test_junit_xml_is_valid_and_counts_by_group(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(report.junit_xml(sample_run()), encoding="utf-8")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert list(suites) == ["crud", "watches"]
    assert (suites["crud"].get("tests"), suites["crud"].get("failures")) == ("2", "1")
    cases = suites["crud"].findall("testcase")
    assert [case.get("name") for case in cases] == ["create_returns_the_path", "sequential_suffix"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("type") == "ExpectationFailed"
    assert "expected: '/a/s-0000000000'" in (failure.text or "")
    assert "actual:   '/a/s-1'" in (failure.text or "")  # the NUL XML cannot carry is dropped
    error = suites["watches"].find("testcase/error")
    assert error is not None and "ConnectionLoss" in (error.text or "")
    assert cases[1].get("classname") == "conformance.crud"


def test_junit_xml_of_a_passing_run_has_no_failures() -> None:
    run = sample_run()
    run.results = run.results[:1]
    root = ET.fromstring(report.junit_xml(run))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")
    assert root.find(".//failure") is None


def test_markdown_lists_every_scenario_with_expected_and_actual() -> None:
    text = report.markdown(sample_run())
    assert text.startswith("# ZooKeeper conformance report\n")
    assert "**FAILED**, 1 of 3 scenarios passed (1 failed, 1 errors)" in text
    assert "| [crud](#crud) | 2 | 1 | 1 | 0 |" in text
    assert "| **total** | 3 | 1 | 1 | 1 |" in text
    assert "| `create_returns_the_path` | pass | create returns its path. |  |  |" in text
    failing_row = next(line for line in text.splitlines() if "`sequential_suffix`" in line)
    assert "**FAIL**" in failing_row
    assert "created path \\| suffix" in failing_row  # pipes escaped inside the table
    assert "`'/a/s-0000000000'`" in failing_row
    assert "`'/a/s-1\\x00'`" in failing_row  # control characters are shown escaped
    assert "### crud.sequential_suffix" in text
    assert "### watches.fires_once" in text
    for line in text.splitlines():
        if line.startswith("| `"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 6, line  # five cells in every row


def test_markdown_of_a_passing_run_has_no_failures_section() -> None:
    run = sample_run()
    run.results = run.results[:1]
    text = report.markdown(run)
    assert "**PASSED**, 1 of 1 scenarios passed" in text
    assert "## Failures" not in text


def test_summary_table_has_a_row_per_group_and_a_total() -> None:
    lines = report.summary_table(sample_run()).splitlines()
    assert lines[0].split() == ["group", "scenarios", "passed", "failed", "errors", "seconds"]
    assert lines[2].split()[:5] == ["crud", "2", "1", "1", "0"]
    assert lines[3].split()[:5] == ["watches", "1", "0", "0", "1"]
    assert lines[5].split()[:5] == ["total", "3", "1", "1", "1"]


def test_cli_writes_junit_and_report_files(tmp_path: Path) -> None:
    junit, markdown = tmp_path / "out.xml", tmp_path / "out.md"
    code, _, _, _ = run_cli(
        ["run", "--hosts", "f:1", "--junit", str(junit), "--report", str(markdown)], [PASS, FAIL]
    )
    assert code == EXIT_FAILED
    assert ET.parse(junit).getroot().get("failures") == "1"
    assert "| `fails` | **FAIL** | the answer \\| with a pipe | `3` | `2` |" in markdown.read_text()


# --- progress ---------------------------------------------------------------------------------


def test_progress_without_a_terminal_prints_failures_and_group_totals() -> None:
    stream = io.StringIO()
    progress = Progress(stream, total=3, live=False)
    for found, outcome in ((PASS, Outcome.PASSED), (FAIL, Outcome.FAILED), (ERROR, Outcome.PASSED)):
        progress.starting(found)
        progress.finished(ScenarioResult(found.group, found.name, "", outcome, 0.0, message="boom"))
    progress.close()
    assert stream.getvalue() == "FAIL alpha.fails: boom\nalpha: 1/2 passed\nbeta: 1/1 passed\n"


def test_live_progress_rewrites_one_line() -> None:
    stream = io.StringIO()
    progress = Progress(stream, total=2, live=True)
    progress.starting(PASS)
    progress.finished(ScenarioResult("alpha", "passes", "", Outcome.PASSED, 0.0))
    progress.close()
    assert "\r\x1b[K[1/2] 1 passed, 0 failed  alpha.passes" in stream.getvalue()
    assert "\n" not in stream.getvalue()


# --- expectations and registration ------------------------------------------------------------


def test_expect_carries_expected_and_actual() -> None:
    with pytest.raises(ExpectationFailed) as caught:
        expect([1], [2], "list")
    assert (caught.value.what, caught.value.expected, caught.value.actual) == ("list", [2], [1])
    assert str(caught.value) == "list: expected [2], got [1]"


def test_expect_order_and_in_describe_the_expectation() -> None:
    with pytest.raises(ExpectationFailed, match=r"mzxid: expected > 5, got 5"):
        expect_order(5, ">", 5, "mzxid")
    with pytest.raises(ExpectationFailed, match=r"children: expected contains 'x', got \['y'\]"):
        expect_in("x", ["y"], "children")
    expect_order(6, ">", 5, "mzxid")


def test_expect_raises_reports_no_error_and_wrong_error() -> None:
    no_error = pytest.raises(ExpectationFailed, match="expected KeyError, got no error")
    with no_error, expect_raises(KeyError, "lookup"):
        pass
    wrong_error = pytest.raises(ExpectationFailed, match="expected KeyError, got ValueError")
    with wrong_error, expect_raises(KeyError, "lookup"):
        raise ValueError("x")
    with expect_raises(KeyError, "lookup"):
        raise KeyError("x")


def test_scenario_decorator_registers_once() -> None:
    try:

        @scenario(group="test-only")
        def sample(ctx: Context) -> None:
            """First line.

            More detail.
            """

        found = REGISTRY["test-only.sample"]
        assert (found.group, found.name, found.description) == (
            "test-only",
            "sample",
            "First line.",
        )
        with pytest.raises(ValueError, match="registered twice"):
            scenario(group="test-only")(sample)
    finally:
        REGISTRY.pop("test-only.sample", None)


def test_every_shipped_scenario_is_described_and_grouped() -> None:
    catalogue = groups.load_all()
    assert [found.group for found in catalogue] == sorted(
        (found.group for found in catalogue), key=groups.GROUPS.index
    )
    assert set(groups.GROUPS) <= {found.group for found in catalogue}
    assert len({found.id for found in catalogue}) == len(catalogue)
    for found in catalogue:
        assert found.description, f"{found.id} has no docstring"


# --- the Apache ZooKeeper launcher's configuration (nothing is started) -----------------------


def test_zoo_cfg_binds_loopback_and_allows_every_four_letter_word(tmp_path: Path) -> None:
    server = ApacheZooKeeper(config={"tickTime": "500", "maxClientCnxns": "0"})
    lines = server.config_text(40123, tmp_path).splitlines()
    assert "clientPort=40123" in lines
    assert "clientPortAddress=127.0.0.1" in lines
    assert "4lw.commands.whitelist=*" in lines
    assert "admin.enableServer=false" in lines
    assert f"dataDir={tmp_path}" in lines
    assert "tickTime=500" in lines and "tickTime=2000" not in lines
    assert "maxClientCnxns=0" in lines
