"""`pintag send` against a server that fails the ways networks and servers do.

Each run is a real subprocess with a hard timeout, so a hang fails the test
instead of hanging the suite. Whatever the fault, the run must either deliver
every message, or dead-letter what it could not deliver, or stop with a
resumable checkpoint and a message saying what happened; never a traceback,
never a message that silently vanishes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from servers import (
    CUT_HEADERS,
    GARBLED,
    HANG,
    RESET,
    FaultServer,
    http_date,
    reply,
    slow_body,
)

from pinterest_cli.checkpoint import Checkpoint

TOKEN = "pina_FAULTS-token.0123456789"
TRANSPORTS = ["tag", "capi"]
COUNT = 6
UNRESOLVABLE = "http://pintag-nonexistent.invalid"  # .invalid never resolves


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "integrations.yaml").write_text(
        '- name: pinterest\n  tagId: "2612826764086"\n  adAccountId: "549755885175"\n'
    )
    recent = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    context = {"ip": "203.0.113.9", "userAgent": "Mozilla/5.0"}
    (tmp_path / "events.jsonl").write_bytes(
        b"".join(
            orjson.dumps(
                {
                    "type": "track",
                    "event": "Order Completed",
                    "messageId": f"m-{n}",
                    "timestamp": recent,
                    "context": context,
                    "properties": {"revenue": n},
                }
            )
            + b"\n"
            for n in range(COUNT)
        )
    )
    return tmp_path


ALL = {f"m-{n}" for n in range(COUNT)}


@dataclass
class Run:
    code: int
    stderr: str
    report: dict
    dead: list[str]  # message ids in the dead-letter file, in order
    dead_reasons: list[str]
    elapsed: float


def send(
    workdir: Path,
    endpoint: str,
    transport: str,
    *flags: str,
    timeout: float = 20,
    clean: bool = True,
) -> Run:
    """`pintag send` in a subprocess; a run past `timeout` seconds fails the test.

    `clean`: also assert that stderr holds no traceback and no unexpected error.
    """
    command = [sys.executable, "-m", "pinterest_cli", "send", "events.jsonl"]
    command += ["--config", "integrations.yaml", "--endpoint", endpoint]
    command += ["--transport", transport, "--checkpoint", "run.json"]
    command += ["--dead-letter", "dead.jsonl", "--report", "report.json"]
    if transport == "capi":
        command += ["--batch-size", "2"]  # several requests, so faults can vary
    env = {**os.environ, "PINTEREST_CONVERSION_TOKEN": TOKEN}
    env["XDG_STATE_HOME"] = str(workdir / "state")
    started = time.monotonic()
    done = subprocess.run(
        [*command, *flags],
        cwd=workdir,
        env=env,
        capture_output=True,
        timeout=timeout,
    )
    elapsed = time.monotonic() - started
    stderr = done.stderr.decode()
    if clean:
        assert "Traceback" not in stderr
        assert "unexpected" not in stderr
    report = orjson.loads((workdir / "report.json").read_bytes())
    dead_file = workdir / "dead.jsonl"
    entries = [orjson.loads(line) for line in dead_file.read_bytes().splitlines()]
    return Run(
        done.returncode,
        stderr,
        report,
        [entry["obj"]["messageId"] for entry in entries],
        [entry["pintag"]["error"] for entry in entries],
        elapsed,
    )


def endpoint_of(server: FaultServer, transport: str) -> str:
    return server.url if transport == "tag" else server.capi_endpoint


def assert_counts_add_up(run: Run) -> None:
    report = run.report
    outcomes = sum(report[key] for key in ("sent", "skipped", "rejected", "failed"))
    assert report["read"] == outcomes
    assert report["read"] + report["unfinished"] <= COUNT
    assert len(run.dead) == report["failed"] + report["rejected"]


def assert_all_delivered(run: Run, server: FaultServer) -> None:
    assert run.code == 0, run.stderr
    assert_counts_add_up(run)
    assert (run.report["read"], run.report["sent"]) == (COUNT, COUNT)
    assert set(server.delivered()) == ALL
    assert run.dead == []


def assert_stopped_with_checkpoint(run: Run, workdir: Path, reason: str) -> None:
    assert run.code == 1, run.stderr
    assert_counts_add_up(run)
    assert f"pintag: error: {reason}" in run.stderr
    assert "the checkpoint at run.json lets you continue with --resume" in run.stderr
    assert run.report["aborted"] and not run.report["finished"]
    assert not Checkpoint.load(str(workdir / "run.json")).finished


def resume_and_account_for_every_message(
    workdir: Path, transport: str, stopped: Run, first: FaultServer | None
) -> None:
    """Resume against a healthy server: each message delivered or dead-lettered."""
    with FaultServer() as healthy:
        resumed = send(workdir, endpoint_of(healthy, transport), transport, "--resume")
    assert resumed.code == 0, resumed.stderr
    assert Checkpoint.load(str(workdir / "run.json")).finished
    assert resumed.dead == stopped.dead  # kept, and nothing failed again
    again = healthy.delivered()
    assert len(again) == len(set(again))
    assert set(again).isdisjoint(stopped.dead)
    delivered = set(again) | set(first.delivered() if first else ())
    assert delivered | set(stopped.dead) == ALL


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_connection_reset_before_the_answer_is_retried(workdir, transport):
    with FaultServer(lambda r: RESET if r.number <= 2 else reply()) as server:
        run = send(workdir, endpoint_of(server, transport), transport)
    assert_all_delivered(run, server)
    assert server.kinds()[:2] == ["reset", "reset"]
    assert run.report["retries"] == 2
    assert run.report["statuses"]["network"] == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_answer_that_never_comes_times_out_and_is_retried(workdir, transport):
    with FaultServer(lambda r: HANG if r.number == 1 else reply()) as server:
        run = send(
            workdir, endpoint_of(server, transport), transport, "--timeout", "0.4"
        )
    assert_all_delivered(run, server)
    assert run.report["retries"] == 1
    assert run.elapsed < 5


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_server_that_never_answers_dead_letters_every_message(workdir, transport):
    with FaultServer(lambda r: HANG) as server:
        run = send(
            workdir,
            endpoint_of(server, transport),
            transport,
            "--timeout",
            "0.3",
            "--max-retries",
            "1",
            "--max-failures",
            "0",
        )
    assert run.code == 3, run.stderr
    assert_counts_add_up(run)
    assert (run.report["read"], run.report["failed"]) == (COUNT, COUNT)
    assert sorted(run.dead) == sorted(ALL)
    assert set(run.dead_reasons) == {
        "network: timed out waiting for an answer (still failing after 1 retries)"
    }
    assert server.delivered() == []
    assert run.elapsed < 8


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_storm_of_server_errors_that_passes_loses_nothing(workdir, transport):
    storm_ends = []

    def storm(request):
        if not storm_ends:
            storm_ends.append(request.arrived + 0.4)
        return reply(500) if request.arrived < storm_ends[0] else reply()

    with FaultServer(storm) as server:
        run = send(workdir, endpoint_of(server, transport), transport)
    assert_all_delivered(run, server)
    assert run.report["retries"] >= 1
    assert set(run.report["statuses"]) == {"500", "200"}
    assert len(server.delivered()) == COUNT  # each delivered once


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_storm_that_outlasts_the_retries_stops_with_a_checkpoint(workdir, transport):
    with FaultServer(lambda r: reply(503, body=b"")) as server:
        run = send(
            workdir,
            endpoint_of(server, transport),
            transport,
            "--max-retries",
            "1",
            "--max-failures",
            "2",
            "--concurrency",
            "1",
        )
    assert_stopped_with_checkpoint(
        run,
        workdir,
        "stopped after 2 consecutive failures: HTTP 503 (still failing after 1 "
        "retries)",
    )
    assert run.dead and set(run.dead) < ALL
    resume_and_account_for_every_message(workdir, transport, run, server)


# The Tag's Retry-After forms are covered in test_send.py; here the Conversions
# API's, through the same raw server.
@pytest.mark.parametrize("transport", ["capi"])
def test_retry_after_as_an_http_date_holds_back_the_retry(workdir, transport):
    def rule(request):
        if request.number == 1:
            return reply(429, {"Retry-After": http_date(2)})
        return reply()

    with FaultServer(rule) as server:
        run = send(
            workdir, endpoint_of(server, transport), transport, "--concurrency", "1"
        )
    assert_all_delivered(run, server)
    told = server.requests[0].answered
    # Whole seconds in the date: the pause is between 1 and 2 seconds.
    assert server.requests[1].arrived >= told + 0.9
    assert run.report["statuses"]["429"] == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_garbled_status_line_is_retried(workdir, transport):
    with FaultServer(lambda r: GARBLED if r.number == 1 else reply()) as server:
        run = send(workdir, endpoint_of(server, transport), transport)
    assert_all_delivered(run, server)
    assert run.report["statuses"]["network"] == 1


def test_a_garbled_status_line_is_named_in_the_failure(workdir):
    with FaultServer(lambda r: GARBLED) as server:
        run = send(workdir, server.url, "tag", "--max-retries", "0")
    assert run.code == 3, run.stderr
    assert all("status line" in reason for reason in run.dead_reasons)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_answer_cut_off_mid_headers_is_accounted_for(workdir, transport):
    with FaultServer(lambda r: CUT_HEADERS if r.number == 1 else reply()) as server:
        run = send(
            workdir,
            endpoint_of(server, transport),
            transport,
            "--concurrency",
            "1",
            clean=False,  # see the test below
        )
    # The status line said 200: the Tag counts the event sent; the Conversions
    # API cannot read the verdicts, so it dead-letters those events to resend.
    assert_counts_add_up(run)
    assert set(server.delivered()) == ALL
    if transport == "tag":
        assert run.code == 0, run.stderr
    else:
        assert run.code == 3, run.stderr
        assert (
            run.dead_reasons == ["Pinterest's answer (HTTP 200) could not be read"] * 2
        )


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_answer_cut_off_mid_headers_prints_no_traceback(workdir, transport):
    with FaultServer(lambda r: CUT_HEADERS if r.number == 1 else reply()) as server:
        run = send(workdir, endpoint_of(server, transport), transport, clean=False)
    assert "Traceback" not in run.stderr
    assert "Failed to parse headers" not in run.stderr


def test_a_body_slower_than_the_timeout_times_out_instead_of_hanging(workdir):
    endless = slow_body(b"x" * 1_000_000, interval=0.05)
    with FaultServer(lambda r: endless) as server:
        try:
            run = send(
                workdir,
                server.url,
                "tag",
                "--timeout",
                "0.5",
                "--max-retries",
                "0",
                "--concurrency",
                "6",
                timeout=3,
            )
        except subprocess.TimeoutExpired:
            pytest.fail("pintag send was still running after 3 seconds")
    assert run.code == 3, run.stderr
    assert set(run.dead) == ALL
    assert all("timed out" in reason for reason in run.dead_reasons)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_unresolvable_host_stops_the_run_after_max_failures(workdir, transport):
    endpoint = UNRESOLVABLE + (
        "/v3/" if transport == "tag" else "/v5/ad_accounts/{ad_account_id}/events"
    )
    run = send(
        workdir,
        endpoint,
        transport,
        "--max-retries",
        "1",
        "--max-failures",
        "2",
        "--concurrency",
        "1",
        timeout=60,  # a resolver without network may take seconds to say no
    )
    assert_stopped_with_checkpoint(
        run,
        workdir,
        "stopped after 2 consecutive failures: network: host name could not be "
        "resolved (still failing after 1 retries)",
    )
    assert set(run.dead_reasons) == {
        "network: host name could not be resolved (still failing after 1 retries)"
    }
    resume_and_account_for_every_message(workdir, transport, run, None)
