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
    bench = commands.add_parser("bench-codec", help="Jute codec against kazoo's serializer")
    bench.add_argument("--seconds", type=float, default=2.0)
    bench.add_argument("--json")
    args = parser.parse_args(argv)
    if args.command == "serve":
        print(
            "zkcompat: the server is not built yet (issue 4); only the Jute codec exists.",
            file=sys.stderr,
        )
        return 1
    from zkcompat.bench import codec

    return codec.main(
        ["--seconds", str(args.seconds), *(["--json", args.json] if args.json else [])]
    )
