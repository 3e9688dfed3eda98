"""The shared request budget: a rate and a pause that every worker obeys."""

import threading
import time

import pytest

from pinterest_cli.ratelimit import RateLimiter


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.on_sleep = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()
        return False


def limiter(rate, fake: FakeTime) -> RateLimiter:
    return RateLimiter(rate, clock=fake.clock, sleep=fake.sleep)


def starts(limit: RateLimiter, fake: FakeTime, count: int) -> list[float]:
    times = []
    for _ in range(count):
        assert limit.acquire()
        times.append(round(fake.now, 6))
    return times


def test_requests_start_one_interval_apart():
    fake = FakeTime()
    assert starts(limiter(10, fake), fake, 4) == [0.0, 0.1, 0.2, 0.3]


def test_an_idle_limiter_banks_no_burst():
    fake = FakeTime()
    limit = limiter(10, fake)
    limit.acquire()
    fake.now = 60.0
    assert starts(limit, fake, 3) == [60.0, 60.1, 60.2]


def test_without_a_rate_requests_never_wait():
    fake = FakeTime()
    assert starts(limiter(None, fake), fake, 100) == [0.0] * 100


def test_a_pause_holds_back_requests_even_without_a_rate():
    fake = FakeTime()
    limit = limiter(None, fake)
    limit.pause_until(5.0)
    assert starts(limit, fake, 2) == [5.0, 5.0]


def test_requests_after_a_pause_keep_their_spacing():
    fake = FakeTime()
    limit = limiter(10, fake)
    limit.pause_for(2.0)
    assert starts(limit, fake, 3) == [2.0, 2.1, 2.2]


def test_a_shorter_pause_does_not_cut_a_longer_one_short():
    fake = FakeTime()
    limit = limiter(None, fake)
    limit.pause_until(5.0)
    limit.pause_until(3.0)
    assert limit.paused_until == 5.0
    assert starts(limit, fake, 1) == [5.0]


def test_a_pause_that_begins_while_a_request_waits_is_honoured():
    fake = FakeTime()
    limit = limiter(10, fake)
    limit.acquire()

    def another_worker_gets_a_429() -> None:
        fake.on_sleep = None
        limit.pause_until(fake.now + 1.0)

    fake.on_sleep = another_worker_gets_a_429
    assert starts(limit, fake, 2) == [1.1, 1.2]


def test_a_wait_cut_short_gives_up():
    stop = threading.Event()
    stop.set()
    limit = RateLimiter(None, sleep=stop.wait)
    limit.pause_for(60.0)
    began = time.monotonic()
    assert limit.acquire() is False
    assert time.monotonic() - began < 1.0


def test_threads_share_one_budget():
    limit = RateLimiter(200)
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            limit.acquire()
            with lock:
                times.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times.sort()
    # 40 requests at 200 a second: 39 intervals of 5 ms.
    assert times[-1] - times[0] >= 39 / 200 * 0.95


@pytest.mark.parametrize("rate", [0, -1.5])
def test_a_rate_must_be_positive(rate):
    with pytest.raises(ValueError):
        RateLimiter(rate)
