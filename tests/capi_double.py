"""A local stand-in for Pinterest's Conversions API, on 127.0.0.1.

It answers `POST /v5/ad_accounts/{id}/events` the way the real API does: 401
for a wrong bearer token, 403 for another ad account, 400 for a malformed body
or more than 1,000 events, and otherwise a report with a status per event,
under a 200 or (when `failure_status` is 422) under a 422's `details`. Each
event is checked against the API's schema, so a field pintag gets wrong fails
the event as Pinterest would. Answers can be programmed ahead (429 with
Retry-After, 503…), and every request and every processed event is recorded.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

TOKEN = "pina_TEST-token.0123456789abcdef"
AD_ACCOUNT_ID = "549755885175"
MAX_EVENTS = 1000

EVENT_NAMES = frozenset(
    {"add_payment_info", "add_to_cart", "add_to_wishlist", "app_install"}
    | {"checkout", "custom", "initiate_checkout", "lead", "page_visit", "search"}
    | {"signup", "subscribe", "view_category", "view_content", "watch_video"}
)
ACTION_SOURCES = frozenset({"app_android", "app_ios", "web", "offline"})
EVENT_KEYS = frozenset(
    {"event_name", "action_source", "event_time", "event_id", "event_source_url"}
    | {"user_data", "custom_data", "opt_out", "partner_name", "language"}
)
HASHED_KEYS = frozenset(
    {"em", "hashed_maids", "ph", "ge", "db", "ln", "fn", "ct", "st", "zp"}
    | {"country", "external_id"}
)
TEXT_KEYS = {"client_ip_address", "client_user_agent"}
CUSTOM_TEXT = frozenset(
    {"currency", "value", "order_id", "search_string", "content_name"}
    | {"content_category", "content_brand"}
)
CONTENT_TEXT = frozenset({"id", "item_price", "item_name", "item_category"}) | {
    "item_brand"
}
_HEX = re.compile(r"[0-9a-f]{64}")
_PATH = re.compile(r"/v5/ad_accounts/([^/]+)/events")


@dataclass
class Received:
    """One request as the double saw it (the Authorization header left out)."""

    path: str
    query: dict[str, list[str]]
    authorized: bool
    content_type: str | None
    events: list[Any] | None
    status: int = 0


@dataclass
class CapiDouble:
    """The API double; use it as a context manager, or start() and stop()."""

    token: str = TOKEN
    ad_account_id: str = AD_ACCOUNT_ID
    # An error message for events Pinterest should mark failed, else None.
    fail_event: Callable[[dict], str | None] = lambda event: None
    warn_event: Callable[[dict], str | None] = lambda event: None
    failure_status: int = 200  # 422: failures are reported under `details`
    details_as_list: bool = False  # the 422 `details` as a bare list of results
    requests: list[Received] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)  # processed, not ?test=true
    test_events: list[dict] = field(default_factory=list)
    _answers: deque = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def answer(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests with this, before any checks."""
        for _ in range(times):
            self._answers.append((status, body, headers or {}))

    @property
    def url(self) -> str:
        """The events URL of the configured ad account."""
        return self.endpoint.replace("{ad_account_id}", self.ad_account_id)

    @property
    def endpoint(self) -> str:
        """The URL with `{ad_account_id}` left open, as `--endpoint` takes it."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v5/ad_accounts/{{ad_account_id}}/events"

    def start(self) -> CapiDouble:
        """Listen on a free port of 127.0.0.1 in a background thread."""
        handler = type("Handler", (_Handler,), {"double": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval keeps stop() (and each test's teardown) quick.
        serve = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )
        serve.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> CapiDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle(self, received: Received, authorization: str | None):
        """(status, body, headers) for one request."""
        with self._lock:
            self.requests.append(received)
            if self._answers:
                return self._answers.popleft()
        found = _PATH.fullmatch(received.path)
        if found is None:
            return 404, {"code": 404, "message": "Not found"}, {}
        if authorization != f"Bearer {self.token}":
            return 401, {"code": 2, "message": "Authentication failed."}, {}
        if found.group(1) != self.ad_account_id:
            message = "You are not permitted to access that resource."
            return 403, {"code": 29, "message": message}, {}
        events = received.events
        if not isinstance(events, list) or not events:
            return 400, {"code": 1, "message": "'data' must be a non-empty array"}, {}
        if len(events) > MAX_EVENTS:
            message = f"Too many events: at most {MAX_EVENTS} per request"
            return 400, {"code": 1, "message": message}, {}
        return self._report(events, "true" in received.query.get("test", []))

    def _report(self, events: list, test: bool):
        results = []
        for event in events:
            error = _problem(event) or self.fail_event(event)
            if error:
                results.append({"status": "failed", "error_message": error})
                continue
            result = {"status": "processed"}
            warning = self.warn_event(event)
            if warning:
                result["warning_message"] = warning
            results.append(result)
            with self._lock:
                (self.test_events if test else self.events).append(event)
        processed = sum(result["status"] == "processed" for result in results)
        report = {
            "num_events_received": len(events),
            "num_events_processed": processed,
            "events": results,
        }
        if processed == len(events) or self.failure_status != 422:
            return 200, report, {}
        details = results if self.details_as_list else report
        message = "Not all events were successfully processed."
        return 422, {"code": 4, "message": message, "details": details}, {}


class _Handler(BaseHTTPRequestHandler):
    double: CapiDouble
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
        url = urlsplit(self.path)
        authorization = self.headers.get("Authorization")
        received = Received(
            path=url.path,
            query=parse_qs(url.query),
            authorized=authorization == f"Bearer {self.double.token}",
            content_type=self.headers.get("Content-Type"),
            events=body.get("data") if isinstance(body, dict) else None,
        )
        status, answer, headers = self.double.handle(received, authorization)
        received.status = status
        if answer is None or isinstance(answer, bytes):
            data = answer or b""
        else:
            data = orjson.dumps(answer)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the records, not stderr."""


