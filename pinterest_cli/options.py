"""Option groups shared by the commands, and the value types they parse."""

from __future__ import annotations

import re
from collections.abc import Callable

import click

CONFIG_HELP = (
    "integrations.yaml to use [default: $PINTAG_CONFIG, else ./integrations.yaml]"
)
COMMON_KEYS = ("config_path", "destination", "verbose", "quiet", "debug")
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd]?)\s*", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class Duration(click.ParamType):
    """A length of time: seconds, or a number with s, m, h or d (`7d`, `36h`)."""

    name = "duration"

    def convert(self, value, param, ctx) -> float:
        """Seconds as a float; a usage error for anything else."""
        if isinstance(value, int | float):
            return float(value)
        match = _DURATION.fullmatch(value)
        if match is None or float(match.group(1)) <= 0:
            self.fail(f"{value!r} is not a duration such as 7d, 36h or 3600", param)
        return float(match.group(1)) * _UNITS[match.group(2).lower()]


def stack(*options: Callable) -> Callable:
    """Apply click options in the order they are listed (as --help shows them)."""

    def apply(func: Callable) -> Callable:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


common_options = stack(
    click.option("--config", "config_path", metavar="PATH", help=CONFIG_HELP),
    click.option(
        "--destination",
        metavar="NAME",
        help="Destination entry to use [default: pinterest].",
    ),
    click.option("-v", "--verbose", count=True, help="More logging (-vv: debug)."),
    click.option("-q", "--quiet", is_flag=True, help="No progress or summary."),
    click.option("--debug", is_flag=True, help="Show tracebacks of errors."),
)

transport_options = stack(
    click.option(
        "--transport",
        type=click.Choice(["tag", "capi"]),
        default="tag",
        show_default=True,
        help="tag: the Pinterest Tag, one request an event, recorded when it "
        "arrives. capi: the Conversions API, batches that keep each event's "
        "time (needs adAccountId; send also an access token).",
    ),
    click.option(
        "--max-age",
        type=Duration(),
        default="7d",
        show_default=True,
        help="Conversions API: skip events older than this (the API's window). "
        "Tag: warn once when events are older than this.",
    ),
)

capi_options = stack(
    click.option(
        "--token-file",
        metavar="PATH",
        help="Read the Conversions API access token from this file "
        "[default: $PINTEREST_CONVERSION_TOKEN].",
    ),
    click.option(
        "--batch-size",
        type=click.IntRange(1, 1000),
        default=1000,
        show_default=True,
        metavar="N",
        help="Conversions API: events a request.",
    ),
    click.option(
        "--test",
        is_flag=True,
        help="Conversions API: ask Pinterest to validate the events without "
        "recording them.",
    ),
)
