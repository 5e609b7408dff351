"""Counters in the database for throttling logins and link guessing across app servers.

A counter counts failures for one key in a fixed window that starts at the first failure;
once the window has passed, the next failure starts a new window. The functions work in
the current database session and never commit: the caller commits, also when the request
itself fails (a failed login must still be counted).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from survey.db import db, table_of, utcnow
from survey.schema.ratelimit import RateLimitCounter


def counter_key(kind: str, value: str) -> str:
    """Build a key of bounded length that does not store the value (an email, an address) itself."""
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return f"{kind}:{digest}"


def register_failure(key: str, window_seconds: int, *, now: datetime | None = None) -> int:
    """Count one failure for `key` and return the failures in its current window.

    One INSERT … ON CONFLICT DO UPDATE statement, so concurrent requests on several app
    servers neither lose counts nor fail on the primary key.
    """
    now = now or utcnow()
    cutoff = now - timedelta(seconds=window_seconds)
    table = table_of(RateLimitCounter)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    expired = table.c.window_started_at <= cutoff
    # Typed, so the aware time goes through UTCDateTime like every other stored time.
    restarted_at = literal(now, type_=table.c.window_started_at.type)
    statement = (
        insert(table)
        .values(key=key, window_started_at=now, count=1)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((expired, 1), else_=table.c.count + 1),
                "window_started_at": case((expired, restarted_at), else_=table.c.window_started_at),
            },
        )
        .returning(table.c.count)
    )
    count: int = db.session.execute(statement).scalar_one()
    return count


def failure_count(key: str, window_seconds: int, *, now: datetime | None = None) -> int:
    """Return the failures counted for `key` in its window, 0 once the window has passed."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=window_seconds)
    count = db.session.scalar(
        select(RateLimitCounter.count).where(
            RateLimitCounter.key == key, RateLimitCounter.window_started_at > cutoff
        )
    )
    return count or 0


def window_start(key: str) -> datetime | None:
    """When `key`'s current window began (its first failure, or with window 0 its last)."""
    started: datetime | None = db.session.scalar(
        select(RateLimitCounter.window_started_at).where(RateLimitCounter.key == key)
    )
    return started


def is_limited(key: str, limit: int, window_seconds: int, *, now: datetime | None = None) -> bool:
    """Tell whether `key` has reached `limit` failures in its current window."""
    return failure_count(key, window_seconds, now=now) >= limit


def reset(key: str) -> None:
    """Forget the failures counted for `key`."""
    db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))


def purge_expired(max_window_seconds: int, *, now: datetime | None = None) -> int:
    """Delete counters whose window started over `max_window_seconds` ago; return how many."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=max_window_seconds)
    result = db.session.execute(
        delete(RateLimitCounter).where(RateLimitCounter.window_started_at <= cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
