"""A ZooKeeper ensemble on loopback that scenarios can start, stop, kill and inspect.

Owns three things, none of which knows what a scenario checks:

- `ClusterSpec`: how to run one member, as data. A `zoo.cfg` template, a start command
  template, and a few extra files, all filled in per member from placeholders such as
  `{myid}`, `{client_port}`, `{data_dir}` and `{server_lines}`. The same spec shape drives
  Apache ZooKeeper (`builtin_apache_spec()`) or zkcompat (a TOML or JSON file read by
  `load_spec(path)`), so the ensemble scenarios become zkcompat's acceptance test unchanged.
- `Cluster`: N members with their own ports, directories and `myid`, each a real process
  started from the spec. It stops and kills them by PID, and reads each member's role and last
  zxid from the `srvr` four-letter word, which is the only thing it asks of a server (so
  `4lw.commands.whitelist` must allow `srvr`; the built-in spec allows `*`).
- `EnsembleHost`: a `conformance.runner.ScenarioHost` over one running Cluster. Every
  scenario gets `ctx.cluster`, a fresh base znode, and afterwards the cluster is put back with
  every member running and a quorum serving, whatever the scenario stopped.

Placeholders (`{name}`, lowercase; `{{` and `}}` stand for literal braces, and anything else
in braces, such as log4j's `${zookeeper.log.dir}` or `%d{ISO8601}`, is left alone):

| placeholder | value |
| --- | --- |
| `{myid}` | the member's id, 1..N |
| `{client_port}`, `{quorum_port}`, `{election_port}` | its loopback ports |
| `{member_dir}`, `{data_dir}`, `{log_dir}` | its directory, data directory, log directory |
| `{config}` | the path its rendered `zoo.cfg` is written to |
| `{server_lines}` | one `server_line` per member, newline-separated |
| `{hosts}` | `127.0.0.1:port,...` of every member's client port |
| `{members}` | N |
| `{python}`, `{pathsep}`, `{spec_dir}` | this interpreter, `os.pathsep`, the spec file's folder |
| anything in the spec's `variables` table | its value |

A spec file (TOML shown; JSON with the same keys works too)::

    name = "zkcompat"
    command = ["{python}", "-m", "zkcompat", "serve", "{config}"]
    config = '''
    tickTime=500
    initLimit=10
    syncLimit=5
    dataDir={data_dir}
    clientPort={client_port}
    clientPortAddress=127.0.0.1
    4lw.commands.whitelist=*
    {server_lines}
    '''
    # optional: server_line, myid_file, start_timeout, [variables], [files], [environment]

For a run: `EnsembleHost(resolve_spec(path_or_None), members=3)`, then the runner's usual
`open()`, `run_suite(...)`, `close()`.

Ports are chosen below the kernel's ephemeral range: a stopped member's ports are then never
taken by some outgoing connection's local port before the member comes back.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError
from kazoo.retry import KazooRetry

from conformance.context import (
    Context,
    EndpointUnreachable,
    close_client,
    four_letter_word,
    server_version,
)
from conformance.scenario import Scenario
from conformance.zookeeper import JAR_DIR, LOG4J_PROPERTIES, ZooKeeperUnavailable, default_classpath

log = logging.getLogger(__name__)

NOT_SERVING = "This ZooKeeper instance is not currently serving requests"
QUORUM_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
DEFAULT_SERVER_LINE = "server.{myid}=127.0.0.1:{quorum_port}:{election_port}"
DEFAULT_MYID_FILE = "{data_dir}/myid"
POLL_INTERVAL = 0.1
FOUR_LETTER_TIMEOUT = 2.0

APACHE_CONFIG = """\
tickTime=500
initLimit=10
syncLimit=5
dataDir={data_dir}
clientPort={client_port}
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=*
{server_lines}
"""

# C1 only, a small serial-collected heap: a member boots in about a second on two cores.
APACHE_COMMAND = (
    "{java}",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Dzookeeper.log.dir={log_dir}",
    "-Dlog4j.configuration=file:{member_dir}/log4j.properties",
    "-Dzookeeper.admin.enableServer=false",
    "-cp",
    "{classpath}",
    QUORUM_MAIN,
    "{config}",
)


class SpecError(ValueError):
    """A cluster spec (or one of its templates) is malformed."""


class ClusterError(RuntimeError):
    """A member would not start, or the ensemble did not reach the state waited for."""


# ---------------------------------------------------------------------------------------------
# Templates and specs

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_][a-z0-9_]*)\}")


def render(template: str, values: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders from `values`; `{{`/`}}` are literal braces.

    Only lowercase identifiers in braces are placeholders, so Java-style `${a.b}` and log4j's
    `%d{ISO8601}` pass through untouched. A placeholder with no value is an error rather than
    an empty string: a typo in a spec would otherwise start a member with a broken config.
    """

    def substitute(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        name = match.group(1)
        if name not in values:
            known = ", ".join(sorted(values))
            raise SpecError(f"unknown placeholder {{{name}}} (known: {known})")
        return str(values[name])

    return _PLACEHOLDER.sub(substitute, template)


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ClusterSpec:
    """How to run each member of an ensemble: the files to write and the command to start.

    `config` becomes the member's `zoo.cfg` (path `{config}`); `files` are more files written
    into the member's directory under the given relative names; `command` is the argv, each
    element rendered; `myid_file` is where the member's id is written. `variables` add
    placeholders of the spec's own (such as a class path), and `environment` is added to the
    process environment. A member counts as started when `srvr` answers within
    `start_timeout` seconds.
    """

    command: tuple[str, ...]
    config: str
    name: str = "cluster"
    server_line: str = DEFAULT_SERVER_LINE
    myid_file: str = DEFAULT_MYID_FILE
    files: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    variables: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    environment: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    start_timeout: float = 60.0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], spec_dir: Path | None = None) -> ClusterSpec:
        """A spec from parsed TOML or JSON; `spec_dir` becomes the `{spec_dir}` placeholder."""
        known = {"name", "command", "config", "server_line", "myid_file", "files"}
        known |= {"variables", "environment", "start_timeout"}
        unknown = set(data) - known
        if unknown:
            raise SpecError(f"unknown key(s) in cluster spec: {', '.join(sorted(unknown))}")
        command = data.get("command")
        if not isinstance(command, list) or not command or not _all_str(command):
            raise SpecError("'command' must be a non-empty list of strings")
        config = data.get("config")
        if not isinstance(config, str) or not config.strip():
            raise SpecError("'config' must be the zoo.cfg template, a non-empty string")
        variables = _string_table(data, "variables")
        if spec_dir is not None:
            variables.setdefault("spec_dir", str(spec_dir))
        timeout = data.get("start_timeout", 60.0)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise SpecError("'start_timeout' must be a positive number of seconds")
        spec = cls(
            command=tuple(command),
            config=config,
            name=_string(data, "name", "cluster"),
            server_line=_string(data, "server_line", DEFAULT_SERVER_LINE),
            myid_file=_string(data, "myid_file", DEFAULT_MYID_FILE),
            files=_frozen(_string_table(data, "files")),
            variables=_frozen(variables),
            environment=_frozen(_string_table(data, "environment")),
            start_timeout=float(timeout),
        )
        spec.check()
        return spec

    def check(self) -> None:
        """Render every template for a sample member, so a bad spec fails before any start."""
        sample = Path(tempfile.gettempdir()) / "zkconf-spec-check"
        plan = plan_members(3, sample, list(range(20001, 20010)))
        for member in plan:
            values = self.values_for(member, plan)
            render(self.config, values)
            render(self.myid_file, values)
            for name, text in self.files.items():
                _member_file(member.directory, name)
                render(text, values)
            for argument in self.command:
                render(argument, values)

    def values_for(self, member: MemberPlan, plan: list[MemberPlan]) -> dict[str, object]:
        """Every placeholder's value for `member` of an ensemble laid out as `plan`."""
        values: dict[str, object] = {
            "python": sys.executable,
            "pathsep": os.pathsep,
            "spec_dir": os.getcwd(),
            **self.variables,
            "members": len(plan),
            "hosts": ",".join(other.host for other in plan),
        }
        values["server_lines"] = "\n".join(
            render(self.server_line, {**values, **other.values()}) for other in plan
        )
        values.update(member.values())
        return values


