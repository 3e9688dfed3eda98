"""Benchmarks against local doubles of Pinterest: Tag and Conversions API delivery."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass

import orjson
import servers
from measure import HERE, ChildRun, alternate, pintag, pintag_help, run_child
from report import Row, Target, count, failed, unavailable
from workspace import AD_ACCOUNT_ID, Workspace

CONCURRENCY = 32
DELAY = 0.02
CEILING = CONCURRENCY / DELAY  # requests a second that 32 slots of 20 ms allow
TAG_TARGET = Target(">=", 0.8)
HEADROOM_TARGET = Target(">=", 2.0)
CAPI_TARGET = Target(">=", 0.6)
TOKEN = "benchmark-token"
_TAG_NAME = f"3 Tag delivery, concurrency {CONCURRENCY}, {DELAY * 1000:.0f} ms"
_CAPI_NAME = "4 Conversions API delivery"
_SEND_OPTIONS = ("--endpoint", "--concurrency", "--restart", "--checkpoint")


@dataclass(slots=True)
class Served:
    """A client run and what the server saw during it."""

    run: ChildRun
    requests: int
    events: int
    server_cpu: float  # server CPU seconds during the run

    @property
    def wall(self) -> float:
        """The client's wall time, so `alternate` can keep the fastest."""
        return self.run.wall


def serve_one(url: str, command: list[str], env: dict | None = None) -> Served:
    """Run a client to the end; count what the server answered meanwhile."""
    before = servers.stats(url)
    run = run_child(command, env=env)
    after = servers.stats(url)
    return Served(
        run,
        after["requests"] - before["requests"],
        after["events"] - before["events"],
        after["cpu_seconds"] - before["cpu_seconds"],
    )


def tag(ws: Workspace) -> list[Row]:
    """3. `pintag send` to a Tag double answering after 20 ms, and the server alone."""
    process, url = servers.start("tag", delay=DELAY)
    try:
        rows = _headroom(ws, url)
        rows += _tag_delivery(ws, url)
    finally:
        servers.stop(process)
    return rows


def _headroom(ws: Workspace, url: str) -> list[Row]:
    """The server alone, under a client far lighter than any HTTP library."""
    seconds = ws.sizes.check_seconds
    ws.log(f"tag server self-check: {seconds:g} s at 32 and at 128 connections")
    at_32 = asyncio.run(servers.load(url, CONCURRENCY, seconds))
    at_128 = asyncio.run(servers.load(url, 4 * CONCURRENCY, seconds))
    note = (
        f"raw asyncio client; at {CONCURRENCY} connections it gets {at_32:,.0f} "
        f"req/s ({at_32 / CEILING:.0%} of the ceiling: the event loop's timers "
        "fire a little late), so the server is not what limits pintag"
    )
    return [
        Row(
            "3 server alone, 128 connections",
            f"{count(at_128)} req/s",
            f"target rate {count(CEILING)} req/s",
            at_128 / CEILING,
            HEADROOM_TARGET,
            note,
        )
    ]


def _tag_delivery(ws: Workspace, url: str) -> list[Row]:
    path = str(ws.events(ws.sizes.tag_messages))
    endpoint = f"{url}/v3/"
    urls = ws.out / "tag-urls.txt"
    # The baseline sends exactly the requests pintag would: dry-run says which.
    with open(urls, "wb") as out:
        run_child(
            pintag("dry-run", path, "--format", "url", "--endpoint", endpoint)
            + ws.common(),
            stdout=out,
        )
    expected = urls.read_bytes().count(b"\n")
    baseline = [
        sys.executable,
        str(HERE / "requests_pool.py"),
        str(urls),
        "--concurrency",
        str(CONCURRENCY),
    ]
    send = _send_command(path, endpoint, ws, "tag")
    if isinstance(send, str):
        best = {"requests": serve_one(url, baseline)}
    else:
        ws.log(f"tag delivery: {ws.sizes.rounds} rounds of pintag send and requests")
        best = alternate(
            ws.sizes.rounds,
            pintag=lambda: serve_one(url, send),
            requests=lambda: serve_one(url, baseline),
        )
    pool = best["requests"]
    pool_rate = pool.requests / pool.wall
    pool_text = f"requests pool {count(pool_rate)} req/s"
    if isinstance(send, str):
        return [unavailable(_TAG_NAME, pool_text, TAG_TARGET, send)]
    sent = best["pintag"]
    rate = sent.requests / sent.wall
    server = sent.server_cpu / sent.wall
    note = (
        f"{count(sent.requests)} of {count(expected)} requests answered; pintag "
        f"used {sent.run.cores:.2f} of a core, the server {server:.0%}; the "
        f"requests pool used {pool.run.cores:.2f} of a core"
    )
    return [
        Row(
            _TAG_NAME,
            f"{count(rate)} req/s",
            f"ceiling {count(CEILING)} req/s",
            rate / CEILING,
            TAG_TARGET,
            note,
        ),
        Row(
            "3 Tag delivery vs a requests pool",
            f"{count(rate)} req/s",
            pool_text,
            rate / pool_rate,
        ),
    ]


