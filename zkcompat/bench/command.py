"""``zkcompat bench`` / ``make bench``: zkcompat and Apache ZooKeeper side by side, one run.

Parses the options, checks that ZooKeeper is installed, runs the suite with a live progress
line on stderr, then prints the table on stdout and writes the JSON history file. The exit
status is 1 when a measurement failed (a server gave a wrong reply or stalled): targets missed
are figures to improve, not failures of the run.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import resource
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from conformance.zookeeper import ZooKeeperUnavailable, default_classpath
from zkcompat.bench.progress import Progress
from zkcompat.bench.report import generator_note, table, to_json, write_json
from zkcompat.bench.rows import ROW_NAMES, ROWS, select
from zkcompat.bench.settings import FULL, QUICK, Settings
from zkcompat.bench.suite import Suite, count_steps

log = logging.getLogger("zkcompat.bench")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zkcompat bench", description=__doc__.splitlines()[0].split(": ", 1)[1]
    )
    parser.add_argument("--quick", action="store_true", help="short runs, small data, 1 round")
    parser.add_argument(
        "--rows", help=f"comma-separated rows to run (default all): {','.join(ROW_NAMES)}"
    )
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    parser.add_argument("--rounds", type=int, help="A/B alternations per row (default 3)")
    parser.add_argument("--seconds", type=float, help="measured seconds per throughput run")
    parser.add_argument("--processes", type=int, help="load generator processes (default 2)")
    parser.add_argument("--connections", type=int, help="sessions per process (default 16)")
    parser.add_argument("--window", type=int, help="requests in flight per session (default 16)")
    parser.add_argument("--znodes", type=int, help="znodes of the bulk rows (default 1,000,000)")
    parser.add_argument("--heap", help="ZooKeeper's -Xmx (default 2g)")
    parser.add_argument("--profile", action="store_true", help="py-spy zkcompat per live row")
    parser.add_argument("--out", type=Path, default=Path("build/bench"), help="JSON directory")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the harness's steps")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """The full or quick settings, with the options given on the command line."""
    settings = QUICK if args.quick else FULL
    overrides: dict[str, Any] = {
        "rounds": args.rounds,
        "seconds": args.seconds,
        "processes": args.processes,
        "connections": args.connections,
        "window": args.window,
        "bulk_znodes": args.znodes,
        "heap": args.heap,
    }
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    return replace(settings, profile=args.profile)


def _raise_open_files_limit() -> None:
    """1,000 watchers and their server need more descriptors than a shell's usual 1,024;
    the servers inherit the raised limit (the JVM raises its own anyway)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _command_output(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _about(settings: Settings, rows: list[str]) -> dict[str, Any]:
    """What a reader of the history needs to know about this run besides its figures."""
    dirty = _command_output(["git", "status", "--porcelain", "--untracked-files=no"])
    return {
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": _command_output(["git", "rev-parse", "HEAD"]),
        "dirty": bool(dirty),
        "zookeeper": _command_output(["dpkg-query", "-W", "-f", "${Version}", "zookeeper"]),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "rows": rows,
        "settings": asdict(settings),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for row in ROWS:
            print(f"{row.name:10} {row.phase:6} {row.title}")
        return 0
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
    )
    try:
        rows = select(args.rows.split(",") if args.rows else None)
        default_classpath()
    except (ValueError, ZooKeeperUnavailable) as error:
        print(f"zkcompat bench: {error}", file=sys.stderr)
        return 2
    settings = settings_from(args)
    _raise_open_files_limit()
    about = _about(settings, [row.name for row in rows])
    progress = Progress(count_steps(rows, settings))
    suite = Suite(rows, settings, progress, args.out)
    try:
        results = suite.run()
    except ZooKeeperUnavailable as error:  # a server would not start at all
        progress.close()
        print(f"zkcompat bench: {error}", file=sys.stderr)
        return 2
    finally:
        progress.close()
    about["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    about["load_average_end"] = os.getloadavg()
    note = generator_note(results, settings.processes)
    if note:
        results.notes.append(note)
    if args.quick:
        results.notes.append("--quick: short runs and small data; do not compare these figures")
    title = (
        f"zkcompat vs Apache ZooKeeper {about['zookeeper'] or ''}: medians of "
        f"{settings.rounds} round(s), alternated in one run on {about['cpus']} CPUs "
        f"(load average {about['load_average_start'][0]:.1f} → {about['load_average_end'][0]:.1f})"
    )
    print(table(results, title))
    for name, summary in suite.profiles.items():
        print(f"\npy-spy profile of zkcompat under '{name}':\n{summary}")
    about["profiles"] = suite.profiles
    path = write_json(to_json(results, about), args.out, about["started"][:19].replace(":", ""))
    print(f"\nwritten: {path}")
    return 1 if any("failed on" in note for note in results.notes) else 0
