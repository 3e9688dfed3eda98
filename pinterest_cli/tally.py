"""Run bookkeeping: every message ends as sent, skipped, rejected or failed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Reasons are grouped by their text; a hostile input could make each one
# unique, so past this many distinct reasons the rest are pooled.
MAX_REASONS = 200
OTHER = "other reasons"


@dataclass
class _Reasons:
    counts: Counter = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, reason: str, where: str | None) -> None:
        if reason not in self.counts and len(self.counts) >= MAX_REASONS:
            reason = OTHER
        self.counts[reason] += 1
        if where is not None and reason not in self.first:
            self.first[reason] = where

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {
            reason: {"count": count, "first": self.first.get(reason)}
            for reason, count in self.counts.most_common()
        }


@dataclass
class Tally:
    """Counts of a run; `read` always equals the sum of the four outcomes."""

    sent: int = 0
    skipped: int = 0
    rejected: int = 0
    failed: int = 0
    by_event: Counter = field(default_factory=Counter)
    skip_reasons: Counter = field(default_factory=Counter)
    reject_reasons: _Reasons = field(default_factory=_Reasons)
    fail_reasons: _Reasons = field(default_factory=_Reasons)

    @property
    def read(self) -> int:
        """Messages read: each one is counted in exactly one outcome."""
        return self.sent + self.skipped + self.rejected + self.failed

    def add_sent(self, event: str) -> None:
        """Count a message delivered (or, in a dry run, that would be)."""
        self.sent += 1
        self.by_event[event] += 1

    def add_skipped(self, reason: str) -> None:
        """Count a valid message that sends nothing."""
        self.skipped += 1
        if reason not in self.skip_reasons and len(self.skip_reasons) >= MAX_REASONS:
            reason = OTHER
        self.skip_reasons[reason] += 1

    def add_rejected(self, reason: str, where: str) -> None:
        """Count a message that could not be read, with its file:line."""
        self.rejected += 1
        self.reject_reasons.add(reason, where)

    def add_failed(self, reason: str, where: str) -> None:
        """Count a message that could not be delivered, with its file:line."""
        self.failed += 1
        self.fail_reasons.add(reason, where)

    def report(self) -> dict[str, Any]:
        """The counts as a JSON-ready dict (the `--report` file)."""
        return {
            "read": self.read,
            "sent": self.sent,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "failed": self.failed,
            "by_event": dict(self.by_event.most_common()),
            "skip_reasons": dict(self.skip_reasons.most_common()),
            "reject_reasons": self.reject_reasons.as_dict(),
            "fail_reasons": self.fail_reasons.as_dict(),
        }
