"""`pintag dry-run` end to end: files in, requests on stdout, the rest on stderr."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from click.testing import CliRunner

from pinterest_cli.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PINTAG = [sys.executable, "-m", "pinterest_cli"]
TAG_URL = "https://ct.pinterest.com/v3/?"

# The configuration of the contract's worked example (§6).
TAG_CONFIG = """\
- name: pinterest
  config:
    tagId: "2613336903169"
"""
PARTNER_CONFIG = TAG_CONFIG + "    handleCustomAsPartnerDefinedEvent: true\n"
WORKED_EXAMPLE = (
    '{"tid": "2613336903169", "event": "custom", "ed[checkout_id]": "39f3", '
    '"ed[custom_event_name]": "PaymentInfoEntered", "noscript": 1}\n'
)
REPORT_KEYS = {
    "read",
    "sent",
    "skipped",
    "rejected",
    "failed",
    "by_event",
    "skip_reasons",
    "reject_reasons",
}


def track(event: str, **properties) -> bytes:
    """One NDJSON line holding a track message."""
    message = {"type": "track", "event": event, "properties": properties}
    return json.dumps(message).encode() + b"\n"


def dry_run(*args: str, stdin: bytes | None = None, env: dict | None = None):
    """Run `pintag dry-run ARGS` in-process; stdout and stderr come apart."""
    runner = CliRunner()
    return runner.invoke(
        cli, ["dry-run", *args], input=stdin, env=env, catch_exceptions=False
    )


def run_pintag(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run pintag as a real process, for pipes and the terminal."""
    return subprocess.run([*PINTAG, *args], capture_output=True, **kwargs)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def read_report(path: Path) -> dict:
    return json.loads(path.read_text())


def assert_counts_add_up(report: dict) -> None:
    parts = ("sent", "skipped", "rejected", "failed")
    assert report["read"] == sum(report[part] for part in parts)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A fresh working directory holding the worked example's integrations.yaml."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PINTAG_CONFIG", raising=False)
    (tmp_path / "integrations.yaml").write_text(TAG_CONFIG)
    return tmp_path


@pytest.fixture
def sample(workdir):
    """The bundled sample export and configuration, copied to the working dir."""
    shutil.copy(ROOT / "sample_events.jsonl", workdir)
    shutil.copy(ROOT / "integrations.yaml", workdir)
    return workdir


# --- the bundled sample -----------------------------------------------------


def test_bundled_sample_prints_one_json_object_per_request(sample):
    result = dry_run("sample_events.jsonl", "--report", "report.json")

    assert result.exit_code == 0
    requests = json_lines(result.stdout)
    report = read_report(sample / "report.json")
    assert len(requests) == report["sent"] == 30
    assert all(r["tid"] == "2612826764086" and r["noscript"] == 1 for r in requests)
    event_ids = [request.get("ed[event_id]") for request in requests]
    assert event_ids[:3] == ["msg-001", "msg-002", "msg-003"]


def test_bundled_sample_summary_goes_to_stderr(sample):
    result = dry_run("sample_events.jsonl")

    lines = result.stderr.splitlines()
    assert lines[0] == "34 messages read"
    assert lines[1].startswith("  would send       30  (pagevisit 9, search 4, ")
    assert "  skipped           4" in lines
    assert "  rejected          0" in lines
    assert "  failed            0" in lines
    assert "messages read" not in result.stdout


def test_bundled_sample_report_counts_add_up_to_messages_read(sample):
    result = dry_run("sample_events.jsonl", "--report", "report.json")

    report = read_report(sample / "report.json")
    assert result.exit_code == 0
    assert report.keys() >= REPORT_KEYS
    assert report["read"] == 34  # msg-001 to msg-034, three of them in one batch
    assert_counts_add_up(report)
    assert sum(report["by_event"].values()) == report["sent"]
    assert sum(report["skip_reasons"].values()) == report["skipped"]
    assert report["command"] == "dry-run"
    assert report["files"] == ["sample_events.jsonl"]


