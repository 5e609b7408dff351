"""Counters of failures for throttling logins and link guessing across app servers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Model


class RateLimitCounter(Model):
    """Failures counted for one key (e.g. "login:<email>" or "token-ip:<address>") in a window."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_started_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(default=0)
