"""SIGKILL `pintag send` at random moments, then `--resume` until it finishes.

Nothing may be lost: every message ends delivered or in the dead-letter file.
A resumed run never sends again what the checkpoint and its journal counted as
finished, so a kill repeats at most the requests that were in flight.
"""

from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from servers import Answer, TagServer, always

from pinterest_cli import journal
from pinterest_cli.checkpoint import Checkpoint

COUNT = 400
CONCURRENCY = 4
FAILING = {"m-13", "m-101", "m-202", "m-303", "m-389"}  # the Tag answers 400
ALL = {f"m-{n}" for n in range(COUNT)}
# The checkpoint is written every INTERVAL seconds; allow for the write itself
# and for a loaded machine.


def events(count: int, padding: int = 0) -> bytes:
    return b"".join(
        orjson.dumps(
            {
                "type": "track",
                "event": "Signed Up",
                "messageId": f"m-{n}",
                "properties": {"pad": "x" * padding} if padding else {},
            }
        )
        + b"\n"
        for n in range(count)
    )


@dataclass
class Kill:
    """What was true when a run was killed."""

    at: float  # time.monotonic()
    requests: int  # requests the server had seen
    dead_lines: int  # lines in the dead-letter file
    finished: set[str]  # message ids the checkpoint counted as finished


class Runs:
    """Starts `pintag send` on one input, against one server, killing at will."""

    def __init__(self, folder: Path, server: TagServer, name: str) -> None:
        self.folder = folder
        self.server = server
        self.input = folder / name
        self.checkpoint = folder / "run.json"
        self.dead = folder / "dead.jsonl"
        (folder / "integrations.yaml").write_text(
            '- name: pinterest\n  tagId: "2612826764086"\n'
        )

    def start(self, *flags: str, resume: bool) -> subprocess.Popen:
        command = [sys.executable, "-m", "pinterest_cli", "send", str(self.input)]
        command += ["--config", str(self.folder / "integrations.yaml")]
        command += ["--endpoint", self.server.url, "--checkpoint", str(self.checkpoint)]
        command += ["--dead-letter", str(self.dead), "--concurrency", str(CONCURRENCY)]
        command += ["-q", *flags] + (["--resume"] if resume else [])
        env = {**os.environ, "XDG_STATE_HOME": str(self.folder / "state")}
        return subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def kill(self, process: subprocess.Popen) -> Kill:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
        at = time.monotonic()
        dead = self.dead.read_bytes() if self.dead.exists() else b""
        assert dead == b"" or dead.endswith(b"\n"), "a torn dead-letter line"
        return Kill(
            at, len(self.server.requests), dead.count(b"\n"), self.finished_ids()
        )

    def finished_ids(self) -> set[str]:
        """Ids the checkpoint and its journal count as finished (line n holds
        message m-(n-1)): what a resumed run must never send again."""
        checkpoint = Checkpoint.load(str(self.checkpoint))
        journal.replay(str(self.checkpoint), checkpoint)
        (state,) = checkpoint.inputs
        if state.complete:
            return set(ALL)
        lines = {line for line, _ in state.done}
        if state.after is not None:
            lines.update(range(1, state.after[0] + 1))
        return {f"m-{line - 1}" for line in lines}

    def dead_ids(self) -> list[str]:
        lines = self.dead.read_bytes().splitlines()
        return [orjson.loads(line)["obj"]["messageId"] for line in lines]


def wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.002)


def flaky_tag(request) -> Answer:
    if request.event_id in FAILING:
        return Answer(400, body=b"invalid event")
    return Answer(delay=0.015)  # about 250 answers a second: runs of ~1.5 s


def kill_and_resume(runs: Runs, rng: random.Random, kills_wanted: int) -> list[Kill]:
    """Kill the run (and resumed runs) after a random number of requests each,
    then let one run finish."""
    kills: list[Kill] = []
    for _ in range(kills_wanted):
        left = COUNT - len(kills[-1].finished if kills else ())
        target = len(runs.server.requests) + rng.randint(1, max(1, left - 40))
        process = runs.start(resume=bool(kills))
        wait_for(lambda: len(runs.server.requests) >= target)  # noqa: B023
        assert process.poll() is None, "the run ended before it could be killed"
        kills.append(runs.kill(process))
    process = runs.start(resume=True)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 3, stderr.decode()  # FAILING were dead-lettered
    return kills


def assert_nothing_lost_and_nothing_finished_resent(runs: Runs, kills) -> None:
    requests = runs.server.requests
    delivered = Counter(runs.server.delivered())
    dead = runs.dead_ids()
    assert set(delivered) == ALL - FAILING
    assert set(dead) == FAILING
    assert Checkpoint.load(str(runs.checkpoint)).finished
    for kill in kills:
        later = {r.event_id for r in requests[kill.requests :]}
        assert later.isdisjoint(kill.finished), "a finished message was sent again"
        assert set(dead[kill.dead_lines :]).isdisjoint(kill.finished)
    # Only requests in flight at a kill may go twice: the journal records
    # every answered request before the next one is counted.
    duplicates = sum(delivered.values()) + len(dead) - COUNT
    assert duplicates <= CONCURRENCY * len(kills)


@pytest.mark.parametrize(
    ("seed", "kills", "compressed"),
    [(1, 1, False), (2, 2, False), (3, 3, False), (4, 2, True)],
)
def test_killed_runs_resume_without_losing_or_resending_finished_messages(
    tmp_path, seed, kills, compressed
):
    rng = random.Random(seed)
    data = events(COUNT)
    name = "events.jsonl.gz" if compressed else "events.jsonl"
    (tmp_path / name).write_bytes(gzip.compress(data) if compressed else data)

    with TagServer(flaky_tag) as server:
        runs = Runs(tmp_path, server, name)
        made = kill_and_resume(runs, rng, kills)

    assert_nothing_lost_and_nothing_finished_resent(runs, made)


def test_a_kill_duplicates_no_more_than_the_requests_in_flight(tmp_path):
    (tmp_path / "events.jsonl").write_bytes(events(COUNT))
    with TagServer(always(delay=0.01)) as server:
        runs = Runs(tmp_path, server, "events.jsonl")
        process = runs.start(resume=False)
        # Well before the first periodic save, one second after sending starts.
        wait_for(lambda: len(server.delivered()) >= 40)
        runs.kill(process)
        resumed = runs.start(resume=True)
        resumed.communicate(timeout=30)

    assert resumed.returncode == 0
    assert set(server.delivered()) == ALL
    duplicates = len(server.delivered()) - COUNT
    assert duplicates <= CONCURRENCY, f"{duplicates} messages delivered twice"


def test_a_kill_leaves_each_failed_message_dead_lettered_once(tmp_path):
    # About 600 bytes a message: the 64 KiB buffer fills after ~110 failures.
    (tmp_path / "events.jsonl").write_bytes(events(COUNT, padding=500))
    with TagServer(always(400)) as server:
        runs = Runs(tmp_path, server, "events.jsonl")
        process = runs.start("--max-failures", "0", resume=False)
        wait_for(lambda: runs.dead.exists() and runs.dead.stat().st_size > 0)
        runs.kill(process)
        resumed = runs.start("--max-failures", "0", resume=True)
        resumed.communicate(timeout=30)

    assert resumed.returncode == 3
    dead = Counter(runs.dead_ids())
    assert set(dead) == ALL
    # A kill between a dead letter and its journal entry repeats at most the
    # requests in flight.
    twice = [key for key, n in dead.items() if n > 1]
    assert len(twice) <= CONCURRENCY, f"{len(twice)} dead-lettered more than once"
