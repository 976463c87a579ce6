"""What the kernel says a process (or the machine) spent: CPU seconds and resident memory.

On a shared two-core machine, throughput swings with whatever else runs; the CPU a server
spends per request does not swing nearly as much, so every throughput figure comes with it.
Read from /proc, so it sees every thread of the process (a JVM's GC and JIT threads too) and
needs nothing installed. Linux only, like the servers it measures.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of every thread of ``pid`` so far."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        text = stat.read()
    # The command name (field 2) may hold spaces; the fields after it start past the last ')'.
    fields = text[text.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def total_cpu_seconds(pids: list[int]) -> float:
    """The CPU seconds of several processes; one that has exited counts as zero."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += cpu_seconds(pid)
    return total


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` now."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent not idle, summed over its CPUs."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICKS


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds spent so far by the server, the load generator, and the whole machine."""

    server: float
    generator: float
    machine: float

    @classmethod
    def take(cls, server_pid: int | None, generator_pids: list[int]) -> CpuSample:
        return cls(
            server=cpu_seconds(server_pid) if server_pid else 0.0,
            generator=total_cpu_seconds(generator_pids),
            machine=machine_busy_seconds(),
        )

    def generator_cores(self, seconds: float) -> float:
        """For a difference of samples over ``seconds``: cores the generator kept busy."""
        return self.generator / seconds

    def other_cores(self, seconds: float) -> float:
        """CPU that neither the server nor the generator spent: everyone else's noise."""
        return max(0.0, (self.machine - self.server - self.generator) / seconds)

    def __sub__(self, earlier: CpuSample) -> CpuSample:
        return CpuSample(
            self.server - earlier.server,
            self.generator - earlier.generator,
            self.machine - earlier.machine,
        )


class CpuShares:
    """The per-core figures of a result that holds the ``cpu`` spent over ``seconds``: a base
    for the load and churn results, which report them the same way."""

    cpu: CpuSample
    seconds: float

    @property
    def generator_cores(self) -> float:
        return self.cpu.generator_cores(self.seconds)

    @property
    def other_cores(self) -> float:
        return self.cpu.other_cores(self.seconds)


_USED = re.compile(r"used (\d+)K")


def java_heap_used(pid: int, collect: bool = True) -> int | None:
    """Bytes of Java heap in use (after a full GC when ``collect``), from ``jcmd``; None when
    jcmd is not installed or cannot attach. Counts the generations, not Metaspace."""
    jcmd = shutil.which("jcmd")
    if jcmd is None:
        return None
    try:
        if collect:
            subprocess.run([jcmd, str(pid), "GC.run"], capture_output=True, timeout=120, check=True)
        out = subprocess.run(
            [jcmd, str(pid), "GC.heap_info"], capture_output=True, timeout=60, check=True
        ).stdout.decode(errors="replace")
    except (OSError, subprocess.SubprocessError):
        return None
    used = [
        int(match.group(1)) * 1024
        for line in out.splitlines()
        if "Metaspace" not in line and "class space" not in line
        for match in [_USED.search(line)]
        if match
    ]
    return sum(used) if used else None
