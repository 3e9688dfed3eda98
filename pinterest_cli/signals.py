"""Signals during `pintag send`: the first stops gracefully, the second leaves.

Handlers write with `os.write`: `print` from a signal handler may re-enter
the buffer of stderr it interrupted.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from pinterest_cli import status
from pinterest_cli.checkpoint import Checkpoint
from pinterest_cli.sender import Sender


@contextmanager
def handle_signals(sender: Sender, grace: float) -> Iterator[None]:
    """Ctrl-C or SIGTERM once: stop gracefully; twice: leave at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = 0

    def handle(signum, frame) -> None:
        nonlocal received
        received += 1
        if received == 1:
            name = signal.Signals(signum).name
            # On a terminal the progress bar holds the line: start a new one.
            say(
                ("\n" if sys.stderr.isatty() else "")
                + f"pintag: {name}: stopping; requests in flight may take up to "
                f"{grace:.0f} s; press Ctrl-C again to leave now\n"
            )
            sender.interrupt(name)
        elif received == 2:
            sender.leave()
        else:
            os._exit(status.INTERRUPTED)

    previous = {
        sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def leave_notice(checkpoint: Checkpoint | None, live: bool) -> Callable[[], None]:
    """What to say when the second signal ends the process at once."""

    def leave() -> None:
        where = f"; checkpoint {checkpoint.location}" if checkpoint else ""
        # A live display hides the cursor; give it back before the hard exit.
        say(("\x1b[?25h\n" if live else "") + f"pintag: left at once{where}\n")

    return leave


def say(text: str) -> None:
    """Write to stderr directly, safe inside a signal handler."""
    with suppress(OSError):
        os.write(2, text.encode("utf-8", "replace"))
