"""The `pintag` command line: flags in, modules wired together, exit code out.

Modules are imported inside the commands, so `pintag --version` and `--help`
start without loading YAML, rich or the HTTP stack.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable

import click

from pinterest_cli import __version__, status
from pinterest_cli.options import (
    COMMON_KEYS,
    capi_options,
    common_options,
    transport_options,
)


def guarded(func: Callable) -> Callable:
    """Turn known errors into a message and an exit code, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from pinterest_cli.checkpoint import CheckpointError
        from pinterest_cli.config import ConfigError
        from pinterest_cli.context import UsageProblem
        from pinterest_cli.reader import InputError
        from pinterest_cli.terminal import error, setup_logging

        setup_logging(kwargs.get("verbose", 0))
        try:
            code = func(*args, **kwargs)
        except UsageProblem as exc:
            raise click.UsageError(str(exc)) from None
        except click.ClickException:
            raise  # a usage error: Click prints it with the usage and exits 2
        except (ConfigError, InputError, CheckpointError) as exc:
            error(str(exc))
            code = status.FATAL
        except BrokenPipeError:
            # The reader of stdout went away (`| head`): stop quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = status.OK
        except KeyboardInterrupt:
            error("interrupted")
            code = status.INTERRUPTED
        except Exception as exc:
            if kwargs.get("debug"):
                raise
            error(
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
    help="ndjson: one JSON object of parameters per request (with --transport "
    "capi: one API event per line); url: full request URLs; table: a readable "
    "table.",
)
@click.option("--explain", is_flag=True, help="Say on stderr why each message maps.")
@click.option("--report", metavar="PATH", help="Write the summary as JSON here.")
@click.option(
    "--dead-letter", metavar="PATH", help="Write rejected messages here (mode 600)."
)
@click.option("--endpoint", metavar="URL", help="Endpoint shown by --format url.")
@transport_options
@common_options
@guarded
def dry_run_command(files, fmt, explain, report, dead_letter, endpoint, **options):
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
      pintag dry-run events.jsonl --transport capi --max-age 3d
      pintag dry-run events.jsonl --report report.json --dead-letter rejected.jsonl
    """
    from pinterest_cli import context, dryrun
    from pinterest_cli.mapping import Mapper

    common = {key: options.pop(key) for key in COMMON_KEYS}
    transport, max_age = options["transport"], options["max_age"]
    if transport == "capi" and fmt != "ndjson":
        message = "--transport capi prints API events: use --format ndjson"
        raise click.UsageError(message)
    context.check_report_path(report)
    run = context.prepare(files, common, transport)
    mapper = Mapper(run.config)
    if transport == "capi":
        from pinterest_cli.capi_events import CapiEvents

        render = dryrun.capi_renderer(CapiEvents(run.config, max_age=max_age).build)
    else:
        from pinterest_cli.events import OldEventWatch
        from pinterest_cli.terminal import warn

        render = dryrun.tag_renderer(fmt, run.config.tag_id or "", endpoint)
        mapper = OldEventWatch(mapper, max_age, lambda text: warn(run.console, text))
    dead_letters = context.open_dead_letters(dead_letter)
    started = time.monotonic()
    try:
        tally = dryrun.dry_run(
            run.paths,
            mapper,
            sys.stdout.buffer,
            render=render,
            header=dryrun.table_header(fmt),
            explain=_explain if explain else None,
            dead_letters=dead_letters,
        )
        sys.stdout.flush()
    finally:
        if dead_letters is not None:
            dead_letters.close()
    elapsed = time.monotonic() - started
    context.finish(
        run,
        tally,
        command="dry-run",
        elapsed=elapsed,
        report=report,
        sent_label="would send",
    )
    return status.INCOMPLETE if tally.rejected else status.OK


@cli.command("check")
@click.option(
    "--transport",
    type=click.Choice(["tag", "capi"]),
    default="tag",
    show_default=True,
    help="Also require what this transport needs (capi: adAccountId and a token).",
)
@click.option(
    "--token-file",
    metavar="PATH",
    help="With --transport capi: where the access token is "
    "[default: $PINTEREST_CONVERSION_TOKEN].",
)
@common_options
@guarded
def check_command(transport, token_file, **common):
    """Validate the configuration and warn about what is probably wrong.

    Exits 0 when the configuration is valid (warnings included), 1 when not.
    The result goes to stdout, warnings to stderr. The access token is looked
    for, never printed.

    \b
    Examples:
      pintag check
      pintag check --config deploy/integrations.yaml --destination pinterest-eu
      pintag check --transport capi --token-file ~/.pinterest-token
    """
    from pinterest_cli import context
    from pinterest_cli.config import resolve_config_path
    from pinterest_cli.configcheck import config_warnings

    path = resolve_config_path(common["config_path"], os.environ)
    config = context.load_destination(common, transport)
    mappings = len(config.event_mappings)
    parts = [f"tag id {config.tag_id}" if config.tag_id else "no tag id"]
    if config.ad_account_id:
        parts.append(f"ad account {config.ad_account_id}")
    parts.append(f"{mappings} custom event mapping{'s' if mappings != 1 else ''}")
    notes = []
    if transport == "capi" or config.ad_account_id:
        from pinterest_cli.capi import TOKEN_VARIABLE, read_token
        from pinterest_cli.config import ConfigError

        try:
            read_token(token_file, os.environ)
            parts.append(f"access token found in {token_file or TOKEN_VARIABLE}")
        except ConfigError as exc:
            if transport == "capi":
                raise
            notes.append(f"{path}: note: adAccountId is set, but {exc}")
    click.echo(f"{path}: valid; " + ", ".join(parts))
    for warning in config_warnings(config):
        click.echo(f"{path}:{warning.line}: warning: {warning.message}", err=True)
    for note in notes:
        click.echo(note, err=True)
    return status.OK


@cli.command("send")
@click.argument("files", nargs=-1, metavar="[FILES]...")
@click.option(
    "--endpoint",
    metavar="URL",
    help="Send here instead of Pinterest (a proxy, a test server). With "
    "--transport capi, {ad_account_id} in the URL is filled in.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    metavar="N",
    help="Requests in flight at once [default: 16 for tag, 4 for capi].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    metavar="S",
    help="Seconds to wait for each request to connect and to be answered "
    "[default: 10 for tag, 30 for capi].",
)
@click.option(
    "--rate",
    type=click.FloatRange(0, min_open=True),
    metavar="R",
    help="At most R requests a second, all workers together [default: no limit].",
)
@click.option(
    "--max-retries",
    type=click.IntRange(0),
    default=5,
    show_default=True,
    metavar="N",
    help="Retries of a request that met a network error, a timeout, 429 or 5xx.",
)
@click.option(
    "--max-failures",
    type=click.IntRange(0),
    default=100,
    show_default=True,
    metavar="N",
    help="Stop the run after N failed messages in a row (0: never stop).",
)
@click.option(
    "--dead-letter",
    metavar="PATH",
    help="Write rejected and failed messages here, ready to send again (mode 600).",
)
@click.option(
    "--checkpoint",
    metavar="PATH",
    help="Keep the checkpoint here [default: a file per set of inputs under "
    "$XDG_STATE_HOME/pintag/checkpoints/].",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue an interrupted run after its last finished message.",
)
@click.option(
    "--restart",
    is_flag=True,
    help="Ignore an unfinished run's checkpoint and send everything again.",
)
@click.option("--report", metavar="PATH", help="Write the summary as JSON here.")
@transport_options
@capi_options
@common_options
@guarded
def send_command(files, report, **options):
    """Send every message of FILES to Pinterest once, and account for each.

    FILES are newline-delimited JSON exports of Segment-spec messages, plain
    or gzipped; no FILES, or -, reads standard input. Every message ends as
    sent, skipped, rejected or failed; the summary on stderr counts them and
    lists where the first of each problem is.

    Progress is checkpointed every second. After Ctrl-C, SIGTERM or a stop
    for too many failures, --resume continues after the last finished
    message; standard input cannot be resumed. Ctrl-C once lets requests in
    flight finish; twice leaves at once.

    The Conversions API (--transport capi) takes its access token from
    $PINTEREST_CONVERSION_TOKEN or --token-file, never from a flag.

    \b
    Exit codes: 0 all sent or skipped, 3 some rejected or failed,
    1 fatal error or run stopped, 130 interrupted.

    \b
    Examples:
      pintag send events.jsonl.gz --dead-letter failed.jsonl
      pintag send events.jsonl.gz --dead-letter failed.jsonl --resume
      pintag send failed.jsonl --dead-letter failed-again.jsonl
      pintag send export-*.jsonl.gz --concurrency 32 --rate 500 --report run.json
      PINTEREST_CONVERSION_TOKEN=... pintag send backfill.jsonl.gz --transport capi
      pintag send events.jsonl --transport capi --test --token-file token.txt
      zcat events.jsonl.gz | pintag send -
    """
    from pinterest_cli import context, sendrun

    common = {key: options.pop(key) for key in COMMON_KEYS}
    settings = sendrun.SendSettings(**options)
    problem = sendrun.flag_problem(list(files), settings)
    if problem is not None:
        raise click.UsageError(problem)
    context.check_report_path(report)
    run = context.prepare(files, common, settings.transport)
    outcome = sendrun.send_files(run.console, run.config, run.paths, settings)
    result = outcome.result
    context.finish(
        run,
        result.tally,
        command="send",
        elapsed=result.elapsed,
        report=report,
        extra=outcome.summary_lines(),
        report_extra=outcome.report_fields(),
    )
    return outcome.exit_code


def main() -> None:
    """Entry point of the `pintag` command."""
    cli(prog_name="pintag")


def _explain(line: str) -> None:
    print(line, file=sys.stderr)
