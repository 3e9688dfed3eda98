"""The mapping core: one Segment message in, one Pinterest conversion or reason out.

Pure: no I/O, no clock, no network. The only state is the identity memory of
emails seen in `identify` messages, which the contract asks for (§7). This is
the path every event takes, so the per-event work is kept small: event names
are resolved once per distinct name, and the configuration is compiled in
`Mapper.__init__`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pinterest_cli.config import (
    STANDARD_EVENT_MAP,
    STANDARD_EVENTS,
    PinterestConfig,
    normalise_event_name,
)
from pinterest_cli.privacy import (
    PERSON_CONTAINERS,
    PII_VERDICTS,
    clean_string,
    contains_email,
    email_match_key,
    is_pii_key,
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


@dataclass(slots=True)
class Conversion:
    """An event Pinterest will receive, in the Tag's terms."""

    event: str
    event_data: dict[str, Any]  # flattened `ed[...]` parameters, in send order
    email_hash: str | None
    rule: str  # why this event name was chosen
    value_source: str | None  # where the value came from, or why there is none
    value: int | float | None
    message: dict


@dataclass(slots=True, frozen=True)
class Skip:
    """A valid message that sends nothing."""

    reason: str


@dataclass(slots=True, frozen=True)
class Reject:
    """A message that cannot be read as the contract requires."""

    reason: str


Outcome = Conversion | Skip | Reject


@dataclass(slots=True, frozen=True)
class _Route:
    event: str
    rule: str
    matched: bool
    value_field: str | None  # "" means: send no value
    custom_event_name: str | None
    names_email: bool = False  # the name is sent and holds an email address


class IdentityMemory:
    """Email match keys remembered from `identify`, oldest forgotten first."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._keys: dict[str, str] = {}

    def remember(self, identity: str, email_hash: str) -> None:
        """Remember the match key for a user, as the most recent entry."""
        keys = self._keys
        keys.pop(identity, None)
        keys[identity] = email_hash
        if len(keys) > self.capacity:
            del keys[next(iter(keys))]

    def recall(self, identity: str) -> str | None:
        """The match key remembered for a user, if any."""
        return self._keys.get(identity)

    def __len__(self) -> int:
        return len(self._keys)


class Mapper:
    """Maps Segment messages to Pinterest conversions under one configuration."""

    def __init__(self, config: PinterestConfig, *, identity_capacity: int = 100_000):
        self.config = config
        self.identities = IdentityMemory(identity_capacity)
        self._routes: dict[str, _Route] = {}
        self._mappings: dict[str, tuple[str, str | None, str]] = {}
        for entry in config.event_mappings:
            key = entry.event.strip().lower()
            if key not in self._mappings:  # the first entry wins
                rule = f"custom mapping at {config.path}:{entry.line}"
                self._mappings[key] = (entry.mapping, entry.value_field, rule)
        self._custom_paths = [
            (path, path.split(".")) for path in config.custom_properties
        ]

    def map(self, message: dict) -> Outcome:
        """Resolve one message. Never raises for any JSON object."""
        kind = message.get("type")
        if not isinstance(kind, str):
            if kind is None:
                return Reject("message has no type")
            return Reject(f"type is {_json_kind(kind)}, not a string")
        kind = kind.strip().lower()

        if kind == "track":
            return self._track(message)
        if kind in ("page", "screen"):
            return self._page(message, kind)
        if kind == "identify":
            self._remember(message)
            return Skip("identify sends nothing")
        if kind in ("group", "alias"):
            return Skip(f"{kind} sends nothing")
        if not kind:
            return Reject("type is empty")
        return Skip(f"type '{shown(kind)}' is not supported")

    def _track(self, message: dict) -> Outcome:
        name = message.get("event")
        if not isinstance(name, str):
            if name is None:
                return Reject("track message has no event name")
            return Reject(f"track event name is {_json_kind(name)}, not a string")
        if not name.strip():
            return Reject("track event name is empty")
        props = message.get("properties")
        if props is None:
            props = {}
        elif type(props) is not dict:
            return Reject(f"properties is {_json_kind(props)}, not an object")

        route = self._routes.get(name) or self._route(name)
        if route.names_email:
            return Reject("event name contains an email address; rename the event")
        value, value_source = _resolve_value(props, route.value_field)
        if route.matched:
            data = _standard_data(props, value)
        else:
            data = {}
            _flatten(data, "ed", props.items(), 1, False, "value")
        if route.custom_event_name is not None:
            data["ed[custom_event_name]"] = route.custom_event_name
        if value is not None:
            data["ed[value]"] = value
        _put_event_id(data, message)
        if route.matched and self._custom_paths:
            self._custom_properties(data, props)
        return Conversion(
            route.event,
            data,
            self._email_hash(message, props),
            route.rule,
            value_source,
            value,
            message,
        )

    def _page(self, message: dict, kind: str) -> Outcome:
        props = message.get("properties")
        if props is None:
            props = {}
        elif type(props) is not dict:
            return Reject(f"properties is {_json_kind(props)}, not an object")
        data: dict[str, Any] = {}
        name = message.get("name")
        if type(name) is not bool:
            _put_scalar(data, "ed[page_name]", name)
        _flatten(data, "ed", props.items(), 1, False)
        _put_event_id(data, message)
        rule = f"{kind} message"
        email_hash = self._email_hash(message, props)
        return Conversion("pagevisit", data, email_hash, rule, None, None, message)

    def _route(self, name: str) -> _Route:
        """Resolve an event name (§3), cached per distinct name."""
        config = self.config
        concatenated = "".join(name.split())
        mapped = self._mappings.get(name.strip().lower())
        if mapped is not None:
            target, value_field, rule = mapped
            event = _wire_name(target)
            if value_field is None:
                value_field = config.value_field
            custom = concatenated if event == "custom" else None
            route = _Route(event, rule, True, value_field, custom)
        elif standard := STANDARD_EVENT_MAP.get(normalise_event_name(name)):
            route = _Route(standard, "standard map", True, config.value_field, None)
        elif config.partner_defined_events:
            rule = "unmatched; sent as a partner-defined event"
            route = _Route(concatenated, rule, False, config.value_field, None)
        else:
            rule = "unmatched; sent as custom"
            route = _Route("custom", rule, False, config.value_field, concatenated)
        sends_name = not route.matched or route.event == "custom"
        if sends_name and contains_email(name):
            route = _Route(route.event, route.rule, route.matched, None, None, True)
        if len(self._routes) >= 10_000:  # bound the cache against unique names
            self._routes.clear()
        self._routes[name] = route
        return route

    def _custom_properties(self, data: dict[str, Any], props: dict) -> None:
        for path, parts in self._custom_paths:
            if is_pii_key(parts[-1]):
                continue
            found = get_path(props, path, parts)
            if found is not None:
                _flatten(data, "ed", ((path, found),), 1, False)

    def _email_hash(self, message: dict, props: dict) -> str | None:
        candidate = props.get("email")
        if candidate is not None and (key := email_match_key(candidate)):
            return key
        context = message.get("context")
        if type(context) is dict:
            candidate = _nested(context, "traits", "email")
            if candidate is not None and (key := email_match_key(candidate)):
                return key
        candidate = _nested(message, "traits", "email")
        if candidate is not None and (key := email_match_key(candidate)):
            return key
        identity = _identity(message)
        return self.identities.recall(identity) if identity else None

    def _remember(self, message: dict) -> None:
        identity = _identity(message)
        if identity is None:
            return
        for candidate in (
            _nested(message, "traits", "email"),
            _nested(message, "context", "traits", "email"),
        ):
            key = email_match_key(candidate)
            if key is not None:
                self.identities.remember(identity, key)
                return


def _standard_data(props: dict, value: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if value is not None:
        data["ed[value]"] = value
    get = props.get
    for source, key in _STANDARD_SCALARS:
        found = get(source)
        if found is not None:
            _put_scalar(data, key, found)
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
    if not count and (_present(props.get("product_id")) or _present(props.get("sku"))):
        _write_item(*sink(0), props)


def _write_item(out: Any, keys: dict[str, str], product: dict) -> bool:
    """Write one product's line item fields; False when it has none."""
    before = len(out)
    get = product.get
    found = get("name")
    if found is not None:
        _put_scalar(out, keys["product_name"], found)
    found = get("product_id")
    if found is None or found == "":
        found = get("sku")
        if found is None or found == "":
            found = get("id")
    if found is not None:
        _put_scalar(out, keys["product_id"], found)
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
            _put_scalar(out, keys[key], found)
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