# --- the contract's worked example (§6) -------------------------------------


def test_worked_example_prints_exactly_the_contract_request(workdir):
    (workdir / "events.jsonl").write_bytes(
        track("Payment Info Entered", checkout_id="39f3")
    )

    result = dry_run("events.jsonl")

    assert result.exit_code == 0
    assert result.stdout == WORKED_EXAMPLE


def test_partner_defined_events_send_the_concatenated_name_as_event(workdir):
    (workdir / "integrations.yaml").write_text(PARTNER_CONFIG)
    (workdir / "events.jsonl").write_bytes(
        track("Payment Info Entered", checkout_id="39f3")
    )

    result = dry_run("events.jsonl")

    assert result.stdout == (
        '{"tid": "2613336903169", "event": "PaymentInfoEntered", '
        '"ed[checkout_id]": "39f3", "noscript": 1}\n'
    )


# --- output formats ---------------------------------------------------------


def test_url_format_prints_full_urls_that_decode_to_the_ndjson_parameters(sample):
    as_json = json_lines(dry_run("sample_events.jsonl").stdout)

    result = dry_run("sample_events.jsonl", "--format", "url")

    urls = result.stdout.splitlines()
    assert result.exit_code == 0
    assert len(urls) == len(as_json) == 30
    for url, params in zip(urls, as_json, strict=True):
        assert url.startswith(TAG_URL)
        query = urlsplit(url).query
        decoded = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        expected = [(key, wire_text(value)) for key, value in params.items()]
        assert decoded == expected


