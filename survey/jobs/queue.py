"""The jobs table's rules: queueing, claiming, progress, finishing, expiry.

Claiming follows the outbox (survey.mail.worker): one UPDATE … RETURNING takes the oldest
queued job, or a running one whose lease has run out (its worker died); PostgreSQL skips
rows another worker is claiming (SKIP LOCKED), SQLite's writers take turns (BEGIN
IMMEDIATE). Each claim bumps ``claim_generation``; progress and the final mark name the
generation they belong to, so a worker whose lease was taken over changes nothing.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Connection

from survey.db import db, table_of, utcnow
from survey.schema.jobs import Job, JobState

MAX_ATTEMPTS: Final = 3
DEFAULT_LEASE: Final = timedelta(minutes=5)
DEFAULT_KEEP: Final = timedelta(hours=24)
MAX_ERROR_LENGTH: Final = 2000

_table = table_of(Job)
_c = _table.c


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    params: dict[str, Any]
    generation: int
    attempts: int


def worker_name() -> str:
    """Name this worker in claimed rows: host, process and a random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def enqueue_job(
    kind: str,
    params: dict[str, Any],
    *,
    round_id: int | None = None,
    created_by_id: int | None = None,
) -> Job:
    """Queue a job (the caller commits)."""
    job = Job(
        kind=kind,
        params=dict(params),
        state=JobState.QUEUED.value,
        round_id=round_id,
        created_by_id=created_by_id,
    )
    db.session.add(job)
    db.session.flush()
    return job


def claim_statement(worker_id: str, now: datetime, lease: timedelta) -> Any:
    """The UPDATE … RETURNING that claims the oldest due job."""
    due = (
        select(_c.id)
        .where(
            or_(
                _c.state == JobState.QUEUED.value,
                (_c.state == JobState.RUNNING.value) & (_c.lease_until < now),
            )
        )
        .order_by(_c.id)
        .limit(1)
        # PostgreSQL: a row another worker is claiming is skipped, not waited for.
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(_table)
        .where(_c.id == due)
        .values(
            state=JobState.RUNNING.value,
            claimed_by=worker_id,
            lease_until=now + lease,
            attempts=_c.attempts + 1,
            claim_generation=_c.claim_generation + 1,
            started_at=now,
        )
        .returning(_c.id, _c.kind, _c.params, _c.claim_generation, _c.attempts)
    )


def claim_job(
    connection: Connection,
    worker_id: str,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> ClaimedJob | None:
    """Claim one due job and commit the claim; None when nothing is due."""
    now = now or utcnow()
    row = connection.execute(claim_statement(worker_id, now, lease)).first()
    connection.commit()
    if row is None:
        return None
    return ClaimedJob(int(row[0]), str(row[1]), dict(row[2] or {}), int(row[3]), int(row[4]))


def _mine(claimed: ClaimedJob) -> Any:
    return (_c.id == claimed.id) & (_c.claim_generation == claimed.generation)


def progress_statement(
    claimed: ClaimedJob,
    done: int,
    total: int,
    *,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> Any:
    """The UPDATE storing progress and extending the lease (rowcount 0: the claim was lost)."""
    now = now or utcnow()
    return (
        update(_table)
        .where(_mine(claimed), _c.state == JobState.RUNNING.value)
        .values(progress_done=max(done, 0), progress_total=max(total, 0), lease_until=now + lease)
    )


def mark_done_statement(
    claimed: ClaimedJob,
    *,
    summary: dict[str, Any],
    file: bytes | None,
    file_name: str | None,
    content_type: str | None,
    now: datetime,
    keep: timedelta,
) -> Any:
    """The UPDATE that marks the job DONE, if the claim is still ours (rowcount 1)."""
    return (
        update(_table)
        .where(_mine(claimed), _c.state == JobState.RUNNING.value)
        .values(
            state=JobState.DONE.value,
            params={**claimed.params, "summary": summary},
            result=file,
            result_name=file_name,
            result_type=content_type,
            result_size=len(file) if file is not None else None,
            finished_at=now,
            expires_at=now + keep,
            claimed_by=None,
            lease_until=None,
            error=None,
        )
    )


def mark_failed(
    connection: Connection,
    claimed: ClaimedJob,
    message: str,
    *,
    retry: bool,
    now: datetime | None = None,
    keep: timedelta = DEFAULT_KEEP,
) -> None:
    """Fail the job (or give it back to the queue while attempts remain, when `retry`)."""
    now = now or utcnow()
    again = retry and claimed.attempts < MAX_ATTEMPTS
    values: dict[str, Any] = {
        "claimed_by": None,
        "lease_until": None,
        "error": message[:MAX_ERROR_LENGTH],
    }
    if again:
        values["state"] = JobState.QUEUED.value
    else:
        values.update(state=JobState.FAILED.value, finished_at=now, expires_at=now + keep)
    connection.execute(
        update(_table).where(_mine(claimed), _c.state == JobState.RUNNING.value).values(**values)
    )
    connection.commit()


def job_of_round(job_id: int, round_id: int, kind: str | None = None) -> Job | None:
    """The job, if it belongs to the round (and is of the kind); None otherwise."""
    job = db.session.get(Job, job_id)
    if job is None or job.round_id != round_id or (kind is not None and job.kind != kind):
        return None
    return job


def recent_jobs(
    round_id: int, kind: str, limit: int = 10, *, created_by_id: int | None = None
) -> list[Job]:
    """The round's latest jobs of the kind (only those `created_by_id` queued, if given)."""
    statement = select(Job).where(Job.round_id == round_id, Job.kind == kind)
    if created_by_id is not None:
        statement = statement.where(Job.created_by_id == created_by_id)
    return list(db.session.scalars(statement.order_by(Job.id.desc()).limit(limit)))


def result_of(job: Job) -> bytes | None:
    """The finished file (loaded only now: it may be large)."""
    return db.session.scalar(select(Job.result).where(Job.id == job.id))


def remove_expired_jobs(now: datetime | None = None) -> int:
    """Delete finished and failed jobs (and their files) whose keeping time has passed."""
    now = now or utcnow()
    result = db.session.execute(
        delete(Job)
        .where(
            Job.state.in_([JobState.DONE.value, JobState.FAILED.value]),
            Job.expires_at < now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
