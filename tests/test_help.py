"""Every command explains itself: a description and worked examples."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pinterest_cli import __version__
from pinterest_cli.cli import cli

# Walked at collection time, so a new command is covered without editing this.
COMMANDS = sorted(cli.commands)


def invoke(*args: str):
    return CliRunner().invoke(
        cli, list(args), prog_name="pintag", catch_exceptions=False
    )


def examples_of(help_text: str) -> list[str]:
    """The lines of the "Examples:" section, stripped."""
    lines = help_text.splitlines()
    heads = [i for i, line in enumerate(lines) if line.strip() == "Examples:"]
    assert heads, "no 'Examples:' section"
    indent = len(lines[heads[0]]) - len(lines[heads[0]].lstrip())
    examples = []
    for line in lines[heads[0] + 1 :]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        examples.append(line.strip())
    return examples


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_exits_0_with_a_description(name):
    result = invoke(name, "--help")

    description = cli.commands[name].get_short_help_str(limit=200)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: pintag {name} ")
    assert description
    assert description.rstrip(".") in " ".join(result.stdout.split())


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_has_examples_of_that_command(name):
    examples = examples_of(invoke(name, "--help").stdout)

    assert examples
    assert all(f"pintag {name}" in line for line in examples)


@pytest.mark.parametrize("name", COMMANDS)
def test_short_help_option_works_too(name):
    assert invoke(name, "-h").stdout == invoke(name, "--help").stdout


def test_top_level_help_lists_every_command_with_examples():
    result = invoke("--help")

    listed = result.stdout.partition("\nCommands:\n")[2].split()
    assert result.exit_code == 0
    assert set(COMMANDS) <= set(listed)
    assert examples_of(result.stdout)


def test_version_option_prints_the_version():
    result = invoke("--version")

    assert result.exit_code == 0
    assert result.stdout == f"pintag, version {__version__}\n"
