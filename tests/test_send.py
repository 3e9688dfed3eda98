"""`pintag send` against a real HTTP server on 127.0.0.1 that can be told to fail."""

import io
import os
import re
import stat
import threading
import time

import orjson
import pytest
from click.testing import CliRunner
from rich.console import Console
from servers import Answer, TagServer, always, fail_first, http_date

from pinterest_cli.checkpoint import Checkpoint, InputState, open_checkpoint
from pinterest_cli.cli import cli
from pinterest_cli.config import load_config
from pinterest_cli.mapping import Mapper
from pinterest_cli.progress import SendProgress, make_progress
from pinterest_cli.retry import RetryPolicy
from pinterest_cli.sender import Sender, SendInput
from pinterest_cli.tally import Tally
from pinterest_cli.transport import DeliveryError, TagTransport

TAG_ID = "2612826764086"


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    """Default checkpoints go under the test's own folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def config(tmp_path) -> str:
    path = tmp_path / "integrations.yaml"
    path.write_text(f'- name: pinterest\n  tagId: "{TAG_ID}"\n')
    return str(path)


@pytest.fixture
def send(config):
    def invoke(*args: str, input: bytes | None = None):
        return CliRunner().invoke(cli, ["send", "--config", config, *args], input=input)

    return invoke


def track(number: int) -> bytes:
    message = {
        "type": "track",
        "event": "Order Completed",
        "messageId": f"m-{number}",
        "properties": {"revenue": number},
    }
    return orjson.dumps(message) + b"\n"


def write_events(tmp_path, count: int, name: str = "events.jsonl") -> str:
    path = tmp_path / name
    path.write_bytes(b"".join(track(n) for n in range(count)))
    return str(path)


def ids(count: int) -> list[str]:
    return [f"m-{n}" for n in range(count)]


def engine_run(config, server, path, *, transport=None, timeout=2.0, retries=5):
    """Run the Sender directly, with a backoff short enough not to wait."""
    settings = load_config(config)
    transport = transport or TagTransport(
        TAG_ID, endpoint=server.url, concurrency=4, timeout=timeout
    )
    sender = Sender(
        transport,
        Mapper(settings),
        concurrency=4,
        policy=RetryPolicy(max_retries=retries, base=0.001),
    )
    try:
        return sender.run([SendInput(path, InputState(path, 0, ""))])
    finally:
        transport.close()


def test_server_errors_are_retried_then_delivered(tmp_path, config):
    path = write_events(tmp_path, 1)
    with TagServer(fail_first(3, 500)) as server:
        result = engine_run(config, server, path)
    assert server.delivered() == ["m-0"]
    assert (result.tally.sent, result.tally.failed, result.retries) == (1, 0, 3)
    assert result.answers == {"500": 3, "200": 1}


def test_a_reset_connection_is_retried(tmp_path, config):
    path = write_events(tmp_path, 1)
    with TagServer(fail_first(2, reset=True)) as server:
        result = engine_run(config, server, path)
    assert server.delivered() == ["m-0"]
    assert result.answers == {"network": 2, "200": 1}


def test_a_timeout_is_retried(tmp_path, config):
    path = write_events(tmp_path, 1)
    with TagServer(fail_first(1, 200, delay=1.0)) as server:
        result = engine_run(config, server, path, timeout=0.2)
    assert result.tally.sent == 1
    assert result.answers == {"network": 1, "200": 1}


def test_retries_give_up_after_max_retries(tmp_path, config):
    path = write_events(tmp_path, 1)
    with TagServer(always(503)) as server:
        result = engine_run(config, server, path, retries=2)
    assert len(server.requests) == 3
    assert result.tally.failed == 1
    assert list(result.tally.fail_reasons.counts) == [
        "HTTP 503 (still failing after 2 retries)"
    ]


class ConversionsLikeTag(TagTransport):
    """A Tag transport for which 401 means the whole run cannot succeed."""

    def deliver(self, payloads):
        try:
            return super().deliver(payloads)
        except DeliveryError as error:
            if error.status == 401:
                raise DeliveryError(
                    "token refused", status=401, stop_run=True
                ) from None
            raise


def test_an_answer_that_stops_the_run_leaves_the_message_unfinished(tmp_path, config):
    path = write_events(tmp_path, 20)
    with TagServer(always(401)) as server:
        transport = ConversionsLikeTag(TAG_ID, endpoint=server.url, concurrency=4)
        result = engine_run(config, server, path, transport=transport)
    assert result.aborted == "token refused"
    assert result.tally.failed == 0
    assert result.unfinished >= 1
    assert len(server.requests) <= 4


def test_messages_finished_past_one_stuck_in_retries_are_not_sent_again(
    tmp_path, config
):
    path = write_events(tmp_path, 10)
    location = str(tmp_path / "run.json")

    def run(server, resume: bool, until_delivered: int | None = None):
        checkpoint, _ = open_checkpoint(
            [path],
            transport="tag",
            destination=TAG_ID,
            endpoint=server.url,
            location=location,
            resume=resume,
            restart=False,
        )
        transport = TagTransport(TAG_ID, endpoint=server.url, concurrency=4)
        sender = Sender(
            transport,
            Mapper(load_config(config)),
            concurrency=4,
            policy=RetryPolicy(base=60.0),  # m-0 would wait 30 to 60 s
            checkpoint=checkpoint,
        )
        if until_delivered is not None:

            def interrupt_when_the_others_are_sent() -> None:
                while len(server.delivered()) < until_delivered:
                    time.sleep(0.01)
                sender.interrupt("SIGINT")

            threading.Thread(target=interrupt_when_the_others_are_sent).start()
        try:
            return sender.run([SendInput(path, checkpoint.inputs[0])])
        finally:
            transport.close()

    def answer(request):
        return Answer(500) if request.event_id == "m-0" else Answer()

    with TagServer(answer) as server:
        stopped = run(server, resume=False, until_delivered=9)
        saved = Checkpoint.load(location).inputs[0]
        server.answer = always(200)
        resumed = run(server, resume=True)
    assert (stopped.interrupted, stopped.unfinished, stopped.tally.sent) == (
        "SIGINT",
        1,
        9,
    )
    assert saved.after is None
    assert saved.done == [(line, 0) for line in range(2, 11)]
    assert resumed.tally.sent == 1
    assert sorted(server.delivered()) == sorted(ids(10))


def test_retry_after_from_the_server_is_honoured_through_the_cli(tmp_path, send):
    path = write_events(tmp_path, 1)
    with TagServer(fail_first(3, 503, headers={"Retry-After": "0"})) as server:
        result = send(path, "--endpoint", server.url)
    assert result.exit_code == 0, result.output
    assert server.delivered() == ["m-0"]
    assert "retries    3" in result.stderr
    assert "answers    503 3, 200 1" in result.stderr


def test_a_client_error_is_dead_lettered_without_a_retry(tmp_path, send):
    path = write_events(tmp_path, 6)
    dead = tmp_path / "failed.jsonl"

    def answer(request):
        return Answer(400, body=b"bad tid") if request.event_id == "m-3" else Answer()

    with TagServer(answer) as server:
        result = send(path, "--endpoint", server.url, "--dead-letter", str(dead))
    assert result.exit_code == 3, result.output
    assert [r.event_id for r in server.requests].count("m-3") == 1
    (line,) = dead.read_bytes().splitlines()
    assert orjson.loads(line) == {
        "obj": orjson.loads(track(3)),
        "pintag": {
            "outcome": "failed",
            "error": "HTTP 400: bad tid",
            "source": path,
            "line": 4,
        },
    }
    assert stat.S_IMODE(os.stat(dead).st_mode) == 0o600


def test_retry_after_seconds_pauses_every_worker(tmp_path, send):
    path = write_events(tmp_path, 40)

    def answer(request):
        if request.number == 1:
            return Answer(429, headers={"Retry-After": "0.4"})
        return Answer(delay=0.005)

    with TagServer(answer) as server:
        result = send(path, "--endpoint", server.url, "--concurrency", "4")
    assert result.exit_code == 0, result.output
    assert sorted(server.delivered()) == sorted(ids(40))
    told = server.requests[0].answered
    # Requests already on their way when the 429 came may still arrive.
    during = [t for t in server.arrivals() if told + 0.05 < t < told + 0.35]
    assert during == []


def test_retry_after_as_an_http_date_is_honoured(tmp_path, send):
    path = write_events(tmp_path, 3)

    def answer(request):
        if request.number == 1:
            return Answer(429, headers={"Retry-After": http_date(2)})
        return Answer()

    with TagServer(answer) as server:
        result = send(path, "--endpoint", server.url, "--concurrency", "2")
    assert result.exit_code == 0, result.output
    told = server.requests[0].answered
    later = [t for t in server.arrivals() if t > told + 0.05]
    # The date is in whole seconds: the wait is between 1 and 2 seconds.
    assert min(later) >= told + 0.9
    assert sorted(server.delivered()) == ids(3)


def test_never_more_than_concurrency_requests_in_flight(tmp_path, send):
    path = write_events(tmp_path, 60)
    with TagServer(always(delay=0.02)) as server:
        result = send(path, "--endpoint", server.url, "--concurrency", "3")
    assert result.exit_code == 0, result.output
    assert server.max_in_flight == 3


def test_rate_is_respected_across_workers(tmp_path, send):
    path = write_events(tmp_path, 60)
    with TagServer() as server:
        result = send(path, "--endpoint", server.url, "--rate", "50")
    assert result.exit_code == 0, result.output
    arrivals = server.arrivals()
    assert len(arrivals) == 60
    # 60 requests at 50 a second: 59 intervals of 20 ms.
    assert arrivals[-1] - arrivals[0] >= 59 / 50 * 0.95


def test_the_four_counts_add_up_and_the_report_has_the_run(tmp_path, send):
    lines = [track(n) for n in range(10)]
    lines.insert(3, b'{"type": "identify", "userId": "u1"}\n')
    lines.insert(5, b"not json\n")
    lines.insert(7, b'{"type": "track"}\n')
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(lines))
    report = tmp_path / "report.json"

    def answer(request):
        return Answer(400) if request.event_id == "m-9" else Answer()

    with TagServer(answer) as server:
        result = send(str(path), "--endpoint", server.url, "--report", str(report))
    assert result.exit_code == 3, result.output
    document = orjson.loads(report.read_bytes())
    counts = [document[key] for key in ("read", "sent", "skipped", "rejected")]
    assert counts + [document["failed"]] == [13, 9, 1, 2, 1]
    assert document["retries"] == 0
    assert document["statuses"] == {"200": 9, "400": 1}
    assert document["elapsed_seconds"] > 0
    assert document["throughput_per_second"] > 0
    assert (document["interrupted"], document["aborted"]) == (False, False)
    assert document["fail_reasons"] == {"HTTP 400": {"count": 1, "first": f"{path}:13"}}
    assert "13 messages read" in result.stderr


def checkpoint_named_in(stderr: str) -> str:
    found = re.search(
        r"the checkpoint at (\S+) lets you continue with --resume", stderr
    )
    assert found, stderr
    return found.group(1)


def test_too_many_failures_stop_the_run_which_resumes_later(tmp_path, send):
    path = write_events(tmp_path, 100)
    dead = tmp_path / "failed.jsonl"
    with TagServer(always(400)) as server:
        flags = ["--endpoint", server.url, "--dead-letter", str(dead)]
        stopped = send(path, *flags, "--max-failures", "5", "--concurrency", "2")
        location = checkpoint_named_in(stopped.stderr)
        assert not Checkpoint.load(location).finished
        refused = send(path, *flags)
        server.answer = always(200)
        resumed = send(path, *flags, "--resume")
    assert stopped.exit_code == 1, stopped.output
    assert "pintag: error: stopped after 5 consecutive failures: HTTP 400" in (
        stopped.stderr
    )
    assert refused.exit_code == 1
    assert "add --resume to continue it, or --restart" in refused.stderr
    assert resumed.exit_code == 0, resumed.output
    assert Checkpoint.load(location).finished
    failed = [orjson.loads(line)["obj"]["messageId"] for line in dead.open("rb")]
    delivered = server.delivered()
    assert len(failed) >= 5
    assert len(delivered) == len(set(delivered))
    assert sorted(delivered + failed) == sorted(ids(100))


def test_a_dead_letter_file_is_sent_again_once_the_cause_is_fixed(tmp_path, send):
    path = write_events(tmp_path, 8)
    dead = tmp_path / "failed.jsonl"

    def answer(request):
        return Answer(400) if request.event_id in ("m-2", "m-5") else Answer()

    with TagServer(answer) as server:
        first = send(path, "--endpoint", server.url, "--dead-letter", str(dead))
        server.answer = always(200)
        server.requests.clear()
        again = send(str(dead), "--endpoint", server.url)
    assert first.exit_code == 3, first.output
    assert again.exit_code == 0, again.output
    assert sorted(server.delivered()) == ["m-2", "m-5"]


def test_standard_input_is_sent_without_a_checkpoint(send, state_home):
    with TagServer() as server:
        result = send("-", "--endpoint", server.url, input=track(1) + track(2))
    assert result.exit_code == 0, result.output
    assert sorted(server.delivered()) == ["m-1", "m-2"]
    assert not state_home.exists()


def test_standard_input_cannot_be_resumed(send):
    result = send("-", "--resume")
    assert result.exit_code == 2
    assert "standard input cannot be resumed" in result.stderr


def test_resume_and_restart_exclude_each_other(tmp_path, send):
    result = send(write_events(tmp_path, 1), "--resume", "--restart")
    assert result.exit_code == 2
    assert "give one of them" in result.stderr


def test_a_dead_letter_file_that_is_an_input_is_refused(tmp_path, send):
    path = write_events(tmp_path, 1)
    result = send(path, "--dead-letter", path)
    assert result.exit_code == 2
    assert "is one of the inputs" in result.stderr
    assert os.path.getsize(path) > 0


def test_a_file_given_twice_is_refused(tmp_path, send):
    path = write_events(tmp_path, 1)
    result = send(path, path)
    assert result.exit_code == 2
    assert "would be sent twice" in result.stderr


def test_the_endpoint_must_be_an_http_url(tmp_path, send):
    result = send(write_events(tmp_path, 1), "--endpoint", "ct.pinterest.com")
    assert result.exit_code == 2
    assert "--endpoint must be an http:// or https:// URL" in result.stderr


def test_an_unwritable_report_path_is_refused_before_sending(tmp_path, send):
    with TagServer() as server:
        result = send(
            write_events(tmp_path, 1),
            "--endpoint",
            server.url,
            "--report",
            str(tmp_path / "no" / "report.json"),
        )
    assert result.exit_code == 1
    assert "the report cannot be written there" in result.stderr
    assert server.requests == []


def test_send_help_shows_examples(send):
    result = send("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "--resume" in result.output


def test_no_progress_and_no_control_codes_when_stderr_is_not_a_terminal(tmp_path, send):
    path = write_events(tmp_path, 20)
    with TagServer() as server:
        loud = send(path, "--endpoint", server.url)
        quiet = send(path, "--endpoint", server.url, "-q")
    assert loud.exit_code == quiet.exit_code == 0
    assert "\x1b" not in loud.stderr
    assert "20 messages read" in loud.stderr
    assert quiet.stderr == ""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_only_on_a_terminal():
    assert make_progress(Console(file=io.StringIO()), 100) is None
    assert make_progress(Console(file=Terminal(), quiet=True), 100) is None
    screen = Terminal()
    progress = make_progress(Console(file=screen, force_terminal=True, width=120), 100)
    assert isinstance(progress, SendProgress)
    tally = Tally(sent=40, failed=2, skipped=3)
    with progress:
        progress.update(50, tally)
    assert "sent 40" in screen.getvalue()
    assert "failed 2" in screen.getvalue()
