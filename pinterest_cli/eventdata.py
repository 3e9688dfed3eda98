"""Event data: the `ed[...]` parameters of a conversion, built from properties.

Pure functions of a message's properties, shared by the Tag form (flat bracket
keys) and the Conversions API form (line items as objects). They run for every
event, so scalars are handled inline and keys are formatted once.
"""

from __future__ import annotations

import math
from typing import Any

from pinterest_cli.jsonutil import json_kind
from pinterest_cli.privacy import (
    PERSON_CONTAINERS,
    PII_VERDICTS,
    clean_string,
    judge_key,
    needs_cleaning,
)

# Event data nested deeper than this is left out: no Pinterest report reads
# it, and it keeps a hostile message from exhausting the stack.
MAX_DEPTH = 32

# Line item fields in the order they are sent: (ed key, source property). A key
# listed again is a fallback, tried only when the earlier source gave nothing.
LINE_ITEM_FIELDS = (
    ("product_name", "name"),
    ("product_id", "product_id"),
    ("product_id", "sku"),
    ("product_id", "id"),
    ("product_category", "category"),
    ("product_variant", "variant"),
    ("product_price", "price"),
    ("product_quantity", "quantity"),
    ("product_brand", "brand"),
)
_NUMERIC_ITEM_FIELDS = frozenset({"product_price", "product_quantity"})
# The fields after product_id and its fallbacks, with whether they are numbers.
_ITEM_TAIL = tuple(
    (key, source, key in _NUMERIC_ITEM_FIELDS) for key, source in LINE_ITEM_FIELDS[4:]
)
_FIELD_NAMES = {key: key for key, _ in LINE_ITEM_FIELDS}
# Scalar event data of standard events: (source property, ed key).
_STANDARD_SCALARS = (
    ("currency", "ed[currency]"),
    ("order_id", "ed[order_id]"),
    ("coupon", "ed[promo_code]"),
    ("query", "ed[search_query]"),
)
_VALUE_FALLBACKS = ("value", "revenue", "total")
_INT64 = 2**63


def standard_data(props: dict, value: Any) -> dict[str, Any]:
    """The event data of a standard or mapped event (§5), in send order."""
    data: dict[str, Any] = {}
    if value is not None:
        data["ed[value]"] = value
    get = props.get
    for source, key in _STANDARD_SCALARS:
        found = get(source)
        if found is not None:
            put_scalar(data, key, found)
    quantity = order_quantity(props)
    if quantity is not None:
        data["ed[order_quantity]"] = quantity

    def into_event_data(index: int) -> tuple[dict[str, Any], dict[str, str]]:
        if index < len(_ITEM_KEYS):
            return data, _ITEM_KEYS[index]
        keys = {key: f"ed[line_items][{index}][{key}]" for key in _FIELD_NAMES}
        return data, keys

    _add_line_items(props, into_event_data)
    return data


# Formatted once: building these keys with f-strings per event is measurable.
_ITEM_KEYS = [
    {key: f"ed[line_items][{i}][{key}]" for key, _ in LINE_ITEM_FIELDS}
    for i in range(64)
]


def line_items(props: dict) -> list[dict[str, Any]]:
    """Line items from `products[]`, else one from the top-level product fields."""
    items: list[dict[str, Any]] = []

    def new_item(index: int) -> tuple[dict[str, Any], dict[str, str]]:
        if len(items) == index:
            items.append({})
        return items[index], _FIELD_NAMES

    _add_line_items(props, new_item)
    return [item for item in items if item]


def _add_line_items(props: dict, sink) -> None:
    """Write each line item where `sink(index)` says: (mapping, key per field).

    Indices stay contiguous: a product with no line item field takes none.
    """
    count = 0
    products = props.get("products")
    if type(products) is list:
        for product in products:
            if type(product) is dict and _write_item(*sink(count), product):
                count += 1
    if not count and (present(props.get("product_id")) or present(props.get("sku"))):
        _write_item(*sink(0), props)


def _write_item(out: Any, keys: dict[str, str], product: dict) -> bool:
    """Write one product's line item fields; False when it has none."""
    before = len(out)
    get = product.get
    found = get("name")
    if found is not None:
        put_scalar(out, keys["product_name"], found)
    found = get("product_id")
    if found is None or found == "":
        found = get("sku")
        if found is None or found == "":
            found = get("id")
    if found is not None:
        put_scalar(out, keys["product_id"], found)
    for key, source, numeric in _ITEM_TAIL:
        found = get(source)
        if found is None:
            continue
        if numeric:
            found = as_number(found)
            if found is not None:
                out[keys[key]] = found
        elif type(found) is str and found and not needs_cleaning(found):
            out[keys[key]] = found  # the common case, without a call
        else:
            put_scalar(out, keys[key], found)
    return len(out) > before


