"""Failure counters in the database, shared by every app server."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from survey import ratelimit
from survey.db import db
from survey.schema.ratelimit import RateLimitCounter

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = 600


def stored(key: str) -> RateLimitCounter | None:
    db.session.expire_all()
    return db.session.scalar(select(RateLimitCounter).where(RateLimitCounter.key == key))


def test_it_counts_failures_within_a_window(app: Flask) -> None:
    with app.app_context():
        counts = [
            ratelimit.register_failure("k", WINDOW, now=T0 + timedelta(seconds=s))
            for s in (0, 10, 599)
        ]
        db.session.commit()
        assert counts == [1, 2, 3]
        counter = stored("k")
        assert counter is not None
        assert counter.window_started_at == T0
        assert ratelimit.failure_count("k", WINDOW, now=T0 + timedelta(seconds=599)) == 3


def test_it_starts_a_new_window_once_the_old_one_has_passed(app: Flask) -> None:
    later = T0 + timedelta(seconds=WINDOW + 1)
    with app.app_context():
        ratelimit.register_failure("k", WINDOW, now=T0)
        ratelimit.register_failure("k", WINDOW, now=T0 + timedelta(seconds=1))
        assert ratelimit.register_failure("k", WINDOW, now=later) == 1
        db.session.commit()
        counter = stored("k")
        assert counter is not None
        # The restart time goes through UTCDateTime like any other stored time.
        assert counter.window_started_at == later
        assert counter.count == 1


def test_it_limits_a_key_from_the_limit_until_the_window_has_passed(app: Flask) -> None:
    with app.app_context():
        for _ in range(2):
            ratelimit.register_failure("k", WINDOW, now=T0)
        assert not ratelimit.is_limited("k", 3, WINDOW, now=T0)
        ratelimit.register_failure("k", WINDOW, now=T0)
        assert ratelimit.is_limited("k", 3, WINDOW, now=T0)
        assert ratelimit.is_limited("k", 3, WINDOW, now=T0 + timedelta(seconds=WINDOW - 1))
        assert not ratelimit.is_limited("k", 3, WINDOW, now=T0 + timedelta(seconds=WINDOW))
        assert ratelimit.failure_count("k", WINDOW, now=T0 + timedelta(seconds=WINDOW)) == 0


def test_it_keeps_keys_apart_and_resets_only_the_one_asked(app: Flask) -> None:
    with app.app_context():
        ratelimit.register_failure("a", WINDOW, now=T0)
        ratelimit.register_failure("b", WINDOW, now=T0)
        ratelimit.register_failure("b", WINDOW, now=T0)
        ratelimit.reset("b")
        db.session.commit()
        assert ratelimit.failure_count("a", WINDOW, now=T0) == 1
        assert ratelimit.failure_count("b", WINDOW, now=T0) == 0
        assert stored("b") is None
        assert ratelimit.failure_count("never-seen", WINDOW) == 0
        ratelimit.reset("never-seen")  # nothing to forget is not an error


def test_it_uses_the_current_time_by_default(app: Flask) -> None:
    with app.app_context():
        assert ratelimit.register_failure("k", WINDOW) == 1
        assert ratelimit.is_limited("k", 1, WINDOW)
        counter = stored("k")
        assert counter is not None
        assert abs(datetime.now(UTC) - counter.window_started_at) < timedelta(minutes=1)


def test_it_purges_counters_whose_windows_are_long_gone(app: Flask) -> None:
    with app.app_context():
        ratelimit.register_failure("old", WINDOW, now=T0)
        ratelimit.register_failure("new", WINDOW, now=T0 + timedelta(hours=2))
        purged = ratelimit.purge_expired(3600, now=T0 + timedelta(hours=2))
        db.session.commit()
        assert purged == 1
        assert stored("old") is None
        assert stored("new") is not None


def test_it_makes_keys_that_do_not_reveal_the_value() -> None:
    key = ratelimit.counter_key("login-email", "anna.andersson@example.se")
    assert key.startswith("login-email:")
    assert "anna" not in key
    assert key == ratelimit.counter_key("login-email", "anna.andersson@example.se")
    assert len(ratelimit.counter_key("x", "a" * 10_000)) < 300


def test_it_counts_concurrent_failures_without_losing_or_crashing(app: Flask) -> None:
    workers = 8
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    results: list[int] = []

    def fail_once() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results.append(ratelimit.register_failure("shared", WINDOW))
                db.session.commit()
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=fail_once) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == list(range(1, workers + 1))
    with app.app_context():
        assert ratelimit.failure_count("shared", WINDOW) == workers
