"""Conversions API events (contract §10): a resolved conversion as an API event.

Pure: no I/O and no network; the clock is injected. `CapiEvents` builds the
object of a request's `data` array, or a reason not to send it. It needs no
token, so `dry-run --transport capi` uses it as it is.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pinterest_cli.config import PinterestConfig
from pinterest_cli.eventdata import line_items, order_quantity
from pinterest_cli.jsonutil import dumps
from pinterest_cli.mapping import Conversion, Reject, Skip
from pinterest_cli.privacy import clean_string
from pinterest_cli.userdata import user_data

DEFAULT_MAX_AGE = 7 * 86400
DEFAULT_FUTURE_SLACK = 300

# Wire name (§3) -> API name; any other (partner-defined) name is sent as custom.
API_EVENT_NAMES = {
    "checkout": "checkout",
    "addtocart": "add_to_cart",
    "pagevisit": "page_visit",
    "signup": "signup",
    "watchvideo": "watch_video",
    "lead": "lead",
    "search": "search",
    "viewcategory": "view_category",
    "custom": "custom",
}

TIME_FIELDS = ("timestamp", "originalTimestamp", "sentAt", "receivedAt")
NO_TIME = "no usable timestamp (timestamp, originalTimestamp, sentAt, receivedAt)"
IN_FUTURE = "event time is in the future"
UNMATCHABLE = "cannot be matched: no email, and not both IP address and user agent"

# Epoch numbers at or above this are milliseconds: as seconds it is the year
# 5138, as milliseconds March 1973, before any analytics event.
_MILLISECONDS_FROM = 1e11
# Times outside this range are placeholders or typos, never event times: no
# analytics library sent events before 2000.
_EARLIEST = 946684800.0  # 2000-01-01T00:00:00Z
_LATEST = 253402300799.0  # 9999-12-31T23:59:59Z
_EPOCH_TEXT = re.compile(r"[0-9]{9,}(?:\.[0-9]+)?")


def event_time(message: dict) -> int | None:
    """Unix seconds of the first usable time field, or None.

    ISO 8601 strings (a missing offset means UTC) and epoch numbers are read;
    numbers from 1e11 up are milliseconds, smaller ones seconds, and digit-only
    strings of nine or more digits count as numbers. A field that is absent or
    unreadable falls through to the next one.
    """
    for field in TIME_FIELDS:
        found = _seconds(message.get(field))
        if found is not None:
            return found
    return None


def _seconds(value: Any) -> int | None:
    kind = type(value)
    if kind is str:
        value = value.strip()
        if _EPOCH_TEXT.fullmatch(value):
            return _epoch(float(value))
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            seconds = moment.timestamp()
        except (OverflowError, ValueError):
            return None
        return int(seconds) if _EARLIEST <= seconds <= _LATEST else None
    if kind is int or kind is float:
        return _epoch(value)
    return None


def _epoch(number: float) -> int | None:
    if not math.isfinite(number):
        return None
    if number >= _MILLISECONDS_FROM:
        number /= 1000
    return int(number) if _EARLIEST <= number <= _LATEST else None


def event_id(conversion: Conversion) -> str:
    """The id the Tag sends as `ed[event_id]`, else a stable hash of the message.

    Using the Tag's own value lets Pinterest deduplicate an event sent both
    ways; the hash makes a replay of a message without `messageId` send the
    same id again.
    """
    found = conversion.event_data.get("ed[event_id]")
    if found is not None and found != "" and type(found) is not bool:
        return found if type(found) is str else str(found)
    canonical = dumps(conversion.message, sort_keys=True)
    return hashlib.sha256(canonical).hexdigest()


def event_source_url(message: dict) -> str | None:
    """`context.page.url`, else `properties.url`, with PII query parameters removed."""
    context = message.get("context")
    page = context.get("page") if type(context) is dict else None
    props = message.get("properties")
    for candidate in (
        page.get("url") if type(page) is dict else None,
        props.get("url") if type(props) is dict else None,
    ):
        if type(candidate) is str and candidate.strip():
            cleaned = clean_string(candidate.strip())
            if cleaned:
                return cleaned
    return None


def custom_data(conversion: Conversion) -> dict[str, Any]:
    """The §10 `custom_data` fields the message has; empty when it has none."""
    props = conversion.message.get("properties")
    if type(props) is not dict:
        props = {}
    data: dict[str, Any] = {}
    _put_text(data, "currency", props.get("currency"))
    if conversion.value is not None:
        data["value"] = _number_text(conversion.value)
    _put_text(data, "order_id", props.get("order_id"))
    _put_text(data, "search_string", props.get("query"))
    quantity = _whole(order_quantity(props))
    if quantity is not None:
        data["num_items"] = quantity
    contents = [content for item in line_items(props) if (content := _content(item))]
    ids = [content["id"] for content in contents if "id" in content]
    if ids:
        data["content_ids"] = ids
    if contents:
        data["contents"] = contents
    return data


def _content(item: dict[str, Any]) -> dict[str, Any]:
    """A line item (§5) as a `contents` entry; the variant has no API field."""
    content: dict[str, Any] = {}
    for key, field in (
        ("id", "product_id"),
        ("item_price", "product_price"),
        ("quantity", "product_quantity"),
        ("item_name", "product_name"),
        ("item_category", "product_category"),
        ("item_brand", "product_brand"),
    ):
        found = item.get(field)
        if key == "quantity":
            found = _whole(found)
        elif type(found) is int or type(found) is float:
            found = _number_text(found)
        elif type(found) is not str:
            found = None  # booleans: no product has the name or id `true`
        if found is not None:
            content[key] = found
    return content


def _put_text(data: dict[str, Any], key: str, value: Any) -> None:
    kind = type(value)
    if kind is str:
        text = clean_string(value.strip())
        if text:
            data[key] = text
    elif kind is int or (kind is float and math.isfinite(value)):
        data[key] = _number_text(value)


def _whole(number: int | float | None) -> int | None:
    """An integral number as an int (3.0 -> 3); None for 2.5, inf or None."""
    if type(number) is int:
        return number
    if type(number) is float and number.is_integer():
        return int(number)
    return None


def _number_text(number: int | float) -> str:
    """A number as the API's decimal strings want it: 19.99, 20 (not 20.0)."""
    if type(number) is float and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return str(number)


