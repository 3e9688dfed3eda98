"""`pintag check`: a valid configuration in one line, warnings, and errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pinterest_cli.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "integrations.yaml"
VALID = """\
- name: pinterest
  config:
    tagId: "2613336903169"
"""
NOT_STANDARD = (
    "is not a standard Pinterest event; it will be sent as a partner-defined event "
    "and Pinterest will not report it as a conversion"
)


def check(*args: str, env: dict | None = None):
    """Run `pintag check ARGS` in-process; stdout and stderr come apart."""
    return CliRunner().invoke(cli, ["check", *args], env=env, catch_exceptions=False)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A fresh working directory, so messages name a short relative path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PINTAG_CONFIG", raising=False)
    return tmp_path


def write(workdir: Path, text: str, name: str = CONFIG) -> None:
    (workdir / name).write_text(text)


def with_mappings(*entries: tuple[str, str]) -> str:
    lines = [VALID, "    customEventsMapping:\n"]
    for event, mapping in entries:
        lines.append(f'      - event: "{event}"\n        mapping: "{mapping}"\n')
    return "".join(lines)


# --- valid configurations ---------------------------------------------------


def test_valid_configuration_prints_a_one_line_summary(workdir):
    write(workdir, VALID)

    result = check()

    assert result.exit_code == 0
    assert result.stdout == (
        "integrations.yaml: valid; tag id 2613336903169, 0 custom event mappings\n"
    )
    assert result.stderr == ""


def test_summary_says_mapping_in_the_singular_for_one(workdir):
    write(workdir, with_mappings(("Trial Started", "lead")))

    result = check()

    assert result.stdout == (
        "integrations.yaml: valid; tag id 2613336903169, 1 custom event mapping\n"
    )


def test_bundled_configuration_is_valid_with_three_warnings(workdir):
    shutil.copy(ROOT / CONFIG, workdir)

    result = check()

    summary = result.stdout.rstrip("\n")
    warnings = result.stderr.splitlines()
    assert result.exit_code == 0
    assert summary == (
        "integrations.yaml: valid; tag id 2612826764086, 3 custom event mappings"
    )
    assert warnings == [
        f"integrations.yaml:9: warning: 'Custom Event 1' -> 'ViewContent': "
        f"'ViewContent' {NOT_STANDARD}",
        f"integrations.yaml:12: warning: 'Custom Event 2' -> 'Subscribe': "
        f"'Subscribe' {NOT_STANDARD}",
        f"integrations.yaml:15: warning: 'Order Updated' -> 'ViewContent': "
        f"'ViewContent' {NOT_STANDARD}",
    ]


def test_configuration_given_by_option_is_named_as_given(workdir):
    (workdir / "deploy").mkdir()
    write(workdir, VALID, "deploy/pinterest.yaml")

    result = check("--config", "deploy/pinterest.yaml")

    assert result.exit_code == 0
    assert result.stdout.startswith("deploy/pinterest.yaml: valid; ")


def test_configuration_comes_from_pintag_config(workdir):
    write(workdir, VALID, "from-env.yaml")

    result = check(env={"PINTAG_CONFIG": "from-env.yaml"})

    assert result.exit_code == 0
    assert result.stdout.startswith("from-env.yaml: valid; tag id 2613336903169")


def test_destination_option_checks_another_entry(workdir):
    write(workdir, VALID + '- name: pinterest-eu\n  tagId: "42"\n')

    result = check("--destination", "Pinterest-EU")

    assert result.stdout.startswith("integrations.yaml: valid; tag id 42, ")


# --- warnings ---------------------------------------------------------------

WARNINGS = [
    pytest.param(
        with_mappings(("Trial Started", "Subscribe")),
        f"integrations.yaml:5: warning: 'Trial Started' -> 'Subscribe': "
        f"'Subscribe' {NOT_STANDARD}",
        id="target-not-a-standard-event",
    ),
    pytest.param(
        with_mappings(("Order Completed", "lead")),
        "integrations.yaml:5: warning: 'Order Completed' -> 'lead': "
        "'Order Completed' is a standard event that pintag would otherwise send "
        "as 'checkout'; this mapping overrides it",
        id="mapping-overrides-a-standard-event",
    ),
    pytest.param(
        with_mappings(("Trial Started", "lead"), (" trial started ", "signup")),
        "integrations.yaml:7: warning: ' trial started ' is mapped twice "
        "(lines 5 and 7); the first entry, on line 5, wins and line 7 is ignored",
        id="event-mapped-twice",
    ),
    pytest.param(
        VALID + "    customPropertiesForStandardEvents:\n"
        '      - "gift_note"\n'
        '      - "customer.email"\n',
        "integrations.yaml:6: warning: customPropertiesForStandardEvents: "
        "'customer.email' is personal data; it is always removed before sending, "
        "so listing it has no effect",
        id="custom-property-is-personal-data",
    ),
]


@pytest.mark.parametrize(("config", "warning"), WARNINGS)
def test_each_warning_names_file_and_line(workdir, config, warning):
    write(workdir, config)

    result = check()

    summary = result.stdout.rstrip("\n")
    warnings = result.stderr.splitlines()
    assert result.exit_code == 0
    assert summary.startswith("integrations.yaml: valid; ")
    assert warnings == [warning]


def test_warnings_come_in_line_order(workdir):
    write(
        workdir,
        with_mappings(("Signed Up", "signup"), ("A", "Custom Thing"))
        + "    customPropertiesForStandardEvents:\n"
        + '      - "phone"\n',
    )

    result = check()

    lines = [line.split(": warning: ")[0] for line in result.stderr.splitlines()]
    assert lines == [
        "integrations.yaml:5",
        "integrations.yaml:7",
        "integrations.yaml:10",
    ]


# --- invalid configurations -------------------------------------------------

ERRORS = [
    pytest.param(
        "",
        "integrations.yaml: the file is empty; it must be a YAML list of "
        "destinations, starting with '- name: pinterest'",
        id="empty",
    ),
    pytest.param(
        'name: pinterest\ntagId: "1"\n',
        "integrations.yaml:1: the file must be a YAML list of destinations, not a "
        "mapping; start each destination with '- name: ...'",
        id="not-a-list",
    ),
    pytest.param(
        VALID + "    colour: red\n",
        "integrations.yaml:4: unknown key 'colour' in destination 'pinterest'; "
        "valid keys are tagId, handleCustomAsPartnerDefinedEvent, "
        "valueFieldIdentifier, customEventsMapping, "
        "customPropertiesForStandardEvents, adAccountId, actionSource, "
        "sendExternalId",
        id="unknown-key",
    ),
    pytest.param(
        VALID + "    valueFieldIdentifer: price\n",
        "integrations.yaml:4: unknown key 'valueFieldIdentifer' in destination "
        "'pinterest' (did you mean 'valueFieldIdentifier'?)",
        id="misspelt-key",
    ),
    pytest.param(
        '- name: pinterest\n  config:\n    tagId: "12a"\n',
        "integrations.yaml:3: 'tagId' in destination 'pinterest' must be digits "
        "only, not the string '12a'; copy the number from Pinterest Ads Manager",
        id="tag-id-not-digits",
    ),
    pytest.param(
        "- name: pinterest\n  config:\n    valueFieldIdentifier: price\n",
        "integrations.yaml:1: destination 'pinterest' has no 'tagId'; add your "
        'Pinterest Tag id, e.g. tagId: "2612826764086"',
        id="tag-id-missing",
    ),
    pytest.param(
        VALID + '    tagId: "2"\n',
        "integrations.yaml:4: duplicate key 'tagId' in destination 'pinterest' "
        "(first on line 3); keep only one",
        id="duplicate-key",
    ),
    pytest.param(
        '- name: pinterest\n  config:\n\ttagId: "1"\n',
        "integrations.yaml:3: YAML syntax error: found character '\\t' that "
        "cannot start any token (indent with spaces, not tabs)",
        id="tab-indented",
    ),
    pytest.param(
        VALID + "    handleCustomAsPartnerDefinedEvent: 'true'\n",
        "integrations.yaml:4: 'handleCustomAsPartnerDefinedEvent' in destination "
        "'pinterest' must be true or false, not the string 'true'; remove the "
        "quotes",
        id="quoted-boolean",
    ),
    pytest.param(
        '- name: other\n  tagId: "1"\n',
        "integrations.yaml: no destination named 'pinterest' (destinations in the "
        "file: 'other'); add a '- name: pinterest' entry or pass --destination NAME",
        id="no-pinterest-destination",
    ),
]


@pytest.mark.parametrize(("config", "error"), ERRORS)
def test_invalid_configuration_exits_1_with_the_error_on_stderr(workdir, config, error):
    write(workdir, config)

    result = check()

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"pintag: error: {error}\n"


def test_missing_configuration_says_how_to_give_one(workdir):
    result = check()

    assert result.exit_code == 1
    assert result.stderr == (
        "pintag: error: integrations.yaml: no such file; "
        "pass --config PATH or set PINTAG_CONFIG\n"
    )


def test_configuration_error_never_shows_a_traceback(workdir):
    (workdir / CONFIG).write_bytes(b'- name: pinterest\n  tagId: "\xff"\n')

    result = check()

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr == (
        "pintag: error: integrations.yaml: not UTF-8 text (invalid start byte)\n"
    )


# --- the Conversions API settings ---------------------------------------------

WITH_AD_ACCOUNT = VALID + '    adAccountId: "549755885175"\n'
NO_TOKEN = (
    "the Conversions API needs an access token: set PINTEREST_CONVERSION_TOKEN or "
    "pass --token-file PATH (a file holding only the token, readable by you alone)"
)


def test_ad_account_without_a_token_is_valid_for_the_tag_with_a_note(
    workdir, monkeypatch
):
    monkeypatch.delenv("PINTEREST_CONVERSION_TOKEN", raising=False)
    write(workdir, WITH_AD_ACCOUNT)

    result = check()

    assert result.exit_code == 0
    assert result.stdout == (
        "integrations.yaml: valid; tag id 2613336903169, ad account 549755885175, "
        "0 custom event mappings\n"
    )
    assert result.stderr == (
        f"integrations.yaml: note: adAccountId is set, but {NO_TOKEN}\n"
    )


def test_a_found_token_is_reported_without_its_value(workdir):
    write(workdir, WITH_AD_ACCOUNT)

    result = check(env={"PINTEREST_CONVERSION_TOKEN": "pina_secret-value"})

    assert result.exit_code == 0
    assert "access token found in PINTEREST_CONVERSION_TOKEN" in result.stdout
    assert "pina_secret-value" not in result.stdout + result.stderr


def test_capi_transport_without_a_token_is_an_error(workdir, monkeypatch):
    monkeypatch.delenv("PINTEREST_CONVERSION_TOKEN", raising=False)
    write(workdir, WITH_AD_ACCOUNT)

    result = check("--transport", "capi")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"pintag: error: {NO_TOKEN}\n"


def test_capi_transport_without_an_ad_account_is_an_error(workdir):
    write(workdir, VALID)

    result = check("--transport", "capi", env={"PINTEREST_CONVERSION_TOKEN": "t"})

    assert result.exit_code == 1
    assert "adAccountId" in result.stderr
