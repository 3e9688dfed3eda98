"""From input files to resolved outcomes: the reader and the mapping core joined."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from pinterest_cli.mapping import Conversion, Mapper, Outcome, Reject
from pinterest_cli.reader import Record, read_records


def where(record: Record) -> str:
    """`file:line`, with the batch position for messages of a batch line."""
    if record.batched:
        return f"{record.source}:{record.line}[{record.index}]"
    return f"{record.source}:{record.line}"


def resolve(
    paths: Iterable[str],
    mapper: Mapper,
    start_after: dict[str, tuple[int, int]] | None = None,
) -> Iterator[tuple[Record, Outcome]]:
    """Each message of each input, in order, with what the mapping made of it."""
    mapped = mapper.map
    for path in paths:
        resume = start_after.get(path) if start_after else None
        for record in read_records(path, start_after=resume):
            message = record.message
            if message is None:
                yield record, Reject(record.error or "unreadable line")
            else:
                yield record, mapped(message)


class OldEventWatch:
    """A Mapper that warns once when Tag events are older than `max_age`.

    The Tag records an event when it arrives, so a backfill through it loses
    the original times. Checking a sample (the first thousand conversions,
    then one in a hundred) finds a backfill without parsing every timestamp.
    """

    def __init__(
        self,
        mapper: Mapper,
        max_age: float,
        warn: Callable[[str], None],
        now: float | None = None,
    ) -> None:
        self.config = mapper.config
        self._map = mapper.map
        self._warn = warn
        self._oldest_fresh = (time.time() if now is None else now) - max_age
        self._max_age = max_age
        self._seen = 0

    def map(self, message: dict) -> Outcome:
        """Map as the wrapped Mapper does, looking at a sample of event times."""
        outcome = self._map(message)
        if self._seen >= 0 and type(outcome) is Conversion:
            self._seen += 1
            if self._seen <= 1000 or not self._seen % 100:
                self._look(message)
        return outcome

    def _look(self, message: dict) -> None:
        from pinterest_cli.capi_events import event_time

        seconds = event_time(message)
        if seconds is not None and seconds < self._oldest_fresh:
            self._seen = -1  # warned: stop looking
            days = self._max_age / 86400
            self._warn(
                f"some events are older than {days:g} days; the Pinterest Tag records "
                "events when they arrive, so their original times will be lost. "
                "--transport capi keeps them"
            )
