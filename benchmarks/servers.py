"""Local doubles of Pinterest for the delivery benchmarks, and their self-check.

    python benchmarks/servers.py tag --port 0 --delay 0.02
    python benchmarks/servers.py capi --port 0 --token secret
    python benchmarks/servers.py selfcheck --connections 32 128

Each server is one asyncio process speaking HTTP/1.1 with keep-alive, built on
a raw `asyncio.Protocol` because streams cost several times more per request.
It prints `listening on http://127.0.0.1:PORT` once ready. `GET /_stats`
answers at once with the counts and the server's CPU seconds, so a benchmark
can tell whether the server was busy; `/_stats` itself is not counted.

The Tag double answers every other request with `200` and an empty body after
`--delay` seconds. The Conversions API double takes `POST {"data": [...]}`
with `Authorization: Bearer TOKEN` and answers like the real API: every event
"processed". The self-check drives the Tag double with a client much lighter
than any HTTP library, to show the server is far from being the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import orjson

_EMPTY_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
_MAX_HEAD = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024
# (status, body) that a handler returns.
Answer = tuple[int, bytes]
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


class Counts:
    """What a server has answered; read through `GET /_stats`."""

    def __init__(self) -> None:
        self.requests = 0
        self.events = 0

    def as_json(self) -> bytes:
        """The counts and this process's CPU time, as a JSON body."""
        document = {
            "requests": self.requests,
            "events": self.events,
            "cpu_seconds": time.process_time(),
        }
        return orjson.dumps(document)


class HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 server side: one request at a time per connection."""

    def __init__(self, handle: Callable, counts: Counts, delay: float) -> None:
        self.handle = handle
        self.counts = counts
        self.delay = delay
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    self._send(_response(400, b"header too large"), close=True)
                return
            head = bytes(buffer[:end])
            headers = _headers(head)
            length = int(headers.get(b"content-length", 0))
            if length > _MAX_BODY:
                self._send(_response(400, b"body too large"), close=True)
                return
            if len(buffer) < end + 4 + length:
                return
            body = bytes(buffer[end + 4 : end + 4 + length])
            del buffer[: end + 4 + length]
            self._dispatch(head, headers, body)

    def _dispatch(self, head: bytes, headers: dict, body: bytes) -> None:
        method, _, rest = head.partition(b" ")
        target = rest.split(b" ", 1)[0]
        close = headers.get(b"connection", b"").lower() == b"close"
        if target == b"/_stats":
            self._send(_response(200, self.counts.as_json()), close)
            return
        self.counts.requests += 1
        answer = self.handle(method, target, headers, body)
        raw = _EMPTY_OK if answer == (200, b"") else _response(*answer)
        if self.delay > 0:
            self.loop.call_later(self.delay, self._send, raw, close)
        else:
            self._send(raw, close)

    def _send(self, raw: bytes, close: bool = False) -> None:
        if self.transport is None:
            return
        self.transport.write(raw)
        if close:
            self.transport.close()


def _headers(head: bytes) -> dict[bytes, bytes]:
    """Header names lower-cased; the request line is skipped."""
    found = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        found[name.strip().lower()] = value.strip()
    return found


def _response(status: int, body: bytes, content_type: bytes = b"application/json"):
    reason = _REASONS.get(status, "Error").encode()
    return (
        b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
        % (status, reason, content_type, len(body))
        + body
    )


def tag_handler(counts: Counts) -> Callable:
    """The Tag: any GET is a conversion, answered with an empty 200."""

    def handle(method: bytes, target: bytes, headers: dict, body: bytes) -> Answer:
        if method != b"GET":
            return 400, b'{"message": "the Tag takes GET requests"}'
        counts.events += 1
        return 200, b""

    return handle


def capi_handler(counts: Counts, token: str) -> Callable:
    """The Conversions API: `{"data": [...]}` in, one status per event out."""
    expected = b"Bearer " + token.encode()

    def handle(method: bytes, target: bytes, headers: dict, body: bytes) -> Answer:
        if method != b"POST":
            return 404, b'{"code": 404, "message": "not found"}'
        if headers.get(b"authorization") != expected:
            return 401, b'{"code": 2, "message": "Authentication failed."}'
        try:
            data = orjson.loads(body)["data"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return 400, b'{"code": 1, "message": "body must be {\\"data\\": [...]}"}'
        if type(data) is not list or not 1 <= len(data) <= 1000:
            return 400, b'{"code": 1, "message": "data must hold 1 to 1000 events"}'
        counts.events += len(data)
        processed = {
            "status": "processed",
            "error_message": None,
            "warning_message": None,
        }
        answer = {
            "num_events_received": len(data),
            "num_events_processed": len(data),
            "events": [processed] * len(data),
        }
        return 200, orjson.dumps(answer)

    return handle


async def serve(kind: str, port: int, delay: float, token: str) -> None:
    """Serve until SIGTERM or SIGINT; print the URL once listening."""
    counts = Counts()
    handle = tag_handler(counts) if kind == "tag" else capi_handler(counts, token)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HttpProtocol(handle, counts, delay), "127.0.0.1", port, backlog=1024
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{bound}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


class _LoadConnection(asyncio.Protocol):
    """One keep-alive connection sending GETs back to back until `deadline`."""

    request = b"GET /v3/?tid=1&event=checkout&noscript=1 HTTP/1.1\r\nHost: x\r\n\r\n"

    def __init__(self, deadline: float, done: asyncio.Future) -> None:
        self.deadline = deadline
        self.done = done
        self.answered = 0
        self.pending = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        # The double's answers have empty bodies: the blank line ends each one.
        self.pending += data
        answers = self.pending.count(b"\r\n\r\n")
        if not answers:
            return
        self.pending = self.pending[self.pending.rfind(b"\r\n\r\n") + 4 :]
        self.answered += answers
        if time.monotonic() < self.deadline:
            self.transport.write(self.request)
        else:
            self.transport.close()

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(self.answered)


async def load(url: str, connections: int, seconds: float) -> float:
    """Requests a second that `connections` eager clients get from `url`."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    deadline = started + seconds
    waits = []
    for _ in range(connections):
        done = loop.create_future()
        await loop.create_connection(
            lambda done=done: _LoadConnection(deadline, done), host, int(port)
        )
        waits.append(done)
    answered = sum(await asyncio.gather(*waits))
    return answered / (time.monotonic() - started)


