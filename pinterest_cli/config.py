"""Load and validate ``integrations.yaml`` (contract §2).

The file is composed into YAML nodes and never constructed into Python objects:
nodes carry the line every error and warning must name, and composing lets us
see the duplicate keys that PyYAML's constructor silently collapses.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

ACTION_SOURCES = ("web", "app_android", "app_ios", "offline")

_SETTING_KEYS = (
    "tagId",
    "handleCustomAsPartnerDefinedEvent",
    "valueFieldIdentifier",
    "customEventsMapping",
    "customPropertiesForStandardEvents",
    "adAccountId",
    "actionSource",
    "sendExternalId",
)
_PARTNER = "handleCustomAsPartnerDefinedEvent"
_MAPPING_KEYS = ("event", "mapping", "valueFieldIdentifier")
_TOKEN_MESSAGE = (
    "tokens are not read from the configuration file; "
    "set PINTEREST_CONVERSION_TOKEN or use --token-file"
)
_DIGITS = re.compile(r"[0-9]+")
_TAG = "tag:yaml.org,2002:"


class ConfigError(Exception):
    """The configuration cannot be used; ``str(err)`` is the user-facing message."""


@dataclass(frozen=True, slots=True)
class EventMapping:
    """One ``customEventsMapping`` entry."""

    event: str
    mapping: str
    value_field: str | None  # None: key absent; "": send no value; else a path
    line: int


@dataclass(frozen=True, slots=True)
class PinterestConfig:
    """The validated settings of the selected destination."""

    path: str
    tag_id: str | None
    partner_defined_events: bool = False
    value_field: str | None = None
    event_mappings: tuple[EventMapping, ...] = ()
    custom_properties: tuple[str, ...] = ()
    ad_account_id: str | None = None
    action_source: str = "web"
    send_external_id: bool = False
    # The line of each custom_properties entry, only for config_warnings; it is
    # left out of equality so configs built by hand compare equal to loaded ones.
    custom_property_lines: tuple[int, ...] = field(
        default=(), compare=False, repr=False
    )


def resolve_config_path(option: str | None, environ: Mapping[str, str]) -> str:
    """--config PATH, else $PINTAG_CONFIG, else ./integrations.yaml.

    Empty values count as unset, so an exported but empty PINTAG_CONFIG does not
    make pintag try to open "".
    """
    return option or environ.get("PINTAG_CONFIG") or "integrations.yaml"


def load_config(
    path: str, destination: str | None = None, *, require_tag_id: bool = True
) -> PinterestConfig:
    """Read ``path`` and return the validated settings of one destination.

    ``destination`` defaults to "pinterest"; names match case-insensitively and
    other destinations are not validated. ``require_tag_id=False`` accepts a
    missing ``tagId`` (when only the Conversions API is used). Raises
    ConfigError naming the file and, where there is one, the line.
    """
    root = _compose(path, _read_text(path))
    item, name = _select(path, root, destination or "pinterest")
    ctx = _Context(path, name)
    config = _build(ctx, _settings(ctx, item))
    if config.tag_id is None and require_tag_id:
        raise ctx.error(
            item,
            f"destination '{name}' has no 'tagId'; add your Pinterest Tag id, "
            'e.g. tagId: "2612826764086"',
        )
    return config


def require_capi(config: PinterestConfig) -> None:
    """Raise ConfigError (naming the file) when adAccountId is missing."""
    if config.ad_account_id is None:
        raise ConfigError(
            f"{config.path}: the Conversions API needs 'adAccountId'; add your "
            'ad account id to the destination, e.g. adAccountId: "549755885175"'
        )


# --- reading the file and finding the destination ---------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """What every message needs: the file and the destination's name."""

    path: str
    name: str

    def error(self, node: Node, message: str) -> ConfigError:
        return _error(self.path, node, message)

    def label(self, key: str) -> str:
        return f"'{key}' in destination '{self.name}'"


