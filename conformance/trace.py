"""Traces: what a scenario saw of the endpoint, in a form two servers can be compared by.

Differential mode runs a scenario against Apache ZooKeeper and against the endpoint under
test and compares what each one *said*, not only whether the scenario's assertions held: a
server can pass every assertion and still answer with a different stat field, an extra watch
event or another error code somewhere the scenario did not look.

A `Trace` is attached to a scenario's `Context`. It records, per kazoo client in the order
the scenario opened them, every request the client sent with its reply or error (in request
order), every watch event the server sent it (in arrival order), and the keys of every
four-letter word answer. `normalise` then turns the trace into plain JSON data in which the
values that legitimately differ between two servers are replaced by what can be compared:

- zxids (czxid, mzxid, pzxid) become their rank among the zxids the trace saw ("z0", "z1",
  ...), so they are compared by order; ctime and mtime are dropped;
- session ids (ephemeralOwner) become the index of the scenario's client that owns them;
- the scenario's base znode becomes `<base>`, and the run's random root znode `<root>`
  wherever it appears (paths, children lists, four-letter word keys).

Requests sent while `Context.wait_until` polls are not recorded: how often a condition is
polled depends on timing, not on the server.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kazoo.protocol.states import ZnodeStat

ROOT_PATTERN = re.compile(r"zkconf-[0-9a-f]{8}")  # the runner's random run root
ROOT = "<root>"
BASE = "<base>"
ZXID_FIELDS = ("czxid", "mzxid", "pzxid")
TIME_FIELDS = ("ctime", "mtime")
PENDING = "<no reply>"
LONG_DATA = 256  # longer data is traced as its length and SHA-1, to keep golden files small
ABSENT = "<absent>"

_PER_NAMESPACE = "_per_namespace"
# A four-letter word answer line "key<TAB>value" (mntr), "key=value" (conf, envi) or
# "Key: value" (srvr, stat): the key is what two servers must agree on; values differ.
_WORD_KEY = re.compile(r"^([A-Za-z][\w. -]*?)(?:\t|=|: )")


@dataclass
class _Call:
    request: Any
    result: Any  # kazoo's AsyncResult, read when the trace is normalised


@dataclass
class ClientTrace:
    """One kazoo client's requests (with their async results) and the events it received."""

    calls: list[_Call] = field(default_factory=list)
    client: Any = None
    session_id: int | None = None


class Trace:
    """The recorder a `Context` feeds while its scenario runs."""

    def __init__(self, base: str = "") -> None:
        self.base = base  # the scenario's base znode, shown as BASE
        self.clients: list[ClientTrace] = []
        self.words: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._quiet = threading.local()

    def attach(self, client: Any) -> ClientTrace:
        """Start recording `client`'s requests; call before it sends any."""
        recorded = ClientTrace(client=client)
        with self._lock:
            self.clients.append(recorded)
        return recorded

    def request(self, recorded: ClientTrace, request: Any, result: Any) -> None:
        """A client is about to send `request`; its reply will land in `result`."""
        if getattr(self._quiet, "depth", 0):
            return
        with self._lock:
            recorded.calls.append(_Call(request, result))

    def four_letter(self, word: str, answer: str) -> None:
        """Record the answer's keys. mntr's per-namespace rows are left out: which namespaces
        exist depends on every scenario run before on the same server, not on this one
        (`fourletter.mntr_counts_bytes_per_namespace` checks them)."""
        keys = sorted(
            {
                ROOT_PATTERN.sub(ROOT, m.group(1))
                for line in answer.splitlines()
                if (m := _WORD_KEY.match(line)) and not m.group(1).endswith(_PER_NAMESPACE)
            }
        )
        with self._lock:
            self.words.append({"word": word, "keys": keys})

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Requests this thread sends inside the block are not recorded."""
        self._quiet.depth = getattr(self._quiet, "depth", 0) + 1
        try:
            yield
        finally:
            self._quiet.depth -= 1

    def normalise(self) -> dict[str, Any]:
        """The trace as JSON-ready data, with server-specific values made comparable."""
        with self._lock:
            clients = list(self.clients)
            words = list(self.words)
        sessions = {
            recorded.session_id: f"session {index}"
            for index, recorded in enumerate(clients)
            if recorded.session_id
        }
        raw = [
            {
                "calls": [_call_record(call) for call in recorded.calls],
                "events": [
                    [event.type, event.state, event.path]
                    for event in list(recorded.client.wire_events)
                ],
            }
            for recorded in clients
        ]
        zxids = sorted(set(_zxids(raw)))
        rank = {zxid: f"z{index}" for index, zxid in enumerate(zxids)}
        return {"clients": _plain(raw, rank, sessions, self.base), "words": words}


def _call_record(call: _Call) -> dict[str, Any]:
    request = call.request
    record: dict[str, Any] = {"op": type(request).__name__}
    path = getattr(request, "path", None)
    if path is not None:
        record["path"] = path
    result = call.result
    if not result.ready():
        record["reply"] = PENDING
    elif result.exception is not None:
        record["error"] = type(result.exception).__name__
    else:
        record["reply"] = result.value
    return record


def _masked(text: str, base: str) -> str:
    """The scenario's base znode as BASE, then any run root as ROOT."""
    return ROOT_PATTERN.sub(ROOT, text.replace(base, BASE) if base else text)


