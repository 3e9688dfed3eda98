"""One request budget shared by every worker: a rate limit and a common pause.

The limit hands out start times one interval apart ("virtual scheduling"): a
worker reserves the next free slot under a lock and waits for it outside the
lock. A worker that oversleeps its slot does not push later slots back, so the
rate holds at thousands of requests a second even though `sleep` is coarse.

A pause (a server's Retry-After, a 429) holds back every worker until its
deadline, with or without a rate. Workers that had reserved a slot inside the
pause take a new one after it, so the requests waiting for the pause do not
all leave at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """A thread-safe start-time budget of `rate` requests a second (None: no limit).

    `sleep(seconds)` may return a true value to cut the wait short, as
    `threading.Event.wait` does when the event is set; `acquire` then gives up.
    """

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")  # the earliest start of the next request
        self._paused_until = float("-inf")

    @property
    def paused_until(self) -> float:
        """The clock time until which every worker waits (past: no pause)."""
        return self._paused_until

    def acquire(self) -> bool:
        """Wait until one more request may start; False if the wait was cut short."""
        if not self._interval and self._paused_until <= self._clock():
            return True  # the common case without a rate: no lock at all
        while True:
            with self._lock:
                now = self._clock()
                if self._paused_until > now:
                    wait, reserved = self._paused_until - now, False
                elif not self._interval:
                    return True
                else:
                    slot = max(self._next, now)
                    self._next = slot + self._interval
                    wait, reserved = slot - now, True
            if wait > 0 and self._sleep(wait):
                return False
            # A pause may have begun while this worker waited for its slot.
            if reserved and self._paused_until <= self._clock():
                return True

    def pause_until(self, deadline: float) -> None:
        """Hold back every worker until the clock reaches `deadline`."""
        with self._lock:
            if deadline > self._paused_until:
                self._paused_until = deadline
                # Requests after the pause keep their spacing from its end.
                self._next = max(self._next, deadline)

    def pause_for(self, seconds: float) -> None:
        """Hold back every worker for `seconds` from now."""
        self.pause_until(self._clock() + seconds)
