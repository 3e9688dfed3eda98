"""The books of a send run, kept under one lock by the reader and the workers.

Counts, answers by status, dead letters and the checkpoint tracker change
together, so a snapshot taken under the lock never counts a message as
finished before its dead letter is written.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from pinterest_cli.checkpoint import Tracker
from pinterest_cli.deadletter import DeadLetterFile
from pinterest_cli.events import where
from pinterest_cli.journal import Journal
from pinterest_cli.reader import Record
from pinterest_cli.tally import Tally
from pinterest_cli.transport import BatchResult

NETWORK = "network"  # the answer key of a request that got no HTTP answer

# One message on its way: (tracker entry, record, event name, payload).
Item = tuple[list, Record, str, Any]


class Ledger:
    """Outcome of every message; thread-safe, and frozen once the run ends."""

    def __init__(
        self,
        tracker: Tracker,
        dead_letters: DeadLetterFile | None,
        *,
        max_failures: int,
        on_abort: Callable[[str], None],
        journal: Journal | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.tally = Tally()
        self.tracker = tracker
        self.dead_letters = dead_letters
        self.journal = journal
        self.statuses: Counter = Counter()  # HTTP status (int) or NETWORK
        self.retries = 0
        self._max_failures = max_failures
        self._on_abort = on_abort
        self._consecutive = 0
        self._frozen = False

    def begin(self, file: int, record: Record) -> list:
        """A message about to be sent; returns its tracker entry."""
        with self.lock:
            return self.tracker.add(file, record.line, record.index)

    def skipped(self, file: int, record: Record, reason: str) -> None:
        """A message that sends nothing."""
        with self.lock:
            self.tally.add_skipped(reason)
            self.tracker.add_finished(file, record.line, record.index)

    def rejected(self, file: int, record: Record, reason: str) -> None:
        """A message that cannot be sent as it is: counted and dead-lettered."""
        with self.lock:
            self.tally.add_rejected(reason, where(record))
            if self.dead_letters is not None:
                self.dead_letters.write(record, "rejected", reason)
            self.tracker.add_finished(file, record.line, record.index)
            self._journal_entries([(file, record.line, record.index)], True)

    def passed_over(self, file: int, record: Record) -> None:
        """A message an earlier run finished: neither sent nor counted again."""
        with self.lock:
            self.tracker.add_finished(file, record.line, record.index)

    def end_of_file(self, file: int) -> None:
        """Every message of an input has been read."""
        with self.lock:
            self.tracker.end_of_file(file)

    def delivered(self, items: list[Item], result: BatchResult) -> None:
        """A request was answered: each message sent, or failed with its error."""
        with self.lock:
            if self._frozen:
                return
            self.statuses[result.status] += 1
            finish = self.tracker.finish
            for item, error in zip(items, result.errors, strict=True):
                if error is None:
                    self.tally.add_sent(item[2])
                    self._consecutive = 0
                else:
                    self._fail(item, error)
                finish(item[0])
            self._journal(items, any(result.errors))

    def answered(self, status: int | None, *, retry: bool) -> None:
        """A request failed as a whole; `retry` when it will be tried again."""
        with self.lock:
            if self._frozen:
                return
            self.statuses[NETWORK if status is None else status] += 1
            self.retries += retry

    def failed(self, items: list[Item], reason: str) -> None:
        """Every message of a request failed for `reason`."""
        with self.lock:
            if self._frozen:
                return
            for item in items:
                self._fail(item, reason)
                self.tracker.finish(item[0])
            self._journal(items, True)

    def snapshot(self) -> tuple[list, int, list[str]]:
        """(progress per input, dead letters written, journal files it covers).

        The journal is rotated in the same instant, so the files returned hold
        nothing that the progress returned does not.
        """
        with self.lock:
            written = self.dead_letters.written if self.dead_letters else 0
            covered = self.journal.rotate() if self.journal is not None else []
            return self.tracker.snapshot(), written, covered

    def unfinished(self) -> int:
        """Messages read but not finished: in flight, queued or retrying."""
        with self.lock:
            return self.tracker.unfinished

    def freeze(self) -> None:
        """Ignore answers from here on: the summary and checkpoint are final."""
        with self.lock:
            self._frozen = True

    def answers(self) -> dict[str, int]:
        """Answers by status, most frequent first, e.g. {"200": 98, "503": 2}."""
        with self.lock:
            return {str(key): n for key, n in self.statuses.most_common()}

    def _journal(self, items: list[Item], dead_lettered: bool) -> None:
        if self.journal is not None:
            entries = [(entry[1], entry[2], entry[3]) for entry, *_ in items]
            self._journal_entries(entries, dead_lettered)

    def _journal_entries(self, entries: list, dead_lettered: bool) -> None:
        """Record finished positions, after their dead letters reach the file."""
        if self.journal is None:
            return
        if dead_lettered and self.dead_letters is not None:
            self.dead_letters.flush()
        self.journal.record(entries)

    def _fail(self, item: Item, reason: str) -> None:
        record = item[1]
        self.tally.add_failed(reason, where(record))
        if self.dead_letters is not None:
            self.dead_letters.write(record, "failed", reason)
        self._consecutive += 1
        if self._max_failures and self._consecutive == self._max_failures:
            self._on_abort(
                f"stopped after {self._consecutive} consecutive failures: {reason}"
            )
