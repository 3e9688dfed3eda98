"""The checkpoint: how far each input file is finished, so a run can resume.

A message is finished once it is sent, skipped, rejected or failed (and
dead-lettered). Messages finish out of order, so each file's progress is a
watermark `after=(line, index)` (it and everything before it finished) plus
the few positions past it that finished early (`done`). Resuming reads from
the watermark and passes over the `done` positions, so nothing that finished
is sent again.

The file is JSON, replaced atomically (temporary file, fsync, rename), and
records a fingerprint of every input, so that resuming a changed file is
refused rather than skipping the wrong messages.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

FORMAT = 1
# The fingerprint reads this much at each end of a file: cheap on huge
# exports, and a copy with a new mtime still matches.
_EDGE = 1 << 16
_END = 0  # the line of the marker that ends a file; real lines start at 1

Position = tuple[int, int]


class CheckpointError(Exception):
    """A checkpoint forbids this run as asked; the message says what to do."""


@dataclass(slots=True)
class InputState:
    """One input file: its identity and how far it is finished."""

    path: str  # absolute
    size: int
    sha256: str  # of the first and last 64 KiB
    after: Position | None = None
    done: list[Position] = field(default_factory=list)
    complete: bool = False

    def describe(self) -> str:
        """`events.jsonl: finished up to line 12` and the like, for messages."""
        name = os.path.basename(self.path)
        if self.complete:
            return f"{name}: finished"
        if self.after is None:
            return f"{name}: not started"
        line, index = self.after
        at = f"line {line}" + (f" [{index}]" if index else "")
        return f"{name}: finished up to {at}"


@dataclass
class Checkpoint:
    """The checkpoint file of one run: its inputs and destination."""

    location: str
    transport: str
    destination: str
    endpoint: str
    inputs: list[InputState]

    @property
    def finished(self) -> bool:
        """Whether every input is complete."""
        return all(state.complete for state in self.inputs)

    def describe(self) -> str:
        """Progress of every input on one line."""
        return "; ".join(state.describe() for state in self.inputs)

    def update(self, progress: list[tuple[Position | None, list, bool]]) -> None:
        """Take the tracker's snapshot: (after, done, complete) per input."""
        for state, (after, done, complete) in zip(self.inputs, progress, strict=True):
            state.after, state.done, state.complete = after, done, complete

    def save(self) -> None:
        """Replace the file atomically: a crash leaves the old or the new one."""
        document = {
            "pintag_checkpoint": FORMAT,
            "transport": self.transport,
            "destination": self.destination,
            "endpoint": self.endpoint,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "finished": self.finished,
            "inputs": [
                {
                    "path": s.path,
                    "size": s.size,
                    "sha256": s.sha256,
                    "after": s.after,
                    "done": s.done,
                    "complete": s.complete,
                }
                for s in self.inputs
            ],
        }
        write_atomically(self.location, orjson.dumps(document) + b"\n")

    @classmethod
    def load(cls, location: str) -> Checkpoint | None:
        """Read a checkpoint file; None when there is none."""
        try:
            with open(location, "rb") as file:
                document = orjson.loads(file.read())
            return cls(
                location,
                document["transport"],
                document["destination"],
                document.get("endpoint", ""),
                [_input_state(item) for item in document["inputs"]],
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(
                f"the checkpoint {location} cannot be read ({exc}); "
                "use --restart to send everything again and replace it"
            ) from None


def _input_state(item: dict) -> InputState:
    after = item["after"]
    return InputState(
        item["path"],
        int(item["size"]),
        str(item["sha256"]),
        (int(after[0]), int(after[1])) if after is not None else None,
        [(int(line), int(index)) for line, index in item.get("done", ())],
        bool(item["complete"]),
    )


def write_atomically(path: str, data: bytes) -> None:
    """Write `data` to `path` through a synced temporary file and a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".pintag-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    # The rename itself is durable only once the folder is synced.
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def fingerprint(path: str) -> tuple[int, str]:
    """(size, SHA-256 of the size, the first and the last 64 KiB) of a file."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        digest = hashlib.sha256(str(size).encode())
        digest.update(file.read(_EDGE))
        if size > _EDGE:
            file.seek(max(size - _EDGE, _EDGE))
            digest.update(file.read(_EDGE))
    return size, digest.hexdigest()


def default_location(
    paths: list[str], transport: str, destination: str, environ: Mapping[str, str]
) -> str:
    """$XDG_STATE_HOME/pintag/checkpoints/<hash of inputs and destination>.json."""
    state_home = environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(state_home):  # the XDG spec says to ignore relative ones
        state_home = os.path.join(os.path.expanduser("~"), ".local", "state")
    key = "\n".join([transport, destination, *map(os.path.abspath, paths)])
    name = hashlib.sha256(key.encode()).hexdigest()[:20]
    return os.path.join(state_home, "pintag", "checkpoints", f"{name}.json")


def open_checkpoint(
    paths: list[str],
    *,
    transport: str,
    destination: str,
    endpoint: str,
    location: str,
    resume: bool,
    restart: bool,
) -> tuple[Checkpoint, list[str]]:
    """The checkpoint this run starts from, and notes for the user.

    Raises CheckpointError when an unfinished run would be sent again without
    --resume, or when --resume meets a checkpoint it cannot continue.
    """
    fresh = Checkpoint(
        location,
        transport,
        destination,
        endpoint,
        [InputState(os.path.abspath(p), *fingerprint(p)) for p in paths],
    )
    existing = None if restart else Checkpoint.load(location)
    if existing is None:
        notes = []
        if resume and not restart:
            notes.append(f"no checkpoint at {location}; sending from the beginning")
        return fresh, notes
    same_run = _same_run(existing, fresh)
    if not resume:
        if existing.finished:
            return fresh, []
        what = "these files" if same_run else "other files or another destination"
        raise CheckpointError(
            f"an unfinished run of {what} has a checkpoint at {location} "
            f"({existing.describe()}); add --resume to continue it, or --restart "
            "to send everything again"
        )
    if not same_run:
        raise CheckpointError(
            f"the checkpoint {location} is of a run of other files or another "
            "destination; pass the same files, or --restart to start over"
        )
    _refuse_changed(existing, fresh)
    notes = [f"resuming from {location}: {existing.describe()}"]
    if existing.endpoint != endpoint:
        notes.append(
            f"the run being resumed sent to {existing.endpoint}; this one sends "
            f"to {endpoint}"
        )
        existing.endpoint = endpoint
    return existing, notes


def _same_run(existing: Checkpoint, fresh: Checkpoint) -> bool:
    return (
        existing.transport == fresh.transport
        and existing.destination == fresh.destination
        and [s.path for s in existing.inputs] == [s.path for s in fresh.inputs]
    )


def _refuse_changed(existing: Checkpoint, fresh: Checkpoint) -> None:
    for old, new in zip(existing.inputs, fresh.inputs, strict=True):
        if (old.size, old.sha256) == (new.size, new.sha256):
            continue
        if old.size != new.size:
            how = f"size was {old.size:,} bytes, now {new.size:,}"
        else:
            how = f"same size, {new.size:,} bytes, but different content"
        raise CheckpointError(
            f"{new.path} changed since the checkpoint {existing.location} was "
            f"written ({how}); resuming would skip the wrong messages. Use "
            "--restart to send all of it again"
        )


class Tracker:
    """Which messages are finished, per input, as they finish out of order.

    Every message read is appended to a queue of entries in reading order;
    the watermark advances by popping finished entries off the front, so the
    cost is O(1) amortised per message and finished runs hold no memory.
    Not thread-safe: the caller holds a lock.
    """

    __slots__ = ("_after", "_complete", "_pending")

    def __init__(self, inputs: list[InputState]) -> None:
        self._after: list[Position | None] = [s.after for s in inputs]
        self._complete = [s.complete for s in inputs]
        self._pending: deque[list] = deque()

    def add(self, file: int, line: int, index: int) -> list:
        """Register a message being worked on; pass the entry to `finish`."""
        entry = [False, file, line, index]
        self._pending.append(entry)
        return entry

    def finish(self, entry: list) -> None:
        """Mark a message finished, advancing the watermarks it unblocks."""
        entry[0] = True
        pending = self._pending
        if pending[0] is not entry:
            return
        after, complete = self._after, self._complete
        while pending and pending[0][0]:
            _, file, line, index = pending.popleft()
            if line == _END:
                complete[file] = True
            else:
                after[file] = (line, index)

    def add_finished(self, file: int, line: int, index: int) -> None:
        """Register a message that is finished as soon as it is read."""
        if self._pending:
            self._pending.append([True, file, line, index])
        else:
            self._after[file] = (line, index)

    def end_of_file(self, file: int) -> None:
        """Every message of `file` has been read; it completes once they finish."""
        if self._pending:
            self._pending.append([True, file, _END, 0])
        else:
            self._complete[file] = True

    @property
    def backlog(self) -> int:
        """Entries held: the unfinished ones and those finished after them."""
        return len(self._pending)

    @property
    def unfinished(self) -> int:
        """Messages registered but not finished (in flight, queued, retrying)."""
        return sum(1 for entry in self._pending if not entry[0])

    def snapshot(self) -> list[tuple[Position | None, list[Position], bool]]:
        """(after, done past it, complete) of every input."""
        done: list[list[Position]] = [[] for _ in self._after]
        for finished, file, line, index in self._pending:
            if finished and line != _END:
                done[file].append((line, index))
        return list(zip(self._after, done, self._complete, strict=True))
