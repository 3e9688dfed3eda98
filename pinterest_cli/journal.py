"""The journal: positions finished since the last checkpoint, safe from SIGKILL.

The checkpoint is rewritten once a second; messages finish in between. Each
finished delivery (sent, failed, or rejected) is appended here with one
unbuffered `os.write` per request, which the operating system keeps even when
the process is killed outright. So a resumed run repeats at most the requests
that were in flight, not a second's worth of them.

Every checkpoint write rotates the journal: the new checkpoint covers all
that the older journal files hold, and they are removed once it is on disk.
A resume reads the checkpoint and then every journal file still present.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Iterable

from pinterest_cli.checkpoint import Checkpoint

# (input number, line, index) of one finished message.
Entry = tuple[int, int, int]


class Journal:
    """An append-only record of finished positions, in numbered files."""

    def __init__(self, location: str) -> None:
        self._base = f"{location}.journal"
        generations = [_generation(path) for path in _files(self._base)]
        self._generation = max(generations, default=0)
        self._fd = -1
        self._open_next()

    def record(self, entries: Iterable[Entry]) -> None:
        """Append finished positions with one write; the caller holds the lock."""
        data = b"".join(b"%d %d %d\n" % entry for entry in entries)
        if data and self._fd >= 0:
            os.write(self._fd, data)

    def rotate(self) -> list[str]:
        """Start a new file; the older ones to remove once a checkpoint is saved."""
        older = [f"{self._base}.{n}" for n in range(1, self._generation + 1)]
        self._open_next()
        return [path for path in older if os.path.exists(path)]

    def close(self) -> None:
        """Close the current file (it stays until a checkpoint covers it)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _open_next(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._generation += 1
        path = f"{self._base}.{self._generation}"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def remove(paths: Iterable[str]) -> None:
    """Delete journal files a saved checkpoint now covers."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def clear(location: str) -> None:
    """Delete every journal file of a checkpoint (a fresh start)."""
    remove(_files(f"{location}.journal"))


def replay(location: str, checkpoint: Checkpoint) -> int:
    """Add the journal's positions to the checkpoint's; how many were new."""
    done = [set(state.done) for state in checkpoint.inputs]
    added = 0
    for path in _files(f"{location}.journal"):
        with open(path, "rb") as file:
            for line in file:
                entry = _entry(line)
                if entry is not None and _new(checkpoint, done, entry):
                    added += 1
    for state, positions in zip(checkpoint.inputs, done, strict=True):
        state.done = sorted(positions)
    return added


def _new(checkpoint: Checkpoint, done: list[set], entry: Entry) -> bool:
    number, line, index = entry
    if not 0 <= number < len(checkpoint.inputs):
        return False
    state = checkpoint.inputs[number]
    position = (line, index)
    if state.complete or (state.after is not None and position <= state.after):
        return False
    if position in done[number]:
        return False
    done[number].add(position)
    return True


def _entry(line: bytes) -> Entry | None:
    # A kill can cut the last line short; such a line is simply not counted.
    parts = line.split()
    if len(parts) != 3 or not line.endswith(b"\n"):
        return None
    try:
        number, position, index = (int(part) for part in parts)
    except ValueError:
        return None
    return number, position, index


def _files(base: str) -> list[str]:
    paths = glob.glob(glob.escape(base) + ".*")
    return sorted((path for path in paths if _generation(path) > 0), key=_generation)


def _generation(path: str) -> int:
    suffix = path.rsplit(".", 1)[-1]
    return int(suffix) if suffix.isdigit() else 0