def _duration(seconds: float) -> str:
    """A window length as a reason reads it: "7-day", "36-hour", "90-second"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}-{unit}"
    return f"{seconds:g}-second"


class CapiEvents:
    """Builds Conversions API events under one configuration and clock."""

    def __init__(
        self,
        config: PinterestConfig,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        future_slack: float = DEFAULT_FUTURE_SLACK,
        now: Callable[[], float] = time.time,
        send_external_id: bool | None = None,
    ) -> None:
        self.action_source = config.action_source
        self.max_age = max_age
        self.future_slack = future_slack
        self.now = now
        if send_external_id is None:
            send_external_id = config.send_external_id
        self.send_external_id = send_external_id
        self.too_old = f"event older than the {_duration(max_age)} window"

    def build(self, conversion: Conversion) -> dict[str, Any] | Skip | Reject:
        """The API event for a conversion, or why it is not sent.

        No time is a rejection; a time outside the window is a skip, checked
        before the match keys because no fix to the keys would let it be sent.
        """
        message = conversion.message
        seconds = event_time(message)
        if seconds is None:
            return Reject(NO_TIME)
        now = self.now()
        if seconds < now - self.max_age:
            return Skip(self.too_old)
        if seconds > now + self.future_slack:
            return Skip(IN_FUTURE)

        users = user_data(
            message, conversion.email_hash, send_external_id=self.send_external_id
        )
        if "em" not in users and not (
            "client_ip_address" in users and "client_user_agent" in users
        ):
            return Reject(UNMATCHABLE)

        event: dict[str, Any] = {
            "event_name": API_EVENT_NAMES.get(conversion.event, "custom"),
            "action_source": self.action_source,
            "event_time": seconds,
            "event_id": event_id(conversion),
        }
        url = event_source_url(message)
        if url is not None:
            event["event_source_url"] = url
        event["user_data"] = users
        custom = custom_data(conversion)
        if custom:
            event["custom_data"] = custom
        return event
