"""The `pintag` command line: flags in, modules wired together, exit code out."""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable

import click

from pinterest_cli import __version__, status

log = logging.getLogger("pintag")

CONFIG_HELP = (
    "integrations.yaml to use [default: $PINTAG_CONFIG, else ./integrations.yaml]"
)


def common_options(func: Callable) -> Callable:
    """Options every command takes: configuration, verbosity, debugging."""
    options = [
        click.option("--config", "config_path", metavar="PATH", help=CONFIG_HELP),
        click.option(
            "--destination",
            metavar="NAME",
            help="Destination entry to use [default: pinterest].",
        ),
        click.option("-v", "--verbose", count=True, help="More logging (-vv: debug)."),
        click.option("-q", "--quiet", is_flag=True, help="No progress or summary."),
        click.option("--debug", is_flag=True, help="Show tracebacks of errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def guarded(func: Callable) -> Callable:
    """Turn known errors into a message and an exit code, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from pinterest_cli.config import ConfigError
        from pinterest_cli.reader import InputError
        from pinterest_cli.terminal import setup_logging

        setup_logging(kwargs.get("verbose", 0))
        try:
            code = func(*args, **kwargs)
        except (ConfigError, InputError) as exc:
            _error(str(exc))
            code = status.FATAL
        except BrokenPipeError:
            # The reader of stdout went away (`| head`): stop quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = status.OK
        except KeyboardInterrupt:
            _error("interrupted")
            code = status.INTERRUPTED
        except Exception as exc:
            if kwargs.get("debug"):
                raise
            _error(
                f"unexpected {type(exc).__name__}: {exc} "
                "(run again with --debug for the traceback, and report it)"
            )
            code = status.FATAL
        sys.exit(code)

    return wrapper


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="pintag")
def cli() -> None:
    """Replay Segment-spec analytics events into Pinterest as conversions.

    \b
    Examples:
      pintag check
      pintag dry-run sample_events.jsonl
      pintag send events.jsonl.gz --dead-letter failed.jsonl
    """


@cli.command("dry-run")
@click.argument("files", nargs=-1, metavar="[FILES]...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ndjson", "url", "table"]),
    default="ndjson",
    show_default=True,
    help="ndjson: one JSON object of parameters per request; url: full request "
    "URLs; table: a readable table.",
)
@click.option("--explain", is_flag=True, help="Say on stderr why each message maps.")
@click.option("--report", metavar="PATH", help="Write the summary as JSON here.")
@click.option(
    "--dead-letter", metavar="PATH", help="Write rejected messages here (mode 600)."
)
@click.option("--endpoint", metavar="URL", help="Endpoint shown by --format url.")
@common_options
@guarded
def dry_run_command(files, fmt, explain, report, dead_letter, endpoint, **common):
    """Show exactly what would be sent for FILES, and why; send nothing.

    FILES are newline-delimited JSON exports of Segment-spec messages, plain
    or gzipped (detected from the bytes). No FILES, or -, reads standard input.
    Requests go to stdout; the summary goes to stderr.

    \b
    Examples:
      pintag dry-run sample_events.jsonl
      pintag dry-run export.jsonl.gz --explain 2>&1 | less
      pintag dry-run events.jsonl | jq -r .event | sort | uniq -c
      cat events.jsonl | pintag dry-run - --format url
      pintag dry-run events.jsonl --report report.json --dead-letter rejected.jsonl
    """
    from pinterest_cli.dryrun import dry_run
    from pinterest_cli.mapping import Mapper

    console, config, paths = _prepare(files, common)
    dead_letters = _open_dead_letters(dead_letter)
    explain_out = _explainer(console) if explain else None
    started = time.monotonic()
    try:
        tally = dry_run(
            paths,
            Mapper(config),
            sys.stdout,
            fmt=fmt,
            endpoint=endpoint,
            explain=explain_out,
            dead_letters=dead_letters,
        )
        sys.stdout.flush()
    finally:
        if dead_letters is not None:
            dead_letters.close()
    elapsed = time.monotonic() - started
    _finish(console, tally, "would send", report, paths, elapsed, "dry-run")
    return status.INCOMPLETE if tally.rejected else status.OK


@cli.command("check")
@common_options
@guarded
def check_command(**common):
    """Validate the configuration and warn about what is probably wrong.

    Exits 0 when the configuration is valid (warnings included), 1 when not.

    \b
    Examples:
      pintag check
      pintag check --config deploy/integrations.yaml --destination pinterest-eu
    """
    from pinterest_cli.config import config_warnings, load_config, resolve_config_path

    path = resolve_config_path(common["config_path"], os.environ)
    config = load_config(path, common["destination"])
    mappings = len(config.event_mappings)
    click.echo(
        f"{path}: valid; tag id {config.tag_id}, {mappings} custom event "
        f"mapping{'s' if mappings != 1 else ''}"
    )
    for warning in config_warnings(config):
        click.echo(f"{path}:{warning.line}: warning: {warning.message}")
    return status.OK


def main() -> None:
    """Entry point of the `pintag` command."""
    cli(prog_name="pintag")


def _prepare(files, common):
    from pinterest_cli.config import load_config, resolve_config_path
    from pinterest_cli.reader import STDIN, check_readable
    from pinterest_cli.terminal import make_console

    console = make_console(common["quiet"])
    paths = list(files) or [STDIN]
    for path in paths:
        check_readable(path)
    if paths.count(STDIN) > 1:
        raise click.UsageError("standard input (-) can be read only once")
    config_file = resolve_config_path(common["config_path"], os.environ)
    config = load_config(config_file, common["destination"])
    log.info("configuration %s, tag id %s", config_file, config.tag_id)
    return console, config, paths


def _open_dead_letters(path: str | None, append: bool = False):
    if path is None:
        return None
    from pinterest_cli.deadletter import DeadLetterFile

    try:
        return DeadLetterFile(path, append=append)
    except OSError as exc:
        from pinterest_cli.reader import InputError

        message = f"{path}: cannot write the dead-letter file: {exc.strerror}"
        raise InputError(message) from None


def _explainer(console):
    def explain(line: str) -> None:
        print(line, file=sys.stderr)

    return explain


def _finish(console, tally, sent_label, report, paths, elapsed, command, extra=None):
    from pinterest_cli.terminal import print_summary

    print_summary(console, tally, sent_label=sent_label, extra=extra)
    if report:
        import orjson

        document = {"command": command, "files": paths, **tally.report()}
        document["elapsed_seconds"] = round(elapsed, 3)
        with open(report, "wb") as out:
            out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")


def _error(message: str) -> None:
    click.echo(f"pintag: error: {message}", err=True)
