"""`pintag send --transport capi` end to end, against the Conversions API double."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest
from capi_double import AD_ACCOUNT_ID, TOKEN
from click.testing import CliRunner
from servers import TagServer

from pinterest_cli.capi_events import UNMATCHABLE
from pinterest_cli.checkpoint import Checkpoint
from pinterest_cli.cli import cli

STALE = "event older than the 7-day window"
HOUR, DAY = 3600, 86400
CONTEXT = {"ip": "203.0.113.7", "userAgent": "Mozilla/5.0 (X11; Linux x86_64)"}


def message(message_id: str, *, age: float = HOUR, matchable: bool = True) -> dict:
    moment = datetime.fromtimestamp(time.time() - age, UTC)
    return {
        "type": "track",
        "event": "Order Completed",
        "messageId": message_id,
        "timestamp": moment.isoformat(),
        "context": CONTEXT if matchable else {},
        "properties": {"order_id": f"o-{message_id}", "revenue": 12.5},
    }


def write(path, messages: list[dict]) -> str:
    path.write_bytes(b"".join(orjson.dumps(m) + b"\n" for m in messages))
    return str(path)


def fresh(count: int, prefix: str = "f") -> list[dict]:
    return [message(f"{prefix}-{n}") for n in range(count)]


@pytest.fixture(autouse=True)
def environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("PINTEREST_CONVERSION_TOKEN", TOKEN)


@pytest.fixture
def config(tmp_path) -> str:
    path = tmp_path / "integrations.yaml"
    path.write_text(
        '- name: pinterest\n  tagId: "2612826764086"\n'
        f'  adAccountId: "{AD_ACCOUNT_ID}"\n'
    )
    return str(path)


@pytest.fixture
def send(config, capi_double):
    """`pintag send --transport capi` to the double, in process."""

    def invoke(*args: str):
        command = ["send", "--config", config, "--transport", "capi"]
        command += ["--endpoint", capi_double.endpoint, *args]
        return CliRunner().invoke(cli, command, catch_exceptions=False)

    return invoke


def received_ids(double) -> Counter:
    """How many times each event id reached the double, processed or not."""
    return Counter(
        event["event_id"] for request in double.requests for event in request.events
    )


def processed_ids(double) -> Counter:
    return Counter(event["event_id"] for event in double.events)


def dead_letters(path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_a_backfill_sends_each_fresh_event_once_and_accounts_for_the_rest(
    tmp_path, send, capi_double
):
    valid = fresh(2500)
    stale = [message(f"s-{n}", age=10 * DAY) for n in range(300)]
    unmatchable = [message(f"u-{n}", matchable=False) for n in range(20)]
    messages = valid + stale + unmatchable
    random.Random(7).shuffle(messages)
    path = write(tmp_path / "backfill.jsonl", messages)
    refused = {f"f-{n}" for n in range(0, 2500, 100)}
    capi_double.fail_event = lambda event: (
        "Invalid custom_data.value." if event["event_id"] in refused else None
    )
    dead, report = tmp_path / "failed.jsonl", tmp_path / "report.json"

    result = send(
        path,
        "--batch-size",
        "1000",
        "--dead-letter",
        str(dead),
        "--report",
        str(report),
    )

    assert result.exit_code == 3, result.output
    assert sorted(len(r.events) for r in capi_double.requests) == [500, 1000, 1000]
    assert all(r.authorized for r in capi_double.requests)
    assert received_ids(capi_double) == Counter({m["messageId"]: 1 for m in valid})
    assert processed_ids(capi_double) == Counter(
        {m["messageId"]: 1 for m in valid if m["messageId"] not in refused}
    )
    summary = orjson.loads(report.read_bytes())
    counts = [summary[key] for key in ("read", "sent", "skipped", "rejected", "failed")]
    assert counts == [2820, 2475, 300, 20, 25]
    assert summary["skip_reasons"] == {STALE: 300}
    assert list(summary["reject_reasons"]) == [UNMATCHABLE]
    assert list(summary["fail_reasons"]) == ["Invalid custom_data.value."]
    entries = dead_letters(dead)
    failed = {
        e["obj"]["messageId"] for e in entries if e["pintag"]["outcome"] == "failed"
    }
    rejected = [e for e in entries if e["pintag"]["outcome"] == "rejected"]
    assert failed == refused
    assert {e["obj"]["messageId"] for e in rejected} == {f"u-{n}" for n in range(20)}
    assert {e["pintag"]["error"] for e in rejected} == {UNMATCHABLE}
    assert f"300  {STALE}" in result.stderr


def test_a_422_fails_only_the_events_its_details_name(tmp_path, send, capi_double):
    capi_double.failure_status = 422
    capi_double.fail_event = lambda event: (
        "event_time is too old" if event["event_id"] in ("f-1", "f-3") else None
    )
    dead = tmp_path / "failed.jsonl"

    result = send(write(tmp_path / "e.jsonl", fresh(5)), "--dead-letter", str(dead))

    assert result.exit_code == 3, result.output
    assert processed_ids(capi_double) == Counter({"f-0": 1, "f-2": 1, "f-4": 1})
    entries = dead_letters(dead)
    assert [e["obj"]["messageId"] for e in entries] == ["f-1", "f-3"]
    assert {e["pintag"]["error"] for e in entries} == {"event_time is too old"}
    assert "answers    422 1" in result.stderr


def test_429_is_retried_after_the_time_pinterest_asks(tmp_path, send, capi_double):
    capi_double.answer(429, {"message": "Slow down"}, headers={"Retry-After": "1"})
    path = write(tmp_path / "e.jsonl", fresh(3))

    began = time.monotonic()
    result = send(path)
    elapsed = time.monotonic() - began

    assert result.exit_code == 0, result.output
    assert [r.status for r in capi_double.requests] == [429, 200]
    assert processed_ids(capi_double) == Counter({"f-0": 1, "f-1": 1, "f-2": 1})
    assert elapsed >= 0.95
    assert "answers    429 1, 200 1" in result.stderr


def test_a_503_storm_then_recovery_delivers_every_event_once(
    tmp_path, send, capi_double
):
    capi_double.answer(503, {"message": "Service Unavailable"}, times=3)
    path = write(tmp_path / "e.jsonl", fresh(30))

    result = send(path, "--batch-size", "10")

    assert result.exit_code == 0, result.output
    assert processed_ids(capi_double) == Counter({f"f-{n}": 1 for n in range(30)})
    assert [r.status for r in capi_double.requests].count(503) == 3
    assert "retries    3" in result.stderr


def test_a_refused_token_stops_the_run_at_once(
    tmp_path, send, capi_double, monkeypatch
):
    monkeypatch.setenv("PINTEREST_CONVERSION_TOKEN", "pina_revoked-token")
    path = write(tmp_path / "e.jsonl", fresh(400))
    report = tmp_path / "report.json"

    result = send(path, "--batch-size", "10", "--report", str(report))

    assert result.exit_code == 1, result.output
    assert (
        "pintag: error: Pinterest refused the access token (401): check "
        "PINTEREST_CONVERSION_TOKEN or --token-file: Authentication failed."
    ) in result.stderr
    assert "lets you continue with --resume" in result.stderr
    assert len(capi_double.requests) <= 4  # the default concurrency
    summary = orjson.loads(report.read_bytes())
    assert (summary["sent"], summary["failed"], summary["aborted"]) == (0, 0, True)
    assert summary["unfinished"] >= 10


def test_another_ad_account_stops_the_run_naming_the_account(tmp_path, capi_double):
    config = tmp_path / "other.yaml"
    config.write_text('- name: pinterest\n  tagId: "1"\n  adAccountId: "111"\n')
    path = write(tmp_path / "e.jsonl", fresh(3))

    result = CliRunner().invoke(
        cli,
        ["send", path, "--config", str(config), "--transport", "capi"]
        + ["--endpoint", capi_double.endpoint],
    )

    assert result.exit_code == 1, result.output
    assert (
        "pintag: error: Pinterest refused access (403): the token has no access to "
        "ad account 111, or adAccountId is wrong"
    ) in result.stderr
    assert capi_double.requests[0].path == "/v5/ad_accounts/111/events"
    assert capi_double.events == []


def test_test_mode_asks_pinterest_to_validate_only(tmp_path, send, capi_double):
    result = send(
        write(tmp_path / "e.jsonl", fresh(25)), "--test", "--batch-size", "10"
    )

    assert result.exit_code == 0, result.output
    assert len(capi_double.requests) == 3
    assert all(r.query == {"test": ["true"]} for r in capi_double.requests)
    assert capi_double.events == []
    assert len(capi_double.test_events) == 25


def test_batch_size_caps_the_events_of_every_request(tmp_path, send, capi_double):
    result = send(write(tmp_path / "e.jsonl", fresh(95)), "--batch-size", "10")

    assert result.exit_code == 0, result.output
    sizes = [len(r.events) for r in capi_double.requests]
    assert max(sizes) <= 10
    assert sorted(sizes) == [5] + [10] * 9
    assert received_ids(capi_double) == Counter({f"f-{n}": 1 for n in range(95)})


def test_a_resumed_run_does_not_resend_processed_events(tmp_path, config, capi_double):
    path = write(tmp_path / "e.jsonl", fresh(200))

    def slow(event):  # 50 ms a batch of 10: time to interrupt the run
        time.sleep(0.005)

    capi_double.fail_event = slow
    env = {**os.environ, "PINTEREST_CONVERSION_TOKEN": TOKEN}
    command = [sys.executable, "-m", "pinterest_cli", "send", path, "--config", config]
    command += ["--transport", "capi", "--endpoint", capi_double.endpoint]
    command += ["--batch-size", "10", "--concurrency", "2"]
    command += ["--checkpoint", str(tmp_path / "run.json")]

    first = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while len(capi_double.requests) < 4:
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.005)
    first.send_signal(signal.SIGTERM)
    _, stderr = first.communicate(timeout=15)
    stopped_after = len(capi_double.events)
    resumed = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, timeout=15
    )

    assert first.returncode == 130, stderr.decode()
    assert stopped_after < 200
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert Checkpoint.load(str(tmp_path / "run.json")).finished
    assert processed_ids(capi_double) == Counter({f"f-{n}": 1 for n in range(200)})


def test_a_missing_token_names_both_ways_to_give_one(
    tmp_path, send, capi_double, monkeypatch
):
    monkeypatch.delenv("PINTEREST_CONVERSION_TOKEN")
    checkpoint = tmp_path / "run.json"

    result = send(
        write(tmp_path / "e.jsonl", fresh(2)), "--checkpoint", str(checkpoint)
    )

    assert result.exit_code == 1
    assert result.stderr == (
        "pintag: error: the Conversions API needs an access token: set "
        "PINTEREST_CONVERSION_TOKEN or pass --token-file PATH (a file holding only "
        "the token, readable by you alone)\n"
    )
    assert capi_double.requests == []
    assert not checkpoint.exists()


def test_dry_run_prints_one_api_event_a_line_and_skips_stale_ones(tmp_path, config):
    messages = fresh(3) + [message(f"s-{n}", age=9 * DAY) for n in range(2)]
    path = write(tmp_path / "e.jsonl", messages)

    result = CliRunner().invoke(
        cli, ["dry-run", path, "--config", config, "--transport", "capi"]
    )

    assert result.exit_code == 0, result.output
    events = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [event["event_id"] for event in events] == ["f-0", "f-1", "f-2"]
    assert {event["event_name"] for event in events} == {"checkout"}
    assert all(event["user_data"]["client_ip_address"] for event in events)
    assert f"2  {STALE}" in result.stderr


def test_the_tag_warns_once_that_old_event_times_will_be_lost(tmp_path, config):
    old = [message(f"s-{n}", age=30 * DAY) for n in range(50)]
    path = write(tmp_path / "e.jsonl", fresh(5) + old)

    with TagServer() as server:
        result = CliRunner().invoke(
            cli, ["send", path, "--config", config, "--endpoint", server.url]
        )

    assert result.exit_code == 0, result.output
    assert len(server.delivered()) == 55
    warning = "their original times will be lost. --transport capi keeps them"
    assert result.stderr.count(warning) == 1
    assert result.stderr.count("warning:") == 1
