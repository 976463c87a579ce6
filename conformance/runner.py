"""Running scenarios against an endpoint, and the command line around it.

Owns choosing scenarios (`--group`, `-k`), running each one in its own thread with a
deadline, turning its outcome into a `ScenarioResult`, differential mode (each scenario's
trace compared with Apache ZooKeeper's, live from `--oracle` or recorded in `--golden`
traces), the live progress line on stderr, and the `run` / `oracle-run` / `golden` / `list`
commands. Report formats live in `conformance.report`; traces in `conformance.trace`.

Exit codes: 0 every selected scenario passed; 1 at least one failed or errored; 2 nothing ran
(bad arguments, no scenario selected, endpoint unreachable, Apache ZooKeeper unavailable);
130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from kazoo.client import KazooClient

from conformance import groups, report, trace
from conformance.context import (
    Context,
    EndpointUnreachable,
    close_client,
    four_letter_word,
    server_version,
)
from conformance.ensemble import ClusterError, ClusterSpec, EnsembleHost, resolve_spec
from conformance.results import Outcome, ScenarioResult, SuiteRun
from conformance.scenario import (
    ENDPOINT,
    ENSEMBLE,
    EXTENDED,
    EXTENDED_PROPERTIES,
    ExpectationFailed,
    Scenario,
    describe,
)
from conformance.trace import Trace
from conformance.zookeeper import ApacheZooKeeper, ZkcompatServer, ZooKeeperUnavailable

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_RUN = 2
EXIT_INTERRUPTED = 130

DEFAULT_TIMEOUT = 60.0
GOLDEN_DIR = Path(__file__).parent / "golden"


class ScenarioHost(Protocol):
    """Where scenarios run: hands each one a fresh context and cleans up after it."""

    hosts: str

    def open(self) -> None: ...
    def context(self, scenario: Scenario) -> Context: ...
    def release(self, context: Context) -> None: ...
    def server_version(self) -> str: ...
    def close(self) -> None: ...


class Endpoint:
    """A ZooKeeper endpoint under test: one admin session and this run's root znode.

    Each scenario works under `/<run root>/<group>.<name>`, created empty before it runs and
    deleted (with everything below it) afterwards; the run root goes when the run ends. The
    admin session, like scenario sessions by default, uses the first server listed.
    """

    def __init__(self, hosts: str, connect_timeout: float = 15.0) -> None:
        self.hosts = hosts
        self.connect_timeout = connect_timeout
        self.root = f"/zkconf-{secrets.token_hex(4)}"
        self._admin: KazooClient | None = None

    @property
    def admin(self) -> KazooClient:
        if self._admin is None:
            raise RuntimeError("endpoint not open")
        return self._admin

    def open(self) -> None:
        first = self.hosts.split(",")[0]
        admin = KazooClient(hosts=first, timeout=self.connect_timeout)
        try:
            admin.start(timeout=self.connect_timeout)
            admin.create(self.root)
        except Exception as exc:
            close_client(admin)
            raise EndpointUnreachable(f"cannot set up a run on {first}: {exc!r}") from exc
        self._admin = admin

    def context(self, scenario: Scenario) -> Context:
        base = f"{self.root}/{scenario.id}"
        self.admin.create(base)
        return Context(self.hosts, base, self.admin)

    def release(self, context: Context) -> None:
        context.close()
        try:
            self.admin.delete(context.base, recursive=True)
        except Exception:
            log.warning("could not delete %s", context.base, exc_info=True)

    def server_version(self) -> str:
        try:
            answer = four_letter_word(self.hosts.split(",")[0], "srvr", timeout=5.0)
        except OSError:
            return ""
        return server_version(answer)

    def close(self) -> None:
        if self._admin is None:
            return
        try:
            self._admin.delete(self.root, recursive=True)
        except Exception:
            log.warning("could not delete %s", self.root, exc_info=True)
        close_client(self._admin)
        self._admin = None


# ---------------------------------------------------------------------------------------------
# Running


def select(
    scenarios: Iterable[Scenario],
    groups_wanted: Sequence[str] = (),
    keywords: Sequence[str] = (),
) -> list[Scenario]:
    """Scenarios in any of `groups_wanted` whose id contains any of `keywords` (case-insensitive).

    An empty `groups_wanted` or `keywords` means no restriction.
    """
    wanted = {group.lower() for group in groups_wanted}
    words = [word.lower() for word in keywords]
    return [
        found
        for found in scenarios
        if (not wanted or found.group.lower() in wanted)
        and (not words or any(word in found.id.lower() for word in words))
    ]


class ReferenceUnavailable(RuntimeError):
    """There is nothing to compare a scenario's trace with (no golden trace, oracle failed)."""


