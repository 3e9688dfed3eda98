"""The dead-letter file: rejected and failed messages, ready to be sent again.

Each line wraps the original message in the request-log envelope that the
reader unwraps (`{"obj": <message>, "pintag": {...}}`), so the file is valid
input for `pintag send` once the cause is fixed. Lines that were not JSON keep
their text under `raw`. The file holds unhashed personal data, so it is
created readable by its owner only.
"""

from __future__ import annotations

import os
import threading

from pinterest_cli.jsonutil import dumps
from pinterest_cli.reader import Record


class DeadLetterFile:
    """An append-only JSON lines file of messages that did not go."""

    def __init__(self, path: str, *, append: bool = False) -> None:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        fd = os.open(path, flags, 0o600)
        os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
        self.path = path
        self._file = os.fdopen(fd, "wb", buffering=1 << 16)
        self._lock = threading.Lock()
        self.written = 0

    def write(self, record: Record, outcome: str, error: str) -> None:
        """Add one message with where it came from and why it did not go."""
        note = {
            "outcome": outcome,
            "error": error,
            "source": record.source,
            "line": record.line,
        }
        if record.batched:
            note["index"] = record.index
        if record.message is not None:
            entry = {"obj": record.message, "pintag": note}
        else:
            # backslashreplace keeps invalid bytes visible and never lets them
            # turn into a valid line when the file is read again.
            raw = record.raw.decode("utf-8", "backslashreplace")
            entry = {"raw": raw, "pintag": note}
        line = dumps(entry) + b"\n"
        with self._lock:
            self._file.write(line)
            self.written += 1

    def flush(self) -> None:
        """Hand what is buffered to the operating system (survives a kill)."""
        with self._lock:
            self._file.flush()

    def sync(self) -> None:
        """Flush to disk, so a checkpoint written after it can rely on it."""
        with self._lock:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flush and close the file."""
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
