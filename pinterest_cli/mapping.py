"""The mapping core: one Segment message in, one Pinterest conversion or reason out.

Pure: no I/O, no clock, no network. The only state is the identity memory of
emails seen in `identify` messages, which the contract asks for (§7). This is
the path every event takes, so the per-event work is kept small: event names
are resolved once per distinct name, and the configuration is compiled in
`Mapper.__init__`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pinterest_cli.config import PinterestConfig
from pinterest_cli.eventdata import (
    flatten,
    get_path,
    put_event_id,
    put_scalar,
    resolve_value,
    standard_data,
)
from pinterest_cli.jsonutil import json_kind
from pinterest_cli.privacy import (
    contains_email,
    email_match_key,
    is_pii_key,
)
from pinterest_cli.standard import (
    STANDARD_EVENT_MAP,
    STANDARD_EVENTS,
    normalise_event_name,
)


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


# Python stores integers in 30-bit digits: 60 bits fit two, a full hash three.
_SIXTY_BITS = (1 << 60) - 1


@dataclass(slots=True, frozen=True)
class _Route:
    event: str
    rule: str
    matched: bool
    value_field: str | None  # "" means: send no value
    custom_event_name: str | None
    names_email: bool = False  # the name is sent and holds an email address


class IdentityMemory:
    """Email match keys remembered from `identify`, oldest forgotten first.

    An export can hold millions of users, so each entry is kept small (about
    140 bytes): 60 bits of the identity's hash, not the id, map to the digest
    as one integer, not its hex text. Two ids sharing those bits would share
    a key; among 100,000 users the chance of that is about one in 10^8.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._keys: dict[int, int] = {}

    def remember(self, identity: str, email_hash: str) -> None:
        """Remember the match key for a user, as the most recent entry."""
        keys = self._keys
        key = hash(identity) & _SIXTY_BITS
        keys.pop(key, None)
        keys[key] = int(email_hash, 16)
        if len(keys) > self.capacity:
            del keys[next(iter(keys))]

    def recall(self, identity: str) -> str | None:
        """The match key remembered for a user, if any."""
        digest = self._keys.get(hash(identity) & _SIXTY_BITS)
        return None if digest is None else f"{digest:064x}"

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
        # Paths that name personal data would always be removed: drop them once.
        self._custom_paths = [
            (path, path.split("."))
            for path in config.custom_properties
            if not is_pii_key(path.split(".")[-1])
        ]

    def map(self, message: dict) -> Outcome:
        """Resolve one message. Never raises for any JSON object."""
        kind = message.get("type")
        if not isinstance(kind, str):
            if kind is None:
                return Reject("message has no type")
            return Reject(f"type is {json_kind(kind)}, not a string")
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
        # A name seen before is a valid one: its route is cached.
        route = self._routes.get(name) if type(name) is str else None
        if route is None:
            if not isinstance(name, str):
                if name is None:
                    return Reject("track message has no event name")
                return Reject(f"track event name is {json_kind(name)}, not a string")
            if not name.strip():
                return Reject("track event name is empty")
            route = self._route(name)
        props = _properties(message)
        if type(props) is Reject:
            return props
        if route.names_email:
            return Reject("event name contains an email address; rename the event")
        value, value_source = resolve_value(props, route.value_field)
        if route.matched:
            data = standard_data(props, value)
        else:
            data = {}
            flatten(data, "ed", props.items(), 1, False, "value")
        if route.custom_event_name is not None:
            data["ed[custom_event_name]"] = route.custom_event_name
        if value is not None and not route.matched:  # standard data has it first
            data["ed[value]"] = value
        put_event_id(data, message)
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
        props = _properties(message)
        if type(props) is Reject:
            return props
        data: dict[str, Any] = {}
        name = message.get("name")
        if type(name) is not bool:
            put_scalar(data, "ed[page_name]", name)
        flatten(data, "ed", props.items(), 1, False)
        put_event_id(data, message)
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
            found = get_path(props, path, parts)
            if found is not None:
                flatten(data, "ed", ((path, found),), 1, False)

    def _email_hash(self, message: dict, props: dict) -> str | None:
        candidate = props.get("email")
        if candidate is not None and (key := email_match_key(candidate)):
            return key
        context = message.get("context")
        key = _traits_email(context) if type(context) is dict else None
        key = key or _traits_email(message)
        if key is not None:
            return key
        identity = _identity(message)
        return self.identities.recall(identity) if identity else None

    def _remember(self, message: dict) -> None:
        identity = _identity(message)
        if identity is None:
            return
        # An identify carries its traits at the top; libraries also copy them
        # into the context.
        key = _traits_email(message)
        context = message.get("context")
        if key is None and type(context) is dict:
            key = _traits_email(context)
        if key is not None:
            self.identities.remember(identity, key)


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


def _properties(message: dict) -> dict | Reject:
    """The message's properties (none is an empty object), or why they are bad."""
    props = message.get("properties")
    if props is None:
        return {}
    if type(props) is not dict:
        return Reject(f"properties is {json_kind(props)}, not an object")
    return props


def _traits_email(holder: dict) -> str | None:
    """The email match key in `holder["traits"]["email"]`, if there is one."""
    traits = holder.get("traits")
    if type(traits) is not dict:
        return None
    candidate = traits.get("email")
    return None if candidate is None else email_match_key(candidate)


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
