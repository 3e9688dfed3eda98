"""The Conversions API transport (contract §10): batches of events, one POST each.

`CapiTransport` delivers the events `capi_events.CapiEvents` builds: up to
1,000 a POST, one verdict per event from Pinterest's answer. The access token
lives only in the request headers: it is kept out of every message, log record
and repr, and any text taken from an answer is scrubbed of it first.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import urllib3

from pinterest_cli.capi_events import (
    DEFAULT_FUTURE_SLACK,
    DEFAULT_MAX_AGE,
    CapiEvents,
)
from pinterest_cli.config import ConfigError, PinterestConfig, require_capi
from pinterest_cli.jsonutil import dumps
from pinterest_cli.mapping import Conversion, Reject, Skip
from pinterest_cli.transport import (
    USER_AGENT,
    BatchResult,
    DeliveryError,
    http_error,
    request,
)

CAPI_ENDPOINT_TEMPLATE = (
    "https://api.pinterest.com/v5/ad_accounts/{ad_account_id}/events"
)
MAX_BATCH_SIZE = 1000
TOKEN_VARIABLE = "PINTEREST_CONVERSION_TOKEN"
NO_STATUS = "no status in Pinterest's answer"

_TOKEN_TEXT = re.compile(r"[\x21-\x7e]+")
_MESSAGE_LIMIT = 500

log = logging.getLogger(__name__)


class CapiTransport:
    """The Conversions API: batches of up to 1,000 events, a verdict per event."""

    name = "capi"

    def __init__(
        self,
        config: PinterestConfig,
        token: str,
        *,
        endpoint: str | None = None,
        batch_size: int = MAX_BATCH_SIZE,
        timeout: float = 30.0,
        concurrency: int = 4,
        max_age: float = DEFAULT_MAX_AGE,
        future_slack: float = DEFAULT_FUTURE_SLACK,
        test: bool = False,
        now: Callable[[], float] = time.time,
        send_external_id: bool | None = None,
    ) -> None:
        require_capi(config)
        # Checked here as well as in read_token: http.client puts an invalid
        # header value, token included, into its exception text.
        if not _TOKEN_TEXT.fullmatch(token):
            raise ValueError("the access token must be printable characters only")
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch size must be 1 to {MAX_BATCH_SIZE}")
        self.ad_account_id = config.ad_account_id
        self.batch_size = batch_size
        self.timeout = timeout
        self.test = test
        self.events = CapiEvents(
            config,
            max_age=max_age,
            future_slack=future_slack,
            now=now,
            send_external_id=send_external_id,
        )
        template = endpoint or CAPI_ENDPOINT_TEMPLATE
        self.endpoint = template.replace("{ad_account_id}", config.ad_account_id)
        parsed = urllib3.util.parse_url(self.endpoint)
        self._url = parsed.path or "/"
        query = "&".join(
            part for part in (parsed.query, "test=true" if test else "") if part
        )
        if query:
            self._url = f"{self._url}?{query}"
        self._token = token
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        self._pool = urllib3.connection_from_url(
            self.endpoint,
            maxsize=concurrency,
            block=True,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
        )

    def __repr__(self) -> str:
        return (
            f"CapiTransport(endpoint={self.endpoint!r}, batch_size={self.batch_size}, "
            f"test={self.test})"
        )

    def prepare(self, conversion: Conversion) -> bytes | Skip | Reject:
        """The API event for a conversion as JSON, or why it is not sent.

        Serialised here rather than at delivery: thousands of events wait in
        the send queue, and as bytes the garbage collector need not walk them
        (measured: a fifth of the run's time went to collections over dicts).
        """
        event = self.events.build(conversion)
        if type(event) is dict:
            return dumps(event)
        return event

    def deliver(self, payloads: list[bytes]) -> BatchResult:
        """POST one batch of serialised events; per-event errors in the result."""
        if len(payloads) > MAX_BATCH_SIZE:
            raise ValueError(f"at most {MAX_BATCH_SIZE} events a request")
        if not payloads:
            return BatchResult(200, [])
        body = b'{"data":[' + b",".join(payloads) + b"]}"
        log.debug("POST %s: %d events", self._url, len(payloads))
        status, data, headers = request(
            self._pool,
            "POST",
            self._url,
            self.timeout,
            body=body,
            headers=self._headers,
        )
        return self._verdicts(status, data, headers, payloads)

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()

    def _verdicts(
        self, status: int, data: bytes, headers: Mapping[str, str], payloads: list
    ) -> BatchResult:
        """Per-event errors from an answer, or the DeliveryError for the batch."""
        answer = _json(data)
        message = self._clip(_pinterest_message(answer, data))
        message = f": {message}" if message else ""
        if 200 <= status < 300:
            if type(answer) is not dict:
                reason = f"Pinterest's answer (HTTP {status}) could not be read"
                return BatchResult(status, [reason] * len(payloads))
            return BatchResult(status, self._event_errors(answer, len(payloads)))
        if status == 422:
            report = _report(answer.get("details") if type(answer) is dict else None)
            if report is not None:
                return BatchResult(status, self._event_errors(report, len(payloads)))
            raise DeliveryError(
                f"Pinterest refused the events (422){message}", status=422
            )
        if status == 401:
            raise DeliveryError(
                "Pinterest refused the access token (401): check "
                f"{TOKEN_VARIABLE} or --token-file{message}",
                status=401,
                stop_run=True,
            )
        if status == 403:
            raise DeliveryError(
                "Pinterest refused access (403): the token has no access to ad "
                f"account {self.ad_account_id}, or adAccountId is wrong{message}",
                status=403,
                stop_run=True,
            )
        raise http_error(status, f"HTTP {status}{message}", headers.get("Retry-After"))

    def _event_errors(self, report: dict, count: int) -> list[str | None]:
        """One entry per sent event: None when processed, else Pinterest's reason."""
        results = report.get("events")
        if type(results) is not list:
            results = []
        errors: list[str | None] = []
        warnings: Counter[str] = Counter()
        for i in range(count):
            result = results[i] if i < len(results) else None
            if type(result) is not dict or "status" not in result:
                errors.append(NO_STATUS)
                continue
            warning = result.get("warning_message")
            if type(warning) is str and warning.strip():
                warnings[self._clip(warning)] += 1
            if result["status"] == "processed":
                errors.append(None)
            else:
                errors.append(self._failure(result))
        for warning, n in warnings.items():
            log.info("Pinterest warned about %d events: %s", n, warning)
        log.debug("%d of %d events processed", errors.count(None), count)
        return errors

    def _failure(self, result: dict) -> str:
        text = result.get("error_message")
        if type(text) is str and text.strip():
            return self._clip(text)
        status = result.get("status")
        if status == "failed":
            return "Pinterest marked the event failed without a message"
        return self._clip(f"Pinterest answered status {str(status)[:40]!r}")

    def _clip(self, text: str) -> str:
        """Text from an answer on one short line, the token taken out if echoed.

        The token is replaced before the text is cut, so no part of it survives
        at the cut.
        """
        text = " ".join(text.replace(self._token, "[token]").split())
        return text[:_MESSAGE_LIMIT]


def read_token(token_file: str | None, environ: Mapping[str, str]) -> str:
    """The access token: from `--token-file PATH`, else PINTEREST_CONVERSION_TOKEN.

    Raises ConfigError when neither gives one, or the token is malformed; no
    message ever contains the file's content or the variable's value.
    """
    if token_file:
        token, where = _token_from_file(token_file), token_file
    else:
        token, where = environ.get(TOKEN_VARIABLE, "").strip(), TOKEN_VARIABLE
        if not token:
            raise ConfigError(
                "the Conversions API needs an access token: set "
                f"{TOKEN_VARIABLE} or pass --token-file PATH (a file holding only "
                "the token, readable by you alone)"
            )
    # A pasted "Bearer <token>" is a common slip; the header adds its own.
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not _TOKEN_TEXT.fullmatch(token):
        raise ConfigError(
            f"{where}: the access token must be one line of printable characters "
            "without spaces; copy it again from Pinterest Ads Manager"
        )
    return token


def _token_from_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            token = handle.read().strip()
            mode = os.fstat(handle.fileno()).st_mode
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such token file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the token file is not UTF-8 text") from None
    except OSError as err:
        raise ConfigError(
            f"{path}: cannot read the token file ({err.strerror})"
        ) from None
    if not token:
        raise ConfigError(f"{path}: the token file is empty")
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "%s can be read by other users; restrict it with: chmod 600 %s", path, path
        )
    return token


def _json(data: bytes) -> Any:
    try:
        return orjson.loads(data) if data else None
    except orjson.JSONDecodeError:
        return None


def _report(details: Any) -> dict | None:
    """The per-event report inside a 422's `details`: an object or a bare list."""
    if type(details) is str:
        details = _json(details.encode())
    if type(details) is list:
        return {"events": details}
    if type(details) is dict and type(details.get("events")) is list:
        return details
    return None


def _pinterest_message(answer: Any, data: bytes) -> str:
    """Pinterest's `message`, or the start of a body that is not JSON; "" if none."""
    if type(answer) is dict and type(answer.get("message")) is str:
        return answer["message"]
    if answer is None and data:
        return data[:4096].decode("utf-8", "replace")
    return ""
