"""The live progress display of `pintag send`, on stderr.

A bar over input bytes (compressed bytes for gzip files) when every input is
a file, a counter for standard input; with sent, failed and skipped counts,
the current rate and the time left. It is drawn only on a terminal and never
with --quiet, and is updated by the sender at most ten times a second, so it
costs nothing measurable.
"""

from __future__ import annotations

import time
from collections import deque

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pinterest_cli.tally import Tally

_RATE_WINDOW = 3.0  # seconds the displayed rate is averaged over
_COUNTS = (
    "[green]sent {task.fields[sent]:,}[/] [red]failed {task.fields[failed]:,}[/] "
    "skipped {task.fields[skipped]:,} {task.fields[rate]}"
)


class SendProgress:
    """A rich progress display; use as a context manager around the run."""

    def __init__(self, console: Console, total_bytes: int | None) -> None:
        columns: list = [TextColumn("{task.description}")]
        if total_bytes:
            columns += [BarColumn(), TaskProgressColumn()]
        else:
            columns.append(TextColumn("{task.fields[read]:,} messages"))
        columns.append(TextColumn(_COUNTS))
        if total_bytes:
            columns.append(TimeRemainingColumn())
        else:
            columns.append(TimeElapsedColumn())
        self._progress = Progress(
            *columns, console=console, transient=True, auto_refresh=False
        )
        self._task = self._progress.add_task(
            "sending",
            total=total_bytes or None,
            read=0,
            sent=0,
            failed=0,
            skipped=0,
            rate="",
        )
        self._samples: deque[tuple[float, int]] = deque()

    def __enter__(self) -> SendProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._progress.stop()

    def update(self, position: int, tally: Tally) -> None:
        """Show `position` input bytes read and the counts so far."""
        done = tally.sent + tally.failed
        self._progress.update(
            self._task,
            completed=position,
            read=tally.read,
            sent=tally.sent,
            failed=tally.failed,
            skipped=tally.skipped,
            rate=self._rate(done),
            refresh=True,
        )

    def _rate(self, done: int) -> str:
        """Requests finished a second over the last few seconds."""
        now = time.monotonic()
        samples = self._samples
        samples.append((now, done))
        while len(samples) > 2 and now - samples[1][0] >= _RATE_WINDOW:
            samples.popleft()
        then, before = samples[0]
        if now - then < 0.5:
            return ""
        return f"{(done - before) / (now - then):,.0f}/s"


def make_progress(console: Console, total_bytes: int | None) -> SendProgress | None:
    """A display when stderr is a terminal and --quiet was not given, else None."""
    # Not `console.is_terminal`: it is true whenever FORCE_COLOR is set, and a
    # CI log would fill with redrawn bars.
    isatty = getattr(console.file, "isatty", None)
    if console.quiet or isatty is None or not isatty():
        return None
    return SendProgress(console, total_bytes)
