"""Jobs: long work (Excel exports, large imports, reports) done by a worker, not a request.

A job is claimed the way outbox messages are (survey.mail.worker): a worker sets
``claimed_by`` and ``lease_until`` in one statement (PostgreSQL skips rows another worker
is claiming; SQLite's writers take turns). A worker that dies leaves its lease to run
out; the job is then claimed again, up to `MAX_ATTEMPTS` times. The finished file is kept
in the database (``result``), so every app server can hand it out, until it expires.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from survey.db import Model, utcnow


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            "queued": "Väntar",
            "running": "Pågår",
            "done": "Klar",
            "failed": "Misslyckades",
        }[self.value]


class Job(Model):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_lease_until", "state", "lease_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_type: Mapped[str | None] = mapped_column(String(100))
    result_size: Mapped[int | None]
    # The finished file; not loaded with the job (only the download reads it).
    result: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # Bumped by every claim: a worker whose lease was taken over cannot finish the job.
    claim_generation: Mapped[int] = mapped_column(default=0)

    @property
    def state_enum(self) -> JobState:
        return JobState(self.state)

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if self.progress_total <= 0:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))
