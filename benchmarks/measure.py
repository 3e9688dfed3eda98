"""Run one child process and measure it: wall time, CPU time, peak memory.

Each measurement is one fresh child reaped with `os.wait4`, whose resource
usage covers that child alone (and anything it waited for), unlike
`RUSAGE_CHILDREN`, which keeps the largest peak of every child reaped so far.
Peak memory takes one more step, explained in peak.py: the child is spawned
through that small helper, or it would inherit the runner's own size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PINTAG = (sys.executable, "-m", "pinterest_cli")


class BenchmarkError(Exception):
    """A command under measurement failed; the message says which and why."""


@dataclass(slots=True)
class ChildRun:
    """What one child process cost."""

    wall: float  # seconds, from start to reaped
    cpu: float  # user + system seconds
    peak_rss: int | None  # bytes, the child's high-water mark, if measured
    code: int
    stderr: str  # the end of what it wrote on stderr

    @property
    def cores(self) -> float:
        """CPU seconds per wall second: 1.0 is one core kept busy throughout."""
        return self.cpu / self.wall if self.wall else 0.0


def run_child(
    command: Sequence[str],
    *,
    stdin=subprocess.DEVNULL,
    stdout=subprocess.DEVNULL,
    env: dict[str, str] | None = None,
    check: bool = True,
    peak: bool = False,
) -> ChildRun:
    """Run `command` to the end and measure it; raise BenchmarkError if it fails.

    `peak=True` also measures its peak resident memory, through peak.py.
    """
    with tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile() as peaks:
        spawned = list(command)
        if peak:
            spawned = [
                sys.executable,
                "-S",
                str(HERE / "peak.py"),
                peaks.name,
                *spawned,
            ]
        started = time.perf_counter()
        process = subprocess.Popen(
            spawned, stdin=stdin, stdout=stdout, stderr=errors, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        # Tell Popen the child is reaped, or it would try to reap it again.
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        text = errors.read()[-4000:].decode("utf-8", "replace")
        peak_rss = int(peaks.read() or 0) if peak else None
    run = ChildRun(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss=peak_rss,
        code=process.returncode,
        stderr=text,
    )
    if check and run.code != 0:
        raise BenchmarkError(f"{describe(command)} exited {run.code}: {tail(text)}")
    return run


def alternate(rounds: int, **runs: Callable[[], ChildRun]) -> dict[str, ChildRun]:
    """Run each measurement once per round, interleaved; keep each one's fastest.

    Interleaving lets both sides of a ratio see the same spells of noise from
    the other tenants of the machine; the fastest run is the one least
    disturbed by them.
    """
    best: dict[str, ChildRun] = {}
    for _ in range(rounds):
        for name, run in runs.items():
            result = run()
            if name not in best or result.wall < best[name].wall:
                best[name] = result
    return best


def pintag(*args: str) -> list[str]:
    """The command line of pintag as a user runs it, from this interpreter."""
    return [*PINTAG, *args]


def pintag_help(*command: str) -> str | None:
    """`pintag COMMAND --help`, or None when the command does not exist yet."""
    done = subprocess.run(
        pintag(*command, "--help"), capture_output=True, text=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def describe(command: Sequence[str]) -> str:
    """A command line short enough for a message."""
    words = [Path(word).name if os.path.exists(word) else word for word in command]
    return " ".join(words)


def tail(text: str, lines: int = 3) -> str:
    """The last few lines of a child's stderr, joined on one line."""
    kept = [line.strip() for line in text.strip().splitlines()[-lines:]]
    return " / ".join(kept) or "(no message)"
