"""The checkpoint: watermarks of out-of-order work, the file, and resume rules."""

import os
import shutil

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from servers import TagServer

from pinterest_cli.checkpoint import (
    Checkpoint,
    CheckpointError,
    InputState,
    Tracker,
    default_location,
    fingerprint,
    open_checkpoint,
)
from pinterest_cli.cli import cli


def tracker(files: int = 1) -> Tracker:
    return Tracker([InputState(f"/in/{n}", 0, "") for n in range(files)])


def test_watermark_waits_for_the_oldest_unfinished_message():
    track = tracker()
    first, second, third = (track.add(0, line, 0) for line in (1, 2, 3))
    track.finish(third)
    track.finish(second)
    assert track.snapshot() == [(None, [(2, 0), (3, 0)], False)]
    track.finish(first)
    assert track.snapshot() == [((3, 0), [], False)]


def test_messages_finished_on_reading_move_the_watermark_at_once():
    track = tracker()
    track.add_finished(0, 1, 0)
    track.add_finished(0, 2, 0)
    assert track.snapshot() == [((2, 0), [], False)]


def test_messages_finished_on_reading_wait_behind_unfinished_ones():
    track = tracker()
    entry = track.add(0, 1, 0)
    track.add_finished(0, 2, 0)
    assert track.snapshot() == [(None, [(2, 0)], False)]
    track.finish(entry)
    assert track.snapshot() == [((2, 0), [], False)]


def test_a_file_completes_only_once_its_messages_finish():
    track = tracker(2)
    entry = track.add(0, 1, 0)
    track.end_of_file(0)
    track.add_finished(1, 1, 0)
    assert track.snapshot() == [(None, [], False), (None, [(1, 0)], False)]
    track.finish(entry)
    assert track.snapshot() == [((1, 0), [], True), ((1, 0), [], False)]


def test_batch_positions_are_kept():
    track = tracker()
    entries = [track.add(0, 7, index) for index in range(3)]
    track.finish(entries[0])
    track.finish(entries[2])
    assert track.snapshot() == [((7, 0), [(7, 2)], False)]


def test_a_finished_run_holds_no_entries():
    track = tracker()
    for line in range(1, 10_001):
        track.finish(track.add(0, line, 0))
    assert track.backlog == 0
    assert track.unfinished == 0


@given(st.permutations(range(30)))
def test_watermark_is_the_longest_finished_prefix(order):
    track = tracker()
    entries = [track.add(0, line + 1, 0) for line in range(30)]
    finished = set()
    for number in order:
        track.finish(entries[number])
        finished.add(number)
        prefix = 0
        while prefix in finished:
            prefix += 1
        after, done, _ = track.snapshot()[0]
        assert after == ((prefix, 0) if prefix else None)
        assert done == sorted((n + 1, 0) for n in finished if n >= prefix)


def checkpoint_at(tmp_path, *inputs: InputState) -> Checkpoint:
    location = str(tmp_path / "run.json")
    return Checkpoint(location, "tag", "2612826764086", "https://x/v3/", list(inputs))


def test_a_checkpoint_is_read_back_as_written(tmp_path):
    state = InputState("/in/a.jsonl", 10, "ab", (4, 1), [(6, 0)], False)
    checkpoint = checkpoint_at(tmp_path, state)
    checkpoint.save()
    assert Checkpoint.load(checkpoint.location) == checkpoint


def test_saving_leaves_no_temporary_file(tmp_path):
    checkpoint = checkpoint_at(tmp_path, InputState("/in/a.jsonl", 10, "ab"))
    checkpoint.save()
    checkpoint.save()
    assert os.listdir(tmp_path) == ["run.json"]


def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    state = InputState("/in/a.jsonl", 10, "ab", (4, 0))
    checkpoint = checkpoint_at(tmp_path, state)
    checkpoint.save()
    state.after = (9, 0)

    def no_room(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_room)
    with pytest.raises(OSError):
        checkpoint.save()
    monkeypatch.undo()
    assert Checkpoint.load(checkpoint.location).inputs[0].after == (4, 0)
    assert os.listdir(tmp_path) == ["run.json"]


def test_an_unreadable_checkpoint_says_how_to_start_over(tmp_path):
    (tmp_path / "run.json").write_text("{half")
    with pytest.raises(CheckpointError, match="--restart"):
        Checkpoint.load(str(tmp_path / "run.json"))


def big_file(tmp_path, name="events.jsonl") -> str:
    path = tmp_path / name
    path.write_bytes(b"".join(b'{"n": %d}\n' % n for n in range(30_000)))
    return str(path)


def test_a_copy_has_the_same_fingerprint(tmp_path):
    original = big_file(tmp_path)
    copy = shutil.copy(original, tmp_path / "copy.jsonl")
    os.utime(copy, (1, 1))
    assert fingerprint(original) == fingerprint(str(copy))


def test_the_fingerprint_sees_a_change_at_the_end_of_a_big_file(tmp_path):
    path = big_file(tmp_path)
    before = fingerprint(path)
    with open(path, "r+b") as file:
        file.seek(-3, os.SEEK_END)
        file.write(b"8}\n")
    after = fingerprint(path)
    assert after[0] == before[0]
    assert after[1] != before[1]


