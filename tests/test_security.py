"""Secrets and personal data: where they must never appear, and where they must.

The access token appears in no output and no file, whatever Pinterest answers
(even an answer that quotes it back). Personal data is never sent or shown
unhashed, by either transport, in a dry run or a real one; only the
dead-letter file keeps it, so the messages can be sent again, and that file is
readable by its owner alone.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from capi_double import AD_ACCOUNT_ID, CapiDouble
from servers import TagServer

# The corpus of personal data and its checker are shared with the dry-run tests.
from test_cli_dry_run import PII_FILE, leaked

ROOT = Path(__file__).resolve().parent.parent
SECRET = "pina_SECRET-7f3a9c1e5b2d40869e1d"
CONFIG = (
    f'- name: pinterest\n  tagId: "2612826764086"\n  adAccountId: "{AD_ACCOUNT_ID}"\n'
)
CONTEXT = {"ip": "203.0.113.9", "userAgent": "Mozilla/5.0 (X11; Linux x86_64)"}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "integrations.yaml").write_text(CONFIG)
    return tmp_path


def pintag(workdir: Path, *args: str, token: str | None = SECRET):
    """Run pintag as a real process (real logging), token in the environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "PINTEREST_CONVERSION_TOKEN"
    }
    env["XDG_STATE_HOME"] = str(workdir / "state")
    if token is not None:
        env["PINTEREST_CONVERSION_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "pinterest_cli", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        timeout=30,
    )


def every_file(folder: Path, *, but: tuple[Path, ...] = ()) -> dict[Path, bytes]:
    return {
        path: path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and path not in but
    }


# --- the access token -------------------------------------------------------


def recent_events(count: int) -> bytes:
    moment = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    return b"".join(
        orjson.dumps(
            {
                "type": "track",
                "event": "Order Completed",
                "messageId": f"m-{n}",
                "timestamp": moment,
                "context": CONTEXT,
                "properties": {"order_id": f"o-{n}", "revenue": n},
            }
        )
        + b"\n"
        for n in range(count)
    )


ECHO = f"the token Bearer {SECRET} is not allowed here ({SECRET})"


def events_failed_echoing_the_token(double: CapiDouble) -> None:
    double.fail_event = lambda event: ECHO if event["event_id"] == "m-1" else None
    double.warn_event = lambda event: ECHO


def refused_token(double: CapiDouble) -> None:
    double.answer(401, {"code": 2, "message": ECHO})


def refused_account(double: CapiDouble) -> None:
    double.answer(403, {"code": 29, "message": ECHO})


def bad_request_echoing_the_token(double: CapiDouble) -> None:
    double.answer(400, {"code": 1, "message": ECHO}, times=2)


def details_echoing_the_token(double: CapiDouble) -> None:
    double.failure_status = 422
    double.fail_event = lambda event: ECHO if event["event_id"] == "m-2" else None


def retried_answers_echoing_the_token(double: CapiDouble) -> None:
    double.answer(429, {"message": ECHO}, headers={"Retry-After": "0"})
    double.answer(503, ECHO.encode(), headers={"Retry-After": "0"})


def wrong_token_without_echo(double: CapiDouble) -> None:
    double.token = "pina_the-one-pinterest-expects"


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        (events_failed_echoing_the_token, 3),
        (refused_token, 1),
        (refused_account, 1),
        (bad_request_echoing_the_token, 3),
        (details_echoing_the_token, 3),
        (retried_answers_echoing_the_token, 0),
        (wrong_token_without_echo, 1),
    ],
    ids=lambda value: value.__name__ if callable(value) else str(value),
)
def test_the_token_appears_in_no_output_and_no_file(workdir, scenario, code):
    (workdir / "events.jsonl").write_bytes(recent_events(4))
    with CapiDouble(token=SECRET) as double:
        scenario(double)
        done = pintag(
            workdir,
            "send",
            "events.jsonl",
            "--transport",
            "capi",
            "--endpoint",
            double.endpoint,
            "--batch-size",
            "2",
            "--concurrency",
            "1",
            "--dead-letter",
            "dead.jsonl",
            "--report",
            "report.json",
            "--checkpoint",
            "run.json",
            "-vv",
        )

    stderr = done.stderr.decode()
    assert done.returncode == code, stderr
    assert "pintag: DEBUG:" in stderr  # the most verbose logging was on
    assert double.requests, "nothing was sent"
    assert SECRET not in done.stdout.decode()
    assert SECRET not in stderr
    files = every_file(workdir)
    assert {"report.json", "dead.jsonl", "run.json"} <= {p.name for p in files}
    assert [path for path, data in files.items() if SECRET.encode() in data] == []
    if scenario not in (wrong_token_without_echo, retried_answers_echoing_the_token):
        # What Pinterest quoted back was kept, with the token taken out.
        shown = stderr + files[workdir / "dead.jsonl"].decode()
        assert "[token]" in shown


