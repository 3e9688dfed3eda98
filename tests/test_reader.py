"""Tests for pinterest_cli.reader, the streaming NDJSON input reader."""

import gzip
import io
import os
import sys
import zlib
from types import SimpleNamespace
from unittest import mock

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinterest_cli.reader import (
    STDIN,
    InputError,
    check_readable,
    file_size,
    read_records,
    source_name,
)


def track(n: int) -> dict:
    return {"type": "track", "event": "Order Completed", "n": n}


def ndjson(*messages: dict) -> bytes:
    return b"".join(orjson.dumps(m) + b"\n" for m in messages)


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def read(path: str, **kwargs) -> list:
    return list(read_records(path, **kwargs))


def read_stdin(data: bytes, wrap=lambda buffer: buffer) -> list:
    stdin = SimpleNamespace(buffer=wrap(io.BytesIO(data)))
    with mock.patch.object(sys, "stdin", stdin):
        return read(STDIN)


def positions(records) -> list[tuple[int, int]]:
    return [(r.line, r.index) for r in records]


def random_lines(count: int) -> bytes:
    """Lines that barely compress, so cutting a gzip file cuts mid-stream."""
    return ndjson(
        *({"type": "track", "pad": os.urandom(48).hex()} for _ in range(count))
    )


def test_plain_file_yields_each_message_with_its_line_number(tmp_path):
    path = write(tmp_path, "events.jsonl", ndjson(track(1), track(2), track(3)))
    records = read(path)
    assert [r.message for r in records] == [track(1), track(2), track(3)]
    assert positions(records) == [(1, 0), (2, 0), (3, 0)]
    assert {r.source for r in records} == {path}
    assert all(r.error is None for r in records)


def test_raw_is_the_line_without_its_ending(tmp_path):
    path = write(tmp_path, "events.jsonl", b'{"type":"page"}\r\n{"type":"track"}')
    assert [r.raw for r in read(path)] == [b'{"type":"page"}', b'{"type":"track"}']


def test_gzip_is_detected_from_the_bytes_not_the_name(tmp_path):
    path = write(tmp_path, "events.jsonl", gzip.compress(ndjson(track(1), track(2))))
    assert [r.message for r in read(path)] == [track(1), track(2)]


def test_gzip_file_with_gz_name_is_decompressed(tmp_path):
    path = write(tmp_path, "events.jsonl.gz", gzip.compress(ndjson(track(1))))
    assert [r.message for r in read(path)] == [track(1)]


def test_plain_file_with_gz_name_is_read_as_plain(tmp_path):
    path = write(tmp_path, "events.jsonl.gz", ndjson(track(1)))
    assert [r.message for r in read(path)] == [track(1)]


def test_multi_member_gzip_is_read_to_the_end(tmp_path):
    data = gzip.compress(ndjson(track(1))) + gzip.compress(ndjson(track(2), track(3)))
    records = read(write(tmp_path, "events.jsonl.gz", data))
    assert [r.message for r in records] == [track(1), track(2), track(3)]
    assert positions(records) == [(1, 0), (2, 0), (3, 0)]


@pytest.mark.parametrize("wrap", [None, io.BufferedReader], ids=["no-peek", "peek"])
def test_dash_reads_standard_input(wrap):
    records = read_stdin(ndjson(track(1), track(2)), wrap or (lambda buffer: buffer))
    assert [r.message for r in records] == [track(1), track(2)]
    assert {r.source for r in records} == {"<stdin>"}


def test_gzip_on_standard_input_is_decompressed():
    records = read_stdin(gzip.compress(ndjson(track(1), track(2))))
    assert [r.message for r in records] == [track(1), track(2)]


def test_standard_input_is_left_open():
    stdin = SimpleNamespace(buffer=io.BytesIO(gzip.compress(ndjson(track(1)))))
    with mock.patch.object(sys, "stdin", stdin):
        read(STDIN)
    assert not stdin.buffer.closed


def test_leading_bom_is_skipped(tmp_path):
    path = write(tmp_path, "events.jsonl", b"\xef\xbb\xbf" + ndjson(track(1)))
    records = read(path)
    assert [r.message for r in records] == [track(1)]
    assert records[0].raw == orjson.dumps(track(1))


