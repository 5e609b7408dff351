"""Running jobs: claim one, run its kind, store the outcome (see survey.jobs.queue).

The kind's work and the DONE mark are one transaction (the session's): a worker that
lost its claim meanwhile (its lease ran out and another worker took the job) rolls its
work back, so nothing is done twice. Progress is stored by committing the session, so a
kind reports progress only where a commit is harmless: while it reads, before it writes;
while it writes, `JobContext.writing` stores progress on a connection of its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app

from survey.db import db, utcnow
from survey.errors import ErrorCode, SurveyError
from survey.jobs.queue import (
    DEFAULT_KEEP,
    DEFAULT_LEASE,
    MAX_ATTEMPTS,
    ClaimedJob,
    claim_job,
    mark_done_statement,
    mark_failed,
    progress_statement,
)
from survey.jobs.registry import JobContext, JobFailed, job_kinds

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5
UNEXPECTED = "Jobbet avbröts av ett oväntat fel. Försök igen, eller kontakta förvaltningen."
UNKNOWN_KIND = "Den här sortens jobb kan inte köras här."


class ClaimLost(SurveyError):
    """Another worker has taken the job over (our lease ran out): stop, keep nothing."""

    code = ErrorCode.JOB_CLAIM_LOST


@dataclass
class JobsReport:
    done: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{len(self.done)} jobs done, {len(self.failed)} failed, "
            f"{len(self.retried)} to retry, {len(self.lost)} taken over"
        )


def _settings() -> tuple[timedelta, timedelta]:
    config = current_app.config
    lease = timedelta(seconds=int(config.get("SURVEY_JOB_LEASE_SECONDS", DEFAULT_LEASE.seconds)))
    keep = timedelta(hours=int(config.get("SURVEY_JOB_KEEP_HOURS", DEFAULT_KEEP.seconds // 3600)))
    return lease, keep


def run_next_job(worker_id: str, report: JobsReport | None = None) -> bool:
    """Claim and run one due job; False when none was due."""
    report = report if report is not None else JobsReport()
    lease, keep = _settings()
    # End the session's transaction first: on SQLite it holds the write lock claiming needs.
    db.session.close()
    with db.engine.connect() as connection:
        claimed = claim_job(connection, worker_id, lease=lease)
    if claimed is None:
        return False
    kind = job_kinds().get(claimed.kind)
    if kind is None:
        _fail(claimed, UNKNOWN_KIND, retry=False)
        report.failed.append(claimed.id)
        return True
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < PROGRESS_EVERY_SECONDS:
            return
        last[0] = now
        # Committed with the session: a kind reports progress only before it writes.
        result = db.session.execute(progress_statement(claimed, done, total, lease=lease))
        db.session.commit()
        if not result.rowcount:  # type: ignore[attr-defined]
            raise ClaimLost(
                operator_message=f"job {claimed.id} was taken over by another worker",
                code=ErrorCode.JOB_CLAIM_LOST,
            )

    def writing(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < PROGRESS_EVERY_SECONDS:
            return
        last[0] = now
        if db.engine.dialect.name == "sqlite":
            return  # the job holds the only write lock: no other worker can claim meanwhile
        # Its own connection: the session's transaction (the job's writes) stays open.
        with db.engine.connect() as connection:
            result = connection.execute(progress_statement(claimed, done, total, lease=lease))
            connection.commit()
        if not result.rowcount:
            raise ClaimLost(
                operator_message=f"job {claimed.id} was taken over by another worker",
                code=ErrorCode.JOB_CLAIM_LOST,
            )

    try:
        output = kind.run(JobContext(claimed.id, claimed.params, progress, writing))
        statement = mark_done_statement(
            claimed,
            summary=output.summary,
            file=output.file,
            file_name=output.file_name,
            content_type=output.content_type,
            now=utcnow(),
            keep=keep,
        )
        if db.session.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
            raise ClaimLost(
                operator_message=f"job {claimed.id} was taken over by another worker",
                code=ErrorCode.JOB_CLAIM_LOST,
            )
        db.session.commit()
        report.done.append(claimed.id)
    except ClaimLost:
        db.session.rollback()
        log.warning("job %s: claim lost, its work is rolled back", claimed.id)
        report.lost.append(claimed.id)
    except JobFailed as error:
        db.session.rollback()
        _fail(claimed, error.message, retry=False)
        report.failed.append(claimed.id)
    except Exception:
        db.session.rollback()
        log.exception("job %s (%s) failed", claimed.id, claimed.kind)
        _fail(claimed, UNEXPECTED, retry=True)
        (report.retried if claimed.attempts < MAX_ATTEMPTS else report.failed).append(claimed.id)
    finally:
        db.session.remove()
    return True


def _fail(claimed: ClaimedJob, message: str, *, retry: bool) -> None:
    _, keep = _settings()
    with db.engine.connect() as connection:
        mark_failed(connection, claimed, message, retry=retry, keep=keep)


def run_due_jobs(
    worker_id: str, *, stop: Callable[[], bool] = lambda: False, limit: int | None = None
) -> JobsReport:
    """Run due jobs one after another until none is due (or `stop()`, or `limit` jobs)."""
    report = JobsReport()
    ran = 0
    while not stop() and (limit is None or ran < limit):
        if not run_next_job(worker_id, report):
            break
        ran += 1
    return report
