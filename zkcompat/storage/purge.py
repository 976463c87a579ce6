"""Deleting old snapshots and txn logs, as ZooKeeper 3.8's PurgeTxnLog and autopurge do.

This module owns the retention rule, the ``zkcompat purge`` command (the arguments, messages
and exit codes of ``PurgeTxnLog``, which ``zkCleanup.sh`` runs) and the periodic autopurge task
(``DatadirCleanupManager``). It knows file names and directories; it does not read a log entry
or a snapshot's content beyond the validity check that picks the snapshots to keep.

The rule (``PurgeTxnLog.purgeOlderSnapshots``), given the newest ``count`` valid snapshots:

* the oldest of them, ``snapshot.X``, is the least zxid to keep;
* every ``snapshot.*`` and ``log.*`` whose name's zxid is below X is deleted (a name that does
  not parse counts as zxid -1, so it goes too), except
* the log files ``FileTxnLog.getLogFiles`` would read to restore ``snapshot.X``: the newest
  ``log.*`` that starts at or before X (it may hold X + 1 and on) and everything after it.
  When no log starts at or before X, ZooKeeper's search starts from zxid 0 and keeps all logs.

With fewer than ``count`` valid snapshots the oldest of those found still sets X; with none,
nothing is deleted. Directories are ``<dir>/version-2`` and are created when missing, as
``FileTxnSnapLog`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Sequence
from typing import TextIO

from zkcompat.storage.database import VERSION_DIR
from zkcompat.storage.snapshot import find_snapshots

log = logging.getLogger(__name__)

LOG_PREFIX = "log"
SNAPSHOT_PREFIX = "snapshot"
MIN_RETAIN_COUNT = 3
COUNT_ERROR = "count should be greater than or equal to 3"
USAGE = (
    "Usage:\n"
    "PurgeTxnLog dataLogDir [snapDir] -n count\n"
    "\tdataLogDir -- path to the txn log directory\n"
    "\tsnapDir -- path to the snapshot directory\n"
    "\tcount -- the number of old snaps/logs you want to keep, value should be greater than or "
    "equal to 3\n"
)
EXIT_UNEXPECTED_ERROR = 1  # ZooKeeper's ExitCode.UNEXPECTED_ERROR, also used for bad usage

_HEX_LONG = re.compile(r"[+-]?[0-9a-fA-F]+", re.ASCII)
_DECIMAL_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class PurgeError(Exception):
    """The directories cannot be purged as given (ZooKeeper's ``DatadirException`` and the
    content checks of ``FileTxnSnapLog``)."""


# --- names ---------------------------------------------------------------------------------


def zxid_from_name(name: str, prefix: str) -> int:
    """``Util.getZxidFromName``: the hex number after ``<prefix>.``, or -1 when there is none
    (or it does not fit a signed 64-bit long). ``log.1a.fixed`` gives 0x1a."""
    parts = name.split(".")
    if len(parts) < 2 or parts[0] != prefix or not _HEX_LONG.fullmatch(parts[1]):
        return -1
    zxid = int(parts[1], 16)
    return zxid if -(1 << 63) <= zxid < 1 << 63 else -1


def retained_log_names(names: Iterable[str], snapshot_zxid: int) -> set[str]:
    """The log files needed to restore the snapshot at ``snapshot_zxid``, as
    ``FileTxnLog.getLogFiles(files, snapshot_zxid)`` picks them: the newest log that starts at
    or before that zxid and every later one (all of them when none starts that early)."""
    zxids = {name: zxid_from_name(name, LOG_PREFIX) for name in names}
    start = max((z for z in zxids.values() if 0 < z <= snapshot_zxid), default=0)
    return {name for name, zxid in zxids.items() if zxid >= start}


def _java_path(path: str | os.PathLike[str]) -> str:
    """How ``java.io.File`` prints a path it was given: repeated and trailing slashes dropped."""
    text = re.sub("/+", "/", os.fspath(path))
    return text[:-1] if len(text) > 1 and text.endswith("/") else text


def _java_child(parent: str, name: str) -> str:
    return f"/{name}" if parent in ("", "/") else f"{parent}/{name}"


def _modified(path: str) -> str:
    """``DateFormat.getDateTimeInstance()`` in the en_US locale: ``Nov 24, 2026, 8:31:47 PM``."""
    try:
        moment = time.localtime(os.stat(path, follow_symlinks=False).st_mtime)
    except OSError:
        moment = time.localtime(0)  # File.lastModified() is 0 for a file that is gone
    hour = moment.tm_hour % 12 or 12
    return (
        f"{_MONTHS[moment.tm_mon - 1]} {moment.tm_mday}, {moment.tm_year}, "
        f"{hour}:{moment.tm_min:02d}:{moment.tm_sec:02d} {'AM' if moment.tm_hour < 12 else 'PM'}"
    )


# --- the purge -------------------------------------------------------------------------------


def _open_version_dir(parent: str, what: str) -> str:
    directory = _java_child(_java_path(parent), VERSION_DIR)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise PurgeError(f"Unable to create {what} directory {directory}") from exc
    if not os.access(directory, os.W_OK):
        raise PurgeError(f"Cannot write to {what} directory {directory}")
    return directory


def _listing(directory: str) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def files_to_purge(
    data_log_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str], count: int
) -> list[str]:
    """The paths ``purge`` would delete, logs first, each kind in zxid order, as
    ``java.io.File`` would print them. Creates missing ``version-2`` directories and raises
    :class:`PurgeError` when the directories look swapped, as ZooKeeper does."""
    if count < MIN_RETAIN_COUNT:
        raise ValueError(COUNT_ERROR)
    log_dir = _open_version_dir(os.fspath(data_log_dir), "data")
    snap_dir = _open_version_dir(os.fspath(data_dir), "snap")
    log_names, snap_names = _listing(log_dir), _listing(snap_dir)
    if log_dir != snap_dir:  # ZooKeeper compares the path strings, not the directories
        if any(name.startswith(SNAPSHOT_PREFIX + ".") for name in log_names):
            raise PurgeError(
                "Log directory has snapshot files. Check if dataLogDir and dataDir "
                "configuration is correct."
            )
        if any(name.startswith(LOG_PREFIX + ".") for name in snap_names):
            raise PurgeError(
                "Snapshot directory has log files. Check if dataLogDir and dataDir "
                "configuration is correct."
            )
    kept = find_snapshots(snap_dir, limit=count)
    if not kept:
        return []
    least = zxid_from_name(kept[-1].name, SNAPSHOT_PREFIX)
    retained = retained_log_names(log_names, least)

    def doomed(directory: str, names: list[str], prefix: str) -> list[str]:
        chosen = [
            name
            for name in names
            if name.startswith(prefix + ".")
            and (prefix != LOG_PREFIX or name not in retained)
            and zxid_from_name(name, prefix) < least
        ]
        chosen.sort(key=lambda name: (zxid_from_name(name, prefix), name))
        return [_java_child(directory, name) for name in chosen]

    return doomed(log_dir, log_names, LOG_PREFIX) + doomed(snap_dir, snap_names, SNAPSHOT_PREFIX)


def purge(
    data_log_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    count: int,
    *,
    out: TextIO | None = None,
) -> list[str]:
    """Keep the newest ``count`` (>= 3) snapshots of ``<data_dir>/version-2`` and the logs of
    ``<data_log_dir>/version-2`` they need; delete the older files. Each removal is logged and,
    when ``out`` is given, printed there as PurgeTxnLog prints it. Returns the paths removed."""
    removed = []
    for path in files_to_purge(data_log_dir, data_dir, count):
        message = f"Removing file: {_modified(path)}\t{path}"
        log.info("%s", message)
        if out is not None:
            print(message, file=out, flush=True)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            else:
                os.remove(path)
        except OSError:
            print(f"Failed to remove {path}", file=sys.stderr)
        else:
            removed.append(path)
    return removed


# --- ``zkcompat purge`` ----------------------------------------------------------------------


class _UsageError(Exception):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.message = message


def _existing(path: str) -> str:
    if not os.path.exists(path):
        absolute = _java_path(path)
        if not absolute.startswith("/"):  # File.getAbsolutePath: no ".." resolved
            absolute = _java_child(os.getcwd(), absolute)
        raise _UsageError(f"Path '{absolute}' does not exist. ")
    return path


def _count(text: str) -> int:
    if not _DECIMAL_INT.fullmatch(text) or not -(1 << 31) <= int(text) < 1 << 31:
        raise _UsageError(f"'{text}' can not be parsed to integer.")
    if int(text) < MIN_RETAIN_COUNT:
        raise _UsageError(COUNT_ERROR)
    return int(text)


def main(args: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``PurgeTxnLog dataLogDir [snapDir] -n count``: its checks in its order, its messages,
    and its exit codes (0 when purged, 1 for bad usage or a failed purge)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if len(args) not in (3, 4):
            raise _UsageError()
        data_log_dir = _existing(args[0])
        data_dir = data_log_dir if len(args) == 3 else _existing(args[1])
        option, count = args[-2], _count(args[-1])
        if option != "-n":
            raise _UsageError()
    except _UsageError as usage:
        if usage.message:
            print(usage.message, file=err)
        out.write(USAGE)
        return EXIT_UNEXPECTED_ERROR
    try:
        purge(data_log_dir, data_dir, count, out=out)
    except (PurgeError, OSError) as exc:
        print(f"zkcompat purge: {exc}", file=err)
        return EXIT_UNEXPECTED_ERROR
    return 0


# --- autopurge -------------------------------------------------------------------------------


class DatadirCleanup:
    """``autopurge.*``: purge every ``purge_interval`` hours (0 or less: never), keeping
    ``snap_retain_count`` snapshots, as DatadirCleanupManager does: the first purge runs as soon
    as the task starts, later ones at a fixed rate from then. Purges run in a worker thread;
    a failed one is logged and the schedule goes on."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        data_log_dir: str | os.PathLike[str] | None,
        snap_retain_count: int,
        purge_interval: float,
    ) -> None:
        self.data_dir = data_dir
        self.data_log_dir = data_log_dir or data_dir
        self.snap_retain_count = snap_retain_count
        self.purge_interval = purge_interval
        self._task: asyncio.Task[None] | None = None
        self._purging: asyncio.Future[None] | None = None
        log.info("autopurge.snapRetainCount set to %s", snap_retain_count)
        log.info("autopurge.purgeInterval set to %s", purge_interval)

    @property
    def started(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Schedule the purges on the running event loop."""
        if self.started:
            log.warning("Purge task is already running.")
            return
        if self.purge_interval <= 0:
            log.info("Purge task is not scheduled.")
            return
        self._task = asyncio.get_running_loop().create_task(self._schedule())

    async def shutdown(self) -> None:
        """Cancel the schedule and wait for a purge that is under way."""
        if not self.started:
            # ZooKeeper warns here, but it never shuts an unscheduled task down; we do on
            # every stop, so it is not worth a warning.
            log.debug("Purge task not started. Ignoring shutdown!")
            return
        assert self._task is not None
        log.info("Shutting down purge task.")
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._purging is not None and not self._purging.done():
            await asyncio.wait([self._purging])

    def purge_once(self) -> None:
        """One run of ZooKeeper's PurgeTask, errors logged rather than raised."""
        log.info("Purge task started.")
        try:
            purge(self.data_log_dir, self.data_dir, self.snap_retain_count)
        except Exception:
            log.exception("Error occurred while purging.")
        log.info("Purge task completed.")

    async def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        period = self.purge_interval * 3600
        due = loop.time()
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            self._purging = loop.run_in_executor(None, self.purge_once)
            await asyncio.shield(self._purging)
            due += period
