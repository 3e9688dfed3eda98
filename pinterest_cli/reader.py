"""Streaming reader for newline-delimited Segment JSON (mapping spec §1 and §9).

Every line of every input becomes one or more `Record`s: a parsed Segment
message, or a rejected line with a short reason. Bad content never raises; only
inputs that cannot be opened raise `InputError`.
"""

import gzip
import io
import json
import os
import stat
import sys
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import BinaryIO

import orjson

from pinterest_cli.jsonutil import dumps, json_kind, json_noun

STDIN = "-"

_STDIN_NAME = "<stdin>"
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_BUFFER_SIZE = 1 << 16
# gzip.BadGzipFile is an OSError; EOFError means the stream was cut off.
_READ_ERRORS = (EOFError, OSError, zlib.error)


class InputError(Exception):
    """An input cannot be opened; the message names it and says what to do."""


@dataclass(slots=True)
class Record:
    """One message (or rejected line) of one source, with its position."""

    source: str
    line: int
    index: int
    offset: int
    message: dict | None
    error: str | None
    raw: bytes
    batched: bool = False  # one element of a `{"batch": [...]}` line


class _ReadFailed(Exception):
    """The byte stream broke mid-way; args are (cause, offset reached)."""


def source_name(path: str) -> str:
    """Return the name records carry for `path`: "<stdin>" for "-", else path."""
    return _STDIN_NAME if path == STDIN else path


def file_size(path: str) -> int | None:
    """Return the size in bytes of a regular file, or None (stdin, pipes, errors)."""
    if path == STDIN:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def check_readable(path: str) -> None:
    """Raise InputError if `path` cannot be opened for reading; read nothing."""
    if path == STDIN:
        return
    try:
        # O_NONBLOCK so that checking a named pipe does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(_open_problem(path, exc)) from None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise InputError(_open_problem(path, IsADirectoryError()))
    finally:
        os.close(fd)


def read_records(
    path: str, *, start_after: tuple[int, int] | None = None
) -> Iterator[Record]:
    """Yield one Record per message (or rejected line) of one source, in order.

    Opens the source when iteration starts (raising InputError if it cannot)
    and closes it when the iterator finishes or is closed. Records at or before
    `start_after=(line, index)` are skipped; earlier lines are not even parsed.
    """
    source = source_name(path)
    skip_line, skip_index = start_after or (0, -1)
    lineno = 0
    with ExitStack() as stack:
        lines, gzipped = _open(path, stack)
        try:
            for line, offset in lines:
                lineno += 1
                first = 0
                if lineno <= skip_line:
                    if lineno < skip_line:
                        continue
                    first = max(skip_index + 1, 0)
                if line[-1:] == b"\n":
                    line = line[:-2] if line[-2:-1] == b"\r" else line[:-1]
                if lineno == 1 and line[:3] == _BOM:
                    line = line[3:]
                try:
                    message = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    # Rare cases are only looked for once the fast parse failed.
                    if not line.strip() or first:
                        continue
                    message, error = _parse_slowly(line, exc)
                    if error is not None:
                        yield Record(source, lineno, 0, offset, None, error, line)
                        continue
                if type(message) is dict and "type" in message:
                    if not first:
                        yield Record(source, lineno, 0, offset, message, None, line)
                    continue
                yield from _unwrap(source, lineno, offset, message, line, first)
        except _ReadFailed as failed:
            cause, offset = failed.args
            size = file_size(path)
            where = f"after line {lineno}" if lineno else "at the start"
            what = "gzip stream is corrupt or cut off" if gzipped else "reading failed"
            error = f"{what} {where}: {cause}; the rest of the file was not read"
            offset = offset if size is None else max(offset, size)
            yield Record(source, lineno + 1, 0, offset, None, error, b"")


def _open(path: str, stack: ExitStack) -> tuple[Iterator[tuple[bytes, int]], bool]:
    """Open `path`, registering cleanup on `stack`; return (lines, gzipped)."""
    if path == STDIN:
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:
            raise InputError("standard input is not available; pass a file instead")
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw, _BUFFER_SIZE)
            # Detach, or collecting the wrapper would close standard input.
            stack.callback(raw.detach)
    else:
        try:
            raw = open(path, "rb", buffering=_BUFFER_SIZE)  # noqa: SIM115
        except OSError as exc:
            raise InputError(_open_problem(path, exc)) from None
        stack.callback(raw.close)
    try:
        head = raw.peek(2)[:2]
    except OSError as exc:
        raise InputError(_open_problem(source_name(path), exc)) from None
    # A pipe may hand over a single byte first; no JSON text starts with 0x1f.
    if head != _GZIP_MAGIC and head != _GZIP_MAGIC[:1]:
        return _counted_lines(raw), False
    # GzipFile never closes a file object it was handed, so stdin stays open.
    gz = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
    # The C readline of BufferedReader beats GzipFile's Python readline.
    stream = stack.enter_context(io.BufferedReader(_Read1(gz), _BUFFER_SIZE))
    if raw.seekable():
        return _told_lines(stream, raw), True
    return _counted_lines(stream), True