def order_quantity(props: dict) -> int | float | None:
    """Sum of `products[].quantity`, else the top-level `quantity`."""
    products = props.get("products")
    if type(products) is list:
        total, found = 0, False
        for product in products:
            if type(product) is dict:
                quantity = as_number(product.get("quantity"))
                if quantity is not None:
                    total += quantity
                    found = True
        if found:
            return total
    return as_number(props.get("quantity"))


def get_path(props: dict, path: str, parts: list[str] | None = None) -> Any:
    """A property by dotted path: exact key first, then each part ignoring case."""
    if path in props:
        return props[path]
    node: Any = props
    for part in parts or path.split("."):
        if type(node) is not dict:
            return None
        if part in node:
            node = node[part]
            continue
        lowered = part.lower()
        # Most lookups miss; test all keys in C before looking for the one.
        if lowered not in map(str.lower, node):
            return None
        for key, item in node.items():
            if key.lower() == lowered:
                node = item
                break
    return node


def as_number(value: Any) -> int | float | None:
    """A finite number from a number or a numeric string; None otherwise."""
    kind = type(value)
    if kind is int:
        # Wider integers cannot be serialised as JSON numbers by orjson.
        return value if -_INT64 <= value < _INT64 else float(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is str:
        text = value.strip()
        if "_" in text:  # Python reads "1_000" as a number; JSON does not
            return None
        try:
            return as_number(int(text))
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        # "nan", "inf" and "1e999" parse as floats but are not values.
        return number if math.isfinite(number) else None
    return None


def resolve_value(props: dict, field: str | None) -> tuple[Any, str]:
    """The conversion value and a sentence on where it came from (§5)."""
    if field == "":
        return None, "no value (the mapping's valueFieldIdentifier is empty)"
    if field:
        found = get_path(props, field)
        if present(found):
            return _numeric_value(found, field)
    for name in _VALUE_FALLBACKS:
        found = props.get(name)
        if present(found):
            return _numeric_value(found, name)
    if field:
        return None, f"no value (no {field}, value, revenue or total property)"
    return None, "no value (no value, revenue or total property)"


def _numeric_value(found: Any, name: str) -> tuple[Any, str]:
    number = as_number(found)
    if number is None:
        return None, f"no value ({name} is {json_kind(found)}, not a number)"
    return number, f"value from {name}"


def flatten(
    out: dict[str, Any],
    prefix: str,
    pairs: Any,
    depth: int,
    person: bool,
    skip: str | None = None,
    keyed: bool = True,
) -> None:
    """Add (name, value) pairs as bracket keys under `prefix`.

    Leaves out empties and personal data. Scalars are handled inline rather
    than by a call per value: this loop runs for every property of most events.
    """
    verdicts = PII_VERDICTS[person]
    for name, value in pairs:
        if keyed:
            pii = verdicts.get(name)
            if pii is None:
                pii = judge_key(name, person)
            if pii or name == skip:
                continue
        kind = type(value)
        if kind is str:
            if value and ("@" in value or "%" in value or "=" in value):
                value = clean_string(value)
            if value:
                out[f"{prefix}[{name}]"] = value
        elif kind is int or kind is bool:
            out[f"{prefix}[{name}]"] = value
        elif kind is float:
            if math.isfinite(value):
                out[f"{prefix}[{name}]"] = value
        elif depth < MAX_DEPTH:
            if kind is dict:
                inner = person or (keyed and name.lower() in PERSON_CONTAINERS)
                key = f"{prefix}[{name}]"
                flatten(out, key, value.items(), depth + 1, inner)
            elif kind is list:
                key = f"{prefix}[{name}]"
                flatten(out, key, enumerate(value), depth + 1, person, keyed=False)


def put_scalar(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a text or number field, cleaned of personal data; others are ignored."""
    kind = type(value)
    if kind is str:
        if value and ("@" in value or "%" in value or "=" in value):
            value = clean_string(value)
        if value:
            data[key] = value
    elif kind is int or kind is bool or kind is float and math.isfinite(value):
        data[key] = value


def put_event_id(data: dict[str, Any], message: dict) -> None:
    """Set `ed[event_id]` from the message's `messageId`, when it has one."""
    put_scalar(data, "ed[event_id]", message.get("messageId"))


def present(value: Any) -> bool:
    """Whether a property has a value: `0` and `false` do, `null` and `""` not."""
    return value is not None and value != ""
