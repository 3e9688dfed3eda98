"""Interrupting `pintag send` (a real subprocess) and resuming it.

Every message must be delivered in the end, and none twice beyond the
requests that were in flight when the run was cut short.
"""

import os
import signal
import subprocess
import sys
import time

import orjson
import pytest
from servers import TagServer, always

from pinterest_cli.checkpoint import Checkpoint

CONCURRENCY = 4
COUNT = 300


@pytest.fixture
def run(tmp_path):
    """Start `pintag send` on the test's events; returns a function of the flags."""
    config = tmp_path / "integrations.yaml"
    config.write_text('- name: pinterest\n  tagId: "2612826764086"\n')
    events = tmp_path / "events.jsonl"
    events.write_bytes(
        b"".join(
            orjson.dumps({"type": "track", "event": "Signed Up", "messageId": f"m-{n}"})
            + b"\n"
            for n in range(COUNT)
        )
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}

    def start(server: TagServer, *flags: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "pinterest_cli", "send", str(events)]
        command += ["--config", str(config), "--endpoint", server.url]
        command += ["--checkpoint", str(tmp_path / "run.json")]
        command += ["--concurrency", str(CONCURRENCY), *flags]
        return subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )

    start.checkpoint = str(tmp_path / "run.json")
    return start


def wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def finish(process: subprocess.Popen) -> str:
    _, stderr = process.communicate(timeout=30)
    return stderr.decode()


def assert_each_delivered_with_few_duplicates(server: TagServer) -> None:
    delivered = server.delivered()
    assert set(delivered) == {f"m-{n}" for n in range(COUNT)}
    assert len(delivered) - COUNT <= CONCURRENCY


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_resumes_and_delivers_every_message(run, signum):
    with TagServer(always(delay=0.02)) as server:
        process = run(server)
        wait_for(lambda: len(server.requests) >= 40)
        process.send_signal(signum)
        stderr = finish(process)
        assert process.returncode == 130, stderr
        name = signal.Signals(signum).name
        assert f"pintag: error: interrupted ({name}); the checkpoint at" in stderr
        assert not Checkpoint.load(run.checkpoint).finished
        assert len(server.requests) < COUNT

        resumed = run(server, "--resume")
        stderr = finish(resumed)
        assert resumed.returncode == 0, stderr
    assert Checkpoint.load(run.checkpoint).finished
    assert_each_delivered_with_few_duplicates(server)


def test_a_second_ctrl_c_leaves_at_once_with_a_consistent_checkpoint(run):
    with TagServer(always(delay=0.02)) as server:
        process = run(server)
        wait_for(lambda: len(server.requests) >= 40)
        server.answer = always(delay=5.0)  # requests now hang
        switched = len(server.requests)
        wait_for(lambda: len(server.requests) >= switched + CONCURRENCY)
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        began = time.monotonic()
        stderr = finish(process)
        assert time.monotonic() - began < 2.0
        assert process.returncode == 130, stderr
        assert "pintag: left at once; checkpoint" in stderr

        server.answer = always(200)
        resumed = run(server, "--resume")
        stderr = finish(resumed)
        assert resumed.returncode == 0, stderr
    assert_each_delivered_with_few_duplicates(server)