class _Read1(io.RawIOBase):
    """Feed a GzipFile to BufferedReader through read1: GzipFile's readinto
    discards what it has decompressed when the stream turns out broken."""

    def __init__(self, stream: gzip.GzipFile) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _counted_lines(stream: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """Yield (line, bytes of lines so far); exact for plain files."""
    offset = 0
    try:
        for line in stream:
            offset += len(line)
            yield line, offset
    except _READ_ERRORS as exc:
        raise _ReadFailed(exc, offset) from exc


def _told_lines(stream: BinaryIO, raw: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """Yield (line, compressed bytes consumed) for a gzip file, one line late:
    the trailer is read only after the last line, which must report it."""
    pending = None
    try:
        for line in stream:
            if pending is not None:
                yield pending, raw.tell()
            pending = line
    except _READ_ERRORS as exc:
        if pending is not None:
            yield pending, raw.tell()
        raise _ReadFailed(exc, raw.tell()) from exc
    if pending is not None:
        yield pending, raw.tell()


def _unwrap(
    source: str, lineno: int, offset: int, value: object, line: bytes, first: int
) -> Iterator[Record]:
    """Records for a line that is not a plain message: wrappers and non-objects."""
    if type(value) is not dict:
        if not first:
            yield Record(source, lineno, 0, offset, None, _not_object(value), line)
        return
    if "type" not in value:
        inner = value.get("obj")
        if type(inner) is dict:
            if not first:
                yield Record(source, lineno, 0, offset, inner, None, line)
            return
        raw = value.get("raw")
        if type(raw) is str and type(value.get("pintag")) is dict and not first:
            # A dead letter of a line that was not a message: read it again as
            # that line, so a fixed line goes through and an unfixed one gets
            # its original reason.
            yield from _reread(source, lineno, offset, raw.encode("utf-8"))
            return
        batch = value.get("batch")
        if type(batch) is list:
            for i in range(first, len(batch)):
                item = batch[i]
                if type(item) is dict:
                    yield Record(source, lineno, i, offset, item, None, line, True)
                else:
                    error = f"batch element {i} is {json_kind(item)}, not an object"
                    # The element alone, so its dead letter holds just that.
                    raw = dumps(item)
                    yield Record(source, lineno, i, offset, None, error, raw, True)
            return
        if batch is not None and "obj" not in value:
            error = f"batch is {json_kind(batch)}, not an array of messages"
            if not first:
                yield Record(source, lineno, 0, offset, None, error, line)
            return
    if not first:
        yield Record(source, lineno, 0, offset, value, None, line)


def _reread(source: str, lineno: int, offset: int, line: bytes) -> Iterator[Record]:
    """Records for a line given as text inside a dead letter."""
    try:
        message = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        message, error = _parse_slowly(line, exc)
        if error is not None:
            yield Record(source, lineno, 0, offset, None, error, line)
            return
    if type(message) is dict and "type" in message:
        yield Record(source, lineno, 0, offset, message, None, line)
    elif type(message) is dict and type(message.get("raw")) is str:
        # A dead letter inside a dead letter is not unwrapped twice.
        yield Record(source, lineno, 0, offset, message, None, line)
    else:
        yield from _unwrap(source, lineno, offset, message, line, 0)


def _parse_slowly(
    line: bytes, exc: orjson.JSONDecodeError
) -> tuple[object, str | None]:
    """Second chance for a line orjson refused: (message, None) or (None, reason).

    A byte order mark at the start of a later line (files joined with `cat`)
    is dropped, and numbers beyond orjson's range (1e400, 400-digit integers)
    are valid JSON that the standard library reads; NaN and Infinity are not.
    """
    if line[:3] == _BOM:
        line = line[3:]
        try:
            return orjson.loads(line), None
        except orjson.JSONDecodeError as again:
            exc = again
    if "number" in exc.msg:
        try:
            return json.loads(line, parse_constant=_refuse_constant), None
        except (ValueError, RecursionError):
            pass
    return None, _bad_json(exc, line)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _not_object(value: object) -> str:
    """Reject reason for a line holding valid JSON that is not an object."""
    if value is None:
        return "JSON null, not an object"
    reason = f"a JSON {json_noun(value)}, not an object"
    if type(value) is list:
        reason += '; put one message per line, or wrap them as {"batch": [...]}'
    return reason


def _bad_json(exc: orjson.JSONDecodeError, line: bytes) -> str:
    """Reject reason for a line orjson cannot parse."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as bad:
        byte = line[bad.start]
        where = f"byte 0x{byte:02x} at byte {bad.start + 1}"
        return f"not valid UTF-8 ({where}); save the file as UTF-8"
    reason = exc.msg
    if reason[1:2].islower():  # "Unexpected" but not "UTF-8"
        reason = reason[:1].lower() + reason[1:]
    return f"not valid JSON ({reason} at column {exc.colno})"


def _open_problem(path: str, exc: OSError) -> str:
    """InputError message for a file that cannot be opened."""
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file; check the path"
    if isinstance(exc, IsADirectoryError):
        return f"{path}: is a directory, not a file; pass the files inside it"
    if isinstance(exc, PermissionError):
        return f"{path}: permission denied; check that you may read it"
    if isinstance(exc, NotADirectoryError):
        return f"{path}: no such file (a part of the path is a file, not a folder)"
    return f"{path}: cannot be opened ({exc.strerror or exc}); check the path"
