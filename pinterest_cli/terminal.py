"""Everything a person reads on stderr: messages and the run summary."""

from __future__ import annotations

import logging
import os
import sys

from rich.console import Console
from rich.markup import escape

from pinterest_cli.tally import Tally


def make_console(quiet: bool = False) -> Console:
    """The stderr console; colour follows the terminal and NO_COLOR."""
    # no-color.org: a non-empty NO_COLOR turns off colour and every other
    # escape code (rich's own no_color would keep bold).
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        stderr=True,
        highlight=False,
        soft_wrap=True,
        quiet=quiet,
        color_system=None if plain else "auto",
    )


def setup_logging(verbosity: int) -> None:
    """Log to stderr: warnings by default, -v info, -vv debug."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="pintag: %(levelname)s: %(message)s",
    )
    # urllib3 warns with a traceback about answers it cannot parse; pintag
    # reports those itself, as a failed request. Its debug lines stay at -vv.
    logging.getLogger("urllib3").setLevel(
        logging.DEBUG if verbosity >= 2 else logging.CRITICAL
    )


def error(message: str) -> None:
    """An error a person can act on; shown even with --quiet (so not on the
    console, which --quiet silences)."""
    print(f"pintag: error: {message}", file=sys.stderr)


def warn(console: Console, message: str) -> None:
    """A warning, on stderr."""
    console.print(f"[yellow]pintag: warning:[/] {escape(message)}")


def print_summary(
    console: Console,
    tally: Tally,
    *,
    sent_label: str = "sent",
    extra: list[tuple[str, str]] | None = None,
) -> None:
    """The four outcomes with their reasons; they always add up to `read`."""
    print_ = console.print
    print_(f"[bold]{tally.read}[/] messages read")
    events = ", ".join(f"{name} {n}" for name, n in tally.by_event.most_common())
    line = f"  {sent_label:<10} {tally.sent:>8}"
    print_(f"[green]{line}[/]" + (f"  ({escape(events)})" if events else ""))
    print_(f"  {'skipped':<10} {tally.skipped:>8}")
    for reason, n in tally.skip_reasons.most_common():
        print_(f"  {'':<10} {n:>8}  {escape(reason)}")
    for label, count, reasons in (
        ("rejected", tally.rejected, tally.reject_reasons),
        ("failed", tally.failed, tally.fail_reasons),
    ):
        style = "red" if count else "default"
        print_(f"[{style}]  {label:<10} {count:>8}[/]")
        for reason, n in reasons.counts.most_common():
            first = reasons.first.get(reason)
            at = f" (first at {escape(first)})" if first else ""
            print_(f"  {'':<10} {n:>8}  {escape(reason)}{at}")
    for label, value in extra or ():
        print_(f"  {label:<10} {escape(value)}")
