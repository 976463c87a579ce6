"""The scenario groups, one module each, in the order a run goes through them.

Importing a group module registers its scenarios; `load_all()` imports every one and returns
the registered scenarios, group by group, each group in the order its module defines them.
"""

from __future__ import annotations

import importlib

from conformance.scenario import REGISTRY, Scenario

GROUPS = (
    "crud",
    "errors",
    "stat",
    "watches",
    "persistent",
    "multi",
    "reads",
    "system",
    "fourletter",
    "uses",
    "sessions",
    "acl",
    "chroot",
    "limits",
    "ttl",
    "clients",
    "ensemble",
)


def load_all() -> list[Scenario]:
    """Every registered scenario, ordered by `GROUPS` then by definition."""
    for group in GROUPS:
        importlib.import_module(f"conformance.groups.{group}")
    order = {group: index for index, group in enumerate(GROUPS)}
    return sorted(REGISTRY.values(), key=lambda found: order.get(found.group, len(order)))
