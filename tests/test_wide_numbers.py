"""Numbers orjson cannot write (wider than 64 bits, infinite) never break output."""

from __future__ import annotations

import json

import orjson

from pinterest_cli.config import PinterestConfig
from pinterest_cli.deadletter import DeadLetterFile
from pinterest_cli.jsonutil import dumps
from pinterest_cli.mapping import Mapper
from pinterest_cli.reader import Record, read_records
from pinterest_cli.tag import tag_line, tag_params, tag_url

WIDE = int("9" * 400)  # beyond the double range: the reader keeps it exact
CONFIG = PinterestConfig(path="integrations.yaml", tag_id="1")


def test_dumps_falls_back_for_integers_wider_than_64_bits():
    assert json.loads(dumps({"n": WIDE})) == {"n": WIDE}
    assert dumps({"b": 1, "a": 2}, sort_keys=True) == b'{"a":2,"b":1}'


def test_a_wide_integer_property_reaches_the_dry_run_line_and_the_url(tmp_path):
    line = b'{"type":"track","event":"Quiz","properties":{"n":' + b"9" * 400 + b"}}\n"
    path = tmp_path / "events.jsonl"
    path.write_bytes(line)
    (record,) = read_records(str(path))
    conversion = Mapper(CONFIG).map(record.message)

    printed = json.loads(tag_line(conversion, "1"))
    assert printed["ed[n]"] == WIDE
    assert ("9" * 400) in tag_url(tag_params(conversion, "1"))


def test_a_message_with_a_wide_integer_is_dead_lettered_intact(tmp_path):
    message = {"type": "track", "properties": {"n": WIDE}}
    record = Record("events.jsonl", 3, 0, 0, message, None, b"")
    dead = DeadLetterFile(str(tmp_path / "dead.jsonl"))
    dead.write(record, "rejected", "track message has no event name")
    dead.close()

    (entry,) = [json.loads(line) for line in (tmp_path / "dead.jsonl").open()]
    assert entry["obj"] == message
    assert entry["pintag"]["line"] == 3
    # The file reads back through the reader as the same message.
    (again,) = read_records(str(tmp_path / "dead.jsonl"))
    assert orjson.dumps(again.message["type"]) == b'"track"'
    assert again.message["properties"]["n"] == WIDE