def test_bom_at_the_start_of_a_later_line_is_dropped(tmp_path):
    # What `cat a.jsonl b.jsonl` gives when b.jsonl was saved with a BOM.
    data = ndjson(track(1)) + b"\xef\xbb\xbf" + ndjson(track(2))
    records = read(write(tmp_path, "events.jsonl", data))
    assert records[1].line == 2 and records[1].message == track(2)


def test_bom_inside_a_line_is_rejected(tmp_path):
    data = b'{"type":"track",\xef\xbb\xbf"event":"A"}\n'
    records = read(write(tmp_path, "events.jsonl", data))
    assert records[0].message is None
    assert records[0].error.startswith("not valid JSON (unexpected character")


def test_numbers_beyond_the_double_range_are_valid_json(tmp_path):
    data = b'{"type":"track","event":"A","properties":{"x":1e400,"n":' + b"9" * 400
    records = read(write(tmp_path, "events.jsonl", data + b"}}\n"))
    assert records[0].message["properties"]["x"] == float("inf")
    assert records[0].message["properties"]["n"] == int("9" * 400)


def test_nan_and_infinity_are_still_rejected(tmp_path):
    data = b'{"type":"track","event":"A","properties":{"x":NaN}}\n'
    records = read(write(tmp_path, "events.jsonl", data))
    assert records[0].message is None and "not valid JSON" in records[0].error


def test_dead_letter_of_a_line_that_was_not_json_is_read_as_that_line(tmp_path):
    data = b'{"raw": "{\\"type\\": \\"track\\"", "pintag": {"line": 3}}\n'
    data += b'{"raw": "{\\"type\\":\\"page\\"}", "pintag": {"line": 4}}\n'
    records = read(write(tmp_path, "dead.jsonl", data))
    assert records[0].message is None and "not valid JSON" in records[0].error
    assert records[1].message == {"type": "page"}


def test_crlf_line_endings_are_accepted(tmp_path):
    data = ndjson(track(1)).replace(b"\n", b"\r\n") * 2
    records = read(write(tmp_path, "events.jsonl", data))
    assert [r.message for r in records] == [track(1), track(1)]


def test_blank_and_whitespace_only_lines_are_skipped_but_counted(tmp_path):
    line = orjson.dumps(track(1))
    data = b"\n" + line + b"\n   \n\t\r\n\r\n" + line + b"\n \n"
    assert positions(read(write(tmp_path, "events.jsonl", data))) == [(2, 0), (6, 0)]


def test_invalid_utf8_is_rejected_on_its_line_and_reading_goes_on(tmp_path):
    data = ndjson(track(1)) + b'{"type":"track","event":"caf\xe9"}\n' + ndjson(track(3))
    records = read(write(tmp_path, "events.jsonl", data))
    assert positions(records) == [(1, 0), (2, 0), (3, 0)]
    assert records[1].message is None
    assert records[1].error.startswith("not valid UTF-8 (byte 0xe9 at byte 29)")
    assert records[2].message == track(3)


def test_lone_surrogate_escape_is_rejected(tmp_path):
    records = read(write(tmp_path, "e.jsonl", b'{"type":"track","e":"\\ud800"}\n'))
    assert records[0].message is None
    assert records[0].error.startswith("not valid JSON (")


def test_nan_is_rejected(tmp_path):
    records = read(write(tmp_path, "e.jsonl", b'{"type":"track","v":NaN}\n'))
    assert records[0].message is None
    assert records[0].error.startswith("not valid JSON (")


def test_invalid_json_reason_names_the_column(tmp_path):
    records = read(write(tmp_path, "e.jsonl", b'{"type": "track", x}\n'))
    assert records[0].error == (
        "not valid JSON (unexpected character, expected a string key at column 19)"
    )