def wire_text(value) -> str:
    """How §6 writes a parameter value into the query string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_url_format_encodes_brackets_spaces_and_non_ascii(workdir):
    (workdir / "events.jsonl").write_bytes(track("Café Visit", note="a b&c=d"))

    result = dry_run("events.jsonl", "--format", "url")

    url = result.stdout.strip()
    assert url == (
        TAG_URL + "tid=2613336903169&event=custom&ed%5Bnote%5D=a%20b%26c%3Dd"
        "&ed%5Bcustom_event_name%5D=Caf%C3%A9Visit&noscript=1"
    )


def test_endpoint_option_changes_the_url_base(workdir):
    (workdir / "events.jsonl").write_bytes(track("Signed Up"))

    result = dry_run(
        "events.jsonl", "--format", "url", "--endpoint", "http://127.0.0.1:9/v3/"
    )

    assert result.stdout == (
        "http://127.0.0.1:9/v3/?tid=2613336903169&event=signup&noscript=1\n"
    )


def test_table_format_prints_a_header_and_one_row_per_request(sample):
    result = dry_run("sample_events.jsonl", "--format", "table")

    header, *rows = result.stdout.splitlines()
    assert result.exit_code == 0
    assert header.split() == ["SOURCE", "EVENT", "VALUE", "EM", "EVENT", "DATA"]
    assert len(rows) == 30
    first = rows[0].split()
    assert first[:3] == ["sample_events.jsonl:1", "search", "search_query=blue"]
    checkout = next(row for row in rows if row.startswith("sample_events.jsonl:12 "))
    assert checkout.split()[1:4] == ["checkout", "237.9", "yes"]


def test_table_format_shows_line_item_keys_with_their_brackets(sample):
    result = dry_run("sample_events.jsonl", "--format", "table")

    row = result.stdout.splitlines()[3]  # sample line 3: Product List Viewed
    assert "line_items[0][product_name]=Trail Boot" in row
    assert "line_items][0]" not in result.stdout


def test_table_format_keeps_one_line_per_request_when_values_hold_newlines(workdir):
    (workdir / "events.jsonl").write_bytes(
        track("Order Completed", order_id="a\nb", revenue=1)
        + track("Coupon Applied", note="first\r\nsecond")
    )

    result = dry_run("events.jsonl", "--format", "table")

    assert len(result.stdout.splitlines()) == 1 + 2


def test_bad_format_is_a_usage_error(workdir):
    result = dry_run("--format", "xml")

    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr
    assert "'xml' is not one of 'ndjson', 'url', 'table'" in result.stderr
    assert result.stdout == ""


def test_unknown_option_is_a_usage_error(workdir):
    result = dry_run("--no-such-option")

    assert result.exit_code == 2
    assert "No such option '--no-such-option'" in result.stderr
    assert result.stdout == ""


# --- --explain --------------------------------------------------------------


def three_line_export(workdir: Path) -> None:
    (workdir / "events.jsonl").write_bytes(
        track("Signed Up")
        + b'{"type":"identify","userId":"u-1"}\n'
        + track("Order Completed", revenue=12.5, currency="USD")
    )


def test_explain_says_on_stderr_why_each_message_maps(workdir):
    three_line_export(workdir)

    result = dry_run("events.jsonl", "--explain")

    explanations = result.stderr.splitlines()[:3]
    assert explanations == [
        "events.jsonl:1 'Signed Up' -> signup (standard map); "
        "no value (no value, revenue or total property)",
        "events.jsonl:2 'identify' -> skipped: identify sends nothing",
        "events.jsonl:3 'Order Completed' -> checkout (standard map); "
        "value from revenue",
    ]


def test_explain_leaves_stdout_unchanged(workdir):
    three_line_export(workdir)

    plain = dry_run("events.jsonl")
    explained = dry_run("events.jsonl", "--explain")

    assert explained.stdout == plain.stdout
    assert len(plain.stdout.splitlines()) == 2


def test_explain_names_the_custom_mapping_that_matched(workdir):
    (workdir / "integrations.yaml").write_text(
        TAG_CONFIG
        + "    customEventsMapping:\n"
        + "      - event: Trial Started\n"
        + "        mapping: lead\n"
    )
    (workdir / "events.jsonl").write_bytes(track("trial started", value=3))

    result = dry_run("events.jsonl", "--explain")

    assert result.stderr.splitlines()[0] == (
        "events.jsonl:1 'trial started' -> lead "
        "(custom mapping at integrations.yaml:5); value from value"
    )


def test_explain_names_the_event_of_a_track_type_written_in_capitals(workdir):
    (workdir / "events.jsonl").write_bytes(
        b'{"type":"TRACK","event":"Order Completed","properties":{"total":5}}\n'
    )

    result = dry_run("events.jsonl", "--explain")

    assert result.stderr.splitlines()[0] == (
        "events.jsonl:1 'Order Completed' -> checkout (standard map); value from total"
    )


# --- inputs -----------------------------------------------------------------


def test_several_files_keep_their_own_line_numbers(workdir):
    (workdir / "a.jsonl").write_bytes(track("Signed Up") + b"not json\n")
    (workdir / "b.jsonl").write_bytes(
        gzip.compress(b"\n\n" + track("Order Completed", total=5) + b"[]\n")
    )

    result = dry_run("a.jsonl", "b.jsonl", "--explain", "--report", "report.json")

    report = read_report(workdir / "report.json")
    assert result.exit_code == 3
    assert [line.split(" ")[0] for line in result.stderr.splitlines()[:4]] == [
        "a.jsonl:1",
        "a.jsonl:2",
        "b.jsonl:3",
        "b.jsonl:4",
    ]
    firsts = {reason["first"] for reason in report["reject_reasons"].values()}
    assert firsts == {"a.jsonl:2", "b.jsonl:4"}
    assert report["files"] == ["a.jsonl", "b.jsonl"]
    assert (report["read"], report["sent"], report["rejected"]) == (4, 2, 2)


def test_gzip_input_is_detected_from_the_bytes_even_when_named_jsonl(workdir):
    (workdir / "export.jsonl").write_bytes(
        gzip.compress(track("Signed Up") + track("Product Added", price=2))
    )

    result = dry_run("export.jsonl")

    assert result.exit_code == 0
    assert [r["event"] for r in json_lines(result.stdout)] == ["signup", "addtocart"]


@pytest.mark.parametrize("args", [[], ["-"]], ids=["no-argument", "dash"])
def test_standard_input_is_read_without_files_or_with_a_dash(workdir, args):
    result = dry_run(*args, "--explain", stdin=track("Signed Up") + b"{oops\n")

    assert result.exit_code == 3
    assert [r["event"] for r in json_lines(result.stdout)] == ["signup"]
    assert result.stderr.splitlines()[1].startswith("<stdin>:2 -> rejected: ")


def test_gzip_piped_into_a_real_process_is_decompressed(workdir):
    data = gzip.compress(track("Signed Up") + b"[1]\n" + track("Lead Captured"))

    done = run_pintag("dry-run", "-", "--report", "report.json", input=data)

    report = read_report(workdir / "report.json")
    assert done.returncode == 3
    assert [r["event"] for r in json_lines(done.stdout.decode())] == [
        "signup",
        "custom",
    ]
    assert [r["first"] for r in report["reject_reasons"].values()] == ["<stdin>:2"]


def test_reading_standard_input_twice_is_a_usage_error(workdir):
    result = dry_run("-", "-", stdin=b"")

    assert result.exit_code == 2
    assert "Error: standard input (-) can be read only once\n" in result.stderr
    assert "unexpected" not in result.stderr


# --- the dead-letter file ---------------------------------------------------


def rejects_export(workdir: Path) -> None:
    (workdir / "events.jsonl").write_bytes(
        track("Signed Up")
        + b'{"type":"track","event":""}\n'
        + b'{"event":"Order Completed"}\n'
        + track("Lead Captured")
        + b'{"type":"page","properties":[1]}\n'
    )


def test_dead_letter_file_gets_each_rejected_message_with_its_reason(workdir):
    rejects_export(workdir)

    result = dry_run("events.jsonl", "--dead-letter", "dead.jsonl")

    entries = json_lines((workdir / "dead.jsonl").read_text())
    assert result.exit_code == 3
    assert [entry["pintag"] for entry in entries] == [
        {
            "outcome": "rejected",
            "error": "track event name is empty",
            "source": "events.jsonl",
            "line": 2,
        },
        {
            "outcome": "rejected",
            "error": "message has no type",
            "source": "events.jsonl",
            "line": 3,
        },
        {
            "outcome": "rejected",
            "error": "properties is an array, not an object",
            "source": "events.jsonl",
            "line": 5,
        },
    ]
    assert entries[1]["obj"] == {"event": "Order Completed"}


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_dead_letter_file_is_readable_by_its_owner_only(workdir):
    rejects_export(workdir)
    existing = workdir / "dead.jsonl"
    existing.write_text("old\n")
    existing.chmod(0o644)

    dry_run("events.jsonl", "--dead-letter", "dead.jsonl")

    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert "old" not in existing.read_text()


def test_refed_dead_letters_are_rejected_again_for_the_same_reasons(workdir):
    rejects_export(workdir)
    dry_run("events.jsonl", "--dead-letter", "dead.jsonl")

    result = dry_run("dead.jsonl", "--dead-letter", "again.jsonl")

    first = json_lines((workdir / "dead.jsonl").read_text())
    again = json_lines((workdir / "again.jsonl").read_text())
    assert result.exit_code == 3
    assert result.stdout == ""
    assert [e["pintag"]["error"] for e in again] == [
        e["pintag"]["error"] for e in first
    ]
    assert [e["obj"] for e in again] == [e["obj"] for e in first]


def test_refed_dead_letters_of_unparsable_lines_keep_their_reasons(workdir):
    (workdir / "events.jsonl").write_bytes(b'not json\n[1, 2]\n"text"\n')
    dry_run("events.jsonl", "--dead-letter", "dead.jsonl")

    dry_run("dead.jsonl", "--dead-letter", "again.jsonl")

    first = json_lines((workdir / "dead.jsonl").read_text())
    again = json_lines((workdir / "again.jsonl").read_text())
    assert [e["pintag"]["error"] for e in again] == [
        e["pintag"]["error"] for e in first
    ]


def test_dead_letter_of_a_bad_batch_element_holds_only_that_element(workdir):
    good = {"type": "track", "event": "Signed Up", "messageId": "good-1"}
    line = json.dumps({"batch": [good, 7]}).encode() + b"\n"
    (workdir / "events.jsonl").write_bytes(line)

    result = dry_run("events.jsonl", "--dead-letter", "dead.jsonl")

    dead = (workdir / "dead.jsonl").read_text()
    assert len(json_lines(result.stdout)) == 1
    assert "good-1" not in dead


# --- configuration ----------------------------------------------------------


def write_config(path: Path, tag_id: str, name: str = "pinterest") -> None:
    path.write_text(f'- name: {name}\n  config:\n    tagId: "{tag_id}"\n')


def tag_ids(result) -> set[str]:
    return {request["tid"] for request in json_lines(result.stdout)}


@pytest.fixture
def one_event(workdir):
    (workdir / "events.jsonl").write_bytes(track("Signed Up"))
    write_config(workdir / "integrations.yaml", "111")
    write_config(workdir / "from-env.yaml", "222")
    write_config(workdir / "from-option.yaml", "333")
    return workdir


def test_configuration_defaults_to_integrations_yaml_in_the_working_dir(one_event):
    assert tag_ids(dry_run("events.jsonl")) == {"111"}


def test_configuration_comes_from_pintag_config(one_event):
    result = dry_run("events.jsonl", env={"PINTAG_CONFIG": "from-env.yaml"})

    assert tag_ids(result) == {"222"}


def test_empty_pintag_config_counts_as_unset(one_event):
    assert tag_ids(dry_run("events.jsonl", env={"PINTAG_CONFIG": ""})) == {"111"}


def test_config_option_beats_pintag_config(one_event):
    result = dry_run(
        "events.jsonl",
        "--config",
        "from-option.yaml",
        env={"PINTAG_CONFIG": "from-env.yaml"},
    )

    assert tag_ids(result) == {"333"}


def test_destination_option_picks_another_entry(one_event):
    config = one_event / "integrations.yaml"
    config.write_text(
        config.read_text() + '- name: Pinterest-EU\n  config:\n    tagId: "444"\n'
    )

    result = dry_run("events.jsonl", "--destination", "pinterest-eu")

    assert tag_ids(result) == {"444"}


def test_missing_default_configuration_says_how_to_give_one(workdir):
    (workdir / "integrations.yaml").unlink()
    (workdir / "events.jsonl").write_bytes(track("Signed Up"))

    result = dry_run("events.jsonl")

    assert result.exit_code == 1
    assert result.stderr == (
        "pintag: error: integrations.yaml: no such file; "
        "pass --config PATH or set PINTAG_CONFIG\n"
    )


def test_bad_configuration_exits_1_naming_file_line_and_key(workdir):
    (workdir / "integrations.yaml").write_text(TAG_CONFIG + "    tagID: '1'\n")
    (workdir / "events.jsonl").write_bytes(track("Signed Up"))

    result = dry_run("events.jsonl")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "pintag: error: integrations.yaml:4: unknown key 'tagID' in destination "
        "'pinterest' (did you mean 'tagId'?)\n"
    )


# --- exit codes -------------------------------------------------------------


def test_clean_run_exits_0(workdir):
    (workdir / "events.jsonl").write_bytes(track("Signed Up"))

    assert dry_run("events.jsonl").exit_code == 0


def test_rejected_line_exits_3_and_the_run_goes_on_past_it(workdir):
    (workdir / "events.jsonl").write_bytes(
        track("Signed Up") + b"{broken\n" + track("Product Added", price=3)
    )

    result = dry_run("events.jsonl")

    assert result.exit_code == 3
    assert [r["event"] for r in json_lines(result.stdout)] == ["signup", "addtocart"]
    assert "(first at events.jsonl:2)" in result.stderr


def test_missing_input_file_exits_1_before_printing_anything(workdir):
    (workdir / "events.jsonl").write_bytes(track("Signed Up"))

    result = dry_run("events.jsonl", "missing.jsonl")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "pintag: error: missing.jsonl: no such file; check the path\n"
    )


def test_unwritable_report_path_is_refused_before_the_run(workdir):
    (workdir / "events.jsonl").write_bytes(track("Signed Up"))

    result = dry_run("events.jsonl", "--report", "no/such/dir/report.json")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no/such/dir/report.json" in result.stderr
    assert "unexpected" not in result.stderr


# --- stdout carries nothing but data ----------------------------------------


def test_quiet_leaves_stderr_empty_even_with_rejects(workdir):
    (workdir / "events.jsonl").write_bytes(track("Signed Up") + b"nope\n")

    result = dry_run("events.jsonl", "-q")

    assert result.exit_code == 3
    assert result.stderr == ""
    assert len(json_lines(result.stdout)) == 1


def test_stdout_is_only_json_with_explain_verbose_and_rejects(sample):
    with open(sample / "sample_events.jsonl", "ab") as export:
        export.write(b"garbage\n")

    done = run_pintag("dry-run", "sample_events.jsonl", "--explain", "-vv")

    assert done.returncode == 3
    assert len(json_lines(done.stdout.decode())) == 30
    assert "pintag: INFO: configuration integrations.yaml" in done.stderr.decode()


def stderr_on_a_terminal(env: dict) -> bytes:
    """Run on the sample with stderr attached to a pseudo-terminal."""
    import pty  # POSIX only

    controller, terminal = pty.openpty()
    try:
        sample = ["sample_events.jsonl", "--config", "integrations.yaml"]
        subprocess.run(
            [*PINTAG, "dry-run", *sample],
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            env=env,
            cwd=ROOT,
            check=True,
        )
    finally:
        os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # Linux reports the closed terminal as EIO
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    return output


def terminal_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env.pop("FORCE_COLOR", None)
    return {**env, "TERM": "xterm-256color", **extra}


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_summary_is_coloured_on_a_terminal():
    assert b"\x1b[" in stderr_on_a_terminal(terminal_env())


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_no_color_leaves_no_escape_codes_on_a_terminal():
    output = stderr_on_a_terminal(terminal_env(NO_COLOR="1"))

    assert b"messages read" in output
    assert b"\x1b" not in output


def test_piping_into_head_stops_quietly(tmp_path):
    export = tmp_path / "events.jsonl"
    export.write_bytes(track("Order Completed", revenue=1, pad="x" * 200) * 5000)
    config = tmp_path / "integrations.yaml"
    config.write_text(TAG_CONFIG)

    with subprocess.Popen(
        [*PINTAG, "dry-run", str(export), "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        first = process.stdout.readline()
        process.stdout.close()  # what `head -n 1` does after one line
        errors = process.stderr.read().decode()
        code = process.wait(timeout=30)

    assert json.loads(first)["event"] == "checkout"
    assert code == 0
    assert "Traceback" not in errors
    assert "BrokenPipe" not in errors
    assert "Exception ignored" not in errors


# --- privacy end to end -----------------------------------------------------

PII_FILE = DATA / "pii_events.jsonl"
# Every raw email and phone number in tests/data/pii_events.jsonl, and the
# street addresses and postcodes that sit under personal-data keys.
PII_VALUES = [
    "alice.smith@example.com",
    "bob.jones@example.org",
    "carol@example.net",
    "dave.product@example.com",
    "prop.one@example.com",
    "erin@example.com",
    "frank@example.com",
    "grace@example.com",
    "heidi@example.com",
    "ivan@example.com",
    "judy@example.com",
    "judy.type@example.com",
    "mallory@example.com",
    "oscar@example.com",
    "peggy@example.com",
    "trent@example.com",
    "victor@example.com",
    "walter@example.com",
    "sybil@example.com",
    "zed@example.com",
    "yvonne@example.com",
    "xavier@example.com",
    "uma@example.com",
    "wendy@example.com",
    "mixed.case@example.com",
    "x@y.example.com",
    "kim@example.com",
    "lee@example.com",
    "list@example.com",
    "+1 415 555 0101",
    "+44 20 7946 0958",
    "+1 212 555 0133",
    "+1 646 555 0123",
    "+1 917 555 0144",
    "+14155550142",
    "+13105550177",
    "+1 305 555 0166",
    "+1 702 555 0111",
    "+1 808 555 0188",
    "+1 907 555 0100",
    "+1 503 555 0155",
    "+1 614 555 0170",
    "+1 615 555 0181",
    "+1 616 555 0192",
    "Carol Danvers",
    "Nadia",
    "Quinn",
    "1 Acacia Avenue",
    "SW1A 1AA",
    "742 Evergreen Terrace",
    "2 Elm Row",
    "EH1 1AA",
]


def leaked(text: str) -> list[str]:
    """The personal values found in text, raw or as a URL would encode them."""
    text = text.lower()
    found = []
    for value in PII_VALUES:
        forms = {value, quote(value, safe=""), quote(value), value.replace(" ", "")}
        if any(form.lower() in text for form in forms):
            found.append(value)
    return found


def test_pii_corpus_holds_every_value_it_is_checked_for():
    assert leaked(PII_FILE.read_text()) == PII_VALUES


@pytest.mark.parametrize("fmt", ["ndjson", "url", "table"])
@pytest.mark.parametrize("config", ["worked-example", "bundled"])
def test_no_raw_email_or_phone_reaches_output_or_report(workdir, fmt, config):
    if config == "bundled":
        shutil.copy(ROOT / "integrations.yaml", workdir)

    result = dry_run(
        str(PII_FILE), "--format", fmt, "--explain", "--report", "report.json"
    )

    assert result.exit_code == 3
    assert len(result.stdout.splitlines()) >= 7  # the sendable messages went out
    assert leaked(result.stdout) == []
    assert leaked(result.stderr) == []
    assert leaked((workdir / "report.json").read_text()) == []


def test_no_raw_email_or_phone_reaches_debug_logs(workdir):
    done = run_pintag("dry-run", str(PII_FILE), "--explain", "-vv")

    assert done.returncode == 3
    assert "pintag: INFO:" in done.stderr.decode()
    assert leaked(done.stdout.decode()) == []
    assert leaked(done.stderr.decode()) == []


def test_email_match_keys_are_sent_hashed(workdir):
    result = dry_run(str(PII_FILE))

    hashes = [r["pd[em]"] for r in json_lines(result.stdout) if "pd[em]" in r]
    # alice (properties), trent (context.traits), victor (remembered identify)
    assert len(hashes) == 3
    assert all(len(h) == 64 and h == h.lower() for h in hashes)


# --- volume -----------------------------------------------------------------


def test_hundred_thousand_line_export_runs_through(tmp_path):
    names = ["Order Completed", "Product Viewed", "Product Added", "Trial Started"]
    lines = (
        json.dumps(
            {
                "type": "track",
                "event": names[i % 4],
                "messageId": f"m-{i}",
                "properties": {"order_id": f"o-{i}", "revenue": i % 100, "sku": "S"},
            }
        )
        for i in range(100_000)
    )
    export = tmp_path / "export.jsonl.gz"
    export.write_bytes(gzip.compress("\n".join(lines).encode(), compresslevel=1))
    (tmp_path / "integrations.yaml").write_text(TAG_CONFIG)

    done = run_pintag(
        "dry-run", str(export), "--report", "report.json", "-q", cwd=tmp_path
    )

    report = read_report(tmp_path / "report.json")
    assert done.returncode == 0
    assert done.stdout.count(b"\n") == 100_000
    assert (report["read"], report["sent"]) == (100_000, 100_000)
