"""What a command needs around its run: console, configuration, inputs, report."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import orjson
from rich.console import Console

from pinterest_cli.config import (
    PinterestConfig,
    load_config,
    require_capi,
    resolve_config_path,
)
from pinterest_cli.deadletter import DeadLetterFile
from pinterest_cli.reader import STDIN, InputError, check_readable
from pinterest_cli.tally import Tally
from pinterest_cli.terminal import make_console, print_summary

log = logging.getLogger("pintag")


class UsageProblem(Exception):
    """Flags or arguments that cannot work together (exit 2)."""


@dataclass
class RunContext:
    """The console, the configuration and the input paths of one run."""

    console: Console
    config: PinterestConfig
    paths: list[str]


def prepare(files: tuple[str, ...], common: dict, transport: str = "tag") -> RunContext:
    """Check every input and the configuration before anything is sent."""
    console = make_console(common["quiet"])
    paths = list(files) or [STDIN]
    if paths.count(STDIN) > 1:
        raise UsageProblem("standard input (-) can be read only once")
    for path in paths:
        check_readable(path)
    config = load_destination(common, transport)
    return RunContext(console, config, paths)


def load_destination(common: dict, transport: str) -> PinterestConfig:
    """The configuration, with what the transport requires of it."""
    path = resolve_config_path(common["config_path"], os.environ)
    config = load_config(path, common["destination"], require_tag_id=transport == "tag")
    if transport == "capi":
        require_capi(config)
    log.info("configuration %s, tag id %s", path, config.tag_id)
    return config


def open_dead_letters(path: str | None, append: bool = False) -> DeadLetterFile | None:
    """The dead-letter file, or None; a clear error when it cannot be written."""
    if path is None:
        return None
    try:
        return DeadLetterFile(path, append=append)
    except OSError as exc:
        message = f"{path}: cannot write the dead-letter file: {exc.strerror}"
        raise InputError(message) from None


def check_report_path(path: str | None) -> None:
    """Refuse a --report that cannot be written before a long run, not after."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.access(folder, os.W_OK):
        raise InputError(
            f"{path}: the report cannot be written there (no such folder, or no "
            "permission); choose another --report path"
        )


def finish(
    context: RunContext,
    tally: Tally,
    *,
    command: str,
    elapsed: float,
    report: str | None,
    sent_label: str = "sent",
    extra: list[tuple[str, str]] | None = None,
    report_extra: dict[str, Any] | None = None,
) -> None:
    """Print the summary on stderr and write the --report file."""
    print_summary(context.console, tally, sent_label=sent_label, extra=extra)
    if report:
        document = {"command": command, "files": context.paths, **tally.report()}
        document["elapsed_seconds"] = round(elapsed, 3)
        document.update(report_extra or {})
        with open(report, "wb") as out:
            out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