def _problem(event: Any) -> str | None:
    """Why Pinterest would fail this event, or None."""
    if not isinstance(event, dict):
        return "event must be an object"
    unknown = set(event) - EVENT_KEYS
    if unknown:
        return f"unknown field(s): {', '.join(sorted(unknown))}"
    if event.get("event_name") not in EVENT_NAMES:
        return f"event_name {event.get('event_name')!r} is not valid"
    if event.get("action_source") not in ACTION_SOURCES:
        return f"action_source {event.get('action_source')!r} is not valid"
    if type(event.get("event_time")) is not int:
        return "event_time must be an integer of Unix seconds"
    if not isinstance(event.get("event_id"), str) or not event["event_id"]:
        return "event_id must be a non-empty string"
    url = event.get("event_source_url")
    if url is not None and not isinstance(url, str):
        return "event_source_url must be a string"
    return _user_problem(event.get("user_data")) or _custom_problem(
        event.get("custom_data")
    )


def _user_problem(users: Any) -> str | None:
    if not isinstance(users, dict):
        return "user_data is required"
    for key, value in users.items():
        if key in HASHED_KEYS:
            if not isinstance(value, list) or not value:
                return f"user_data.{key} must be a non-empty array"
            if not all(isinstance(v, str) and _HEX.fullmatch(v) for v in value):
                return f"user_data.{key} must hold lower-case SHA-256 hex strings"
        elif key in TEXT_KEYS:
            if not isinstance(value, str) or not value:
                return f"user_data.{key} must be a non-empty string"
        else:
            return f"unknown field user_data.{key}"
    if "em" in users or "hashed_maids" in users:
        return None
    if "client_ip_address" in users and "client_user_agent" in users:
        return None
    return "user_data needs em, hashed_maids, or client_ip_address and user agent"


def _custom_problem(custom: Any) -> str | None:
    if custom is None:
        return None
    if not isinstance(custom, dict):
        return "custom_data must be an object"
    for key, value in custom.items():
        if key in CUSTOM_TEXT and not isinstance(value, str):
            return f"custom_data.{key} must be a string"
    if "num_items" in custom and type(custom["num_items"]) is not int:
        return "custom_data.num_items must be an integer"
    ids = custom.get("content_ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return "custom_data.content_ids must be an array of strings"
    contents = custom.get("contents", [])
    if not isinstance(contents, list):
        return "custom_data.contents must be an array"
    for item in contents:
        if not isinstance(item, dict):
            return "custom_data.contents must hold objects"
        for key, value in item.items():
            if key in CONTENT_TEXT and not isinstance(value, str):
                return f"custom_data.contents[].{key} must be a string"
            if key == "quantity" and type(value) is not int:
                return "custom_data.contents[].quantity must be an integer"
    return None
