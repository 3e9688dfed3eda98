"""A corpus of bad input (issue 6): every case is accounted for, nothing crashes.

Each message-level case sits between two good messages in one file, followed by
a second file, and must come out as: the expected outcome for each of its
messages, a reason naming file and line, no traceback, the good messages after
it still sent, and `read == sent + skipped + rejected + failed`. Inputs and
configurations that cannot be used at all stop the run with exit 1 and one
message naming the file (and line, for configurations).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from servers import AcceptingTagServer, TagServer

from pinterest_cli.cli import cli

# The commands the whole corpus runs through; everything below is written
# against the report. `send` sends to a local Tag endpoint that answers 200 to
# any request (the `tag_server` fixture).
COMMANDS = ["dry-run", "send"]

CONFIG = b'- name: pinterest\n  config:\n    tagId: "2613336903169"\n'
# The good messages around each case map to events no case produces, so the
# report's by_event shows that they, in particular, got through.
BEFORE = b'{"type":"track","event":"Signed Up"}\n'
AFTER = b'{"type":"track","event":"Video Playback Started"}\n'
NEXT_FILE = b'{"type":"track","event":"Product List Viewed"}\n'

S, K, R = "sent", "skipped", "rejected"


@dataclass(frozen=True)
class Case:
    """One kind of bad input and what must become of it."""

    id: str
    content: bytes | Callable[[], bytes]  # a builder for what is big or binary
    outcomes: tuple[str, ...]  # for each message the content holds
    reason: str | None = None  # part of the reject (else skip) reason
    line: int = 1  # line of the content where that reason is first reported
    framed: bool = True  # BEFORE and AFTER around it; False for whole files
    unsent: str | None = None  # must not appear in dry-run's requests
    bug: str | None = None  # a known bug: the case is expected to fail

    @property
    def content_starts_a_batch(self) -> bool:
        """Whether the reported line is a batch, whose elements carry [i]."""
        content = self.content
        return isinstance(content, bytes) and content.startswith(b'{"batch":[')


def track(event: object = "Custom Thing", **fields) -> bytes:
    return json.dumps({"type": "track", "event": event, **fields}).encode()


def with_properties(properties: object, event: str = "Order Completed") -> bytes:
    return track(event, properties=properties)


def ten_megabyte_line() -> bytes:
    return track(properties={"blob": "a" * 10_000_000, "value": 1})


def ten_megabytes_of_garbage() -> bytes:
    return b"\xfe" * 10_000_000


def nested_arrays(depth: int) -> Callable[[], bytes]:
    def build() -> bytes:
        return b'{"type":"track","event":"Deep","properties":{"x":%s}}' % (
            b"[" * depth + b"]" * depth
        )

    return build


def nested_objects_100k() -> bytes:
    depth = 100_000
    inner = b'{"a":' * depth + b"1" + b"}" * depth
    return b'{"type":"track","event":"Deep","properties":{"x":%s}}' % inner


def distinct_unknown_types() -> bytes:
    return b"\n".join(b'{"type":"kind-%d"}' % i for i in range(1000))


def incompressible(size: int) -> bytes:
    blocks = (hashlib.sha256(b"%d" % i).hexdigest() for i in range(size // 64 + 1))
    return "".join(blocks)[:size].encode()


GOOD_PAIR = BEFORE + AFTER


def gzip_cut_mid_stream() -> bytes:
    """Two complete lines, then half of a long one: the cut is mid-stream."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = packer.compress(GOOD_PAIR) + packer.flush(zlib.Z_FULL_FLUSH)
    long_line = track("Lost", properties={"pad": incompressible(20_000).decode()})
    tail = packer.compress(long_line + b"\n" + BEFORE) + packer.flush()
    return head + tail[: len(tail) // 2]


def gzip_without_trailer() -> bytes:
    return gzip.compress(GOOD_PAIR)[:-8]


def gzip_then_garbage() -> bytes:
    return gzip.compress(GOOD_PAIR) + b"garbage, not gzip\n"


def gzip_then_zero_padding() -> bytes:
    return gzip.compress(GOOD_PAIR) + b"\0" * 512


def gzip_two_members() -> bytes:
    return gzip.compress(GOOD_PAIR) + gzip.compress(GOOD_PAIR)


def gzip_of_nothing() -> bytes:
    return gzip.compress(b"")


CASES = [
    # --- lines that are not JSON ---
    Case("plain-text", b"hello, world", (R,), "not valid JSON"),
    Case("truncated-json", b'{"type":"track","event":"A"', (R,), "not valid JSON"),
    Case("trailing-garbage", track() + b" and more", (R,), "not valid JSON"),
    Case("two-objects-on-one-line", track() + track(), (R,), "not valid JSON"),
    Case("single-quotes", b"{'type': 'track', 'event': 'A'}", (R,), "not valid JSON"),
    Case(
        "invalid-utf8", b'{"type":"track","event":"caf\xe9"}', (R,), "not valid UTF-8"
    ),
    Case(
        "utf8-encoded-surrogate",
        b'{"type":"track","event":"\xed\xa0\x80"}',
        (R,),
        "not valid UTF-8",
    ),
    Case("lone-high-surrogate-escape", track("\ud800"), (R,), "surrogate"),
    Case("lone-low-surrogate-escape", track("a\udc00b"), (R,), "surrogate"),
    Case("raw-nul-in-string", b'{"type":"track","event":"A\x00B"}', (R,), "control"),
    Case("nul-bytes-only", b"\x00\x00\x00", (R,), "not valid JSON"),
    # Files joined with `cat` carry a BOM at the start of a later line.
    Case("bom-in-the-middle", b"\xef\xbb\xbf" + track(), (S,), None),
    Case(
        "bom-inside-a-line",
        b'{"type":"track",\xef\xbb\xbf"event":"A"}',
        (R,),
        "(unexpected character",
    ),
    Case("nan", with_properties({"value": float("nan")}), (R,), "not valid JSON"),
    Case("infinity", with_properties({"value": float("inf")}), (R,), "not valid JSON"),
    Case("ten-megabytes-of-garbage", ten_megabytes_of_garbage, (R,), "not valid UTF-8"),
    Case("nested-100000-arrays", nested_arrays(100_000), (R,), "depth limit exceeded"),
    Case("nested-100000-objects", nested_objects_100k, (R,), "depth limit exceeded"),
    Case(
        "number-beyond-double-range",
        b'{"type":"track","event":"Order Completed","properties":'
        b'{"order_id":"o-1","debug":1e400}}',
        (S,),
    ),
    Case(
        "four-hundred-digit-integer",
        b'{"type":"track","event":"Order Completed","properties":'
        b'{"order_id":"o-1","debug":' + b"9" * 400 + b"}}",
        (S,),
    ),
    # --- JSON that is not an object ---
    Case("array", b"[" + track() + b"]", (R,), "a JSON array, not an object"),
    Case("string", b'"track"', (R,), "a JSON string, not an object"),
    Case("number", b"42", (R,), "a JSON number, not an object"),
    Case("boolean", b"true", (R,), "a JSON boolean, not an object"),
    Case("null", b"null", (R,), "JSON null, not an object"),
    Case("empty-object", b"{}", (R,), "message has no type"),
    Case("blank-and-whitespace-lines", b"\n   \n\t\r\n", ()),
    # --- wrappers ---
    Case(
        "batch-with-bad-elements",
        b'{"batch":[1,' + track() + b",null]}",
        (R, S, R),
        "batch element 0 is a number, not an object",
    ),
    Case("batch-not-an-array", b'{"batch":"x"}', (R,), "batch is a string, not an"),
    Case("batch-an-object", b'{"batch":{"type":"track"}}', (R,), "batch is an object"),
    Case("empty-batch", b'{"batch":[]}', ()),
    Case("envelope-obj-not-an-object", b'{"obj":5}', (R,), "message has no type"),
    # --- type ---
    Case("type-missing", b'{"event":"A"}', (R,), "message has no type"),
    Case("type-null", b'{"type":null,"event":"A"}', (R,), "message has no type"),
    Case("type-number", b'{"type":7}', (R,), "type is a number, not a string"),
    Case("type-object", b'{"type":{"a":1}}', (R,), "type is an object, not a string"),
    Case("type-empty", b'{"type":"  "}', (R,), "type is empty"),
    Case("type-unknown", b'{"type":"bogus"}', (K,), "type 'bogus' is not supported"),
    Case(
        "type-very-long",
        b'{"type":"' + b"x" * 100_000 + b'"}',
        (K,),
        "type '" + "x" * 39 + "\u2026' is not supported",
    ),
    Case(
        "thousand-distinct-types-pool-their-reasons",
        distinct_unknown_types,
        (K,) * 1000,
        "other reasons",
    ),
    Case("duplicate-type-keys", b'{"type":"page","type":"track","event":"A"}', (S,)),
    Case("duplicate-event-keys", b'{"type":"track","event":"A","event":"B"}', (S,)),
    # --- event ---
    Case("event-missing", b'{"type":"track"}', (R,), "track message has no event name"),
    Case("event-null", track(None), (R,), "track message has no event name"),
    Case("event-empty", track(""), (R,), "track event name is empty"),
    Case("event-whitespace", track(" \t "), (R,), "track event name is empty"),
    Case("event-number", track(3), (R,), "track event name is a number"),
    Case("event-object", track({"a": 1}), (R,), "track event name is an object"),
    Case("event-array", track(["a"]), (R,), "track event name is an array"),
    Case("event-boolean", track(True), (R,), "track event name is a boolean"),
    Case("event-with-escaped-nul", track("A\u0000B"), (S,)),
    Case("event-very-long", track("E" * 1_000_000), (S,)),
    # --- properties and products ---
    Case(
        "properties-string",
        with_properties("x"),
        (R,),
        "properties is a string, not an object",
    ),
    Case(
        "properties-array",
        with_properties([1]),
        (R,),
        "properties is an array, not an object",
    ),
    Case(
        "properties-number",
        with_properties(5),
        (R,),
        "properties is a number, not an object",
    ),
    Case(
        "page-properties-array",
        b'{"type":"page","properties":[]}',
        (R,),
        "properties is an array",
    ),
    Case("properties-null", with_properties(None), (S,)),
    Case(
        "products-string",
        with_properties({"products": "p-1"}),
        (S,),
        unsent="line_items",
    ),
    Case(
        "products-object",
        with_properties({"products": {"product_id": "p-1"}}),
        (S,),
        unsent="line_items",
    ),
    Case(
        "product-entries-of-the-wrong-type",
        with_properties({"products": [1, "p", None, [], True]}),
        (S,),
        unsent="line_items",
    ),
    Case(
        "quantities-and-prices-as-strings",
        with_properties({"products": [{"sku": "a", "quantity": "2", "price": "9.5"}]}),
        (S,),
    ),
    Case(
        "negative-and-fractional-quantities",
        with_properties({"products": [{"sku": "a", "quantity": -1.5, "price": -3}]}),
        (S,),
    ),
    Case(
        "prices-that-are-not-numbers",
        with_properties({"products": [{"sku": "a", "price": "free", "quantity": {}}]}),
        (S,),
        unsent="product_price",
    ),
    Case(
        "revenue-nan-string",
        with_properties({"revenue": "NaN", "total": "Infinity"}),
        (S,),
        unsent="ed[value]",
    ),
    Case(
        "property-nesting-500-deep",
        with_properties({"deep": json.loads("[" * 500 + "]" * 500)}, "Custom"),
        (S,),
    ),
    Case(
        "ten-megabyte-line",
        ten_megabyte_line,
        (S,),
    ),
    Case(
        "property-keys-that-are-brackets-and-empty",
        with_properties({"": 1, "]": 2, "a][b": 3, "[": {"": ""}}, "Custom"),
        (S,),
    ),
    # --- emails ---
    Case("email-a-number", with_properties({"email": 12345}), (S,), unsent="pd[em]"),
    Case(
        "email-a-list",
        with_properties({"email": ["a@example.com"]}),
        (S,),
        unsent="pd[em]",
    ),
    Case(
        "email-not-an-email",
        with_properties({"email": "not an email"}),
        (S,),
        unsent="pd[em]",
    ),
    Case(
        "traits-email-an-object",
        track(context={"traits": {"email": {"a": "b@example.com"}}}),
        (S,),
        unsent="pd[em]",
    ),
    Case(
        "event-name-holds-an-email",
        track("Contact a@example.com"),
        (R,),
        "event name contains an email address",
    ),
    # --- timestamps ---
    Case("timestamp-garbage", track(timestamp="yesterday-ish"), (S,)),
    Case("timestamp-year-293", track(timestamp="0293-01-01T00:00:00Z"), (S,)),
    Case("timestamp-a-huge-number", track(timestamp=10**30), (S,)),
    Case("timestamp-an-object", track(timestamp={"at": 1}), (S,)),
    # --- whole files ---
    Case(
        "gzip-cut-mid-stream",
        gzip_cut_mid_stream,
        (S, S, R),
        "gzip stream is corrupt or cut off after line 2",
        line=3,
        framed=False,
    ),
    Case(
        "gzip-without-its-trailer",
        gzip_without_trailer,
        (S, S, R),
        "gzip stream is corrupt or cut off after line 2",
        line=3,
        framed=False,
    ),
    Case(
        "gzip-followed-by-garbage",
        gzip_then_garbage,
        (S, S, R),
        "gzip stream is corrupt or cut off after line 2",
        line=3,
        framed=False,
    ),
    Case("gzip-zero-padded", gzip_then_zero_padding, (S, S), framed=False),
    Case("gzip-two-members", gzip_two_members, (S, S, S, S), framed=False),
    Case(
        "gzip-magic-only",
        b"\x1f\x8b",
        (R,),
        "gzip stream is corrupt or cut off at the start",
        framed=False,
    ),
    Case("gzip-of-nothing", gzip_of_nothing, (), framed=False),
    Case("empty-file", b"", (), framed=False),
    Case("bom-only", b"\xef\xbb\xbf", (), framed=False),
]


def case_params(cases: list[Case]) -> list:
    params = []
    for case in cases:
        marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


def invoke(command: str, *args: str):
    return CliRunner().invoke(
        cli, [command, *args], prog_name="pintag", catch_exceptions=False
    )


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory with integrations.yaml, so names in messages are short."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PINTAG_CONFIG", raising=False)
    (tmp_path / "integrations.yaml").write_bytes(CONFIG)
    return tmp_path


