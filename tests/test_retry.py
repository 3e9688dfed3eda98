"""The retry schedule: exponential backoff, jitter, and the server's Retry-After."""

import random
import time
from datetime import UTC, datetime
from email.utils import formatdate

import pytest

from pinterest_cli.retry import MAX_RETRY_AFTER, RetryPolicy, parse_retry_after
from pinterest_cli.transport import http_error


@pytest.mark.parametrize("attempt, ceiling", [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0)])
def test_backoff_doubles_and_keeps_at_least_half_of_it(attempt, ceiling):
    policy = RetryPolicy(base=0.5, rng=random.Random(attempt))
    delays = [policy.delay(attempt) for _ in range(200)]
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)


def test_backoff_is_capped():
    policy = RetryPolicy(base=0.5, cap=30.0, rng=random.Random(7))
    delays = [policy.delay(40) for _ in range(200)]
    assert all(15.0 <= delay <= 30.0 for delay in delays)


def test_jitter_spreads_workers_that_failed_together():
    policy = RetryPolicy(rng=random.Random(3))
    assert len({round(policy.delay(3), 6) for _ in range(50)}) > 40


def test_retry_after_replaces_the_backoff():
    assert RetryPolicy().delay(1, retry_after=7.0) == 7.0
    assert RetryPolicy().delay(5, retry_after=0.0) == 0.0


def test_retry_after_is_capped():
    assert RetryPolicy().delay(1, retry_after=86_400.0) == MAX_RETRY_AFTER


@pytest.mark.parametrize("max_retries, allowed", [(0, []), (2, [1, 2]), (5, [1, 5])])
def test_retries_are_allowed_up_to_max_retries(max_retries, allowed):
    policy = RetryPolicy(max_retries=max_retries)
    assert all(policy.should_retry(attempt) for attempt in allowed)
    assert not policy.should_retry(max_retries + 1)


@pytest.mark.parametrize(
    "header, seconds",
    [("120", 120.0), (" 3 ", 3.0), ("0", 0.0), ("1.5", 1.5), ("-4", 0.0)],
)
def test_retry_after_in_seconds(header, seconds):
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date():
    now = 1_800_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == 30.0


def test_retry_after_date_in_the_past_means_now():
    now = 1_800_000_000.0
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_retry_after_date_without_a_zone_is_read_as_utc(monkeypatch):
    # "-0000" parses to a naive datetime; in Tokyo it must not be 9 hours off.
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    try:
        now = datetime(2015, 10, 21, 7, 27, tzinfo=UTC).timestamp()
        header = "Wed, 21 Oct 2015 07:28:00 -0000"
        assert parse_retry_after(header, now=now) == 60.0
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("header", ["soon", "", "Wed, 99 Foo 2015", "nan"])
def test_unreadable_retry_after_is_ignored(header):
    assert parse_retry_after(header) is None


def test_huge_retry_after_is_capped():
    assert parse_retry_after("999999") == MAX_RETRY_AFTER


@pytest.mark.parametrize(
    "status, retriable", [(429, True), (500, True), (503, True), (400, False)]
)
def test_only_429_and_5xx_are_worth_retrying(status, retriable):
    error = http_error(status, f"HTTP {status}", "2")
    assert error.retriable is retriable
    assert error.retry_after == (2.0 if retriable else None)
