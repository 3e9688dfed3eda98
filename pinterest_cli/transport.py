"""How resolved conversions reach Pinterest: the transport interface and the Tag.

A transport turns a `Conversion` into its wire payload (or a reason not to
send it) and delivers batches of payloads. The Tag takes one event a request;
the Conversions API (`capi.py`) takes up to 1,000. Delivery outcomes are typed
the way the retry policy needs them: a whole batch that may be retried, a
whole run that must stop, or a verdict per event.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from pinterest_cli import __version__
from pinterest_cli.mapping import Conversion, Reject, Skip
from pinterest_cli.tag import TAG_ENDPOINT, tag_params, tag_query

USER_AGENT = f"pintag/{__version__}"


class DeliveryError(Exception):
    """A whole request failed.

    `retriable`: 429, 5xx, timeouts and network errors, worth another try.
    `stop_run`: the run cannot succeed (bad token, wrong account): stop now.
    Otherwise every event of the request failed for the reason given.
    """

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        retriable: bool = False,
        retry_after: float | None = None,
        stop_run: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retriable = retriable
        self.retry_after = retry_after
        self.stop_run = stop_run


@dataclass(slots=True)
class BatchResult:
    """The answer to one delivered request."""

    status: int
    errors: list[str | None]  # per payload: None when accepted, else the reason


class Transport(Protocol):
    """What the sender needs from a way of delivering events."""

    name: str
    batch_size: int

    def prepare(self, conversion: Conversion) -> Any | Skip | Reject:
        """The payload for one conversion, or why it is not sent."""

    def deliver(self, payloads: list[Any]) -> BatchResult:
        """Send one request; raise DeliveryError when the request as a whole fails."""

    def close(self) -> None:
        """Release connections."""


class TagTransport:
    """The Pinterest Tag: one GET image request per event, over keep-alive."""

    name = "tag"
    batch_size = 1

    def __init__(
        self,
        tag_id: str,
        *,
        endpoint: str = TAG_ENDPOINT,
        concurrency: int = 16,
        timeout: float = 10.0,
    ) -> None:
        self.tag_id = tag_id
        self.endpoint = endpoint
        self.timeout = timeout
        # One urllib3 pool for the one host: measured several times faster per
        # request than requests.Session, which matters at one request an event.
        self._pool = urllib3.connection_from_url(
            endpoint,
            maxsize=concurrency,
            block=True,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            headers={"User-Agent": USER_AGENT},
        )
        parsed = urllib3.util.parse_url(endpoint)
        self._path = parsed.path or "/"
        self._separator = "&" if parsed.query else "?"
        if parsed.query:
            self._path = f"{self._path}?{parsed.query}"

    def prepare(self, conversion: Conversion) -> str:
        """The URL path and query of this conversion's image request."""
        query = tag_query(tag_params(conversion, self.tag_id))
        return f"{self._path}{self._separator}{query}"

    def deliver(self, payloads: list[str]) -> BatchResult:
        """GET each payload (the Tag has batches of one)."""
        (url,) = payloads
        status, body, headers = request(self._pool, "GET", url, self.timeout)
        if status < 300:
            return BatchResult(status, [None])
        reason = f"HTTP {status}{_body_excerpt(body)}"
        raise http_error(status, reason, headers.get("Retry-After"))

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()


def request(pool, method: str, url: str, timeout: float, **options):
    """(status, body, headers) of one request, the whole answer within `timeout`.

    urllib3's read timeout bounds each read from the socket, so a server that
    trickles its body a byte at a time would hold a request, and the run, for
    ever; the body is read in pieces against a deadline instead.
    """
    deadline = time.monotonic() + timeout
    try:
        response = pool.urlopen(
            method, url, redirect=False, retries=False, preload_content=False, **options
        )
    except Urllib3Error as exc:
        raise DeliveryError(network_reason(exc), retriable=True) from None
    try:
        chunks = []
        while chunk := response.read1(1 << 16):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                response.close()  # half-read: the connection cannot be reused
                raise DeliveryError(
                    f"network: timed out reading the answer (over {timeout:g} s)",
                    retriable=True,
                )
    except Urllib3Error as exc:
        response.close()
        raise DeliveryError(network_reason(exc), retriable=True) from None
    finally:
        response.release_conn()
    return response.status, b"".join(chunks), response.headers


def http_error(status: int, reason: str, retry_after: str | None) -> DeliveryError:
    """Classify an HTTP error answer: 429 and 5xx are worth retrying."""
    from pinterest_cli.retry import parse_retry_after

    retriable = status == 429 or status >= 500
    wait = parse_retry_after(retry_after) if retriable and retry_after else None
    return DeliveryError(reason, status=status, retriable=retriable, retry_after=wait)


def network_reason(exc: Exception) -> str:
    """A short, stable description of a network failure."""
    name = type(exc).__name__
    if name == "ProtocolError" and len(exc.args) > 1:
        # The underlying http.client error says what broke.
        cause = type(exc.args[1]).__name__
        if cause in ("BadStatusLine", "LineTooLong", "UnknownProtocol"):
            return "network: the answer was not HTTP (bad status line)"
        if cause == "RemoteDisconnected":
            return "network: connection closed without an answer"
        if cause == "ConnectionResetError":
            return "network: connection reset"
    text = {
        "ReadTimeoutError": "timed out waiting for an answer",
        "ConnectTimeoutError": "timed out connecting",
        "NameResolutionError": "host name could not be resolved",
        "NewConnectionError": "connection refused or unreachable",
        "ProtocolError": "connection broken",
        "SSLError": "TLS handshake failed",
        "ProxyError": "proxy failed",
    }.get(name)
    if text is None:
        # urllib3 wraps the underlying error in MaxRetryError.reason.
        inner = getattr(exc, "reason", None)
        if isinstance(inner, Exception) and inner is not exc:
            return network_reason(inner)
        text = name
    return f"network: {text}"


def _body_excerpt(body: bytes) -> str:
    text = body[:200].decode("utf-8", "replace").strip()
    return f": {' '.join(text.split())}" if text else ""
