"""The kinds of job: what a worker knows how to run.

A feature adds a kind in ``create_app`` with `register_job_kind`::

    register_job_kind(app, JobKind("plan_report", "DST-rapport", run_plan_report))

``run`` gets a `JobContext` (the job's params, `progress` before it writes, and
`writing` for progress in the part that changes data) and returns a `JobOutput` (a file
to offer, a summary, or both).
Whatever ``run`` adds to the session is committed together with the job's DONE mark, in
one transaction: if the worker loses its claim meanwhile, nothing of it is kept, so a job
that changes data is never done twice. A kind raising `JobFailed` fails the job with a
Swedish message for the page; any other exception is retried (up to `MAX_ATTEMPTS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from flask import Flask, current_app

from survey.errors import ErrorCode, SurveyError

_KEY: Final = "survey.job_kinds"


class JobFailed(SurveyError):
    """A job that cannot succeed (bad input): failed at once, with a message for users."""

    code = ErrorCode.JOB_FAILED


@dataclass
class JobOutput:
    """What a finished job leaves: a file to download (optional) and a summary."""

    summary: dict[str, Any] = field(default_factory=dict)
    file: bytes | None = None
    file_name: str | None = None
    content_type: str | None = None


class JobContext:
    """What a running job sees: its params, and ways to report progress."""

    def __init__(
        self,
        job_id: int,
        params: dict[str, Any],
        report: Callable[[int, int], None],
        report_writing: Callable[[int, int], None] | None = None,
    ) -> None:
        self.job_id = job_id
        self.params = params
        self._report = report
        self._report_writing = report_writing

    def progress(self, done: int, total: int) -> None:
        """Report progress (shown on the job's page); cheap enough to call per chunk.

        It commits the session: call it only before the job writes anything.
        """
        self._report(done, total)

    def writing(self, done: int, total: int) -> None:
        """Report progress while the job writes (its changes stay uncommitted until DONE).

        Stored on a connection of its own, which also extends the lease; on SQLite, whose
        single writer the job is meanwhile, it is not stored (no other worker can claim).
        """
        if self._report_writing is not None:
            self._report_writing(done, total)


@dataclass(frozen=True)
class JobKind:
    name: str  # stored in jobs.kind
    label: str  # Swedish, for pages
    run: Callable[[JobContext], JobOutput]


def register_job_kind(app: Flask, kind: JobKind) -> None:
    """Add a kind of job to the app (called from ``create_app``)."""
    app.extensions.setdefault(_KEY, {})[kind.name] = kind


def job_kinds(app: Flask | None = None) -> dict[str, JobKind]:
    return dict((app or current_app).extensions.get(_KEY, {}))