def _zxids(value: Any) -> Iterator[int]:
    if isinstance(value, ZnodeStat):
        for name in ZXID_FIELDS:
            yield getattr(value, name)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _zxids(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _zxids(item)


def _plain(value: Any, rank: dict[int, str], sessions: dict[int, str], base: str) -> Any:
    """`value` as JSON data: stats made comparable, the base and root masked, bytes as text."""
    if isinstance(value, ZnodeStat):
        stat = {name: getattr(value, name) for name in value._fields if name not in TIME_FIELDS}
        for name in ZXID_FIELDS:
            stat[name] = rank[stat[name]]
        owner = stat["ephemeralOwner"]
        stat["ephemeralOwner"] = sessions.get(owner, "another session") if owner else 0
        return stat
    if isinstance(value, BaseException):
        return {"error": type(value).__name__}
    if isinstance(value, (bytes, bytearray)):
        if len(value) > LONG_DATA:
            return {"length": len(value), "sha1": hashlib.sha1(value).hexdigest()}
        return {"bytes": _masked(bytes(value).decode("utf-8", "backslashreplace"), base)}
    if isinstance(value, str):
        return _masked(value, base)
    if isinstance(value, dict):
        return {key: _plain(item, rank, sessions, base) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if any(isinstance(item, str) and ROOT_PATTERN.fullmatch(item) for item in value):
            # Children of "/": ZooKeeper lists them in hash order, which the random run root
            # name decides. Only there is the order not comparable.
            return sorted(ROOT_PATTERN.sub(ROOT, item) for item in value)
        return [_plain(item, rank, sessions, base) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _masked(repr(value), base)


@dataclass(frozen=True)
class Difference:
    """One place where two normalised traces disagree."""

    where: str
    expected: Any
    actual: Any


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[Difference]:
    """Where `actual` (the endpoint's trace) departs from `expected` (ZooKeeper's)."""
    found: list[Difference] = []
    _diff(expected, actual, "trace", found)
    return found


def _diff(expected: Any, actual: Any, where: str, found: list[Difference]) -> None:
    """Walk records and lists of records; compare anything else (lists of names too) whole."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in [*expected, *(key for key in actual if key not in expected)]:
            left, right = expected.get(key, ABSENT), actual.get(key, ABSENT)
            _diff(left, right, f"{where}.{key}", found)
    elif _records(expected) and _records(actual):
        for index in range(max(len(expected), len(actual))):
            left = expected[index] if index < len(expected) else ABSENT
            right = actual[index] if index < len(actual) else ABSENT
            _diff(left, right, f"{where}[{index}]{_label(left, right)}", found)
    elif _long_names(expected) and _long_names(actual):
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        if missing or extra:
            found.append(Difference(where, f"also {missing}", f"also {extra}"))
        elif expected != actual:
            found.append(Difference(where, f"in the order {expected}", f"{actual}"))
    elif expected != actual:
        found.append(Difference(where, expected, actual))


def _long_names(value: Any) -> bool:
    """A long list of strings (four-letter word keys): differences are shown as set differences."""
    return isinstance(value, list) and len(value) > 8 and all(isinstance(v, str) for v in value)


def _records(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(item, dict) for item in value)


def _label(*items: Any) -> str:
    """A call's op and path, so a location reads `calls[3] (GetData /<root>/a)`."""
    for item in items:
        if isinstance(item, dict) and "op" in item:
            path = item.get("path")
            return f" ({item['op']} {path})" if path else f" ({item['op']})"
    return ""


def dumps(traces: dict[str, Any]) -> str:
    """Golden traces as stable, reviewable JSON: scenarios sorted, one call or event per line."""
    lines = ["{"]
    for number, (scenario_id, recorded) in enumerate(sorted(traces.items())):
        lines.append(f"{_json(scenario_id)}: {{")
        lines.append(' "clients": [')
        for index, client in enumerate(recorded["clients"]):
            lines.append("  {")
            lines.append('   "calls": [' + _rows(client["calls"], "    ") + "],")
            lines.append('   "events": [' + _rows(client["events"], "    ") + "]")
            lines.append("  }" + ("," if index < len(recorded["clients"]) - 1 else ""))
        lines.append(" ],")
        lines.append(' "words": [' + _rows(recorded["words"], "  ") + "]")
        lines.append("}" + ("," if number < len(traces) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _rows(items: list[Any], indent: str) -> str:
    if not items:
        return ""
    return "\n" + ",\n".join(indent + _json(item) for item in items) + "\n" + indent[:-1]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
