"""The live progress line: which step of how many, on which server, for how long.

On a terminal it is one line on stderr rewritten in place; elsewhere (CI, a log file) each step
is a line of its own and in-step updates come at most every ``quiet_interval`` seconds, so a
long step still shows it is alive without flooding the log. Never on stdout: the table is.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self, total_steps: int, stream: TextIO | None = None, quiet_interval: float = 30.0
    ) -> None:
        self.total = total_steps
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        self.quiet_interval = quiet_interval
        self.began = time.monotonic()
        self._step = ""
        self._step_began = self.began
        self._last_quiet = 0.0
        self._width = 0

    def step(self, text: str) -> None:
        """Begin the next step."""
        self.done += 1
        self._step = text
        self._step_began = time.monotonic()
        self._last_quiet = self._step_began
        self._show(self._step, force=True)

    def update(self, detail: str) -> None:
        """Say how the current step is going."""
        self._show(f"{self._step} · {detail}", force=False)

    def _show(self, text: str, force: bool) -> None:
        now = time.monotonic()
        line = (
            f"[{self.done}/{self.total}, {(now - self.began) / 60:.1f} min] "
            f"{text} · {now - self._step_began:.0f} s"
        )
        if self.live:
            line = line[: shutil.get_terminal_size().columns - 1]
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        elif force or now - self._last_quiet >= self.quiet_interval:
            self._last_quiet = now
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Clear the live line, so that what follows starts on a clean one."""
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
