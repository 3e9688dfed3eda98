"""Where `pintag dry-run` spends its time per message.

    python benchmarks/profile_dry_run.py                  # 200,000 messages
    python benchmarks/profile_dry_run.py --messages 50000 --top 25

Two views, both in this process, so interpreter start-up is left out:

- stages: the pipeline run cumulatively, one more stage each time (reading
  lines, parsing, mapping, building parameters, serialising), then the whole
  `pintag dry-run` through its entry point; the fastest of three, in
  microseconds a message. Subtracting neighbours gives what each stage
  costs, with no profiler overhead at all; the floor's loop is measured
  alongside. A stage whose internal function changed shape says so and the
  others still run.
- functions: a pyinstrument profile of the whole `pintag dry-run`, by
  function, self and total time. It needs `pip install pyinstrument` and is
  skipped without it. Its per-call overhead inflates small functions, so
  read it for ranking and trust the stages for sizes. (py-spy, on Python
  3.11, charges the reader's and the mapping's time to one line of the
  dry-run loop.)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable

import orjson
from workspace import FULL, Workspace

from pinterest_cli.cli import main as pintag_main
from pinterest_cli.config import load_config
from pinterest_cli.events import resolve
from pinterest_cli.mapping import Conversion, Mapper
from pinterest_cli.reader import read_records
from pinterest_cli.tag import tag_line


def stages(path: str, config_path: str) -> list[tuple[str, Callable[[], None]]]:
    """The pipeline cut after each stage, cheapest first."""
    config = load_config(config_path)
    sink = open(os.devnull, "wb")  # noqa: SIM115 - lives as long as the process

    def lines():
        with open(path, "rb") as raw:
            for _ in raw:
                pass

    def parse():
        with open(path, "rb") as raw:
            for line in raw:
                orjson.loads(line)

    def floor():
        write = sink.write
        with open(path, "rb") as raw:
            for line in raw:
                write(orjson.dumps(orjson.loads(line)) + b"\n")

    def read():
        for _ in read_records(path):
            pass

    def mapped():
        for _ in resolve([path], Mapper(config)):
            pass

    def serialised():
        tag_id = config.tag_id
        for _, outcome in resolve([path], Mapper(config)):
            if type(outcome) is Conversion:
                tag_line(outcome, tag_id)

    def whole():
        run_cli(path, config_path)

    return [
        ("lines: read the file line by line", lines),
        ("+ orjson.loads of each line", parse),
        ("(floor: loads, dumps, write)", floor),
        ("reader: read_records (BOM, CRLF, offsets)", read),
        ("+ mapping: Mapper.map", mapped),
        ("+ tag_line (the request's JSON line)", serialised),
        ("+ tally, write, click: pintag dry-run", whole),
    ]


def run_cli(path: str, config_path: str) -> None:
    """`pintag dry-run` in this process, through its entry point, output dropped."""
    saved_argv, saved_stdout = sys.argv, sys.stdout
    sys.argv = ["pintag", "dry-run", path, "--config", config_path, "-q"]
    try:
        with open(os.devnull, "w") as sys.stdout:
            pintag_main()
    except SystemExit as done:
        if done.code:
            raise RuntimeError(f"pintag dry-run exited {done.code}") from None
    finally:
        sys.argv, sys.stdout = saved_argv, saved_stdout


def time_stages(path: str, config_path: str, count: int, rounds: int = 3) -> None:
    """Print microseconds a message for each cumulative stage."""
    best: dict[str, float] = {}
    cuts = stages(path, config_path)
    broken: dict[str, str] = {}
    for _ in range(rounds):
        for label, run in cuts:
            if label in broken:
                continue
            started = time.perf_counter()
            try:
                run()
            except Exception as exc:  # pintag's internals change under us
                broken[label] = f"{type(exc).__name__}: {exc}"
                continue
            elapsed = time.perf_counter() - started
            best[label] = min(best.get(label, elapsed), elapsed)
    print(f"stages, {count:,} messages, fastest of {rounds} (us a message):")
    previous = None
    for label, _ in cuts:
        if label in broken:
            print(f"  {'failed':>16}  {label}: {broken[label]}")
            continue
        per_message = best[label] / count * 1e6
        step = ""
        if label.startswith("+") and previous is not None:
            step = f"  (+{per_message - previous:.2f})"
        print(f"  {per_message:6.2f}{step:10}  {label}")
        if not label.startswith("("):
            previous = per_message


def profile_functions(path: str, config_path: str, top: int) -> None:
    """Print the functions that take most time, by self and by total time."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("\nfunctions: skipped (pip install pyinstrument to see them)")
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    run_cli(path, config_path)
    session = profiler.stop()
    self_time: Counter = Counter()
    total_time: Counter = Counter()
    _walk(session.root_frame(), self_time, total_time, ())
    whole = session.duration
    print(f"\nfunctions, pyinstrument, {whole:.2f} s profiled:")
    print(f"  {'self':>6} {'total':>6}  function")
    for name, spent in self_time.most_common(top):
        print(f"  {spent / whole:6.1%} {total_time[name] / whole:6.1%}  {name}")


def _walk(frame, self_time: Counter, total_time: Counter, above: tuple) -> None:
    """Add a frame tree's times; recursion counts once toward total time."""
    if frame is None:
        return
    name = f"{frame.function} ({frame.file_path_short})"
    if frame.is_synthetic:
        name = above[-1] if above else name
    children = [child for child in frame.children if not child.is_synthetic]
    own = frame.time - sum(child.time for child in children)
    self_time[name] += own
    if name not in above:
        total_time[name] += frame.time
    for child in children:
        _walk(child, self_time, total_time, (*above, name))


def main() -> None:
    """Command line: profile_dry_run.py [--messages N] [--top N]."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=FULL.messages)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    ws = Workspace(FULL)
    path = str(ws.events(args.messages))
    time_stages(path, str(ws.config), args.messages)
    profile_functions(path, str(ws.config), args.top)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