def test_deeply_nested_json_is_rejected(tmp_path):
    records = read(write(tmp_path, "e.jsonl", b'{"a":' * 2000 + b"1" + b"}" * 2000))
    assert records[0].message is None
    assert records[0].error.startswith("not valid JSON (")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[1, 2]", "a JSON array, not an object"),
        (b'"track"', "a JSON string, not an object"),
        (b"42", "a JSON number, not an object"),
        (b"1.5", "a JSON number, not an object"),
        (b"true", "a JSON boolean, not an object"),
        (b"null", "JSON null, not an object"),
    ],
)
def test_valid_json_that_is_not_an_object_is_rejected(tmp_path, line, reason):
    records = read(write(tmp_path, "events.jsonl", line + b"\n"))
    assert [(r.message, r.raw) for r in records] == [(None, line)]
    assert records[0].error.startswith(reason)


def test_request_log_envelope_is_unwrapped(tmp_path):
    line = {"opts": {"writeKey": "k"}, "obj": track(1)}
    records = read(write(tmp_path, "events.jsonl", ndjson(line)))
    assert [r.message for r in records] == [track(1)]


def test_envelope_with_a_type_key_is_not_unwrapped(tmp_path):
    line = {"type": "track", "obj": track(1)}
    assert [r.message for r in read(write(tmp_path, "e.jsonl", ndjson(line)))] == [line]


def test_batch_elements_share_the_line_and_are_indexed(tmp_path):
    data = ndjson(track(0), {"batch": [track(1), track(2), track(3)]}, track(4))
    records = read(write(tmp_path, "events.jsonl", data))
    assert [r.message for r in records] == [track(n) for n in range(5)]
    assert positions(records) == [(1, 0), (2, 0), (2, 1), (2, 2), (3, 0)]
    assert records[1].raw == records[3].raw == data.splitlines()[1]


def test_batch_element_that_is_not_an_object_is_rejected_alone(tmp_path):
    data = ndjson({"batch": [track(0), track(1), "oops", None, track(4)]})
    records = read(write(tmp_path, "events.jsonl", data))
    assert [r.index for r in records] == [0, 1, 2, 3, 4]
    assert records[2].message is None
    assert records[2].error == "batch element 2 is a string, not an object"
    assert records[3].error == "batch element 3 is null, not an object"
    assert records[4].message == track(4)


def test_empty_batch_yields_nothing(tmp_path):
    data = ndjson({"batch": []}, track(2))
    assert positions(read(write(tmp_path, "events.jsonl", data))) == [(2, 0)]


def test_wrappers_are_not_unwrapped_recursively(tmp_path):
    inner = {"batch": [track(1)]}
    records = read(
        write(tmp_path, "e.jsonl", ndjson({"obj": inner}, {"batch": [inner]}))
    )
    assert [r.message for r in records] == [inner, inner]


def test_truncated_gzip_yields_one_rejection_and_stops(tmp_path):
    data = gzip.compress(random_lines(200))
    cut = data[: len(data) // 2]
    complete = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
    *good, last = read(write(tmp_path, "events.jsonl.gz", cut))
    assert 0 < len(good) == complete < 200
    assert all(r.message is not None for r in good)
    assert last.line == len(good) + 1 and last.message is None
    assert last.error.startswith(
        f"gzip stream is corrupt or cut off after line {len(good)}"
    )
    assert last.error.endswith("; the rest of the file was not read")
    assert last.offset == len(data) // 2


def test_garbage_after_gzip_yields_one_rejection_after_the_last_line(tmp_path):
    data = gzip.compress(ndjson(track(1), track(2))) + b"garbage\n"
    records = read(write(tmp_path, "events.jsonl.gz", data))
    assert [r.message for r in records[:2]] == [track(1), track(2)]
    assert len(records) == 3 and records[2].line == 3
    assert records[2].error.startswith("gzip stream is corrupt or cut off after line 2")


def test_corrupt_gzip_yields_a_rejection_as_the_last_record(tmp_path):
    data = bytearray(gzip.compress(random_lines(100)))
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    records = read(write(tmp_path, "events.jsonl.gz", bytes(data)))
    assert records[-1].error.startswith("gzip stream is corrupt or cut off")
    assert [r for r in records if r.error and "gzip" in r.error] == records[-1:]


def test_gzip_magic_without_a_valid_header_is_rejected_at_the_start(tmp_path):
    records = read(write(tmp_path, "events.jsonl", b"\x1f\x8bnot gzip at all"))
    assert len(records) == 1 and records[0].line == 1
    assert records[0].error.startswith("gzip stream is corrupt or cut off at the start")


def test_missing_file_raises_input_error_naming_it(tmp_path):
    path = str(tmp_path / "events.jsonl")
    with pytest.raises(InputError, match=r"events\.jsonl: no such file"):
        check_readable(path)
    with pytest.raises(InputError, match=r"events\.jsonl: no such file"):
        read(path)


def test_directory_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="is a directory, not a file"):
        check_readable(str(tmp_path))
    with pytest.raises(InputError, match="is a directory, not a file"):
        read(str(tmp_path))


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="file permissions do not apply to root",
)
def test_unreadable_file_raises_input_error(tmp_path):
    path = write(tmp_path, "x.jsonl", ndjson(track(1)))
    os.chmod(path, 0)
    with pytest.raises(InputError, match=r"x\.jsonl: permission denied"):
        check_readable(path)
    with pytest.raises(InputError, match=r"x\.jsonl: permission denied"):
        read(path)


