"""When to try a failed request again: exponential backoff with jitter.

Kept as plain functions of their inputs (attempt number, random source, clock)
so tests can check the schedule without sleeping.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

# A Retry-After longer than this is cut short: a run paused for hours looks
# hung, and the next answer can always ask for more.
MAX_RETRY_AFTER = 900.0


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter, honouring the server's Retry-After."""

    max_retries: int = 5
    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def should_retry(self, attempt: int) -> bool:
        """Whether attempt number `attempt` (1 for the first retry) is allowed."""
        return attempt <= self.max_retries

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        # "Equal jitter": at least half the backoff, so retries never bunch at 0.
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            # "-0000" parses without a zone; HTTP dates are always UTC, and a
            # naive datetime would be read in the machine's local time.
            when = when.replace(tzinfo=UTC)
        current = time.time() if now is None else now
        seconds = when.timestamp() - current
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER))
