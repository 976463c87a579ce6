"""Where zkcompat's CPU goes under a row's load: py-spy on the server process, summarised.

py-spy samples the running server from outside (no code change, no restart), so the profile is
of the very process the row measures. Its raw output (collapsed stacks, one line per distinct
stack with a sample count) is kept for flame-graph tools, and summarised here as the functions
with the most samples on top of the stack (self) and anywhere in it (total). Only samples of a
thread holding the GIL are kept (``--gil``): a single-threaded Python server is limited by
that one lock, so these are the shares of the time that bounds its throughput; a thread
waiting in fdatasync or on a queue is left out.

py-spy is optional: ``pip install py-spy`` in the venv. Without it, profiling is skipped.
"""

from __future__ import annotations

import collections
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

_LINE = re.compile(r":\d+\)$")


def pyspy() -> str | None:
    """The py-spy executable: beside this Python (the venv) or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start_recording(pid: int, seconds: float, raw_path: Path) -> subprocess.Popen[bytes] | None:
    """py-spy recording ``pid`` for ``seconds`` into ``raw_path``; None without py-spy."""
    executable = pyspy()
    if executable is None:
        log.warning("py-spy is not installed (pip install py-spy): no profile")
        return None
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    command = [executable, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    command += [
        "--rate",
        "200",
        "--gil",
        "--nolineno",
        "--format",
        "raw",
        "--output",
        str(raw_path),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _function(frame: str) -> str:
    """``handle (zkcompat/network.py:178)`` → ``handle (zkcompat/network.py)``."""
    return _LINE.sub(")", frame.strip())


def summarise(raw: str, top: int = 15) -> str:
    """The ``top`` functions by self and by total samples, as percentages of busy samples."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for function in set(frames):
            total[function] += count
    if not samples:
        return "no samples"
    lines = [f"{samples} samples holding the GIL", "self %  function"]
    lines += [f"{100 * n / samples:5.1f}  {name}" for name, n in own.most_common(top)]
    # Leave out the entry chain (runpy, main, the event loop's run): every stack has it.
    chain = max(total.values())
    inner = [(name, n) for name, n in total.most_common() if n < chain][:top]
    lines += ["total %  function (below the entry chain)"]
    lines += [f"{100 * n / samples:6.1f}  {name}" for name, n in inner]
    return "\n".join(lines)


def finish_recording(process: subprocess.Popen[bytes], raw_path: Path) -> str | None:
    """Wait for py-spy and return the summary (also written beside the raw stacks)."""
    _, err = process.communicate(timeout=120)
    if process.returncode != 0 or not raw_path.exists():
        log.warning("py-spy failed: %s", err.decode(errors="replace").strip()[-500:])
        return None
    summary = summarise(raw_path.read_text())
    raw_path.with_suffix(".txt").write_text(summary + "\n")
    return summary