def test_check_readable_passes_stdin_and_readable_files(tmp_path):
    check_readable(STDIN)
    check_readable(write(tmp_path, "events.jsonl", b""))


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_offset_never_decreases_and_ends_at_the_file_size(tmp_path, compress):
    data = random_lines(3000)
    data = gzip.compress(data) if compress else data
    path = write(tmp_path, "events.jsonl", data)
    offsets = [r.offset for r in read(path)]
    assert len(offsets) == 3000
    assert offsets == sorted(offsets)
    assert offsets[-1] == len(data) == file_size(path)


def test_file_size_and_source_name_of_stdin():
    assert file_size(STDIN) is None
    assert source_name(STDIN) == "<stdin>"
    assert source_name("a.jsonl") == "a.jsonl"


def test_start_after_skips_lines_up_to_and_including_it(tmp_path):
    path = write(tmp_path, "e.jsonl", ndjson(*(track(n) for n in range(1, 6))))
    records = read(path, start_after=(3, 0))
    assert positions(records) == [(4, 0), (5, 0)]
    assert [r.message for r in records] == [track(4), track(5)]


def test_start_after_does_not_parse_earlier_lines(tmp_path):
    path = write(tmp_path, "events.jsonl", b"not json\n" + ndjson(track(2)))
    assert positions(read(path, start_after=(1, 0))) == [(2, 0)]


def test_start_after_resumes_in_the_middle_of_a_batch(tmp_path):
    data = ndjson(track(0), {"batch": [track(1), track(2), track(3)]}, track(4))
    records = read(write(tmp_path, "events.jsonl", data), start_after=(2, 1))
    assert positions(records) == [(2, 2), (3, 0)]
    assert [r.message for r in records] == [track(3), track(4)]


line_items = st.one_of(
    st.builds(
        lambda extra: {**extra, "type": "track"},
        st.dictionaries(
            st.text(max_size=4),
            st.integers(-(2**63), 2**63 - 1) | st.text(max_size=4),
            max_size=3,
        ),
    ),
    st.text(alphabet=" \t", max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(
    items=st.lists(st.tuples(line_items, st.sampled_from([b"\n", b"\r\n"]))),
    final_newline=st.booleans(),
    compress=st.booleans(),
)
def test_line_numbers_are_the_positions_of_non_blank_lines(
    items, final_newline, compress
):
    data = b"".join(
        (orjson.dumps(item) if isinstance(item, dict) else item.encode()) + ending
        for item, ending in items
    )
    if items and not final_newline:
        data = data[: -len(items[-1][1])]
    records = read_stdin(gzip.compress(data) if compress else data)
    expected = [i + 1 for i, (item, _) in enumerate(items) if isinstance(item, dict)]
    assert [r.line for r in records] == expected
    assert [r.message for r in records] == [i for i, _ in items if isinstance(i, dict)]