class Reference(Protocol):
    """Where differential mode gets ZooKeeper's trace of a scenario from."""

    def trace(self, scenario: Scenario) -> dict[str, Any]: ...


def run_one(
    scenario: Scenario,
    host: ScenarioHost,
    timeout: float = DEFAULT_TIMEOUT,
    reference: Reference | None = None,
) -> ScenarioResult:
    """Run one scenario in its own thread; give up on it after `timeout` seconds.

    With a `reference`, a scenario that passes is also compared with ZooKeeper's trace of it
    (unless it is marked non-differential) and fails on the first place they disagree.
    """
    traced = reference is not None and scenario.differential
    result, observed = run_traced(scenario, host, timeout, traced)
    if observed is None or not result.passed or reference is None:
        return result
    try:
        expected = reference.trace(scenario)
    except ReferenceUnavailable as exc:
        return replace(result, outcome=Outcome.ERROR, message=f"no reference trace: {exc}")
    differences = trace.compare(expected, observed)
    if not differences:
        return result
    first = differences[0]
    listing = "\n".join(
        f"{d.where}: expected {d.expected!r}, got {d.actual!r}" for d in differences[:20]
    )
    more = f"\n... and {len(differences) - 20} more" if len(differences) > 20 else ""
    return replace(
        result,
        outcome=Outcome.FAILED,
        what=f"differential: {first.where}",
        expected=describe(first.expected),
        actual=describe(first.actual),
        message=f"{len(differences)} difference(s) from ZooKeeper's trace, first at {first.where}",
        detail=listing + more,
    )