def _error(path: str, node: Node, message: str) -> ConfigError:
    return ConfigError(f"{path}:{node.start_mark.line + 1}: {message}")


def _read_text(path: str) -> str:
    try:
        # utf-8-sig: editors on Windows like to start the file with a BOM.
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except FileNotFoundError:
        reason = "no such file"
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason})") from None
    except OSError as err:
        reason = f"cannot read it ({err.strerror})"
    raise ConfigError(f"{path}: {reason}; pass --config PATH or set PINTAG_CONFIG")


def _compose(path: str, text: str) -> Node:
    """Compose the single YAML document in ``text`` with the safe loader."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        raise _syntax_error(path, text, err) from None
    except ReaderError as err:  # a control character; it carries no mark
        line = text.count("\n", 0, err.position) + 1
        raise ConfigError(f"{path}:{line}: YAML syntax error: {err.reason}") from None
    if root is None or _is_null(root):  # no document, or a bare "---"
        raise ConfigError(
            f"{path}: the file is empty; it must be a YAML list of destinations, "
            "starting with '- name: pinterest'"
        )
    return root


def _syntax_error(path: str, text: str, err: yaml.MarkedYAMLError) -> ConfigError:
    problem = err.problem or err.context or "invalid YAML"
    # "while scanning ..." contexts are noise; others ("expected a single
    # document in the stream") are half of the explanation.
    if err.context and err.problem and not err.context.startswith("while"):
        problem = f"{err.context}, {problem}"
    mark = err.problem_mark or err.context_mark
    if mark is None:
        return ConfigError(f"{path}: YAML syntax error: {problem}")
    lines = text.split("\n")
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\\t" in problem or "\t" in line[: len(line) - len(line.lstrip())]:
        problem += " (indent with spaces, not tabs)"
    return ConfigError(f"{path}:{mark.line + 1}: YAML syntax error: {problem}")


def _select(path: str, root: Node, wanted: str) -> tuple[MappingNode, str]:
    """The destination named ``wanted`` (case-insensitive) and its name."""
    if not isinstance(root, SequenceNode):
        message = (
            f"the file must be a YAML list of destinations, not {_describe(root)}; "
            "start each destination with '- name: ...'"
        )
        raise _error(path, root, message)
    named = [(item, _item_name(path, item)) for item in root.value]
    found = [(i, n) for i, n in named if n.strip().lower() == wanted.lower()]
    if len(found) > 1:
        lines = " and ".join(str(i.start_mark.line + 1) for i, _ in found)
        message = f"destination '{wanted}' appears more than once (lines {lines})"
        raise _error(path, found[1][0], f"{message}; keep only one")
    if not found:
        present = ", ".join(f"'{n}'" for _, n in named) or "none"
        raise ConfigError(
            f"{path}: no destination named '{wanted}' (destinations in the file: "
            f"{present}); add a '- name: {wanted}' entry or pass --destination NAME"
        )
    return found[0]


def _item_name(path: str, item: Node) -> str:
    """The ``name`` of a list item: all that is checked in other destinations."""
    if not isinstance(item, MappingNode):
        message = f"each destination must be a mapping, not {_describe(item)}"
        raise _error(path, item, f"{message}; start it with '- name: ...'")
    names = [(key, value) for key, value in item.value if key.value == "name"]
    if len(names) > 1:
        raise _duplicate_key(path, names[1][0], names[0][0], "a destination")
    # Any scalar will do (a numeric name is still a name), but it must be there.
    value = names[0][1] if names else None
    if not isinstance(value, ScalarNode) or _is_null(value) or not value.value.strip():
        raise _error(path, item, "destination has no 'name'; add e.g. name: pinterest")
    return value.value


# --- keys and the two layouts -----------------------------------------------


def _settings(ctx: _Context, item: MappingNode) -> dict[str, Node]:
    """The non-null setting value nodes, from ``config:`` or beside ``name``."""
    where = f"destination '{ctx.name}'"
    keys = _check_keys(ctx, item, ("name", "config", *_SETTING_KEYS), where)
    if "config" not in keys:
        return _values(keys, skip="name")
    config = keys["config"][1]
    if not isinstance(config, MappingNode):
        # Usually the settings below "config:" are not indented under it.
        message = f"{ctx.label('config')} must be a mapping, not {_describe(config)}"
        raise ctx.error(config, f"{message}; indent the settings under 'config:'")
    for key, (key_node, _) in keys.items():
        if key not in ("name", "config"):
            raise ctx.error(
                key_node,
                f"{ctx.label(key)} is beside 'name' but the destination also has "
                "a 'config:' section; put every setting under 'config:' or every "
                "setting beside 'name', not both",
            )
    return _values(_check_keys(ctx, config, _SETTING_KEYS, where))


def _values(keys: dict[str, tuple[Node, Node]], skip: str = "") -> dict[str, Node]:
    # A null value means "use the default", exactly like an absent key.
    return {k: v for k, (_, v) in keys.items() if k != skip and not _is_null(v)}


def _check_keys(
    ctx: _Context, node: MappingNode, allowed: tuple[str, ...], where: str
) -> dict[str, tuple[Node, Node]]:
    """Key -> (key node, value node); refuses duplicates, tokens and unknowns."""
    seen: dict[str, tuple[Node, Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            raise ctx.error(key_node, f"keys in {where} must be plain names")
        key = key_node.value
        if key in seen:
            raise _duplicate_key(ctx.path, key_node, seen[key][0], where)
        if "token" in key.lower():
            raise ctx.error(key_node, f"'{key}' in {where}: {_TOKEN_MESSAGE}")
        if key not in allowed:
            raise ctx.error(key_node, _unknown_key(key, allowed, where))
        seen[key] = (key_node, value_node)
    return seen


def _unknown_key(key: str, allowed: tuple[str, ...], where: str) -> str:
    # Compare lower-cased so a wrong capitalisation ("tagID") is an exact hit.
    by_lower = {name.lower(): name for name in allowed}
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1)
    if close:
        return f"unknown key '{key}' in {where} (did you mean '{by_lower[close[0]]}'?)"
    return f"unknown key '{key}' in {where}; valid keys are {', '.join(allowed)}"


def _duplicate_key(path: str, again: Node, first: Node, where: str) -> ConfigError:
    first_line = first.start_mark.line + 1
    message = f"duplicate key '{again.value}' in {where} (first on line {first_line})"
    return _error(path, again, f"{message}; keep only one")


# --- values -----------------------------------------------------------------


def _build(ctx: _Context, settings: dict[str, Node]) -> PinterestConfig:
    """Convert the setting nodes; absent ones keep the dataclass defaults."""
    get = settings.get
    props = _string_list(ctx, get("customPropertiesForStandardEvents"))
    source = _string(ctx, get("actionSource"), ctx.label("actionSource"))
    if source is not None and source not in ACTION_SOURCES:
        choices = ", ".join(ACTION_SOURCES)
        message = f"{ctx.label('actionSource')} must be one of {choices}"
        raise ctx.error(get("actionSource"), f"{message}, not '{source}'")
    value_field = ctx.label("valueFieldIdentifier")
    return PinterestConfig(
        path=ctx.path,
        tag_id=_digits(ctx, get("tagId"), "tagId"),
        partner_defined_events=_bool(ctx, get(_PARTNER), _PARTNER),
        value_field=_string(ctx, get("valueFieldIdentifier"), value_field),
        event_mappings=_event_mappings(ctx, get("customEventsMapping")),
        custom_properties=tuple(node.value for node in props),
        ad_account_id=_digits(ctx, get("adAccountId"), "adAccountId"),
        action_source=source or "web",
        send_external_id=_bool(ctx, get("sendExternalId"), "sendExternalId"),
        custom_property_lines=tuple(node.start_mark.line + 1 for node in props),
    )


def _digits(ctx: _Context, node: Node | None, key: str) -> str | None:
    if node is None:
        return None
    # Keep the scalar's source text: an unquoted 0123 keeps its leading zero
    # instead of being read as YAML 1.1 octal.
    if node.tag in (_TAG + "str", _TAG + "int") and _DIGITS.fullmatch(node.value):
        return node.value
    message = f"{ctx.label(key)} must be digits only, not {_describe(node)}"
    raise ctx.error(node, f"{message}; copy the number from Pinterest Ads Manager")


def _bool(ctx: _Context, node: Node | None, key: str) -> bool:
    if node is None:
        return False
    if node.tag == _TAG + "bool":
        return yaml.SafeLoader.bool_values[node.value.lower()]
    hint = "; remove the quotes" if _is_str(node) else ""
    message = f"{ctx.label(key)} must be true or false, not {_describe(node)}"
    raise ctx.error(node, message + hint)


def _string(ctx: _Context, node: Node | None, label: str) -> str | None:
    if node is None or _is_str(node):
        return None if node is None else node.value
    raise ctx.error(node, f"{label} must be a string, not {_describe(node)}")


def _string_list(ctx: _Context, node: Node | None) -> list[Node]:
    label = ctx.label("customPropertiesForStandardEvents")
    for entry in _sequence(ctx, node, label, "strings", "'- prop1'"):
        if not _is_str(entry) or not entry.value.strip():
            message = f"{label} must hold non-empty strings, not {_describe(entry)}"
            raise ctx.error(entry, message)
    return [] if node is None else node.value


def _event_mappings(ctx: _Context, node: Node | None) -> tuple[EventMapping, ...]:
    label = ctx.label("customEventsMapping")
    entries = _sequence(ctx, node, label, "entries", "'- event: ...'")
    return tuple(_event_mapping(ctx, entry) for entry in entries)


def _sequence(
    ctx: _Context, node: Node | None, label: str, of: str, item: str
) -> list[Node]:
    """The items of a YAML list (none for an absent key); refuses other values."""
    if node is None:
        return []
    if not isinstance(node, SequenceNode):
        message = f"{label} must be a list of {of}, not {_describe(node)}"
        raise ctx.error(node, f"{message}; write each on its own line as {item}")
    return node.value


def _event_mapping(ctx: _Context, node: Node) -> EventMapping:
    where = f"customEventsMapping of destination '{ctx.name}'"
    if not isinstance(node, MappingNode):
        message = f"entries of {where} must be mappings, not {_describe(node)}"
        raise ctx.error(node, f"{message}; write '- event: ...' then 'mapping: ...'")
    values = _values(_check_keys(ctx, node, _MAPPING_KEYS, where))
    for key in ("event", "mapping"):
        if key not in values:
            message = f"an entry of {where} has no '{key}'"
            raise ctx.error(node, f"{message}; every entry needs 'event' and 'mapping'")
        if not _is_str(values[key]) or not values[key].value.strip():
            message = f"'{key}' in {where} must be a non-empty string"
            raise ctx.error(values[key], f"{message}, not {_describe(values[key])}")
    label = f"'valueFieldIdentifier' in {where}"
    return EventMapping(
        event=values["event"].value,
        mapping=values["mapping"].value,
        value_field=_string(ctx, values.get("valueFieldIdentifier"), label),
        line=node.start_mark.line + 1,
    )


def _is_str(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _TAG + "str"


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _TAG + "null"


def _describe(node: Node) -> str:
    """How a value reads in a message: "the string 'true'", "a list"…"""
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    kind = node.tag.removeprefix(_TAG)
    if kind == "str":
        return f"the string '{node.value}'"
    if kind in ("int", "float"):
        return f"the number {node.value}"
    return "null" if kind == "null" else node.value
