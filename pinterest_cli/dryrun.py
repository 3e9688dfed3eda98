"""`pintag dry-run`: what would be sent, one request (or API event) per line, and why.

A renderer turns each conversion into its output line, or into the reason the
transport would not send it (the Conversions API skips events outside its
time window, for example), so both transports are counted the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from pinterest_cli.deadletter import DeadLetterFile
from pinterest_cli.events import resolve, where
from pinterest_cli.jsonutil import dumps
from pinterest_cli.mapping import Conversion, Mapper, Reject, Skip, shown
from pinterest_cli.reader import Record
from pinterest_cli.tag import TAG_ENDPOINT, tag_line, tag_params, tag_url
from pinterest_cli.tally import Tally

_TABLE_HEADER = f"{'SOURCE':<28} {'EVENT':<20} {'VALUE':>10} {'EM':<3} EVENT DATA\n"

Renderer = Callable[[Record, Conversion], bytes | Skip | Reject]


def dry_run(
    paths: Iterable[str],
    mapper: Mapper,
    out: BinaryIO,
    *,
    render: Renderer,
    header: bytes = b"",
    explain: Callable[[str], None] | None = None,
    dead_letters: DeadLetterFile | None = None,
) -> Tally:
    """Resolve every message, write each would-be request to `out`, count all."""
    tally = Tally()
    write = out.write
    if header:
        write(header)
    for record, outcome in resolve(paths, mapper):
        if type(outcome) is Conversion:
            line = render(record, outcome)
            if type(line) is bytes:
                tally.add_sent(outcome.event)
                write(line)
            else:
                outcome = line  # the transport would not send it
        if type(outcome) is Skip:
            tally.add_skipped(outcome.reason)
        elif type(outcome) is Reject:
            tally.add_rejected(outcome.reason, where(record))
            if dead_letters is not None:
                dead_letters.write(record, "rejected", outcome.reason)
        if explain is not None:
            explain(explanation(record, outcome))
    return tally


def explanation(record, outcome) -> str:
    """One line on why a message gives this request (or none)."""
    message = record.message or {}
    kind = message.get("type")
    is_track = isinstance(kind, str) and kind.strip().lower() == "track"
    name = message.get("event") if is_track else kind
    if isinstance(name, str):
        subject = f"{where(record)} '{shown(name, 80)}'"
    else:
        subject = where(record)
    if type(outcome) is Conversion:
        value = f"; {outcome.value_source}" if outcome.value_source else ""
        em = "; email match key sent" if outcome.email_hash else ""
        return f"{subject} -> {outcome.event} ({outcome.rule}){value}{em}"
    if type(outcome) is Skip:
        return f"{subject} -> skipped: {outcome.reason}"
    assert type(outcome) is Reject
    return f"{where(record)} -> rejected: {outcome.reason}"


def tag_renderer(fmt: str, tag_id: str, endpoint: str | None = None) -> Renderer:
    """Tag requests as JSON parameters, URLs or table rows."""
    if fmt == "url":
        url = endpoint or TAG_ENDPOINT

        def render(record: Record, conversion: Conversion) -> bytes:
            return (tag_url(tag_params(conversion, tag_id), url) + "\n").encode()

    elif fmt == "table":

        def render(record: Record, conversion: Conversion) -> bytes:
            return _table_row(record, tag_params(conversion, tag_id)).encode()

    else:

        def render(record: Record, conversion: Conversion) -> bytes:
            return tag_line(conversion, tag_id)

    return render


def table_header(fmt: str) -> bytes:
    """The header line a format starts with, if any."""
    return _TABLE_HEADER.encode() if fmt == "table" else b""


def capi_renderer(build: Callable[[Conversion], Any]) -> Renderer:
    """Conversions API events, one JSON object per line, as they would be sent."""

    def render(record: Record, conversion: Conversion) -> bytes | Skip | Reject:
        event = build(conversion)
        if type(event) is dict:
            return dumps(event) + b"\n"  # the bytes `send` would put in `data`
        return event

    return render


def _table_row(record, params: dict) -> str:
    value = params.get("ed[value]", "")
    em = "yes" if "pd[em]" in params else ""
    # `ed[line_items][0][product_id]` reads as `line_items[0][product_id]`.
    data = " ".join(
        f"{key[3:].replace(']', '', 1)}={_cell(val)}"
        for key, val in params.items()
        if key.startswith("ed[") and key != "ed[value]"
    )
    event = shown(params["event"], 20)
    return (
        f"{where(record)[-28:]:<28} {event:<20} {str(value)[:10]:>10} {em:<3} {data}\n"
    )


def _cell(value) -> str:
    """A value on one table line: text with control characters escaped."""
    text = str(value) if not isinstance(value, bool) else str(value).lower()
    return text if text.isprintable() else shown(text, len(text) + 1)