def _resolve_value(props: dict, field: str | None) -> tuple[Any, str]:
    """The conversion value and a sentence on where it came from (§5)."""
    if field == "":
        return None, "no value (the mapping's valueFieldIdentifier is empty)"
    if field:
        found = get_path(props, field)
        if _present(found):
            return _numeric_value(found, field)
    for name in _VALUE_FALLBACKS:
        found = props.get(name)
        if _present(found):
            return _numeric_value(found, name)
    if field:
        return None, f"no value (no {field}, value, revenue or total property)"
    return None, "no value (no value, revenue or total property)"


def _numeric_value(found: Any, name: str) -> tuple[Any, str]:
    number = as_number(found)
    if number is None:
        return None, f"no value ({name} is {_json_kind(found)}, not a number)"
    return number, f"value from {name}"


def _flatten(
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
                _flatten(out, key, value.items(), depth + 1, inner)
            elif kind is list:
                key = f"{prefix}[{name}]"
                _flatten(out, key, enumerate(value), depth + 1, person, keyed=False)


def _put_scalar(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a text or number field, cleaned of personal data; others are ignored."""
    kind = type(value)
    if kind is str:
        if value and ("@" in value or "%" in value or "=" in value):
            value = clean_string(value)
        if value:
            data[key] = value
    elif kind is int or kind is bool or kind is float and math.isfinite(value):
        data[key] = value


def _put_event_id(data: dict[str, Any], message: dict) -> None:
    _put_scalar(data, "ed[event_id]", message.get("messageId"))


def _wire_name(target: str) -> str:
    """A mapping target as sent: a standard event's wire name, else as written."""
    normalised = normalise_event_name(target)
    if normalised in STANDARD_EVENTS:
        return normalised
    return "".join(target.split())


def _identity(message: dict) -> str | None:
    for field, prefix in (("userId", "u:"), ("anonymousId", "a:")):
        found = message.get(field)
        if type(found) is str and found:
            return prefix + found
        if type(found) is int:
            return prefix + str(found)
    return None


def _nested(message: dict, *path: str) -> Any:
    node: Any = message
    for part in path:
        if type(node) is not dict:
            return None
        node = node.get(part)
    return node


def shown(text: str, limit: int = 40) -> str:
    """A piece of input safe to print in a message.

    Short, never an email address, and with control characters escaped, so
    input cannot move the cursor, retitle the terminal or forge a line.
    """
    if contains_email(text):
        return "(hidden: contains an email address)"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _json_kind(value: Any) -> str:
    """How a value reads in JSON terms, for messages: 'a number', 'an object'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