def test_a_token_file_is_used_and_never_shown(workdir):
    token_file = workdir / "token.txt"
    token_file.write_text(f"Bearer {SECRET}\n")
    token_file.chmod(0o644)  # readable by others: pintag warns, naming the path
    (workdir / "events.jsonl").write_bytes(recent_events(3))
    with CapiDouble(token=SECRET) as double:
        double.fail_event = lambda event: ECHO
        done = pintag(
            workdir,
            "send",
            "events.jsonl",
            "--transport",
            "capi",
            "--token-file",
            "token.txt",
            "--endpoint",
            double.endpoint,
            "--dead-letter",
            "dead.jsonl",
            "--report",
            "report.json",
            "-vv",
            token=None,
        )

    stderr = done.stderr.decode()
    assert done.returncode == 3, stderr
    assert all(request.authorized for request in double.requests)
    assert "chmod 600 token.txt" in stderr
    assert SECRET not in stderr + done.stdout.decode()
    files = every_file(workdir, but=(token_file,))
    assert [path for path, data in files.items() if SECRET.encode() in data] == []


@pytest.mark.parametrize("source", ["environment", "token-file"])
def test_check_finds_the_token_without_printing_it(workdir, source):
    flags = ["check", "--transport", "capi", "-vv"]
    if source == "token-file":
        (workdir / "token.txt").write_text(SECRET)
        (workdir / "token.txt").chmod(0o600)
        done = pintag(workdir, *flags, "--token-file", "token.txt", token=None)
        where = "token.txt"
    else:
        done = pintag(workdir, *flags)
        where = "PINTEREST_CONVERSION_TOKEN"

    assert done.returncode == 0, done.stderr
    assert f"access token found in {where}".encode() in done.stdout
    assert SECRET.encode() not in done.stdout + done.stderr


def test_a_token_with_a_stray_space_is_refused_without_echoing_it(workdir):
    done = pintag(
        workdir, "check", "--transport", "capi", "-vv", token=f"{SECRET} {SECRET}"
    )

    assert done.returncode == 1
    assert b"one line of printable characters" in done.stderr
    assert SECRET.encode() not in done.stdout + done.stderr


# --- personal data ----------------------------------------------------------


def sendable(message: object, moment: str) -> object:
    """A corpus message made acceptable to the Conversions API: recent, matchable.

    Only messages and the envelopes around them change; everything personal in
    them is kept, so each value still has to be kept out of every request.
    """
    if not isinstance(message, dict):
        return message
    if isinstance(message.get("batch"), list):
        return {**message, "batch": [sendable(m, moment) for m in message["batch"]]}
    if "obj" in message and "type" not in message:
        return {**message, "obj": sendable(message["obj"], moment)}
    context = message.get("context") if isinstance(message.get("context"), dict) else {}
    return {"timestamp": moment, **message, "context": {**CONTEXT, **context}}


# Beyond the shared corpus: where the Conversions API reads personal data.
EXTRA = [
    {
        "type": "track",
        "event": "Signed Up",
        "messageId": "pii-capi-1",
        "context": {
            "page": {"url": "https://shop.example.com/c?email=erin%40example.com"},
            "traits": {
                "email": "trent@example.com",
                "firstName": "Nadia",
                "lastName": "Quinn",
                "phone": "+1 305 555 0166",
                "address": {"street": "2 Elm Row", "postal_code": "EH1 1AA"},
            },
        },
        "properties": {"url": "https://shop.example.com/?tel=%2B13105550177"},
    },
    {
        "type": "track",
        "event": "Order Completed",
        "messageId": "pii-capi-2",
        "properties": {
            "order_id": "kim@example.com",
            "query": "lee@example.com",
            "products": [
                {"sku": "list@example.com", "name": "dave.product@example.com"}
            ],
        },
    },
]


