"""`RateLimiter`: a sliding one-minute window per user, on an injected clock."""

from __future__ import annotations

import pytest

from bot.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_per_minute_questions_then_refuses_until_the_oldest_is_a_minute_old() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    for offset in (0.0, 10.0, 20.0):
        clock.now = 1000.0 + offset
        assert limiter.allow("u1")
    clock.now = 1030.0
    assert not limiter.allow("u1")
    assert limiter.retry_after("u1") == pytest.approx(30.0)  # the first was at 1000
    clock.now = 1059.9
    assert not limiter.allow("u1")
    clock.now = 1060.0  # the first question is now a minute old: one place is free
    assert limiter.allow("u1")
    assert not limiter.allow("u1")
    assert limiter.retry_after("u1") == pytest.approx(10.0)  # the next to expire: 1010


def test_a_refused_question_does_not_count() -> None:
    clock = Clock()
    limiter = RateLimiter(1, clock=clock)
    assert limiter.allow("u1")
    clock.now += 59
    assert not limiter.allow("u1")
    clock.now += 1
    assert limiter.allow("u1")  # had the refusal counted, it would wait another 59 s


def test_users_are_limited_separately() -> None:
    limiter = RateLimiter(1, clock=Clock())
    assert limiter.allow("u1")
    assert not limiter.allow("u1")
    assert limiter.allow("u2")
    assert limiter.retry_after("u3") == 0.0


def test_zero_means_unlimited() -> None:
    limiter = RateLimiter(0, clock=Clock())
    assert all(limiter.allow("u1") for _ in range(1000))
    assert limiter.retry_after("u1") == 0.0