def capi(ws: Workspace) -> list[Row]:
    """4. `pintag send --transport capi` against a dry-run of the same file."""
    n = ws.sizes.messages
    path = str(ws.events(n))
    report_path = ws.out / "capi-dry-run.json"
    dry_run = pintag("dry-run", path, "--transport", "capi", "--report")
    dry_run += [str(report_path), *ws.common()]
    dry_help = pintag_help("dry-run") or ""
    if "--transport" not in dry_help:
        why = "pintag dry-run has no --transport yet"
        return [unavailable(_CAPI_NAME, "dry-run --transport capi", CAPI_TARGET, why)]
    process, url = servers.start("capi", token=TOKEN)
    try:
        endpoint = f"{url}/v5/ad_accounts/{AD_ACCOUNT_ID}/events"
        send = _send_command(path, endpoint, ws, "capi")
        if isinstance(send, str):
            dry = run_child(dry_run)
            baseline = f"dry-run {count(n / dry.wall)} msg/s"
            return [unavailable(_CAPI_NAME, baseline, CAPI_TARGET, send)]
        env = {**os.environ, "PINTEREST_CONVERSION_TOKEN": TOKEN}
        ws.log(f"capi delivery: {ws.sizes.rounds} rounds of dry-run and send")
        best = alternate(
            ws.sizes.rounds,
            dry_run=lambda: run_child(dry_run),
            send=lambda: serve_one(url, send, env),
        )
    finally:
        servers.stop(process)
    dry, sent = best["dry_run"], best["send"]
    would_send = orjson.loads(report_path.read_bytes()).get("sent")
    if would_send is not None and sent.events != would_send:
        why = (
            f"the API double got {sent.events} events, dry-run would send {would_send}"
        )
        return [failed(_CAPI_NAME, CAPI_TARGET, why)]
    note = (
        f"{count(sent.events)} events in {count(sent.requests)} requests; send used "
        f"{sent.run.cores:.2f} of a core, the API double "
        f"{sent.server_cpu / sent.wall:.0%}"
    )
    return [
        Row(
            f"{_CAPI_NAME}, {count(n)} messages",
            f"{count(n / sent.wall)} msg/s",
            f"dry-run {count(n / dry.wall)} msg/s",
            dry.wall / sent.wall,
            CAPI_TARGET,
            note,
        )
    ]


def _send_command(path: str, endpoint: str, ws: Workspace, transport: str):
    """The `pintag send` command line, or why it cannot run yet."""
    help_text = pintag_help("send")
    if help_text is None:
        return "pintag has no send command yet"
    wanted = _SEND_OPTIONS + (("--transport",) if transport == "capi" else ())
    missing = [option for option in wanted if option not in help_text]
    if missing:
        return f"pintag send has no {', '.join(missing)} yet"
    checkpoint = ws.out / f"{transport}.checkpoint"
    command = pintag("send", path, "--endpoint", endpoint, "--restart")
    command += ["--checkpoint", str(checkpoint), *ws.common()]
    if transport == "capi":
        command += ["--transport", "capi"]
    else:
        command += ["--concurrency", str(CONCURRENCY)]
    return command
