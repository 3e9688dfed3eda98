"""A Pinterest Tag endpoint on 127.0.0.1 that tests can tell how to answer.

    with TagServer() as server:
        server.answer = fail_first(3, 500)
        ... pintag send --endpoint server.url ...
        assert server.delivered() == [...]

It speaks HTTP/1.1 with keep-alive, one thread per connection, and records
every request: when it arrived and was answered, its event id, the answer,
and the most requests it had in flight at once.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Answer:
    """How to answer one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds before answering
    reset: bool = False  # drop the connection instead of answering


@dataclass
class Request:
    """One request as the server saw it."""

    number: int  # 1-based, in order of arrival
    arrived: float  # time.monotonic()
    params: dict[str, str]
    answered: float = 0.0  # 0.0 until the answer is written
    status: int | None = None  # the answer given; None: the connection was reset

    @property
    def event_id(self) -> str | None:
        """The message id the Tag request carries as ed[event_id]."""
        return self.params.get("ed[event_id]")


Rule = Callable[[Request], Answer]


def always(status: int = 200, **answer) -> Rule:
    """Answer every request the same way."""
    return lambda request: Answer(status, **answer)


def fail_first(count: int, status: int = 500, **answer) -> Rule:
    """The first `count` requests fail with `status`, the others succeed."""
    return lambda request: (
        Answer(status, **answer) if request.number <= count else Answer(200)
    )


def http_date(seconds_from_now: float) -> str:
    """An HTTP date (whole seconds) for a Retry-After header."""
    return formatdate(time.time() + seconds_from_now, usegmt=True)


class TagServer:
    """A threaded HTTP server; use as a context manager."""

    def __init__(self, answer: Rule | None = None) -> None:
        self.answer: Rule = answer or always(200)
        self.requests: list[Request] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.tag = self
        # A short poll interval: shutdown() waits for one.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def url(self) -> str:
        """The endpoint to pass as --endpoint."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v3/"

    def __enter__(self) -> TagServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    def delivered(self) -> list[str]:
        """Event ids answered (or being answered) with a 2xx, in order of arrival.

        A request counts once its answer is decided, even if the client left
        before reading it: the real endpoint would have recorded the event.
        """
        with self._lock:
            return [
                r.event_id
                for r in self.requests
                if r.status is not None and r.status < 300 and r.event_id
            ]

    def arrivals(self) -> list[float]:
        """When each request arrived (time.monotonic()), in order."""
        with self._lock:
            return [r.arrived for r in self.requests]

    def _begin(self, path: str) -> tuple[Request, Answer]:
        query = parse_qs(urlsplit(path).query, keep_blank_values=True)
        params = {key: values[-1] for key, values in query.items()}
        with self._lock:
            request = Request(len(self.requests) + 1, time.monotonic(), params)
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            answer = self.answer(request)
            request.status = None if answer.reset else answer.status
        return request, answer

    def _end(self, request: Request) -> None:
        with self._lock:
            self._in_flight -= 1
            request.answered = time.monotonic()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256  # up to 256 workers connect at once
    tag: TagServer

    def handle_error(self, request, client_address) -> None:
        """A client that left mid-answer (an interrupted pintag) is expected."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Tag endpoint

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        tag = self.server.tag
        request, answer = tag._begin(self.path)
        try:
            self._answer(answer)
        finally:
            tag._end(request)

    def _answer(self, answer: Answer) -> None:
        if answer.delay:
            time.sleep(answer.delay)
        if answer.reset:
            # SO_LINGER 0: close with a RST, as a crashed proxy would.
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
        self.wfile.flush()

    def log_message(self, format: str, *args) -> None:
        """Keep test output quiet."""