@pytest.fixture
def corpus(workdir: Path) -> str:
    """The shared personal-data corpus, with times and match keys for the API."""
    moment = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    lines = []
    for line in PII_FILE.read_bytes().splitlines() + [orjson.dumps(m) for m in EXTRA]:
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            lines.append(line)  # a line that is not JSON stays as it is
            continue
        lines.append(orjson.dumps(sendable(message, moment)))
    (workdir / "pii.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return "pii.jsonl"


def assert_no_pii_outside_the_dead_letters(workdir: Path, done, *sent: str) -> None:
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    assert "pintag: DEBUG:" in stderr or "pintag: INFO:" in stderr
    assert leaked(stdout) == []
    assert leaked(stderr) == []
    for text in sent:
        assert leaked(text) == []
    for path, data in every_file(workdir).items():
        if path.name not in ("dead.jsonl", "pii.jsonl"):
            assert leaked(data.decode()) == [], path.name
    dead = workdir / "dead.jsonl"
    assert stat.S_IMODE(dead.stat().st_mode) == 0o600
    # The rejected messages are kept as they were, to be fixed and sent again.
    assert "judy@example.com" in leaked(dead.read_text())


@pytest.fixture
def loose_dead_letter_file(workdir: Path) -> None:
    """A dead-letter file left over with a loose mode: pintag must tighten it."""
    dead = workdir / "dead.jsonl"
    dead.write_text("")
    dead.chmod(0o644)


@pytest.mark.parametrize("transport", ["tag", "capi"])
def test_a_dry_run_shows_no_personal_data(
    workdir, corpus, transport, loose_dead_letter_file
):
    done = pintag(
        workdir,
        "dry-run",
        corpus,
        "--transport",
        transport,
        "--explain",
        "--report",
        "report.json",
        "--dead-letter",
        "dead.jsonl",
        "-vv",
    )

    assert done.returncode == 3, done.stderr
    assert len(done.stdout.splitlines()) >= 8  # the sendable messages were shown
    assert_no_pii_outside_the_dead_letters(workdir, done)


def test_the_tag_receives_no_personal_data(workdir, corpus, loose_dead_letter_file):
    with TagServer() as server:
        done = pintag(
            workdir,
            "send",
            corpus,
            "--endpoint",
            server.url,
            "--report",
            "report.json",
            "--dead-letter",
            "dead.jsonl",
            "-vv",
        )

    assert done.returncode == 3, done.stderr
    assert len(server.delivered()) >= 8
    received = orjson.dumps([r.params for r in server.requests]).decode()
    assert_no_pii_outside_the_dead_letters(workdir, done, received)
    emails = [r.params.get("pd[em]") for r in server.requests if "pd[em]" in r.params]
    assert emails and all(re.fullmatch("[0-9a-f]{64}", em) for em in emails)


def test_the_conversions_api_receives_no_personal_data(
    workdir, corpus, loose_dead_letter_file
):
    with CapiDouble(token=SECRET) as double:
        done = pintag(
            workdir,
            "send",
            corpus,
            "--transport",
            "capi",
            "--endpoint",
            double.endpoint,
            "--report",
            "report.json",
            "--dead-letter",
            "dead.jsonl",
            "-vv",
        )

    assert done.returncode == 3, done.stderr
    assert len(double.events) >= 8  # accepted by the double's schema checks
    received = orjson.dumps([r.events for r in double.requests]).decode()
    assert_no_pii_outside_the_dead_letters(workdir, done, received)
    (signed_up,) = [e for e in double.events if e["event_id"] == "pii-capi-1"]
    assert set(signed_up["user_data"]) >= {"em", "fn", "ln", "ph", "zp"}


def test_a_user_agent_holding_an_email_address_is_not_sent(workdir):
    crawler = {**CONTEXT, "userAgent": "CrawlBot/2.1 (+mailto:jane.doe@example.com)"}
    message = {
        "type": "track",
        "event": "Signed Up",
        "messageId": "ua-1",
        "timestamp": datetime.now(UTC).isoformat(),
        "context": crawler,
    }
    (workdir / "ua.jsonl").write_bytes(orjson.dumps(message) + b"\n")

    done = pintag(workdir, "dry-run", "ua.jsonl", "--transport", "capi")

    assert done.returncode in (0, 3), done.stderr  # sent without it, or rejected
    assert b"jane.doe@example.com" not in done.stdout


# --- the README -------------------------------------------------------------


def test_the_readme_says_dead_letter_files_are_readable_by_their_owner_only():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Dead letters", 1)[1].split("\n## ", 1)[0]
    prose = " ".join(section.split())
    assert "personal data included" in prose
    assert "created readable by their owner only (mode 600)" in prose