@pytest.fixture
def tag_server(command):
    """For `send`: a Tag endpoint on 127.0.0.1 that answers 200 to everything."""
    if command != "send":
        yield None
        return
    with AcceptingTagServer() as server:
        yield server


def test_corpus_has_at_least_forty_kinds_of_bad_input():
    assert len(CASES) + len(FATAL_CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", case_params(CASES))
def test_bad_message_is_accounted_for_and_the_run_goes_on(
    workdir, command, case, tag_server
):
    content = case.content() if callable(case.content) else case.content
    if case.framed:
        content = BEFORE + content + b"\n" + AFTER
    (workdir / "hostile.jsonl").write_bytes(content)
    (workdir / "next.jsonl").write_bytes(NEXT_FILE)
    send_flags = []
    if tag_server is not None:
        send_flags = ["--endpoint", tag_server.url, "--checkpoint", "run.json"]
        send_flags += ["--concurrency", "2"]

    result = invoke(
        command,
        "hostile.jsonl",
        "next.jsonl",
        "--report",
        "report.json",
        "--dead-letter",
        "dead.jsonl",
        *send_flags,
    )

    report = json.loads((workdir / "report.json").read_text())
    assert "Traceback" not in result.output
    assert "pintag: error:" not in result.stderr
    assert result.exit_code == (3 if R in case.outcomes else 0)

    framing = 2 if case.framed else 0
    expected = {outcome: case.outcomes.count(outcome) for outcome in (S, K, R)}
    expected[S] += framing + 1
    assert report["read"] == len(case.outcomes) + framing + 1
    assert report["read"] == sum(report[key] for key in (S, K, R, "failed"))
    assert {key: report[key] for key in (S, K, R)} == expected
    assert report["by_event"].get("viewcategory") == 1  # the next file went out
    if case.framed:
        assert report["by_event"].get("signup") == 1
        assert report["by_event"].get("watchvideo") == 1
    dead = (workdir / "dead.jsonl").read_bytes()
    assert dead.count(b"\n") == report[R]

    if case.reason is not None:
        assert_reason_reported(case, report, result.stderr)
    if command == "dry-run":
        assert_requests_printed(case, result.stdout)
    else:
        assert_requests_received(case, tag_server)


def assert_reason_reported(case: Case, report: dict, stderr: str) -> None:
    if R in case.outcomes:
        reasons = report["reject_reasons"]
        matching = [reason for reason in reasons if case.reason in reason]
        assert matching, f"no reject reason holds {case.reason!r}: {list(reasons)}"
        where = f"hostile.jsonl:{case.line + (1 if case.framed else 0)}"
        if case.content_starts_a_batch:
            where += "[0]"  # the first element of that line's batch
        assert reasons[matching[0]]["first"] == where
        assert f"(first at {where})" in stderr
    else:
        reasons = report["skip_reasons"]
        assert any(case.reason in reason for reason in reasons), list(reasons)
    assert case.reason in stderr


def assert_requests_printed(case: Case, stdout: str) -> None:
    requests = [json.loads(line) for line in stdout.splitlines()]
    assert len(requests) == case.outcomes.count(S) + (2 if case.framed else 0) + 1
    assert requests[-1]["event"] == "viewcategory"
    if case.framed:
        assert requests[0]["event"] == "signup"
        assert requests[-2]["event"] == "watchvideo"
    if case.unsent is not None:
        assert case.unsent not in stdout


def assert_requests_received(case: Case, server: TagServer) -> None:
    requests = [request.params for request in server.requests]
    assert len(requests) == case.outcomes.count(S) + (2 if case.framed else 0) + 1
    events = [params["event"] for params in requests]
    assert "viewcategory" in events
    if case.framed:
        assert {"signup", "watchvideo"} <= set(events)
    if case.unsent is not None:
        assert not any(case.unsent in key for params in requests for key in params)


# --- inputs and configurations that stop the run ----------------------------


@dataclass(frozen=True)
class FatalCase:
    """An input or configuration that cannot be used: exit 1, one message."""

    id: str
    setup: Callable[[Path], list[str]]  # prepares workdir, returns the arguments
    error: str  # the whole message after "pintag: error: "
    needs_permissions: bool = False


def events_file(workdir: Path) -> str:
    (workdir / "events.jsonl").write_bytes(BEFORE)
    return "events.jsonl"


def missing_file(workdir: Path) -> list[str]:
    return [events_file(workdir), "missing.jsonl"]


def folder(workdir: Path) -> list[str]:
    (workdir / "exports").mkdir()
    return ["exports"]


def file_as_folder(workdir: Path) -> list[str]:
    return [events_file(workdir) + "/part-1.jsonl"]


def unreadable_file(workdir: Path) -> list[str]:
    secret = workdir / "secret.jsonl"
    secret.write_bytes(BEFORE)
    secret.chmod(0)
    return [events_file(workdir), "secret.jsonl"]


def with_config(text: bytes) -> Callable[[Path], list[str]]:
    def setup(workdir: Path) -> list[str]:
        (workdir / "integrations.yaml").write_bytes(text)
        return [events_file(workdir)]

    return setup


def config_folder(workdir: Path) -> list[str]:
    (workdir / "integrations.yaml").unlink()
    (workdir / "integrations.yaml").mkdir()
    return [events_file(workdir)]


HEAD = b"- name: pinterest\n  config:\n"
EMPTY = (
    "integrations.yaml: the file is empty; it must be a YAML list of destinations, "
    "starting with '- name: pinterest'"
)
SETTINGS = (
    "tagId, handleCustomAsPartnerDefinedEvent, valueFieldIdentifier, "
    "customEventsMapping, customPropertiesForStandardEvents, adAccountId, "
    "actionSource, sendExternalId"
)

FATAL_CASES = [
    FatalCase(
        "missing-file", missing_file, "missing.jsonl: no such file; check the path"
    ),
    FatalCase(
        "folder",
        folder,
        "exports: is a directory, not a file; pass the files inside it",
    ),
    FatalCase(
        "file-used-as-folder",
        file_as_folder,
        "events.jsonl/part-1.jsonl: no such file (a part of the path is a file, "
        "not a folder)",
    ),
    FatalCase(
        "unreadable-file",
        unreadable_file,
        "secret.jsonl: permission denied; check that you may read it",
        needs_permissions=True,
    ),
    FatalCase("config-empty", with_config(b""), EMPTY),
    FatalCase("config-only-a-comment", with_config(b"# nothing yet\n"), EMPTY),
    FatalCase(
        "config-not-a-list",
        with_config(b'name: pinterest\ntagId: "1"\n'),
        "integrations.yaml:1: the file must be a YAML list of destinations, not a "
        "mapping; start each destination with '- name: ...'",
    ),
    FatalCase(
        "config-a-plain-string",
        with_config(b"hello\n"),
        "integrations.yaml:1: the file must be a YAML list of destinations, not "
        "the string 'hello'; start each destination with '- name: ...'",
    ),
    FatalCase(
        "config-list-of-numbers",
        with_config(b"- 5\n"),
        "integrations.yaml:1: each destination must be a mapping, not the number "
        "5; start it with '- name: ...'",
    ),
    FatalCase(
        "config-tab-indented",
        with_config(HEAD + b'\ttagId: "1"\n'),
        "integrations.yaml:3: YAML syntax error: found character '\\t' that cannot "
        "start any token (indent with spaces, not tabs)",
    ),
    FatalCase(
        "config-duplicate-keys",
        with_config(HEAD + b'    tagId: "1"\n    tagId: "2"\n'),
        "integrations.yaml:4: duplicate key 'tagId' in destination 'pinterest' "
        "(first on line 3); keep only one",
    ),
    FatalCase(
        "config-tag-id-not-digits",
        with_config(HEAD + b'    tagId: "12a"\n'),
        "integrations.yaml:3: 'tagId' in destination 'pinterest' must be digits "
        "only, not the string '12a'; copy the number from Pinterest Ads Manager",
    ),
    FatalCase(
        "config-tag-id-negative",
        with_config(HEAD + b"    tagId: -1\n"),
        "integrations.yaml:3: 'tagId' in destination 'pinterest' must be digits "
        "only, not the number -1; copy the number from Pinterest Ads Manager",
    ),
    FatalCase(
        "config-unknown-key",
        with_config(HEAD + b'    tagId: "1"\n    colour: red\n'),
        "integrations.yaml:4: unknown key 'colour' in destination 'pinterest'; "
        f"valid keys are {SETTINGS}",
    ),
    FatalCase(
        "config-misspelt-key",
        with_config(HEAD + b'    tagId: "1"\n    valueFieldIdentifer: price\n'),
        "integrations.yaml:4: unknown key 'valueFieldIdentifer' in destination "
        "'pinterest' (did you mean 'valueFieldIdentifier'?)",
    ),
    FatalCase(
        "config-tag-id-missing",
        with_config(HEAD + b"    handleCustomAsPartnerDefinedEvent: true\n"),
        "integrations.yaml:1: destination 'pinterest' has no 'tagId'; add your "
        'Pinterest Tag id, e.g. tagId: "2612826764086"',
    ),
    FatalCase(
        "config-broken-flow-syntax",
        with_config(b"- name: pinterest\n  config: {tagId: [1}\n"),
        "integrations.yaml:2: YAML syntax error: expected ',' or ']', but got '}'",
    ),
    FatalCase(
        "config-not-utf8",
        with_config(b'- name: pinterest\n  tagId: "\xff"\n'),
        "integrations.yaml: not UTF-8 text (invalid start byte)",
    ),
    FatalCase(
        "config-control-character",
        with_config(b'- name: pinterest\n  tagId: "1\x01"\n'),
        "integrations.yaml:2: YAML syntax error: special characters are not allowed",
    ),
    FatalCase(
        "config-holds-a-token",
        with_config(b'- name: pinterest\n  tagId: "1"\n  apiToken: x\n'),
        "integrations.yaml:3: 'apiToken' in destination 'pinterest': tokens are not "
        "read from the configuration file; set PINTEREST_CONVERSION_TOKEN or use "
        "--token-file",
    ),
    FatalCase(
        "config-destination-twice",
        with_config(
            b'- name: pinterest\n  tagId: "1"\n- name: Pinterest\n  tagId: 2\n'
        ),
        "integrations.yaml:3: destination 'pinterest' appears more than once "
        "(lines 1 and 3); keep only one",
    ),
    FatalCase(
        "config-self-referencing-alias",
        with_config(b"- &loop [*loop]\n"),
        "integrations.yaml:1: each destination must be a mapping, not a list; start "
        "it with '- name: ...'",
    ),
    FatalCase(
        "config-is-a-folder",
        config_folder,
        "integrations.yaml: cannot read it (Is a directory); pass --config PATH or "
        "set PINTAG_CONFIG",
    ),
]


def fatal_params() -> list:
    params = []
    for case in FATAL_CASES:
        marks = []
        if case.needs_permissions:
            root = hasattr(os, "geteuid") and os.geteuid() == 0
            reason = "file permissions do not apply to root"
            marks.append(pytest.mark.skipif(root, reason=reason))
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", fatal_params())
def test_unusable_input_or_configuration_stops_with_one_message(workdir, command, case):
    args = case.setup(workdir)

    result = invoke(command, *args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"pintag: error: {case.error}\n"
    assert "Traceback" not in result.output


# --- what reaches the terminal ----------------------------------------------


def test_escape_sequences_in_input_never_reach_stderr_raw(workdir):
    (workdir / "hostile.jsonl").write_bytes(
        b'{"type":"track","event":"\\u001b]0;owned\\u0007Title\\u001b[2J"}\n'
        b'{"type":"\\u001b[31mred\\u001b[0m","event":"E"}\n'
    )

    result = invoke("dry-run", "hostile.jsonl", "--explain")

    assert result.exit_code == 0
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr


def test_newlines_in_input_cannot_forge_explanation_lines(workdir):
    (workdir / "hostile.jsonl").write_bytes(
        b'{"type":"track","event":"Evil\\nhostile.jsonl:9 \'Forged\' -> checkout"}\n'
        b'{"type":"track\\r\\n","event":"Fine"}\n'
    )

    result = invoke("dry-run", "hostile.jsonl", "--explain")

    lines = result.stderr.splitlines()
    assert lines[2] == "2 messages read"
    assert not any(line.startswith("hostile.jsonl:9") for line in lines)
