"""`pintag dry-run`: what would be sent, one request per line, and why."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

from pinterest_cli.deadletter import DeadLetterFile
from pinterest_cli.events import resolve, where
from pinterest_cli.mapping import Conversion, Mapper, Reject, Skip, shown
from pinterest_cli.tag import params_json, tag_params, tag_url
from pinterest_cli.tally import Tally

FORMATS = ("ndjson", "url", "table")
_TABLE_HEADER = f"{'SOURCE':<28} {'EVENT':<20} {'VALUE':>10} {'EM':<3} EVENT DATA\n"


def dry_run(
    paths: Iterable[str],
    mapper: Mapper,
    out: IO[str],
    *,
    fmt: str = "ndjson",
    endpoint: str | None = None,
    explain: Callable[[str], None] | None = None,
    dead_letters: DeadLetterFile | None = None,
) -> Tally:
    """Resolve every message, write each would-be request to `out`, count all."""
    tally = Tally()
    tag_id = mapper.config.tag_id or ""
    render = _renderer(fmt, endpoint)
    write = out.write
    if fmt == "table":
        write(_TABLE_HEADER)
    for record, outcome in resolve(paths, mapper):
        if type(outcome) is Conversion:
            tally.add_sent(outcome.event)
            write(render(record, tag_params(outcome, tag_id)))
        elif type(outcome) is Skip:
            tally.add_skipped(outcome.reason)
        else:
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
    name = message.get("event") if kind == "track" else kind
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


def _renderer(fmt: str, endpoint: str | None):
    if fmt == "url":
        if endpoint:
            return lambda record, params: tag_url(params, endpoint) + "\n"
        return lambda record, params: tag_url(params) + "\n"
    if fmt == "table":
        return _table_row
    return lambda record, params: params_json(params) + "\n"


def _table_row(record, params: dict) -> str:
    value = params.get("ed[value]", "")
    em = "yes" if "pd[em]" in params else ""
    data = " ".join(
        f"{key[3:-1]}={val}"
        for key, val in params.items()
        if key.startswith("ed[") and key != "ed[value]"
    )
    return (
        f"{where(record)[-28:]:<28} {params['event'][:20]:<20} "
        f"{str(value)[:10]:>10} {em:<3} {data}\n"
    )