def start(kind: str, *, delay: float = 0.0, token: str = "") -> tuple:
    """Start a server process; return (process, base URL) once it listens."""
    command = [sys.executable, __file__, kind, "--port", "0", "--delay", str(delay)]
    if token:
        command += ["--token", token]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the {kind} server did not start: {line!r}")
    return process, line.split()[-1]


def stop(process: subprocess.Popen) -> None:
    """Stop a server started by `start`."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stats(url: str) -> dict:
    """The server's counts and CPU seconds so far."""
    import urllib.request

    with urllib.request.urlopen(f"{url}/_stats", timeout=5) as answer:
        return orjson.loads(answer.read())


def selfcheck(delay: float, connections: list[int], seconds: float) -> list[dict]:
    """Load a fresh Tag double with each number of connections; return figures."""
    process, url = start("tag", delay=delay)
    results = []
    try:
        for count in connections:
            before = stats(url)
            started = time.monotonic()
            rate = asyncio.run(load(url, count, seconds))
            wall = time.monotonic() - started
            after = stats(url)
            results.append(
                {
                    "connections": count,
                    "rate": rate,
                    "ceiling": count / delay if delay else None,
                    "server_cpu": (after["cpu_seconds"] - before["cpu_seconds"]) / wall,
                }
            )
    finally:
        stop(process)
    return results


def main(argv: list[str] | None = None) -> None:
    """Command line: tag, capi or selfcheck."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("tag", "capi", "selfcheck"))
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--delay", type=float, default=None, help="seconds per answer")
    parser.add_argument("--token", default="bench-token", help="capi bearer token")
    parser.add_argument("--connections", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    delay = (
        args.delay if args.delay is not None else (0.02 if args.mode != "capi" else 0)
    )
    if args.mode != "selfcheck":
        asyncio.run(serve(args.mode, args.port, delay, args.token))
        return
    for row in selfcheck(delay, args.connections, args.seconds):
        ceiling = f"{row['ceiling']:,.0f}" if row["ceiling"] else "-"
        print(
            f"{row['connections']:>4} connections: {row['rate']:>8,.0f} req/s "
            f"(ceiling {ceiling}), server busy {row['server_cpu']:.0%} of a core"
        )


if __name__ == "__main__":
    main()