def _all_str(items: Iterable[object]) -> bool:
    return all(isinstance(item, str) for item in items)


def _string(data: Mapping[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise SpecError(f"'{key}' must be a string")
    return value


def _string_table(data: Mapping[str, Any], key: str) -> dict[str, str]:
    table = data.get(key, {})
    if not isinstance(table, Mapping) or not _all_str(table) or not _all_str(table.values()):
        raise SpecError(f"'{key}' must be a table of strings")
    return dict(table)


def _member_file(directory: Path, name: str) -> Path:
    """`name` inside a member's directory; absolute names and `..` would escape it."""
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise SpecError(f"file name {name!r} must be relative, inside the member's directory")
    return directory / relative


def load_spec(path: str | os.PathLike[str]) -> ClusterSpec:
    """Read a cluster spec from a `.json` file, or from TOML (any other name)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read cluster spec {source}: {exc}") from exc
    try:
        data = json.loads(text) if source.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{source}: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a cluster spec is a table of settings")
    return ClusterSpec.from_mapping(data, spec_dir=source.resolve().parent)


def builtin_apache_spec(jar_dir: Path = JAR_DIR, java: str | None = None) -> ClusterSpec:
    """Debian's Apache ZooKeeper 3.8 (`QuorumPeerMain`), with short ticks for quick elections.

    tickTime 500 ms makes sessions negotiate into [1, 10] s and lets a leader notice a lost
    quorum within a few seconds. Raises `ZooKeeperUnavailable` when java or the jars are
    missing.
    """
    java = java or shutil.which("java")
    if java is None:
        raise ZooKeeperUnavailable("java not found on PATH")
    return ClusterSpec(
        name="apache-zookeeper-3.8",
        command=APACHE_COMMAND,
        config=APACHE_CONFIG,
        files=_frozen({"log4j.properties": LOG4J_PROPERTIES}),
        variables=_frozen({"java": java, "classpath": os.pathsep.join(default_classpath(jar_dir))}),
    )


def resolve_spec(argument: str | os.PathLike[str] | None = None) -> ClusterSpec:
    """The spec a `--cluster` option names: a spec file, or `apache` / nothing for the
    built-in Apache ZooKeeper 3.8 one."""
    if argument is None or str(argument) == "apache":
        return builtin_apache_spec()
    return load_spec(argument)


# ---------------------------------------------------------------------------------------------
# Ports and members


def ephemeral_port_floor() -> int:
    """The lowest port the kernel hands out for outgoing connections (32768 if unknown)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def loopback_ports(count: int, low: int = 10000) -> list[int]:
    """`count` distinct ports on 127.0.0.1 that nothing holds now, below the ephemeral range."""
    high = max(low + 1000, ephemeral_port_floor())
    chosen: list[int] = []
    candidates = random.sample(range(low, high), min(high - low, count * 20 + 100))
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
        if len(chosen) == count:
            return chosen
    raise ClusterError(f"could not find {count} free loopback ports in [{low}, {high})")


@dataclass(frozen=True)
class MemberPlan:
    """Where one member lives: its id, ports and directory (fixed for the cluster's life)."""

    myid: int
    client_port: int
    quorum_port: int
    election_port: int
    directory: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def config_path(self) -> Path:
        return self.directory / "zoo.cfg"

    def values(self) -> dict[str, object]:
        return {
            "myid": self.myid,
            "client_port": self.client_port,
            "quorum_port": self.quorum_port,
            "election_port": self.election_port,
            "member_dir": self.directory,
            "data_dir": self.directory / "data",
            "log_dir": self.directory,
            "config": self.config_path,
        }


def plan_members(count: int, root: Path, ports: list[int] | None = None) -> list[MemberPlan]:
    """Lay out `count` members under `root`: ids 1..count, three ports each (free ones unless
    `ports` gives them, client/quorum/election for member 1 first)."""
    if count < 1:
        raise ValueError("a cluster has at least one member")
    ports = ports if ports is not None else loopback_ports(3 * count)
    if len(ports) != 3 * count:
        raise ValueError(f"{count} members need {3 * count} ports, not {len(ports)}")
    return [
        MemberPlan(
            myid=index + 1,
            client_port=ports[3 * index],
            quorum_port=ports[3 * index + 1],
            election_port=ports[3 * index + 2],
            directory=root / f"member-{index + 1}",
        )
        for index in range(count)
    ]


@dataclass(frozen=True)
class MemberState:
    """What `srvr` says about one member right now."""

    myid: int
    running: bool  # its process is alive
    answering: bool  # it answered the four-letter word at all
    mode: str | None  # leader, follower, observer, standalone; None when not serving
    zxid: int | None  # last processed zxid; None when not serving

    @property
    def serving(self) -> bool:
        return self.mode is not None


def parse_srvr(text: str) -> tuple[str | None, int | None]:
    """(mode, zxid) from a `srvr` answer; (None, None) when the member is not serving."""
    mode = zxid = None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key == "Mode":
            mode = value.strip()
        elif key == "Zxid":
            zxid = int(value.strip(), 16)
    return mode, zxid


# ---------------------------------------------------------------------------------------------
# The cluster

_open_clusters: weakref.WeakSet[Cluster] = weakref.WeakSet()


@atexit.register
def _close_leftovers() -> None:
    """Stop members of clusters nobody closed (an interrupted run), so no JVM outlives us."""
    for cluster in list(_open_clusters):
        cluster.close()


class Cluster:
    """N members of one ensemble on loopback, each a process started from `spec`.

    Members keep their ports and data directory across restarts. Nothing starts until
    `start()`; `close()` stops every process this object started (by PID) and removes the
    directories unless `keep_dirs`.
    """

    def __init__(
        self,
        spec: ClusterSpec,
        members: int = 3,
        *,
        keep_dirs: bool = False,
        root: Path | None = None,
    ) -> None:
        self.spec = spec
        self.keep_dirs = keep_dirs
        self.root = root or Path(tempfile.mkdtemp(prefix="zkconf-ensemble-"))
        self.plan = plan_members(members, self.root)
        self._members = {member.myid: member for member in self.plan}
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self._spawned: list[Cluster] = []
        self._lock = threading.RLock()
        self._closed = False
        _open_clusters.add(self)

    # --- layout

    @property
    def ids(self) -> list[int]:
        return list(self._members)

    @property
    def size(self) -> int:
        return len(self._members)

    @property
    def majority(self) -> int:
        return self.size // 2 + 1

    @property
    def hosts(self) -> str:
        """Every member's client address: a connection string for the whole ensemble."""
        return ",".join(member.host for member in self.plan)

    def member_hosts(self, *ids: int) -> str:
        """The connection string of the given members only."""
        return ",".join(self._member(myid).host for myid in ids)

    def directory(self, myid: int) -> Path:
        return self._member(myid).directory

    def _member(self, myid: int) -> MemberPlan:
        try:
            return self._members[myid]
        except KeyError:
            raise ValueError(f"no member {myid} in a cluster of {self.ids}") from None

    # --- processes

    def start(self, *ids: int) -> None:
        """Launch the given members (all when none given) that are not running; don't wait."""
        for myid in ids or self.ids:
            with self._lock:
                if self._closed:
                    raise ClusterError("cluster is closed")
                if self.is_running(myid):
                    continue
                self._processes[myid] = self._launch(self._member(myid))

    def _launch(self, member: MemberPlan) -> subprocess.Popen[bytes]:
        values = self.spec.values_for(member, self.plan)
        (member.directory / "data").mkdir(parents=True, exist_ok=True)
        member.config_path.write_text(render(self.spec.config, values))
        myid_path = Path(render(self.spec.myid_file, values))
        myid_path.parent.mkdir(parents=True, exist_ok=True)
        myid_path.write_text(f"{member.myid}\n")
        for name, text in self.spec.files.items():
            target = _member_file(member.directory, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(text, values))
        command = [render(argument, values) for argument in self.spec.command]
        environment = {**os.environ, **self.spec.environment}
        log.debug("member %s: %s", member.myid, " ".join(command))
        # Output goes to a file (a pipe nobody reads would fill and stall the server); its own
        # session keeps a terminal's Ctrl-C away from it, so we stop it in order.
        with open(member.directory / "stdout.log", "ab") as out:
            process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=member.directory,
                env=environment,
                start_new_session=True,
            )
        log.info("member %s started: pid %s on %s", member.myid, process.pid, member.host)
        return process

    def is_running(self, myid: int) -> bool:
        process = self._processes.get(myid)
        return process is not None and process.poll() is None

    def running_ids(self) -> list[int]:
        return [myid for myid in self.ids if self.is_running(myid)]

    def stopped_ids(self) -> list[int]:
        return [myid for myid in self.ids if not self.is_running(myid)]

    def pid(self, myid: int) -> int | None:
        process = self._processes.get(myid)
        return process.pid if process is not None and process.poll() is None else None

    def stop(self, *ids: int, timeout: float = 15.0) -> None:
        """SIGTERM the given members (all when none given) together; wait for them to exit."""
        self._signal(ids or self.ids, signal.SIGTERM, timeout)

    def kill(self, *ids: int, timeout: float = 15.0) -> None:
        """SIGKILL the given members: a crash, with no chance to say goodbye to peers."""
        self._signal(ids or self.ids, signal.SIGKILL, timeout)

    def _signal(self, ids: Iterable[int], signum: signal.Signals, timeout: float) -> None:
        with self._lock:
            processes = [(myid, self._processes[myid]) for myid in ids if self.is_running(myid)]
            for myid, process in processes:
                log.info("member %s: %s to pid %s", myid, signum.name, process.pid)
                process.send_signal(signum)
            for myid, process in processes:
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    log.warning("member %s (pid %s) ignored %s", myid, process.pid, signum.name)
                    process.kill()
                    process.wait(timeout=timeout)

    def restart(self, myid: int, timeout: float | None = None) -> str:
        """Stop a member, start it again, and return its mode once it serves."""
        self.stop(myid)
        self.start(myid)
        return self.wait_until_serving(myid, timeout)

    # --- what the members say

    def four_letter(self, myid: int, word: str, timeout: float = FOUR_LETTER_TIMEOUT) -> str:
        """Send a four-letter word to a member's client port; return its answer."""
        return four_letter_word(self._member(myid).host, word, timeout)

    def state(self, myid: int) -> MemberState:
        """The member's role and last zxid, from `srvr` (mode None: not serving or down)."""
        running = self.is_running(myid)
        try:
            text = self.four_letter(myid, "srvr")
        except OSError:
            return MemberState(myid, running, False, None, None)
        mode, zxid = parse_srvr(text)
        return MemberState(myid, running, True, mode, zxid)

    def mode(self, myid: int) -> str | None:
        """`leader`, `follower`, `standalone` (or `observer`); None when it does not serve."""
        return self.state(myid).mode

    def zxid(self, myid: int) -> int | None:
        """The member's last processed zxid (`srvr` "Zxid:"); None when it does not serve."""
        return self.state(myid).zxid

    def zxids(self, ids: Iterable[int] | None = None) -> dict[int, int | None]:
        """Last processed zxid of each member (running members when none given)."""
        return {myid: self.zxid(myid) for myid in (ids or self.running_ids())}

    def leader(self, ids: Iterable[int] | None = None) -> int | None:
        """The id of the member that says it leads (among running ones), or None."""
        for myid in ids or self.running_ids():
            if self.mode(myid) == "leader":
                return myid
        return None

    def followers(self, ids: Iterable[int] | None = None) -> list[int]:
        return [myid for myid in ids or self.running_ids() if self.mode(myid) == "follower"]

    # --- waiting

    def wait_for(
        self, condition: Callable[[], Any], what: str, timeout: float | None = None
    ) -> Any:
        """Poll `condition` until it returns something truthy; return that, or raise."""
        deadline = time.monotonic() + (timeout or self.spec.start_timeout)
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise ClusterError(f"timed out waiting for {what}\n{self.log_tails()}")
            time.sleep(POLL_INTERVAL)

    def wait_until_answering(self, myid: int, timeout: float | None = None) -> None:
        """Wait until a member's client port answers four-letter words (serving or not)."""

        def answering() -> bool:
            self._check_alive(myid)
            return self.state(myid).answering

        self.wait_for(answering, f"member {myid} to answer four-letter words", timeout)

    def wait_until_serving(self, myid: int, timeout: float | None = None) -> str:
        """Wait until a member serves clients (has joined a quorum); return its mode."""

        def serving() -> str | None:
            self._check_alive(myid)
            return self.mode(myid)

        return self.wait_for(serving, f"member {myid} to serve", timeout)

    def wait_for_quorum(
        self, ids: Iterable[int] | None = None, timeout: float | None = None
    ) -> int:
        """Wait until the members (running ones when none given) all serve under one leader.

        Returns the leader's id. Fails early when fewer than a majority are running, since
        no quorum can form then.
        """
        wanted = list(ids or self.running_ids())
        if len(wanted) < self.majority and self.size > 1:
            raise ClusterError(f"members {wanted} are not a majority of {self.size}")

        def settled() -> int | None:
            for myid in wanted:
                self._check_alive(myid)
            modes = {myid: self.mode(myid) for myid in wanted}
            leaders = [myid for myid, mode in modes.items() if mode == "leader"]
            if self.size == 1:
                return wanted[0] if modes[wanted[0]] is not None else None
            if len(leaders) == 1 and all(modes.values()):
                return leaders[0]
            return None

        return self.wait_for(settled, f"members {wanted} to serve under one leader", timeout)

    def wait_for_same_zxid(self, ids: Iterable[int] | None = None, timeout: float = 15.0) -> int:
        """Wait until the members all report the same last zxid; return it."""
        wanted = list(ids or self.running_ids())

        def same() -> int | None:
            found = set(self.zxids(wanted).values())
            if len(found) == 1 and None not in found:
                return found.pop()
            return None

        return self.wait_for(same, f"members {wanted} to reach the same zxid", timeout)

    def _check_alive(self, myid: int) -> None:
        process = self._processes.get(myid)
        if process is None:
            raise ClusterError(f"member {myid} was never started")
        if process.poll() is not None:
            raise ClusterError(
                f"member {myid} exited with {process.returncode}\n{self.log_tail(myid)}"
            )

    # --- logs

    def log_tail(self, myid: int, lines: int = 20) -> str:
        """The end of a member's output and log, for error messages."""
        directory = self._member(myid).directory
        text = []
        for path in (directory / "stdout.log", directory / "zookeeper.log"):
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                text.append(f"--- member {myid}: {path.name}")
                text.extend(tail)
        return "\n".join(text)

    def log_tails(self, lines: int = 8) -> str:
        return "\n".join(self.log_tail(myid, lines) for myid in self.ids)

    # --- other clusters and the end

    def spawn(self, members: int = 3) -> Cluster:
        """A new, not yet started cluster from the same spec, closed with `close_spawned()`.

        For scenarios that need a fresh history or another size (five servers started in
        order), leaving this cluster as it is.
        """
        child = Cluster(self.spec, members, keep_dirs=self.keep_dirs)
        with self._lock:
            self._spawned.append(child)
        return child

    def close_spawned(self) -> None:
        with self._lock:
            spawned, self._spawned = self._spawned, []
        for child in spawned:
            child.close()

    def close(self) -> None:
        """Stop every member this object started (by PID) and remove its directory."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.close_spawned()
        self.stop()
        if self.keep_dirs:
            log.info("cluster directories kept in %s", self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        _open_clusters.discard(self)


# ---------------------------------------------------------------------------------------------
# The scenario host


class EnsembleHost:
    """Runs ENSEMBLE scenarios against a cluster of `members` started from `spec`.

    Each scenario gets `ctx.cluster` (the running Cluster), `ctx.hosts` (every member), and a
    fresh base znode that every member has applied before the scenario starts. After it, the
    host starts whatever the scenario stopped or killed, closes clusters it spawned, and waits
    for the whole ensemble to serve under one leader again.
    """

    def __init__(self, spec: ClusterSpec, members: int = 3, *, keep_dirs: bool = False) -> None:
        self.cluster = Cluster(spec, members, keep_dirs=keep_dirs)
        self.hosts = self.cluster.hosts
        self.root = f"/zkconf-ensemble-{random.getrandbits(32):08x}"
        self._admin: KazooClient | None = None
        self._retry = KazooRetry(max_tries=-1, delay=0.2, max_delay=1.0, deadline=60.0)

    @property
    def admin(self) -> KazooClient:
        if self._admin is None:
            raise RuntimeError("ensemble host not open")
        return self._admin

    def open(self) -> None:
        """Start every member, wait for a quorum, and create this run's root znode."""
        try:
            self.cluster.start()
            self.cluster.wait_for_quorum()
            self._admin = KazooClient(hosts=self.hosts, timeout=10.0)
            self._admin.start(timeout=30.0)
            self._retry(self._admin.create, self.root)
        except Exception as exc:
            self.close()
            raise EndpointUnreachable(f"cannot start the ensemble: {exc}") from exc

    def context(self, scenario: Scenario) -> Context:
        self._restore()
        base = f"{self.root}/{scenario.id}"
        with contextlib.suppress(NodeExistsError):  # a retried create whose reply was lost
            self._retry(self.admin.create, base)
        created = self._retry(self.admin.exists, base)
        self._wait_applied_everywhere(created.czxid)
        return Context(self.hosts, base, self.admin, cluster=self.cluster)

    def _wait_applied_everywhere(self, zxid: int) -> None:
        """Wait until every member has applied `zxid`, so any member's session sees the base."""

        def applied() -> bool:
            return all(
                (found or 0) >= zxid for found in self.cluster.zxids(self.cluster.ids).values()
            )

        self.cluster.wait_for(applied, f"every member to apply zxid {zxid:#x}", 30.0)

    def release(self, context: Context) -> None:
        context.close()
        try:
            self._restore()
            self._retry(self.admin.delete, context.base, recursive=True)
        except Exception:
            # The next context() restores again and reports a setup error if it still fails.
            log.warning("could not restore the ensemble after %s", context.base, exc_info=True)

    def _restore(self) -> None:
        """Close spawned clusters, start stopped members, wait for all to serve as one."""
        self.cluster.close_spawned()
        stopped = self.cluster.stopped_ids()
        if stopped:
            log.info("restarting members %s", stopped)
            self.cluster.start(*stopped)
        self.cluster.wait_for_quorum(self.cluster.ids)

    def server_version(self) -> str:
        leader = self.cluster.leader()
        if leader is None:
            return ""
        return server_version(self.cluster.four_letter(leader, "srvr"))

    def close(self) -> None:
        if self._admin is not None:
            try:
                self._admin.delete(self.root, recursive=True)
            except Exception:
                log.warning("could not delete %s", self.root, exc_info=True)
            close_client(self._admin)
            self._admin = None
        self.cluster.close()
