"""The checkpoint saver: the ledger written to the checkpoint file every second.

It runs in its own thread so that neither a blocked reader nor busy workers
delay it, and it is the thread that ends the process on a second Ctrl-C,
after one last consistent save.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from pinterest_cli import journal
from pinterest_cli.checkpoint import Checkpoint
from pinterest_cli.ledger import Ledger
from pinterest_cli.status import INTERRUPTED

log = logging.getLogger("pintag")


class CheckpointSaver:
    """Writes the checkpoint every second from its own thread, and at the end.

    The dead-letter file is synced before any checkpoint that counts its
    messages as finished, so a crash never loses a failed message.
    """

    INTERVAL = 1.0

    def __init__(
        self,
        ledger: Ledger,
        checkpoint: Checkpoint | None,
        on_leave: Callable[[], None] | None,
    ) -> None:
        self._ledger = ledger
        self._checkpoint = checkpoint
        self._on_leave = on_leave
        self._wake = threading.Event()
        self._write_lock = threading.Lock()
        self._closing = False
        self._leaving = False
        self._last: tuple | None = None
        self._warned = False
        self.saved = True
        self._thread = threading.Thread(target=self._run, name="pintag-saver")
        self._thread.daemon = True

    def start(self) -> None:
        """Start saving every INTERVAL seconds."""
        self._thread.start()

    def leave(self) -> None:
        """Save once more from the saver thread, then end the process (130)."""
        self._leaving = True
        if self._thread.is_alive():
            self._wake.set()
        else:
            # The final checkpoint is written or being written (atomically):
            # waiting for it from a signal handler could deadlock.
            self._exit()

    def _exit(self) -> None:
        if self._on_leave is not None:
            self._on_leave()
        os._exit(INTERRUPTED)

    def close(self) -> None:
        """Stop the thread and write the final checkpoint."""
        self._closing = True
        self._wake.set()
        self._thread.join(5.0)
        self.save()
        current = self._ledger.journal
        if current is not None:
            current.close()
            if self.saved and self._checkpoint is not None:
                # The final checkpoint covers every message: no journal needed.
                journal.clear(self._checkpoint.location)
        if self._leaving:  # a second signal as the thread ended
            self._exit()

    def save(self) -> None:
        """Write the checkpoint if anything changed since the last write."""
        with self._write_lock:
            progress, written, covered = self._ledger.snapshot()
            if (progress, written) == self._last:
                journal.remove(covered)  # the last checkpoint covers them
                return
            dead_letters = self._ledger.dead_letters
            try:
                if dead_letters is not None and (
                    self._last is None or written != self._last[1]
                ):
                    dead_letters.sync()
                if self._checkpoint is not None:
                    self._checkpoint.update(progress)
                    self._checkpoint.save()
            except OSError as exc:
                self.saved = False
                if not self._warned:
                    self._warned = True
                    log.warning("cannot write the checkpoint: %s", exc)
                return
            self.saved = True
            self._last = (progress, written)
            journal.remove(covered)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.INTERVAL)
            self._wake.clear()
            if self._leaving:
                self.save()
                self._exit()
            if self._closing:
                return
            self.save()
