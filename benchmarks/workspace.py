"""What every benchmark shares: sizes, the output folder, data and configuration."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from generate import generate

OUT = Path(__file__).resolve().parent / "out"
TAG_ID = "2612826764086"
AD_ACCOUNT_ID = "549755885175"
# Data older than this is made again: the Conversions API skips events older
# than 7 days, and the generator dates them over the 3 days before it runs.
_FRESH_SECONDS = 24 * 3600
_GENERATOR = Path(__file__).resolve().parent / "generate.py"
_CONFIG = f"""\
# Written by benchmarks/run.py: the settings a typical shop would use.
- name: "pinterest"
  config:
    tagId: "{TAG_ID}"
    adAccountId: "{AD_ACCOUNT_ID}"
    customEventsMapping:
      - event: "Newsletter Subscribed"
        mapping: "signup"
      - event: "Wishlist Item Added"
        mapping: "custom"
    customPropertiesForStandardEvents:
      - "list_id"
      - "checkout_id"
"""


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much work each benchmark does."""

    messages: int  # mapping throughput and Conversions API delivery
    memory: tuple[int, int]  # the small and the large dry-run
    tag_messages: int  # Tag delivery: about 0.9 requests a message
    startup_runs: int
    rounds: int  # runs of each side of a ratio, fastest kept
    check_seconds: float  # server self-check, per connection count


FULL = Sizes(200_000, (100_000, 1_000_000), 12_000, 10, 3, 2.0)
QUICK = Sizes(20_000, (10_000, 100_000), 2_000, 5, 2, 0.5)


@dataclass
class Workspace:
    """The output folder, its configuration file and its generated exports."""

    sizes: Sizes
    out: Path = OUT
    quiet: bool = False
    _events: dict[int, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.config = self.out / "integrations.yaml"
        self.config.write_text(_CONFIG, encoding="utf-8")

    def log(self, text: str) -> None:
        """Progress on stderr, so the table on stdout stays clean."""
        if not self.quiet:
            print(f"  {text}", file=sys.stderr, flush=True)

    def events(self, count: int) -> Path:
        """An export of `count` messages, made now unless a fresh one exists."""
        if count in self._events:
            return self._events[count]
        path = self.out / f"events-{count}.jsonl"
        try:
            made = path.stat().st_mtime
        except FileNotFoundError:
            made = 0.0
        # Made again when old, or when the generator changed since.
        fresh = (
            made > _GENERATOR.stat().st_mtime and time.time() - made < _FRESH_SECONDS
        )
        if not fresh:
            self.log(f"generating {count:,} messages into {path.name}")
            partial = path.with_suffix(".partial")
            generate(count, str(partial))
            partial.replace(path)
        self._events[count] = path
        return path

    def common(self) -> list[str]:
        """Options every pintag run takes: this configuration, no summary."""
        return ["--config", str(self.config), "-q"]
