"""Importing answers from the web as a job: the file is kept, checked and stored by a worker.

A file of 100,000 rows takes minutes to check and store, longer than a request may. The
import page checks only the header at once (a wrong file is refused on the page), keeps
the file in the database (`survey.rounds.staging.keep_upload_for_job`: every app server
and worker reads it, nothing is kept on one server's disk) and queues a job of this kind.
The worker checks the whole file and, when nothing is wrong and it was not a check only,
stores it with `survey.responses.importing.import_responses`, in the job's transaction:
stored once with the DONE mark, or not at all. The outcome (the counts, or every problem)
is kept in the job's summary for its page.

Decisions:

* The worker imports on behalf of the user who queued the job, and checks again that this
  user may still manage the round; the audit event names that user.
* A refused file is a job done (its outcome is the problems list), not a failed job: the
  file was checked, and nothing was written. A failed job is one that could not check it
  (the file or the round gone, a conflict with answers stored meanwhile).
* A file checked only is kept until its time runs out, so that "Importera svaren" on the
  job's page imports the same file without choosing it again; any other job's file is
  removed with its DONE mark.
* The row limit of the web (`survey.tabular.model.MAX_ROWS`) does not apply: a job takes
  up to `IMPORT_MAX_ROWS` rows and `SURVEY_MAX_IMPORT_MB` megabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Final

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from survey.audit.recording import acting_for
from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.jobs.queue import enqueue_job
from survey.jobs.registry import JobContext, JobFailed, JobKind, JobOutput
from survey.questionnaires.storage import questionnaire_of
from survey.responses.answers_file import ImportProblem, check_responses_header
from survey.responses.importing import ImportOutcome, import_responses
from survey.rounds.access import can_manage_round
from survey.rounds.staging import discard_job_upload, job_upload, keep_upload_for_job
from survey.schema.accounts import User
from survey.schema.jobs import Job
from survey.schema.rounds import Round
from survey.tabular import TableLimits, table_limits

IMPORT_JOB: Final = "answers_import"
UPLOAD_PURPOSE: Final = "answers_import"
IMPORT_MAX_ROWS: Final = 200_000
DEFAULT_MAX_IMPORT_MB: Final = 50
# How long a kept file waits for its worker (or, checked only, for "Importera svaren").
FILE_LIFETIME: Final = timedelta(hours=24)
CONFLICT_MESSAGE: Final = (
    "Svaren i omgången ändrades samtidigt som importen pågick, så ingenting importerades. "
    "Ladda upp filen igen."
)
FILE_GONE_MESSAGE: Final = "Filen finns inte längre kvar på servern. Ladda upp den igen."


def max_import_bytes() -> int:
    """The largest answers file the import page takes (``SURVEY_MAX_IMPORT_MB``)."""
    return int(current_app.config.get("SURVEY_MAX_IMPORT_MB", DEFAULT_MAX_IMPORT_MB)) << 20


@contextmanager
def import_limits() -> Iterator[None]:
    """Read an answers file with the import's limits rather than the web's."""
    with table_limits(TableLimits(max_rows=IMPORT_MAX_ROWS, max_bytes=max_import_bytes())):
        yield


def check_header(round_: Round, data: bytes, filename: str) -> list[ImportProblem]:
    """The problems a quick look at the file finds (unreadable, wrong header); none: queue it."""
    with import_limits():
        return check_responses_header(
            questionnaire_of(round_.questionnaire_version), data, filename
        )


def queue_import(
    round_: Round,
    user: User,
    filename: str,
    data: bytes,
    *,
    add_recipients: bool,
    check_only: bool,
    now: datetime | None = None,
) -> Job:
    """Keep the file and queue the job that checks (and, unless `check_only`, imports) it."""
    now = now or utcnow()
    upload_id = keep_upload_for_job(
        user.id, UPLOAD_PURPOSE, filename, data, now=now, lifetime=FILE_LIFETIME
    )
    return queue_kept_file(
        round_, user, upload_id, filename, add_recipients=add_recipients, check_only=check_only
    )


def queue_kept_file(
    round_: Round,
    user: User,
    upload_id: int,
    filename: str,
    *,
    add_recipients: bool,
    check_only: bool,
) -> Job:
    """Queue a job for a file already kept (a checked file to import now). The caller commits."""
    return enqueue_job(
        IMPORT_JOB,
        {
            "round_id": round_.id,
            "user_id": user.id,
            "upload_id": upload_id,
            "filename": filename[:255],
            "add_recipients": add_recipients,
            "check_only": check_only,
        },
        round_id=round_.id,
        created_by_id=user.id,
    )


def run_import(context: JobContext) -> JobOutput:
    """Check the kept file and, when it has no problem and was not a check only, store it."""
    params = context.params
    round_ = db.session.get(Round, int(params["round_id"]))
    if round_ is None:
        raise JobFailed("Omgången finns inte längre.", code=ErrorCode.JOB_FAILED)
    user = db.session.get(User, int(params["user_id"]))
    if user is None or not can_manage_round(user, round_):
        raise JobFailed(
            "Du får inte längre importera svar till omgången.", code=ErrorCode.JOB_FAILED
        )
    upload_id = int(params["upload_id"])
    kept = job_upload(upload_id, user.id, UPLOAD_PURPOSE, now=utcnow())
    if kept is None:
        raise JobFailed(FILE_GONE_MESSAGE, code=ErrorCode.JOB_FAILED)
    check_only = bool(params.get("check_only"))
    try:
        with import_limits(), acting_for(user):
            outcome = import_responses(
                round_,
                kept.content,
                kept.filename,
                add_recipients=bool(params.get("add_recipients")),
                dry_run=check_only,
                progress=context.writing,
            )
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise JobFailed(CONFLICT_MESSAGE, code=ErrorCode.JOB_FAILED) from None
    if not (check_only and outcome.ok):
        discard_job_upload(upload_id)  # used: removed with the DONE mark
    return JobOutput(summary=outcome_summary(outcome, check_only=check_only))


def outcome_summary(outcome: ImportOutcome, *, check_only: bool) -> dict[str, Any]:
    """What the job's page shows, as JSON kept with the job."""
    check = outcome.check
    return {
        "check_only": check_only,
        "ok": outcome.ok,
        "imported": outcome.imported,
        "rows": outcome.rows,
        "created": outcome.created,
        "amended": outcome.amended,
        "unchanged": outcome.unchanged,
        "recipients_created": outcome.recipients_created,
        "problem_count": check.problem_count,
        "problems": [
            [problem.row, problem.column, problem.message]
            for problem in check.problems  # at most answers_check.MAX_PROBLEMS_KEPT
        ],
        "warnings": [str(warning) for warning in check.warnings],
        "file_description": check.file_description,
    }


def imported_text(summary: dict[str, Any]) -> str:
    """Say in Swedish what an import did (as the page said when it imported in the request)."""
    parts = [f"{summary['created']} nya", f"{summary['amended']} ändrade"]
    if summary["unchanged"]:
        parts.append(f"{summary['unchanged']} oförändrade")
    text = f"{summary['rows']} svar importerades ({', '.join(parts)})"
    if summary["recipients_created"]:
        text += f" och {summary['recipients_created']} mottagare lades till"
    return text + "."


IMPORT_JOB_KIND: Final = JobKind(IMPORT_JOB, "Import av svar", run_import)
