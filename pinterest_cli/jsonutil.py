"""JSON helpers: serialisation that never fails on what the reader can produce,
and the names of JSON kinds that messages use."""

from __future__ import annotations

import json
from typing import Any

import orjson

_NOUNS = {bool: "boolean", int: "number", float: "number", str: "string"}


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """Compact JSON bytes; orjson, else the standard library for its edge cases.

    The reader's second-chance parse can produce integers wider than 64 bits
    and infinite floats (from 1e400), which orjson refuses to write. The
    standard library writes them (`Infinity` is not JSON, but such a value
    only ever reaches a dead letter or a hash).
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(
            value, sort_keys=sort_keys, ensure_ascii=False, separators=(",", ":")
        )
        return text.encode("utf-8")


def json_noun(value: Any) -> str:
    """The JSON kind of a value: 'null', 'boolean', 'number', 'string', 'array'…"""
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return _NOUNS.get(type(value), "value")


def json_kind(value: Any) -> str:
    """The kind with its article, for messages: 'a number', 'an object', 'null'."""
    noun = json_noun(value)
    if noun == "null":
        return noun
    return f"an {noun}" if noun[0] in "ao" else f"a {noun}"
