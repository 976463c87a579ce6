"""The ``zkcompat`` command.

Subcommands land with the issues that build them; ``serve`` says plainly that the server is not
built yet rather than pretending to start.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zkcompat", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run a standalone server (not built yet)")
    args = parser.parse_args(argv)
    assert args.command == "serve"
    print(
        "zkcompat: the server is not built yet (issue 4); only the Jute codec exists.",
        file=sys.stderr,
    )
    return 1