def run_traced(
    scenario: Scenario, host: ScenarioHost, timeout: float, traced: bool = True
) -> tuple[ScenarioResult, dict[str, Any] | None]:
    """Run one scenario; with `traced`, also return its normalised trace if it finished."""
    started = time.monotonic()
    outcome: list[ScenarioResult] = []

    def finish(kind: Outcome, **fields: str) -> ScenarioResult:
        return ScenarioResult(
            group=scenario.group,
            name=scenario.name,
            description=scenario.description,
            outcome=kind,
            seconds=time.monotonic() - started,
            **fields,
        )

    try:
        context = host.context(scenario)
    except Exception as exc:
        result = finish(
            Outcome.ERROR, message=f"setup failed: {exc!r}", detail=traceback.format_exc()
        )
        return result, None
    if traced:
        context.trace = Trace(context.base)

    def body() -> None:
        try:
            scenario.func(context)
        except ExpectationFailed as failed:
            outcome.append(
                finish(
                    Outcome.FAILED,
                    what=failed.what,
                    expected=describe(failed.expected),
                    actual=describe(failed.actual),
                    message=str(failed),
                    detail=traceback.format_exc(),
                )
            )
        except BaseException as exc:
            outcome.append(
                finish(
                    Outcome.ERROR,
                    message=f"{type(exc).__name__}: {exc}",
                    detail=traceback.format_exc(),
                )
            )
        else:
            outcome.append(finish(Outcome.PASSED))

    worker = threading.Thread(target=body, name=f"scenario {scenario.id}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        # Closing the scenario's clients fails its pending calls, which lets the thread end.
        host.release(context)
        worker.join(5.0)
        return finish(Outcome.ERROR, message=f"did not finish within {timeout:g}s"), None
    # Read the trace before the clients close: closing fails any reply still pending.
    observed = context.trace.normalise() if context.trace is not None else None
    host.release(context)
    return outcome[0], observed


class OracleReference:
    """ZooKeeper's trace of each scenario, taken live from an oracle endpoint."""

    def __init__(self, host: ScenarioHost, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.host = host
        self.timeout = timeout

    def trace(self, scenario: Scenario) -> dict[str, Any]:
        result, observed = run_traced(scenario, self.host, self.timeout)
        if not result.passed or observed is None:
            raise ReferenceUnavailable(f"the oracle does not pass it either: {result.message}")
        return observed


class GoldenReference:
    """ZooKeeper's trace of each scenario as recorded by `make golden` (one JSON per group)."""

    def __init__(self, directory: Path = GOLDEN_DIR) -> None:
        self.directory = directory
        self._groups: dict[str, dict[str, Any]] = {}

    def trace(self, scenario: Scenario) -> dict[str, Any]:
        if scenario.group not in self._groups:
            path = self.directory / f"{scenario.group}.json"
            self._groups[scenario.group] = (
                json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
            )
        recorded = self._groups[scenario.group].get(scenario.id)
        if recorded is None:
            raise ReferenceUnavailable(
                f"no golden trace for {scenario.id} in {self.directory} (run `make golden`)"
            )
        return recorded


def record_traces(
    scenarios: Sequence[Scenario],
    host: ScenarioHost,
    progress: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[list[ScenarioResult], dict[str, dict[str, Any]]]:
    """Run `scenarios` on `host`, keeping the trace of every differential one that passes.

    Returns the results and the traces by group; a scenario that does not pass has no trace.
    """
    results = []
    traces: dict[str, dict[str, Any]] = {}
    for found in scenarios:
        if progress:
            progress.starting(found)
        result, observed = run_traced(found, host, timeout, found.differential)
        results.append(result)
        if result.passed and observed is not None:
            traces.setdefault(found.group, {})[found.id] = observed
        if progress:
            progress.finished(result)
    if progress:
        progress.close()
    return results, traces


def write_golden(directory: Path, traces: dict[str, dict[str, Any]]) -> None:
    """One file per group, rewritten whole: traces of scenarios that are gone disappear."""
    directory.mkdir(parents=True, exist_ok=True)
    for group, recorded in traces.items():
        (directory / f"{group}.json").write_text(trace.dumps(recorded), encoding="utf-8")


def run_suite(
    scenarios: Sequence[Scenario],
    host: ScenarioHost,
    progress: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    reference: Reference | None = None,
) -> SuiteRun:
    """Run `scenarios` in order against an opened `host` (differentially, given a reference)."""
    run = SuiteRun(hosts=host.hosts, started=datetime.now(UTC), server=host.server_version())
    started = time.monotonic()
    for found in scenarios:
        if progress:
            progress.starting(found)
        result = run_one(found, host, timeout, reference)
        run.results.append(result)
        if progress:
            progress.finished(result)
    run.seconds = time.monotonic() - started
    if progress:
        progress.close()
    return run


class Progress:
    """The live progress line: rewritten in place on a terminal, a line per event otherwise."""

    def __init__(self, stream: TextIO, total: int, live: bool | None = None) -> None:
        self.stream = stream
        self.total = total
        self.live = stream.isatty() if live is None else live
        self.done = 0
        self.failed = 0
        self._group = ""
        self._group_counts = [0, 0]

    def starting(self, found: Scenario) -> None:
        if found.group != self._group:
            self._end_group()
            self._group = found.group
        if self.live:
            self._status(found.id)

    def finished(self, result: ScenarioResult) -> None:
        self.done += 1
        self._group_counts[0] += 1
        if not result.passed:
            self.failed += 1
            self._group_counts[1] += 1
            self._clear()
            self.stream.write(report.failure_lines(result)[0] + "\n")
        if self.live:
            self._status(result.id)
        self.stream.flush()

    def close(self) -> None:
        self._end_group()
        self._group = ""  # a later phase may go on with the same line
        self._clear()
        self.stream.flush()

    def _end_group(self) -> None:
        ran, failed = self._group_counts
        if self._group and not self.live:
            self.stream.write(f"{self._group}: {ran - failed}/{ran} passed\n")
        self._group_counts = [0, 0]

    def _status(self, current: str) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        text = (
            f"[{self.done:>{len(str(self.total))}}/{self.total}] {self.done - self.failed} passed"
        )
        text += f", {self.failed} failed  {current}"
        self.stream.write("\r\x1b[K" + text[:width])
        self.stream.flush()

    def _clear(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")


# ---------------------------------------------------------------------------------------------
# Command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance",
        description="ZooKeeper conformance suite: does an endpoint behave as Apache ZooKeeper 3.8?",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def selection(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--group",
            action="append",
            default=[],
            metavar="G",
            help="only this scenario group (repeat or comma-separate for several)",
        )
        sub.add_argument(
            "-k",
            dest="keywords",
            action="append",
            default=[],
            metavar="SUBSTRING",
            help="only scenarios whose group.name contains SUBSTRING (repeatable: any matches)",
        )

    def output(sub: argparse.ArgumentParser) -> None:
        selection(sub)
        sub.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
        sub.add_argument("--report", type=Path, metavar="FILE", help="write a Markdown report here")
        sub.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help=f"give up on a scenario after this long (default {DEFAULT_TIMEOUT:.0f})",
        )
        sub.add_argument("-v", "--verbose", action="count", default=0, help="log more (repeatable)")

    def golden(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--golden",
            nargs="?",
            type=Path,
            const=GOLDEN_DIR,
            metavar="DIR",
            help="differential: compare each scenario's trace with the golden traces recorded "
            "from Apache ZooKeeper (default: conformance/golden)",
        )

    run = commands.add_parser("run", help="run the suite against an endpoint")
    run.add_argument("--hosts", required=True, metavar="HOST:PORT[,...]", help="the endpoint")
    run.add_argument(
        "--extended-hosts",
        metavar="HOST:PORT",
        help="run the TTL/container scenarios too, on this endpoint, started with "
        + " and ".join(f"-D{k}={v}" for k, v in EXTENDED_PROPERTIES.items()),
    )
    run.add_argument(
        "--extended-oracle",
        metavar="HOST:PORT",
        help="differential: the Apache ZooKeeper, started likewise, for those scenarios",
    )
    run.add_argument(
        "--cluster",
        metavar="SPEC",
        help="run the ensemble scenarios too, on a cluster this run starts from SPEC (a TOML or "
        "JSON cluster spec: zoo.cfg template and start command per member; 'apache' for "
        "Debian's Apache ZooKeeper 3.8)",
    )
    run.add_argument(
        "--oracle",
        metavar="HOST:PORT",
        help="differential: run each scenario against this Apache ZooKeeper too and compare "
        "replies, errors, stats (zxids by order, times dropped), watch events, 4lw keys",
    )
    output(run)
    golden(run)

    oracle = commands.add_parser(
        "oracle-run",
        help="start Apache ZooKeeper 3.8 (Debian's jars) standalone and as a 3-member ensemble, "
        "run the suite, stop them",
    )
    output(oracle)
    golden(oracle)
    oracle.add_argument(
        "--zkcompat",
        action="store_true",
        help="differential: start zkcompat too and run the suite against it, with the Apache "
        "ZooKeeper as the oracle",
    )
    oracle.add_argument("--keep", action="store_true", help="keep the servers' temp directories")

    record = commands.add_parser(
        "golden", help="record golden traces from Apache ZooKeeper 3.8 (started here)"
    )
    selection(record)
    record.add_argument(
        "--output", type=Path, default=GOLDEN_DIR, metavar="DIR", help="where to write them"
    )
    record.add_argument("--hosts", metavar="HOST:PORT", help="record from this server instead")
    record.add_argument(
        "--extended-hosts", metavar="HOST:PORT", help="... and the TTL scenarios from this one"
    )
    record.add_argument("-v", "--verbose", action="count", default=0, help="log more")

    listing = commands.add_parser("list", help="list the scenarios")
    selection(listing)
    return parser


def configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # kazoo warns about every refused connection while a server boots; quiet unless asked.
    logging.getLogger("kazoo").setLevel(logging.DEBUG if verbosity >= 3 else logging.ERROR)


def main(
    argv: Sequence[str] | None = None,
    *,
    scenarios: Iterable[Scenario] | None = None,
    host_factory: Callable[[str], ScenarioHost] = Endpoint,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The CLI. `scenarios` and `host_factory` are for tests of the runner itself."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    group_names = [
        name.strip() for value in args.group for name in value.split(",") if name.strip()
    ]
    catalogue = list(scenarios) if scenarios is not None else groups.load_all()
    unknown = {name.lower() for name in group_names} - {found.group.lower() for found in catalogue}
    if unknown:
        err.write(f"unknown group(s): {', '.join(sorted(unknown))}\n")
        return EXIT_NOT_RUN
    chosen = select(catalogue, group_names, args.keywords)
    if args.command == "list":
        for found in chosen:
            out.write(f"{found.id:50} {found.description}\n")
        out.write(f"{len(chosen)} scenarios\n")
        return EXIT_OK

    configure_logging(args.verbose)
    if not chosen:
        err.write("no scenario matches the selection\n")
        return EXIT_NOT_RUN
    try:
        if args.command == "golden":
            return _record(args, chosen, host_factory, err)
        if args.command == "oracle-run":
            return _oracle_run(args, chosen, host_factory, out, err)
        targets = Targets(
            hosts=args.hosts,
            extended=args.extended_hosts,
            cluster=resolve_spec(args.cluster) if args.cluster else None,
            oracle=args.oracle,
            extended_oracle=args.extended_oracle,
            golden=args.golden,
        )
        return _run(targets, args, chosen, host_factory, out, err)
    except KeyboardInterrupt:
        err.write("\ninterrupted\n")
        return EXIT_INTERRUPTED


@dataclass
class Targets:
    """Where one command runs each kind of scenario, and what their traces are compared with."""

    hosts: str | None = None  # ENDPOINT scenarios
    extended: str | None = None  # EXTENDED scenarios: an endpoint with EXTENDED_PROPERTIES
    cluster: ClusterSpec | None = None  # ENSEMBLE scenarios
    oracle: str | None = None  # a live Apache ZooKeeper for ENDPOINT scenarios' traces
    extended_oracle: str | None = None  # ... and one for EXTENDED scenarios' traces
    golden: Path | None = None  # recorded traces, when there is no live oracle
    why_not: dict[str, str] = field(default_factory=dict)  # why a kind has no target

    def endpoint(self, needs: str) -> str | None:
        """Where ENDPOINT or EXTENDED scenarios run."""
        return self.extended if needs == EXTENDED else self.hosts

    def available(self, needs: str) -> bool:
        target = self.cluster if needs == ENSEMBLE else self.endpoint(needs)
        return target is not None


_WHY_NOT = {
    ENDPOINT: "no endpoint given",
    EXTENDED: "they need an endpoint with extended types on (--extended-hosts)",
    ENSEMBLE: "they need a cluster this run controls (--cluster)",
}


def _by_kind(
    chosen: Sequence[Scenario], targets: Targets, err: TextIO
) -> list[tuple[str, list[Scenario]]]:
    """The chosen scenarios that can run here, by kind, in the order the kinds first appear;
    the others are left out with a line saying why."""
    kinds: dict[str, list[Scenario]] = {}
    for found in chosen:
        kinds.setdefault(found.needs, []).append(found)
    runnable = []
    for needs, scenarios in kinds.items():
        if targets.available(needs):
            runnable.append((needs, scenarios))
        else:
            why = targets.why_not.get(needs, _WHY_NOT.get(needs, "nowhere to run them"))
            err.write(f"{len(scenarios)} {needs} scenario(s) left out: {why}\n")
    return runnable


def _open(host: ScenarioHost, err: TextIO) -> bool:
    try:
        host.open()
    except (EndpointUnreachable, ClusterError, ZooKeeperUnavailable) as exc:
        err.write(f"{exc}\n")
        return False
    return True


def _run(
    targets: Targets,
    args: argparse.Namespace,
    chosen: Sequence[Scenario],
    host_factory: Callable[[str], ScenarioHost],
    out: TextIO,
    err: TextIO,
) -> int:
    """Each kind of scenario against its target, differentially when there is an oracle or
    golden traces, with one progress line and one report."""
    kinds = _by_kind(chosen, targets, err)
    if not kinds:
        return EXIT_NOT_RUN
    progress = Progress(err, sum(len(scenarios) for _, scenarios in kinds))
    run = SuiteRun(hosts="", started=datetime.now(UTC))
    for needs, scenarios in kinds:
        with ExitStack() as opened:
            if needs == ENSEMBLE:
                assert targets.cluster is not None
                host: ScenarioHost = EnsembleHost(
                    targets.cluster, keep_dirs=getattr(args, "keep", False)
                )
            else:
                host = host_factory(targets.endpoint(needs))
            if not _open(host, err):
                return EXIT_NOT_RUN
            opened.callback(host.close)
            reference: Reference | None = None
            oracle = targets.extended_oracle if needs == EXTENDED else targets.oracle
            if oracle and needs != ENSEMBLE:
                oracle_host = host_factory(oracle)
                if not _open(oracle_host, err):
                    return EXIT_NOT_RUN
                opened.callback(oracle_host.close)
                reference = OracleReference(oracle_host, args.timeout)
            elif targets.golden:
                reference = GoldenReference(targets.golden)
            run.absorb(run_suite(scenarios, host, progress, args.timeout, reference))
    out.write(report.summary_table(run))
    if args.junit:
        args.junit.write_text(report.junit_xml(run), encoding="utf-8")
        err.write(f"JUnit XML written to {args.junit}\n")
    if args.report:
        args.report.write_text(report.markdown(run), encoding="utf-8")
        err.write(f"Markdown report written to {args.report}\n")
    return EXIT_OK if run.ok else EXIT_FAILED


def _start(server: ApacheZooKeeper, name: str, err: TextIO) -> bool:
    err.write(f"starting {name} ...\n")
    try:
        server.start()
    except ZooKeeperUnavailable as exc:
        err.write(f"{name} unavailable: {exc}\n")
        return False
    err.write(f"{name} pid {server.pid} on {server.hosts} ({server.directory})\n")
    return True


class _Servers:
    """The standalone servers a command starts, each only if a chosen scenario needs it, all
    stopped when the command ends."""

    def __init__(self, running: ExitStack, chosen: Sequence[Scenario], err: TextIO) -> None:
        self.running = running
        self.needs = {found.needs for found in chosen}
        self.err = err

    def start(self, kind: type[ApacheZooKeeper], needs: str, name: str, keep: bool) -> str | None:
        """The server's hosts; None if no scenario needs it. Raises ZooKeeperUnavailable."""
        if needs not in self.needs:
            return None
        properties = EXTENDED_PROPERTIES if needs == EXTENDED else {}
        server = kind(keep_dir=keep, system_properties=properties)
        self.running.callback(server.stop)
        label = (
            f"{name} ({', '.join(f'{k}={v}' for k, v in properties.items())})"
            if properties
            else name
        )
        if not _start(server, label, self.err):
            raise ZooKeeperUnavailable(f"{label} did not start")
        return server.hosts


def _oracle_run(
    args: argparse.Namespace,
    chosen: Sequence[Scenario],
    host_factory: Callable[[str], ScenarioHost],
    out: TextIO,
    err: TextIO,
) -> int:
    """Against Apache ZooKeeper itself (standalone, with extended types, and as an ensemble);
    or, with `--zkcompat`, zkcompat with Apache ZooKeeper as the live oracle."""
    with ExitStack() as running:
        servers = _Servers(running, chosen, err)
        try:
            zookeeper = servers.start(ApacheZooKeeper, ENDPOINT, "Apache ZooKeeper", args.keep)
            extended = servers.start(ApacheZooKeeper, EXTENDED, "Apache ZooKeeper", args.keep)
            if not args.zkcompat:
                cluster = resolve_spec(None) if ENSEMBLE in servers.needs else None
                targets = Targets(zookeeper, extended, cluster, golden=args.golden)
                return _run(targets, args, chosen, host_factory, out, err)
            subject = servers.start(ZkcompatServer, ENDPOINT, "zkcompat", args.keep)
            subject_extended = servers.start(ZkcompatServer, EXTENDED, "zkcompat", args.keep)
        except ZooKeeperUnavailable:
            return EXIT_NOT_RUN
        live = not args.golden
        targets = Targets(
            subject,
            subject_extended,
            oracle=zookeeper if live else None,
            extended_oracle=extended if live else None,
            golden=args.golden,
            why_not={ENSEMBLE: "zkcompat has no quorum yet"},
        )
        return _run(targets, args, chosen, host_factory, out, err)


def _record(
    args: argparse.Namespace,
    chosen: Sequence[Scenario],
    host_factory: Callable[[str], ScenarioHost],
    err: TextIO,
) -> int:
    """`golden`: record every chosen scenario's trace from Apache ZooKeeper."""
    with ExitStack() as running:
        servers = _Servers(running, chosen, err)
        try:
            targets = Targets(
                args.hosts or servers.start(ApacheZooKeeper, ENDPOINT, "Apache ZooKeeper", False),
                args.extended_hosts
                or servers.start(ApacheZooKeeper, EXTENDED, "Apache ZooKeeper", False),
                why_not={ENSEMBLE: "their traces depend on timing"},
            )
        except ZooKeeperUnavailable:
            return EXIT_NOT_RUN
        kinds = _by_kind(chosen, targets, err)
        progress = Progress(err, sum(len(scenarios) for _, scenarios in kinds))
        results: list[ScenarioResult] = []
        traces: dict[str, dict[str, Any]] = {}
        for needs, scenarios in kinds:
            host = host_factory(targets.endpoint(needs))
            if not _open(host, err):
                return EXIT_NOT_RUN
            try:
                found, recorded = record_traces(scenarios, host, progress)
            finally:
                host.close()
            results.extend(found)
            for group, by_id in recorded.items():
                traces.setdefault(group, {}).update(by_id)
    write_golden(args.output, traces)
    failed = [result for result in results if not result.passed]
    err.write(f"golden traces of {len(results) - len(failed)} scenarios written to {args.output}\n")
    for result in failed:
        err.write(f"not recorded, it does not pass: {result.id}: {result.message}\n")
    return EXIT_FAILED if failed else EXIT_OK
