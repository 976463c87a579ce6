"""Scenarios and expectations: what a conformance check is, and how it says what went wrong.

Owns the `@scenario` decorator and the registry it fills, and the `expect*` helpers whose
failures carry what was checked, the value ZooKeeper gives and the value the endpoint gave.
Knows nothing about sockets, clients or output formats.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from conformance.context import Context

ScenarioFunction = Callable[["Context"], None]

ENDPOINT = "endpoint"
ENSEMBLE = "ensemble"
EXTENDED = "extended"  # an endpoint with extended types on and a fast container reaper
# How an EXTENDED endpoint is started: TTL nodes enabled, containers and TTLs reaped at once.
EXTENDED_PROPERTIES = {
    "zookeeper.extendedTypesEnabled": "true",
    "znode.container.checkIntervalMs": "100",
}
F = TypeVar("F", bound=ScenarioFunction)


@dataclass(frozen=True)
class Scenario:
    """One small check of ZooKeeper behaviour, identified as `group.name`."""

    group: str
    name: str
    func: ScenarioFunction
    description: str
    needs: str = ENDPOINT  # ENDPOINT, EXTENDED (see EXTENDED_PROPERTIES) or ENSEMBLE
    differential: bool = True  # False: its trace depends on timing, so only assertions count

    @property
    def id(self) -> str:
        return f"{self.group}.{self.name}"


REGISTRY: dict[str, Scenario] = {}


def scenario(
    group: str,
    name: str | None = None,
    *,
    needs: str = ENDPOINT,
    differential: bool | None = None,
) -> Callable[[F], F]:
    """Register a function taking a `Context` as a scenario of `group`.

    The function's name is the scenario's name unless `name` is given; the first line of its
    docstring is the description shown in reports. `needs=ENSEMBLE` marks a scenario that
    starts and stops members of a cluster (`ctx.cluster`) rather than using an endpoint;
    `needs=EXTENDED` one that needs an endpoint started with `EXTENDED_PROPERTIES`.
    `differential=False` leaves it out of trace comparison: what its clients see depends on
    timing (concurrent clients, expiry, elections), so two runs against one server differ.
    Ensemble scenarios are left out unless they say otherwise.
    """

    def register(func: F) -> F:
        doc = (func.__doc__ or "").strip()
        found = Scenario(
            group=group,
            name=name or func.__name__,
            func=func,
            description=doc.splitlines()[0] if doc else "",
            needs=needs,
            differential=needs != ENSEMBLE if differential is None else differential,
        )
        if found.id in REGISTRY:
            raise ValueError(f"scenario {found.id} is registered twice")
        REGISTRY[found.id] = found
        return func

    return register


class ExpectationFailed(AssertionError):
    """The endpoint did something other than what ZooKeeper does."""

    def __init__(self, what: str, expected: Any, actual: Any) -> None:
        self.what = what
        self.expected = expected
        self.actual = actual
        super().__init__(f"{what}: expected {describe(expected)}, got {describe(actual)}")


def describe(value: Any) -> str:
    """A value as a report shows it: strings as written, everything else as its repr."""
    if isinstance(value, Expected):
        return value.text
    if isinstance(value, BaseException):
        return type(value).__name__
    return repr(value)


@dataclass(frozen=True)
class Expected:
    """An expectation that is not a single value, such as "> 0x1a" or "contains 'quota'"."""

    text: str


def expect(actual: Any, expected: Any, what: str) -> None:
    """Fail unless `actual == expected`."""
    if actual != expected:
        raise ExpectationFailed(what, expected, actual)


_ORDER = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "!=": operator.ne,
}


def expect_order(actual: Any, op: str, bound: Any, what: str) -> None:
    """Fail unless `actual <op> bound`, e.g. `expect_order(child.czxid, ">", parent.czxid, ...)`."""
    if not _ORDER[op](actual, bound):
        raise ExpectationFailed(what, Expected(f"{op} {bound!r}"), actual)


def expect_in(member: Any, container: Any, what: str) -> None:
    """Fail unless `member in container`; the actual value shown is the container."""
    if member not in container:
        raise ExpectationFailed(what, Expected(f"contains {member!r}"), container)


def expect_match(text: str, pattern: str, what: str) -> None:
    """Fail unless the regular expression `pattern` matches somewhere in `text`."""
    if re.search(pattern, text, re.MULTILINE) is None:
        raise ExpectationFailed(what, Expected(f"matches /{pattern}/"), text)


@contextmanager
def expect_raises(error: type[BaseException], what: str) -> Iterator[None]:
    """Fail unless the block raises `error` (a kazoo exception class, usually)."""
    try:
        yield
    except error:
        return
    except Exception as exc:
        raise ExpectationFailed(what, Expected(error.__name__), exc) from exc
    raise ExpectationFailed(what, Expected(error.__name__), Expected("no error"))
