"""A Pinterest Tag endpoint on 127.0.0.1 that tests can tell how to answer.

    with TagServer() as server:
        server.answer = fail_first(3, 500)
        ... pintag send --endpoint server.url ...
        assert server.delivered() == [...]

It speaks HTTP/1.1 with keep-alive, one thread per connection, and records
every request: when it arrived and was answered, its event id, the answer,
and the most requests it had in flight at once.

`FaultServer` works on raw sockets instead, to fail in ways http.server cannot
(a reset, silence, a garbled or cut-off answer, a body trickled a byte at a
time), for either transport; `AcceptingTagServer` takes request lines of any
length.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson


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


# --- a raw-socket server that misbehaves on purpose --------------------------


@dataclass(frozen=True)
class Fault:
    """How the fault server treats one request.

    kind: "answer" (a well-formed answer), "reset" (close with a RST before
    answering), "hang" (read the request, never answer), "slow_body" (the
    status line and headers at once, then the body a byte every `interval`
    seconds), "garbled" (a status line that is not HTTP), "cut_headers" (half
    the headers, then close).
    """

    kind: str = "answer"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # None: an empty Tag answer, or a CAPI report
    interval: float = 0.0


RESET = Fault("reset")
HANG = Fault("hang")
GARBLED = Fault("garbled")
CUT_HEADERS = Fault("cut_headers")


def reply(status: int = 200, headers: dict[str, str] | None = None, body=None):
    """A well-formed answer."""
    return Fault("answer", status, headers or {}, body)


def slow_body(body: bytes, interval: float, status: int = 200) -> Fault:
    """Headers at once, then `body` one byte every `interval` seconds."""
    return Fault("slow_body", status, {}, body, interval)


@dataclass
class FaultRequest:
    """One request as the fault server read it."""

    number: int  # 1-based, in order of arrival
    arrived: float  # time.monotonic()
    method: str
    path: str
    params: dict[str, str]  # the query string, for Tag requests
    event_ids: list[str]  # ed[event_id] of a Tag request, event_id of CAPI events
    fault: Fault | None = None
    answered: float = 0.0  # when the answer was decided


FaultRule = Callable[[FaultRequest], Fault]


class FaultServer:
    """A keep-alive HTTP/1.1 server on raw sockets that fails as it is told.

    `rule(request)` picks a `Fault` for each request; the default answers 200
    (for a CAPI batch, with every event processed). Works behind `--endpoint`
    for both transports: GET is read as a Tag request, POST as a CAPI batch.
    """

    def __init__(self, rule: FaultRule | None = None) -> None:
        self.rule: FaultRule = rule or (lambda request: reply(200))
        self.requests: list[FaultRequest] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.05)
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        """A Tag endpoint."""
        return f"http://127.0.0.1:{self.port}/v3/"

    @property
    def capi_endpoint(self) -> str:
        """A Conversions API endpoint with `{ad_account_id}` left open."""
        return f"http://127.0.0.1:{self.port}/v5/ad_accounts/{{ad_account_id}}/events"

    def __enter__(self) -> FaultServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._acceptor.join(2.0)
        self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        for thread in self._threads:
            thread.join(2.0)

    def delivered(self) -> list[str]:
        """Event ids of requests whose 2xx status line went out, in order.

        As with `TagServer`, an event counts once the server has said 200, even
        if the rest of the answer never reached the client.
        """
        with self._lock:
            return [
                event_id
                for r in self.requests
                if r.fault is not None
                and r.fault.kind in ("answer", "slow_body", "cut_headers")
                and r.fault.status < 300
                for event_id in r.event_ids
            ]

    def kinds(self) -> list[str]:
        """The fault kind of each request, in order of arrival."""
        with self._lock:
            return [r.fault.kind if r.fault else "?" for r in self.requests]

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self._connections.add(connection)
            thread = threading.Thread(
                target=self._serve, args=(connection,), daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        try:
            while not self._stop.is_set():
                request = self._read(reader)
                if request is None or not self._answer(connection, request):
                    return
        except (OSError, ValueError):
            return  # the client left mid-request: expected when it times out
        finally:
            with self._lock:
                self._connections.discard(connection)
            with contextlib.suppress(OSError):
                reader.close()
                connection.close()

    def _read(self, reader) -> FaultRequest | None:
        line = reader.readline(1 << 20)
        if not line:
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        length = 0
        while True:
            header = reader.readline(1 << 16)
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = reader.read(length) if length else b""
        url = urlsplit(target)
        query = parse_qs(url.query, keep_blank_values=True)
        params = {key: values[-1] for key, values in query.items()}
        if method == "POST":
            events = orjson.loads(body).get("data", []) if body else []
            event_ids = [str(event.get("event_id")) for event in events]
        else:
            event_ids = [params["ed[event_id]"]] if "ed[event_id]" in params else []
        with self._lock:
            request = FaultRequest(
                len(self.requests) + 1,
                time.monotonic(),
                method,
                url.path,
                params,
                event_ids,
            )
            self.requests.append(request)
        return request

    def _answer(self, connection: socket.socket, request: FaultRequest) -> bool:
        """Answer as the rule says; False when the connection is done."""
        fault = self.rule(request)
        with self._lock:
            request.fault = fault
            request.answered = time.monotonic()
        if fault.kind == "reset":
            linger = struct.pack("ii", 1, 0)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            return False
        if fault.kind == "hang":
            while not self._stop.wait(0.02):
                readable, _, _ = select.select([connection], [], [], 0)
                if readable and not connection.recv(1, socket.MSG_PEEK):
                    return False  # the client gave up and closed
            return False
        if fault.kind == "garbled":
            connection.sendall(b"HTTP/1.1 abc\r\n\r\n")
            return False
        if fault.kind == "cut_headers":
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Le")
            return False
        body = fault.body
        if body is None:
            body = _report_body(request) if request.method == "POST" else b""
        head = f"HTTP/1.1 {fault.status} {_PHRASES.get(fault.status, 'Status')}\r\n"
        headers = {"Content-Length": str(len(body)), **fault.headers}
        if request.method == "POST":
            headers.setdefault("Content-Type", "application/json")
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        connection.sendall(head.encode("latin-1") + b"\r\n")
        if fault.kind == "slow_body":
            for byte in body:
                if self._stop.wait(fault.interval):
                    return False
                connection.sendall(bytes([byte]))
        else:
            connection.sendall(body)
        return True


_PHRASES = {200: "OK", 400: "Bad Request", 429: "Too Many Requests"} | {
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _report_body(request: FaultRequest) -> bytes:
    """A Conversions API report with every event of the request processed."""
    count = len(request.event_ids)
    report = {
        "num_events_received": count,
        "num_events_processed": count,
        "events": [{"status": "processed"}] * count,
    }
    return orjson.dumps(report)


# --- a Tag endpoint that takes requests of any size -------------------------


class AcceptingTagServer(TagServer):
    """A `TagServer` that reads request lines of any length.

    http.server answers 414 past 64 KiB; this one lets every request reach
    the answer rule, for corpora that check what pintag sends rather than what
    a real endpoint would accept.
    """

    def __init__(self, answer: Rule | None = None) -> None:
        super().__init__(answer)
        self._server.RequestHandlerClass = _AcceptingHandler


class _AcceptingHandler(_Handler):
    def handle_one_request(self) -> None:
        """As http.server's, less its 64 KiB limit on the request line."""
        self.raw_requestline = self.rfile.readline()
        if not self.raw_requestline:
            self.close_connection = True
            return
        if self.parse_request():  # else it has answered with the error
            self.do_GET()
            self.wfile.flush()
