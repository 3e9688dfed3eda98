"""The README keeps to the code: its options, files and commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pinterest_cli.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    """The README text from a heading to the next heading of any level."""
    start = README.index(title)
    end = README.find("\n#", start + len(title))
    return README[start:end]


def documented_options(text: str) -> set[str]:
    """Options named in the first column of the section's tables."""
    cells = [line.split("|")[1] for line in text.splitlines() if line.startswith("|")]
    return {option for cell in cells for option in re.findall(r"`(--[a-z-]+)", cell)}


def help_text(*command: str) -> str:
    return CliRunner().invoke(cli, [*command, "--help"]).stdout


@pytest.mark.parametrize(
    ("title", "command"),
    [("### `pintag dry-run", "dry-run"), ("### `pintag send", "send")],
)
def test_every_option_the_readme_lists_exists(title, command):
    options = documented_options(section(title))
    assert options, f"no option table under {title}"
    shown = help_text(command)
    assert sorted(o for o in options if o not in shown) == []


def test_every_common_option_exists_on_every_command():
    options = documented_options(section("## Commands"))
    assert {"--config", "--destination", "--quiet", "--debug"} <= options
    for command in cli.commands:
        shown = help_text(command)
        assert sorted(o for o in options if o not in shown) == [], command


def test_the_first_commands_name_files_that_exist():
    quick = README[: README.index("## Contents")]
    assert "pintag dry-run sample_events.jsonl" in quick
    assert "pytest" in quick
    for name in ("sample_events.jsonl", "integrations.yaml", "pyproject.toml"):
        assert (ROOT / name).is_file()


def test_the_sample_exercises_at_least_thirty_messages():
    lines = (ROOT / "sample_events.jsonl").read_text().splitlines()
    assert len([line for line in lines if line.strip()]) >= 30


def test_every_module_named_in_the_layout_exists():
    layout = section("## Development")
    modules = set(re.findall(r"`([a-z_]+\.py)`", layout))
    assert modules
    missing = sorted(m for m in modules if not (ROOT / "pinterest_cli" / m).is_file())
    assert missing == []
    present = {p.name for p in (ROOT / "pinterest_cli").glob("*.py")}
    unlisted = sorted(present - modules - {"__init__.py", "__main__.py"})
    assert unlisted == []
