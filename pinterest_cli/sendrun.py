"""`pintag send` put together: checkpoint, transport, signals, progress, summary.

The Click command only parses flags; this module turns them into a run of
the `Sender` and the run's result into summary lines, report fields and an
exit code.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass

from pinterest_cli import journal, status
from pinterest_cli.capi import CapiTransport, read_token
from pinterest_cli.checkpoint import (
    Checkpoint,
    CheckpointError,
    InputState,
    default_location,
    open_checkpoint,
)
from pinterest_cli.config import PinterestConfig
from pinterest_cli.context import open_dead_letters
from pinterest_cli.deadletter import DeadLetterFile
from pinterest_cli.events import OldEventWatch
from pinterest_cli.journal import Journal
from pinterest_cli.mapping import Mapper
from pinterest_cli.progress import make_progress
from pinterest_cli.reader import STDIN, file_size
from pinterest_cli.retry import RetryPolicy
from pinterest_cli.sender import Sender, SendInput, SendResult
from pinterest_cli.signals import handle_signals, leave_notice
from pinterest_cli.tag import TAG_ENDPOINT
from pinterest_cli.terminal import error, warn
from pinterest_cli.transport import TagTransport

log = logging.getLogger("pintag")

# Requests in flight at a stop get this long past their own timeout.
GRACE_SECONDS = 5.0


# Per transport: requests in flight and seconds a request may take. The
# Conversions API takes batches of up to 1,000 events, so fewer, slower ones.
DEFAULT_CONCURRENCY = {"tag": 16, "capi": 4}
DEFAULT_TIMEOUT = {"tag": 10.0, "capi": 30.0}


@dataclass
class SendSettings:
    """The flags of `pintag send`, checked by the command line."""

    endpoint: str | None = None
    concurrency: int | None = None
    timeout: float | None = None
    rate: float | None = None
    max_retries: int = 5
    max_failures: int = 100
    dead_letter: str | None = None
    checkpoint: str | None = None
    resume: bool = False
    restart: bool = False
    transport: str = "tag"
    max_age: float = 7 * 86400.0
    token_file: str | None = None
    batch_size: int = 1000
    test: bool = False

    def __post_init__(self) -> None:
        if self.concurrency is None:
            self.concurrency = DEFAULT_CONCURRENCY[self.transport]
        if self.timeout is None:
            self.timeout = DEFAULT_TIMEOUT[self.transport]


@dataclass
class SendOutcome:
    """A finished run with what the summary and the report need."""

    result: SendResult
    checkpoint: Checkpoint | None
    dead_letters: DeadLetterFile | None

    @property
    def exit_code(self) -> int:
        """130 interrupted, 1 aborted, 3 anything rejected or failed, else 0."""
        result = self.result
        if result.interrupted:
            return status.INTERRUPTED
        if result.aborted or result.unfinished:
            return status.FATAL
        if result.tally.rejected or result.tally.failed:
            return status.INCOMPLETE
        return status.OK

    @property
    def unfinished_checkpoint(self) -> str | None:
        """Where the checkpoint is, when the run left something to resume."""
        checkpoint = self.checkpoint
        if checkpoint is None or checkpoint.finished:
            return None
        return checkpoint.location

    def summary_lines(self) -> list[tuple[str, str]]:
        """Extra summary lines: retries, answers, time, throughput, what is left."""
        result = self.result
        answers = ", ".join(f"{key} {n:,}" for key, n in result.answers.items())
        lines = [
            ("retries", f"{result.retries:,}"),
            ("answers", answers or "none"),
            ("elapsed", f"{result.elapsed:.1f} s"),
            ("throughput", f"{self.throughput:,.0f} messages sent a second"),
        ]
        if result.unfinished:
            lines.append(
                (
                    "unfinished",
                    f"{result.unfinished:,} more read but not finished; --resume "
                    "sends them",
                )
            )
        if self.dead_letters is not None and self.dead_letters.written:
            lines.append(
                (
                    "kept in",
                    f"{self.dead_letters.path}: {self.dead_letters.written:,} "
                    "rejected or failed; fix the cause, then send that file",
                )
            )
        elif result.tally.failed:
            lines.append(("note", "add --dead-letter PATH to keep failed messages"))
        where = self.unfinished_checkpoint
        if where is not None:
            lines.append(("checkpoint", f"{where}; continue with --resume"))
        if not result.saved:
            lines.append(("warning", "the last checkpoint could not be written"))
        return lines

    @property
    def throughput(self) -> float:
        """Messages sent a second over the whole run."""
        elapsed = self.result.elapsed
        return self.result.tally.sent / elapsed if elapsed > 0 else 0.0

    def report_fields(self) -> dict:
        """Fields the send report adds to the counts."""
        result = self.result
        return {
            "retries": result.retries,
            "statuses": result.answers,
            "throughput_per_second": round(self.throughput, 1),
            "unfinished": result.unfinished,
            "interrupted": result.interrupted is not None,
            "aborted": result.aborted is not None,
            "abort_reason": result.aborted,
            "checkpoint": self.checkpoint.location if self.checkpoint else None,
            "finished": self.unfinished_checkpoint is None and not result.unfinished,
        }


def send_files(
    console,
    config: PinterestConfig,
    paths: list[str],
    settings: SendSettings,
    environ: Mapping[str, str] = os.environ,
) -> SendOutcome:
    """Send every message of `paths` to Pinterest as `settings` say."""
    transport, destination = _transport(config, settings, environ)
    endpoint = transport.endpoint
    mapper: Mapper | OldEventWatch = Mapper(config)
    if transport.name == "tag":
        mapper = OldEventWatch(
            mapper, settings.max_age, lambda text: warn(console, text)
        )
    checkpoint = None
    try:
        if STDIN not in paths:
            checkpoint = _checkpoint(
                console, paths, transport.name, destination, endpoint, settings, environ
            )
        # Only now, once the checkpoint allows the run: resuming appends to it.
        dead_letters = open_dead_letters(settings.dead_letter, settings.resume)
    except BaseException:
        transport.close()
        raise
    inputs = _inputs(paths, checkpoint)
    sizes = [source.size for source in inputs]
    progress = make_progress(console, None if None in sizes else sum(sizes))
    sender = Sender(
        transport,
        mapper,
        concurrency=settings.concurrency,
        rate=settings.rate,
        policy=RetryPolicy(max_retries=settings.max_retries),
        max_failures=settings.max_failures,
        grace=settings.timeout + GRACE_SECONDS,
        dead_letters=dead_letters,
        checkpoint=checkpoint,
        journal=Journal(checkpoint.location) if checkpoint is not None else None,
        progress=progress.update if progress else None,
        on_leave=leave_notice(checkpoint, progress is not None),
    )
    log.info(
        "sending to %s (%s) with %d workers, rate %s",
        endpoint,
        transport.name,
        settings.concurrency,
        settings.rate or "unlimited",
    )
    try:
        grace = settings.timeout + GRACE_SECONDS
        with progress or nullcontext(), handle_signals(sender, grace):
            result = sender.run(inputs)
    finally:
        transport.close()
        if dead_letters is not None:
            dead_letters.close()
    outcome = SendOutcome(result, checkpoint, dead_letters)
    _explain_stop(console, outcome, STDIN in paths)
    return outcome


def _transport(
    config: PinterestConfig, settings: SendSettings, environ: Mapping[str, str]
) -> tuple[TagTransport | CapiTransport, str]:
    """The transport the settings ask for, and the destination it sends to."""
    if settings.transport == "capi":
        token = read_token(settings.token_file, environ)
        transport = CapiTransport(
            config,
            token,
            endpoint=settings.endpoint,
            batch_size=settings.batch_size,
            timeout=settings.timeout,
            concurrency=settings.concurrency,
            max_age=settings.max_age,
            test=settings.test,
        )
        return transport, config.ad_account_id or ""
    transport = TagTransport(
        config.tag_id or "",
        endpoint=settings.endpoint or TAG_ENDPOINT,
        concurrency=settings.concurrency,
        timeout=settings.timeout,
    )
    return transport, config.tag_id or ""


def flag_problem(paths: list[str], settings: SendSettings) -> str | None:
    """What makes these flags unusable together with these inputs, if anything."""
    paths = paths or [STDIN]
    if settings.transport == "tag":
        for flag, given in (
            ("--token-file", settings.token_file is not None),
            ("--test", settings.test),
            ("--batch-size", settings.batch_size != 1000),
        ):
            if given:
                return f"{flag} is for --transport capi; the Tag has no such setting"
    if settings.resume and settings.restart:
        return (
            "--resume continues the last run and --restart sends everything "
            "again; give one of them"
        )
    if STDIN in paths and (settings.resume or settings.checkpoint):
        return (
            "standard input cannot be resumed, so it has no checkpoint; save the "
            "input to a file to be able to resume"
        )
    endpoint = settings.endpoint
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        return f"--endpoint must be an http:// or https:// URL, not {endpoint!r}"
    seen: dict[tuple[int, int], str] = {}
    for path in paths:
        identity = _file_identity(path)
        if identity in seen:
            return (
                f"{path} is given twice ({seen[identity]}); its messages would be "
                "sent twice"
            )
        if identity is not None:
            seen[identity] = path
    if settings.dead_letter and _file_identity(settings.dead_letter) in seen:
        return (
            f"--dead-letter {settings.dead_letter} is one of the inputs; writing it "
            "would destroy it. Choose a new file"
        )
    return None


def _file_identity(path: str) -> tuple[int, int] | None:
    if path == STDIN:
        return None
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    return stat.st_dev, stat.st_ino


def _checkpoint(
    console, paths, transport, destination, endpoint, settings, environ
) -> Checkpoint:
    """Open (or start) the checkpoint and write it once, before sending."""
    location = settings.checkpoint or default_location(
        paths, transport, destination, environ
    )
    checkpoint, notes = open_checkpoint(
        paths,
        transport=transport,
        destination=destination,
        endpoint=endpoint,
        location=location,
        resume=settings.resume,
        restart=settings.restart,
    )
    if settings.resume:
        # Positions finished after the last checkpoint write, if it was killed.
        replayed = journal.replay(location, checkpoint)
        if replayed:
            log.info("%d finished messages recovered from the journal", replayed)
    else:
        journal.clear(location)
    if settings.resume and checkpoint.finished:
        notes.append("every input was already sent; nothing to send")
    for note in notes:
        console.print(f"pintag: {note}", markup=False)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(location)), exist_ok=True)
        checkpoint.save()
    except OSError as exc:
        raise CheckpointError(
            f"cannot write the checkpoint {location} ({exc.strerror or exc}); "
            "pass --checkpoint PATH to keep it elsewhere"
        ) from None
    return checkpoint


def _inputs(paths: list[str], checkpoint: Checkpoint | None) -> list[SendInput]:
    if checkpoint is None:
        states = [InputState(path, 0, "") for path in paths]
    else:
        states = checkpoint.inputs
    return [
        SendInput(path, state, file_size(path))
        for path, state in zip(paths, states, strict=True)
    ]


def _explain_stop(console, outcome: SendOutcome, from_stdin: bool) -> None:
    """Say why a run stopped early and how to go on; shown even with --quiet."""
    result = outcome.result
    if result.interrupted is None and result.aborted is None:
        return
    where = outcome.unfinished_checkpoint
    if where is not None:
        then = f"; the checkpoint at {where} lets you continue with --resume"
    elif from_stdin and result.unfinished:
        then = "; standard input cannot be resumed"
    else:
        then = ""
    if result.aborted is not None:
        error(f"{result.aborted}{then}")
    else:
        error(f"interrupted ({result.interrupted}){then}")
