"""Run pintag's benchmarks and print each figure with its target.

    python benchmarks/run.py               # the full run, a few minutes
    python benchmarks/run.py --quick       # smaller sizes, a smoke run
    python benchmarks/run.py --only tag    # one benchmark

Every figure is a ratio against a baseline measured in the same run, each side
run in turn and the fastest of several kept, so that a busy machine slows both
sides alike. pintag runs as a user runs it: a fresh process per measurement,
start-up and output included. Data and results go to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import os
import platform
import sys
import time

import orjson
from delivery_cases import capi, tag
from local_cases import memory, startup, throughput
from measure import BenchmarkError
from report import Row, failed, table
from workspace import FULL, QUICK, Workspace

BENCHMARKS = {
    "throughput": throughput,
    "memory": memory,
    "tag": tag,
    "capi": capi,
    "startup": startup,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; --messages overrides the size of throughput and capi."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, help="messages for 1 and 4 [200000]")
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 rounds")
    parser.add_argument("--only", choices=BENCHMARKS, action="append", metavar="NAME")
    parser.add_argument("--rounds", type=int, help="runs of each side of a ratio [3]")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress")
    return parser.parse_args(argv)


def run(names: list[str], ws: Workspace) -> list[Row]:
    """Run the named benchmarks in order; a failure becomes a row, not a crash."""
    rows: list[Row] = []
    for name in names:
        started = time.monotonic()
        try:
            rows += BENCHMARKS[name](ws)
        except (BenchmarkError, RuntimeError) as exc:
            rows.append(failed(name, None, str(exc)))
        ws.log(f"{name} took {time.monotonic() - started:.0f} s")
    return rows


def machine() -> str:
    """Cores, CPU load and Python version: what the figures depend on."""
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, load {load:.1f} at start, Python "
        f"{platform.python_version()} ({platform.machine()}, {platform.system()})"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: run, print the table on stdout, save out/results.json."""
    args = parse_args(argv)
    if importlib.util.find_spec("pinterest_cli") is None:
        sys.exit(
            "run.py: pinterest_cli cannot be imported by this Python; run it with "
            "the project's environment: .venv/bin/python benchmarks/run.py"
        )
    sizes = QUICK if args.quick else FULL
    if args.messages:
        sizes = dataclasses.replace(sizes, messages=args.messages)
    if args.rounds:
        sizes = dataclasses.replace(sizes, rounds=args.rounds)
    ws = Workspace(sizes, quiet=args.quiet)
    names = args.only or list(BENCHMARKS)
    command = " ".join([os.path.basename(sys.executable), *sys.argv])
    started = time.monotonic()
    context = machine()
    rows = run(names, ws)
    elapsed = time.monotonic() - started
    today = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"{command}  ({today}; {context}; {elapsed:.0f} s)\n")
    print(table(rows))
    results = {
        "command": command,
        "date": today,
        "machine": context,
        "seconds": round(elapsed, 1),
        "sizes": dataclasses.asdict(sizes),
        "rows": [row.as_json() for row in rows],
    }
    results_path = ws.out / "results.json"
    results_path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