def plan(tmp_path, paths, **flags):
    options = {"resume": False, "restart": False, **flags}
    return open_checkpoint(
        paths,
        transport="tag",
        destination="2612826764086",
        endpoint="https://x/v3/",
        location=str(tmp_path / "run.json"),
        **options,
    )


def interrupted_run(tmp_path, path: str) -> Checkpoint:
    checkpoint, _ = plan(tmp_path, [path])
    checkpoint.inputs[0].after = (100, 0)
    checkpoint.save()
    return checkpoint


def test_resume_without_a_checkpoint_starts_at_the_beginning(tmp_path):
    checkpoint, notes = plan(tmp_path, [big_file(tmp_path)], resume=True)
    assert checkpoint.inputs[0].after is None
    assert notes == [
        f"no checkpoint at {tmp_path}/run.json; sending from the beginning"
    ]


def test_resume_continues_after_the_watermark(tmp_path):
    path = big_file(tmp_path)
    interrupted_run(tmp_path, path)
    checkpoint, notes = plan(tmp_path, [path], resume=True)
    assert checkpoint.inputs[0].after == (100, 0)
    assert notes == [
        f"resuming from {tmp_path}/run.json: events.jsonl: finished up to line 100"
    ]


def test_an_unfinished_run_is_not_sent_again_without_resume(tmp_path):
    path = big_file(tmp_path)
    interrupted_run(tmp_path, path)
    with pytest.raises(CheckpointError) as refused:
        plan(tmp_path, [path])
    assert str(refused.value) == (
        f"an unfinished run of these files has a checkpoint at {tmp_path}/run.json "
        "(events.jsonl: finished up to line 100); add --resume to continue it, or "
        "--restart to send everything again"
    )


def test_restart_replaces_an_unfinished_run(tmp_path):
    path = big_file(tmp_path)
    interrupted_run(tmp_path, path)
    checkpoint, notes = plan(tmp_path, [path], restart=True)
    assert checkpoint.inputs[0].after is None
    assert notes == []


def test_a_finished_run_may_be_sent_again_without_flags(tmp_path):
    path = big_file(tmp_path)
    checkpoint, _ = plan(tmp_path, [path])
    checkpoint.inputs[0].complete = True
    checkpoint.save()
    again, _ = plan(tmp_path, [path])
    assert not again.inputs[0].complete


def test_resuming_a_grown_file_is_refused_with_its_sizes(tmp_path):
    path = big_file(tmp_path)
    interrupted_run(tmp_path, path)
    size = os.path.getsize(path)
    with open(path, "ab") as file:
        file.write(b'{"n": "late"}\n')
    with pytest.raises(CheckpointError) as refused:
        plan(tmp_path, [path], resume=True)
    message = str(refused.value)
    assert message.startswith(f"{path} changed since the checkpoint")
    assert f"size was {size:,} bytes, now {size + 14:,}" in message
    assert message.endswith("Use --restart to send all of it again")


def test_resuming_a_file_changed_in_place_is_refused(tmp_path):
    path = big_file(tmp_path)
    interrupted_run(tmp_path, path)
    with open(path, "r+b") as file:
        file.write(b'{"n": 7}\n')
    with pytest.raises(CheckpointError, match="same size, .* but different content"):
        plan(tmp_path, [path], resume=True)


def test_resuming_other_files_from_a_checkpoint_is_refused(tmp_path):
    interrupted_run(tmp_path, big_file(tmp_path))
    other = big_file(tmp_path, "other.jsonl")
    with pytest.raises(CheckpointError, match="other files or another destination"):
        plan(tmp_path, [other], resume=True)


def test_default_location_follows_xdg_state_home(tmp_path):
    environ = {"XDG_STATE_HOME": str(tmp_path)}
    location = default_location(["a.jsonl"], "tag", "1", environ)
    assert os.path.dirname(location) == f"{tmp_path}/pintag/checkpoints"
    assert location != default_location(["b.jsonl"], "tag", "1", environ)
    assert location != default_location(["a.jsonl"], "tag", "2", environ)


def test_default_location_ignores_a_relative_xdg_state_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    location = default_location(["a.jsonl"], "tag", "1", {"XDG_STATE_HOME": "rel"})
    assert location.startswith(f"{tmp_path}/.local/state/pintag/checkpoints/")


def test_resuming_a_finished_input_sends_nothing(tmp_path):
    config = tmp_path / "integrations.yaml"
    config.write_text('- name: pinterest\n  tagId: "2612826764086"\n')
    events = tmp_path / "events.jsonl"
    events.write_bytes(
        b"".join(
            orjson.dumps({"type": "track", "event": "Signed Up", "messageId": f"m{n}"})
            + b"\n"
            for n in range(5)
        )
    )
    with TagServer() as server:
        args = ["send", str(events), "--config", str(config), "--endpoint", server.url]
        args += ["--checkpoint", str(tmp_path / "run.json")]
        first = CliRunner().invoke(cli, args)
        again = CliRunner().invoke(cli, [*args, "--resume"])
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert len(server.requests) == 5
    assert "every input was already sent; nothing to send" in again.stderr
    assert "0 messages read" in again.stderr
