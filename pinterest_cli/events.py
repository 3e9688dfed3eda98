"""From input files to resolved outcomes: the reader and the mapping core joined."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pinterest_cli.mapping import Mapper, Outcome, Reject
from pinterest_cli.reader import Record, read_records


def where(record: Record) -> str:
    """`file:line`, with the batch position for messages of a batch line."""
    if record.index:
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
