"""What `pintag check` warns about: configurations valid but probably wrong."""

from __future__ import annotations

from dataclasses import dataclass

from pinterest_cli.config import EventMapping, PinterestConfig
from pinterest_cli.privacy import is_pii_key
from pinterest_cli.standard import (
    STANDARD_EVENT_MAP,
    STANDARD_EVENTS,
    normalise_event_name,
)


@dataclass(frozen=True, slots=True)
class ConfigWarning:
    """Something valid but probably wrong; ``line`` is 0 when unknown."""

    line: int
    message: str


def config_warnings(config: PinterestConfig) -> list[ConfigWarning]:
    """What is valid but probably wrong, ordered by line."""
    warnings: list[ConfigWarning] = []
    first_seen: dict[str, EventMapping] = {}
    for entry in config.event_mappings:
        first = first_seen.setdefault(entry.event.strip().lower(), entry)
        if first is entry:
            warnings.extend(_mapping_warnings(entry))
        else:
            # A shadowed entry never runs: its other warnings would be noise.
            warnings.append(_duplicate_warning(first, entry))
    lines = config.custom_property_lines
    if len(lines) != len(config.custom_properties):
        lines = (0,) * len(config.custom_properties)
    for prop, line in zip(config.custom_properties, lines, strict=True):
        # The very test the mapping core applies to custom properties, so the
        # promise "always removed" in the message holds.
        if is_pii_key(prop.split(".")[-1]):
            message = (
                f"customPropertiesForStandardEvents: '{prop}' is personal data; "
                "it is always removed before sending, so listing it has no effect"
            )
            warnings.append(ConfigWarning(line, message))
    return sorted(warnings, key=lambda warning: warning.line)


def _mapping_warnings(entry: EventMapping) -> list[ConfigWarning]:
    """Warnings about one customEventsMapping entry that takes effect."""
    found = []
    label = f"'{entry.event}' -> '{entry.mapping}'"
    if normalise_event_name(entry.mapping) not in STANDARD_EVENTS:
        message = (
            f"{label}: '{entry.mapping}' is not a standard Pinterest event; it will "
            "be sent as a partner-defined event and Pinterest will not report it "
            "as a conversion"
        )
        found.append(ConfigWarning(entry.line, message))
    standard = STANDARD_EVENT_MAP.get(normalise_event_name(entry.event))
    if standard is not None:
        message = (
            f"{label}: '{entry.event}' is a standard event that pintag would "
            f"otherwise send as '{standard}'; this mapping overrides it"
        )
        found.append(ConfigWarning(entry.line, message))
    return found


def _duplicate_warning(first: EventMapping, again: EventMapping) -> ConfigWarning:
    """The warning for a mapping entry shadowed by an earlier one."""
    return ConfigWarning(
        again.line,
        f"'{again.event}' is mapped twice (lines {first.line} and {again.line}); "
        f"the first entry, on line {first.line}, wins and line {again.line} is "
        "ignored",
    )
