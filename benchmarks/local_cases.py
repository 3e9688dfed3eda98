"""Benchmarks that need no server: mapping throughput, memory and start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from generate import MESSAGES_PER_USER
from measure import HERE, alternate, pintag, run_child
from report import Row, Target, count, megabytes
from workspace import Workspace

THROUGHPUT_TARGET = Target("<=", 2.5)
MEMORY_TARGET = Target("<=", 1.2)
STARTUP_TARGET = Target("<=", 2.0)


def throughput(ws: Workspace) -> list[Row]:
    """1. `pintag dry-run` against the orjson parse-and-write floor."""
    n = ws.sizes.messages
    path = str(ws.events(n))
    ws.log(f"throughput: {ws.sizes.rounds} rounds of floor and dry-run")
    best = alternate(
        ws.sizes.rounds,
        floor=lambda: run_child([sys.executable, str(HERE / "floor.py"), path]),
        pintag=lambda: run_child(pintag("dry-run", path, *ws.common())),
    )
    floor, dry_run = best["floor"], best["pintag"]
    note = (
        f"both read {Path(path).stat().st_size / n:.0f}-byte messages in one "
        f"process: CPU-bound (dry-run {dry_run.cores:.2f} of a core, floor "
        f"{floor.cores:.2f}); the ratio is the mapping's Python work per message"
    )
    return [
        Row(
            f"1 mapping throughput, {count(n)} messages",
            f"{dry_run.wall:.2f} s ({n / dry_run.wall / 1000:.0f}k msg/s)",
            f"floor {floor.wall:.2f} s",
            dry_run.wall / floor.wall,
            THROUGHPUT_TARGET,
            note,
        )
    ]


def memory(ws: Workspace) -> list[Row]:
    """2. Peak resident memory of dry-run over a large input against a small one.

    The generator gives one user per 25 messages, so the large export also has
    ten times the users; a second large run with the small export's users
    tells memory kept per user from memory kept per message.
    """
    small, large = ws.sizes.memory
    users = small // MESSAGES_PER_USER
    ws.log(f"memory: dry-run of {small:,}, of {large:,} and again with {users:,} users")
    base = _piped_dry_run(ws, small).peak_rss
    grown = _piped_dry_run(ws, large).peak_rss
    same_users = _piped_dry_run(ws, large, users).peak_rss
    extra_users = large // MESSAGES_PER_USER - users
    per_user = (grown - same_users) / extra_users
    note = (
        f"peak RSS of the dry-run process alone. {large // small}x the messages "
        f"add {megabytes(grown - base)}; with the small export's {count(users)} "
        f"users they add {megabytes(same_users - base)}, so the rest goes with the "
        f"{count(extra_users)} extra users, about {per_user:.0f} bytes each "
        "(the identity memory of mapping spec §7)"
    )
    return [
        Row(
            f"2 peak memory, {count(large)} vs {count(small)} messages",
            megabytes(grown),
            megabytes(base),
            grown / base,
            MEMORY_TARGET,
            note,
        ),
        Row(
            f"2 peak memory, the same, {count(users)} users in both",
            megabytes(same_users),
            megabytes(base),
            same_users / base,
        ),
    ]


def _piped_dry_run(ws: Workspace, n: int, users: int | None = None):
    """dry-run of `n` messages streamed from the generator: no file on disk."""
    command = [sys.executable, str(HERE / "generate.py"), str(n), "-"]
    if users:
        command += ["--users", str(users)]
    generator = subprocess.Popen(command, stdout=subprocess.PIPE)
    try:
        run = run_child(
            pintag("dry-run", "-", *ws.common()), stdin=generator.stdout, peak=True
        )
    finally:
        generator.stdout.close()
        generator.wait()
    return run


def startup(ws: Workspace) -> list[Row]:
    """5. `pintag --version` against `python -c "import click"`."""
    runs = ws.sizes.startup_runs
    ws.log(f"start-up: best of {runs} of each command")
    script = _console_script()
    commands = {
        "click": [sys.executable, "-c", "import click"],
        "module": pintag("--version"),
    }
    if script is not None:
        commands["script"] = [script, "--version"]
    best = alternate(
        runs, **{name: (lambda c=c: run_child(c)) for name, c in commands.items()}
    )
    click = best["click"].wall
    note = (
        f"best of {runs}; the gap to `import click` is importing pintag's own "
        "modules (python -X importtime -m pinterest_cli --version shows which)"
    )
    rows = [_startup_row("python -m pinterest_cli --version", best["module"], click)]
    rows[0].note = note
    if script is not None:
        rows.append(_startup_row("pintag --version", best["script"], click))
    else:
        rows.append(Row("5 start-up, pintag --version", "not installed", "-"))
    return rows


def _startup_row(label: str, run, click: float) -> Row:
    return Row(
        f"5 start-up, {label}",
        f"{run.wall * 1000:.0f} ms",
        f"import click {click * 1000:.0f} ms",
        run.wall / click,
        STARTUP_TARGET,
    )


def _console_script() -> str | None:
    """The `pintag` script installed beside this interpreter, if any."""
    script = Path(sys.executable).with_name("pintag")
    return str(script) if script.exists() else None
