"""A progress bar for slow cold runs, on stderr, only where a person watches.

Shown when stderr is a terminal, the run is not in CI (`CI` unset) and the
output is for people, and only once the work has taken more than DELAY
seconds: a warm or small run never flashes a bar. rich is imported only then.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Optional

DELAY = 1.0
REDRAW = 0.1  # seconds between two drawings of the bar


class ProgressBar:
    """Called with (done, total) as files are read; draws nothing until DELAY has passed."""

    def __init__(self, delay: float = DELAY) -> None:
        self._started = time.monotonic()
        self._delay = delay
        self._progress: Optional[Any] = None
        self._task: Any = None
        self._drawn = 0.0

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            if time.monotonic() - self._started < self._delay or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            # Drawn from here, not by rich's refresh thread: a process running another
            # thread cannot fork its workers (they could inherit a lock held), and
            # would start them from fresh interpreters, for the rest of the check.
            self._progress = Progress(
                TextColumn("Reading files"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
                auto_refresh=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("files", total=total)
        now = time.monotonic()
        redraw = done >= total or now - self._drawn >= REDRAW
        if redraw:
            self._drawn = now
        self._progress.update(self._task, completed=done, total=total, refresh=redraw)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def wanted(for_people: bool) -> bool:
    """Whether a bar may be shown: a person's terminal, not CI, not a machine format."""
    return for_people and not os.environ.get("CI") and sys.stderr.isatty()
