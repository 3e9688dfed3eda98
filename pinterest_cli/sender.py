"""The send engine: read, map, and deliver through a pool of worker threads.

The main thread reads and maps the inputs, counts what is not sent, and puts
batches of `transport.batch_size` payloads on a bounded queue (so memory stays
flat on any input size). Workers take batches, wait for the shared rate
limit, deliver, and retry what is worth retrying. Every outcome lands in the
`Ledger`; a saver thread writes the checkpoint from it every second.

Stopping (a signal, too many failures, a transport that says the run cannot
succeed) stops the reading; requests in flight may finish within a grace
period; batches still queued are left for `--resume`.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pinterest_cli.checkpoint import Checkpoint, InputState, Position, Tracker
from pinterest_cli.deadletter import DeadLetterFile
from pinterest_cli.events import resolve
from pinterest_cli.journal import Journal
from pinterest_cli.ledger import Item, Ledger
from pinterest_cli.mapping import Conversion, Mapper, Reject, Skip
from pinterest_cli.ratelimit import RateLimiter
from pinterest_cli.retry import RetryPolicy
from pinterest_cli.saver import CheckpointSaver
from pinterest_cli.status import INTERRUPTED
from pinterest_cli.tally import Tally
from pinterest_cli.transport import DeliveryError, Transport

log = logging.getLogger("pintag")

# Messages read past the oldest unfinished one, at most: a message stuck in
# long retries holds the reader back here rather than growing the tracker.
MAX_AHEAD = 20_000
TICK = 0.1  # seconds between progress updates
_PUT_WAIT = 0.1  # how often a reader blocked on a full queue looks up


@dataclass(slots=True)
class SendInput:
    """One input to read, with where an earlier run left it."""

    path: str  # as the user gave it; "-" for standard input
    state: InputState
    size: int | None = None  # bytes, for the progress bar

    @property
    def start_after(self) -> Position | None:
        """The watermark to resume after, if any."""
        return self.state.after


@dataclass
class SendResult:
    """What a run did, for the summary, the report and the exit code."""

    tally: Tally
    answers: dict[str, int]
    retries: int
    elapsed: float
    unfinished: int  # read but not finished: left for --resume
    interrupted: str | None = None  # the signal's name
    aborted: str | None = None  # why the run stopped itself
    saved: bool = True  # the last checkpoint write succeeded


class Sender:
    """One send run: construct, then `run(inputs)` once."""

    def __init__(
        self,
        transport: Transport,
        mapper: Mapper,
        *,
        concurrency: int = 16,
        rate: float | None = None,
        policy: RetryPolicy | None = None,
        max_failures: int = 100,
        grace: float = 15.0,
        dead_letters: DeadLetterFile | None = None,
        checkpoint: Checkpoint | None = None,
        journal: Journal | None = None,
        progress: Callable[[int, Tally], None] | None = None,
        on_leave: Callable[[], None] | None = None,
    ) -> None:
        self._transport = transport
        self._mapper = mapper
        self._concurrency = concurrency
        self._policy = policy or RetryPolicy()
        self._grace = grace
        self._dead_letters = dead_letters
        self._checkpoint = checkpoint
        self._journal = journal
        self._progress = progress
        self._on_leave = on_leave
        self._max_failures = max_failures
        self._stop = threading.Event()
        self._stopped_at: float | None = None
        self._limiter = RateLimiter(rate, sleep=self._stop.wait)
        self._queue: queue.Queue = queue.Queue(maxsize=2 * concurrency)
        self._interrupted: str | None = None
        self._aborted: str | None = None
        self._position = 0  # input bytes read, for progress
        self._next_tick = 0.0
        self._saver: CheckpointSaver | None = None
        self._announced_pause = 0.0  # monotonic end of the last pause announced

    def run(self, inputs: list[SendInput]) -> SendResult:
        """Send every message of `inputs`; returns when done or stopped."""
        started = time.monotonic()
        tracker = Tracker([source.state for source in inputs])
        self._ledger = Ledger(
            tracker,
            self._dead_letters,
            max_failures=self._max_failures,
            on_abort=self.abort,
            journal=self._journal,
        )
        self._tracker = tracker
        self._saver = CheckpointSaver(self._ledger, self._checkpoint, self._on_leave)
        workers = [
            threading.Thread(target=self._work, name=f"pintag-worker-{n}", daemon=True)
            for n in range(self._concurrency)
        ]
        for worker in workers:
            worker.start()
        self._saver.start()
        try:
            self._read(inputs)
        finally:
            self._close(workers)
        ledger = self._ledger
        return SendResult(
            ledger.tally,
            ledger.answers(),
            ledger.retries,
            time.monotonic() - started,
            ledger.unfinished(),
            self._interrupted,
            self._aborted,
            self._saver.saved,
        )

    def interrupt(self, signal_name: str) -> None:
        """First Ctrl-C or SIGTERM: stop reading, let requests in flight finish."""
        if self._interrupted is None:
            self._interrupted = signal_name
        self._set_stop()

    def leave(self) -> None:
        """Second signal: save the checkpoint as it stands and exit at once."""
        if self._saver is None:  # nothing sent yet
            os._exit(INTERRUPTED)
        self._saver.leave()

    def abort(self, reason: str) -> None:
        """Stop the run because it cannot succeed (exit 1), keeping the reason."""
        if self._aborted is None and self._interrupted is None:
            self._aborted = reason
        self._set_stop()

    def _set_stop(self) -> None:
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()
        self._stop.set()

    def _read(self, inputs: list[SendInput]) -> None:
        """Read every input in order, queueing batches; the main thread's loop."""
        batch: list[Item] | None = []
        before = 0  # bytes of the inputs already read
        for number, source in enumerate(inputs):
            if not source.state.complete:
                batch = self._read_input(number, source, before, batch)
                if batch is None:
                    return
                self._ledger.end_of_file(number)
            before += source.size or 0
            self._position = before
        if batch:
            self._put(batch)

    def _read_input(
        self, number: int, source: SendInput, before: int, batch: list[Item]
    ) -> list[Item] | None:
        """Queue the messages of one input; the partial batch, or None if stopped."""
        ledger = self._ledger
        prepare = self._transport.prepare
        batch_size = self._transport.batch_size
        stopped = self._stop.is_set
        done = set(source.state.done)
        start = {source.path: source.start_after} if source.start_after else None
        count = 0
        for record, outcome in resolve([source.path], self._mapper, start):
            if stopped():
                return None
            count += 1
            if not count & 63:
                self._position = before + record.offset
                self._tick()
            if done and (record.line, record.index) in done:
                done.discard((record.line, record.index))
                ledger.passed_over(number, record)
                continue
            if type(outcome) is Conversion:
                payload = prepare(outcome)
                kind = type(payload)
                if kind is not Skip and kind is not Reject:
                    batch.append(
                        (ledger.begin(number, record), record, outcome.event, payload)
                    )
                    if len(batch) >= batch_size:
                        if not self._put(batch):
                            return None
                        batch = []
                    continue
                outcome = payload
            if type(outcome) is Skip:
                ledger.skipped(number, record, outcome.reason)
            else:
                ledger.rejected(number, record, outcome.reason)
        return batch

    def _put(self, batch: list[Item]) -> bool:
        """Queue a batch, waiting for room; False if the run stops meanwhile."""
        while self._tracker.backlog > MAX_AHEAD:
            if self._stop.wait(_PUT_WAIT):
                return False
            self._tick()
        put = self._queue.put
        while True:
            try:
                put(batch, True, _PUT_WAIT)
                return True
            except queue.Full:
                if self._stop.is_set():
                    return False
                self._tick()

    def _tick(self) -> None:
        """Update the progress display, at most every TICK seconds."""
        now = time.monotonic()
        if now >= self._next_tick:
            self._next_tick = now + TICK
            if self._progress is not None:
                self._progress(self._position, self._ledger.tally)

    def _close(self, workers: list[threading.Thread]) -> None:
        """Let the workers finish (bounded once stopping), then save the last time."""
        ended = 0
        while ended < len(workers) and not self._past_deadline():
            ended += self._offer_end()
        for worker in workers:
            while worker.is_alive() and not self._past_deadline():
                worker.join(_PUT_WAIT)
                self._tick()
        self._ledger.freeze()
        self._saver.close()

    def _offer_end(self) -> bool:
        try:
            self._queue.put(None, True, _PUT_WAIT)
            return True
        except queue.Full:
            self._tick()
            return False

    def _past_deadline(self) -> bool:
        stopped_at = self._stopped_at
        return stopped_at is not None and time.monotonic() > stopped_at + self._grace

    def _work(self) -> None:
        """A worker thread: deliver batches until the end marker."""
        get = self._queue.get
        stopped = self._stop.is_set
        while True:
            batch = get()
            if batch is None:
                return
            if stopped():
                continue  # not in flight yet: left unfinished for --resume
            try:
                self._deliver(batch)
            except Exception as exc:  # a bug must stop the run, not hang it
                log.debug("worker failed", exc_info=True)
                self.abort(f"unexpected {type(exc).__name__} while sending: {exc}")

    def _deliver(self, batch: list[Item]) -> None:
        """One request, retried as the policy allows."""
        payloads = [item[3] for item in batch]
        attempt = 0
        while self._limiter.acquire():
            try:
                result = self._transport.deliver(payloads)
            except DeliveryError as error:
                attempt += 1
                if self._again(error, batch, attempt):
                    continue
                return
            self._ledger.delivered(batch, result)
            return

    def _pause(self, seconds: float) -> None:
        """Pause every worker; say so once when the pause is long enough to notice."""
        until = time.monotonic() + seconds
        if seconds >= 10 and until > self._announced_pause + 1:
            self._announced_pause = until
            log.warning("the server asked to wait %.0f s; every worker pauses", seconds)
        self._limiter.pause_for(seconds)

    def _again(self, error: DeliveryError, batch: list[Item], attempt: int) -> bool:
        """Account for a failed request; True when it should be tried again."""
        ledger = self._ledger
        if error.stop_run:
            ledger.answered(error.status, retry=False)
            self.abort(error.reason)  # the batch stays unfinished for --resume
            return False
        if error.retriable and self._policy.should_retry(attempt):
            if self._stop.is_set():
                ledger.answered(error.status, retry=False)
                return False  # stopping: leave it for --resume
            ledger.answered(error.status, retry=True)
            delay = self._policy.delay(attempt, error.retry_after)
            log.info("retry %d in %.1f s: %s", attempt, delay, error.reason)
            if error.retry_after is not None or error.status == 429:
                # The server asked everyone to slow down, not just this worker.
                self._pause(delay)
                return True
            return not self._stop.wait(delay)
        ledger.answered(error.status, retry=False)
        retries = attempt - 1
        suffix = f" (still failing after {retries} retries)" if retries else ""
        ledger.failed(batch, error.reason + suffix)
        return False
