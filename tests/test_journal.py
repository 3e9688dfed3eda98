"""The journal: finished positions that survive a kill between checkpoints."""

from __future__ import annotations

import os

from pinterest_cli import journal
from pinterest_cli.checkpoint import Checkpoint, InputState


def checkpoint_at(tmp_path, after=None, done=(), complete=False) -> Checkpoint:
    state = InputState("/x/events.jsonl", 10, "0" * 64, after, list(done), complete)
    return Checkpoint(str(tmp_path / "run.json"), "tag", "1", "http://h/", [state])


def test_recorded_positions_are_replayed_into_the_checkpoint(tmp_path):
    location = str(tmp_path / "run.json")
    book = journal.Journal(location)
    book.record([(0, 5, 0), (0, 7, 0)])
    book.record([(0, 6, 2)])
    book.close()

    checkpoint = checkpoint_at(tmp_path, after=(4, 0))
    assert journal.replay(location, checkpoint) == 3
    assert checkpoint.inputs[0].done == [(5, 0), (6, 2), (7, 0)]


def test_positions_the_checkpoint_already_covers_are_not_added(tmp_path):
    location = str(tmp_path / "run.json")
    book = journal.Journal(location)
    book.record([(0, 3, 0), (0, 9, 0), (0, 9, 0), (1, 1, 0)])
    book.close()

    checkpoint = checkpoint_at(tmp_path, after=(4, 0), done=[(9, 0)])
    assert journal.replay(location, checkpoint) == 0
    assert checkpoint.inputs[0].done == [(9, 0)]


def test_a_line_cut_short_by_a_kill_is_ignored(tmp_path):
    location = str(tmp_path / "run.json")
    book = journal.Journal(location)
    book.record([(0, 5, 0)])
    book.close()
    with open(f"{location}.journal.1", "ab") as file:
        file.write(b"0 6")  # no newline: the write was cut

    checkpoint = checkpoint_at(tmp_path)
    assert journal.replay(location, checkpoint) == 1
    assert checkpoint.inputs[0].done == [(5, 0)]


def test_rotation_hands_back_the_files_a_checkpoint_now_covers(tmp_path):
    location = str(tmp_path / "run.json")
    book = journal.Journal(location)
    book.record([(0, 1, 0)])
    covered = book.rotate()
    book.record([(0, 2, 0)])

    assert covered == [f"{location}.journal.1"]
    journal.remove(covered)
    book.close()
    checkpoint = checkpoint_at(tmp_path)
    journal.replay(location, checkpoint)
    assert checkpoint.inputs[0].done == [(2, 0)]


def test_a_new_journal_continues_after_the_files_left_by_a_killed_run(tmp_path):
    location = str(tmp_path / "run.json")
    first = journal.Journal(location)
    first.record([(0, 1, 0)])
    first.close()  # as if killed: the file stays

    second = journal.Journal(location)
    second.record([(0, 2, 0)])
    second.close()

    checkpoint = checkpoint_at(tmp_path)
    assert journal.replay(location, checkpoint) == 2


def test_clear_removes_every_journal_file_and_nothing_else(tmp_path):
    location = str(tmp_path / "run.json")
    (tmp_path / "run.json").write_text("{}")
    book = journal.Journal(location)
    book.rotate()
    book.close()

    journal.clear(location)
    assert sorted(os.listdir(tmp_path)) == ["run.json"]


def test_journal_files_are_private(tmp_path):
    location = str(tmp_path / "run.json")
    journal.Journal(location).close()
    mode = os.stat(f"{location}.journal.1").st_mode & 0o777
    assert mode == 0o600
