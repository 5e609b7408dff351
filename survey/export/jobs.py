"""The Excel export as a job: built by a worker, kept in the database, downloaded later.

A large round's workbook takes longer than a request may (tens of seconds at 100,000
answers); the export page queues a job of this kind instead, the worker builds the file
and stores it in the job's row (readable by every app server), and the page offers the
download once it is done. The download is what the audit log records, as before.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import Any, Final

from survey.db import db
from survey.errors import ErrorCode
from survey.export.views import export_file_names
from survey.export.workbook import CONTENT_TYPE, ExportSummary, Variant, build_workbook
from survey.jobs.registry import JobContext, JobFailed, JobKind, JobOutput
from survey.schema.rounds import Round

EXPORT_JOB: Final = "excel_export"
STEPS: Final = 3  # claimed, built, stored
IN_MEMORY_BYTES: Final = 8 * 1024 * 1024


def run_export(context: JobContext) -> JobOutput:
    """Build the round's workbook (pseudonymised, or identifying when asked for)."""
    round_id = int(context.params["round_id"])
    identifying = bool(context.params.get("identifying"))
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise JobFailed("Omgången finns inte längre.", code=ErrorCode.JOB_FAILED)
    context.progress(1, STEPS)
    with tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES) as file:
        summary = build_workbook(round_id, identifying=identifying, out=file)
        context.progress(2, STEPS)
        file.seek(0)
        data = file.read()
    round_ = db.session.get(Round, round_id)
    assert round_ is not None
    ascii_name, utf8_name = export_file_names(round_, summary.variant)
    return JobOutput(
        summary={
            "variant": summary.variant.value,
            "responses": summary.responses,
            "non_respondents": summary.non_respondents,
            "free_text_answers": summary.free_text_answers,
            "exported_at": summary.exported_at.isoformat(),
            "utf8_name": utf8_name,
        },
        file=data,
        file_name=ascii_name,
        content_type=CONTENT_TYPE,
    )


def summary_of(round_id: int, stored: dict[str, Any]) -> ExportSummary:
    """The `ExportSummary` a finished job kept (for the audit event of its download)."""
    return ExportSummary(
        round_id=round_id,
        variant=Variant(stored["variant"]),
        responses=int(stored["responses"]),
        non_respondents=int(stored["non_respondents"]),
        free_text_answers=int(stored["free_text_answers"]),
        exported_at=datetime.fromisoformat(stored["exported_at"]),
    )


EXPORT_JOB_KIND: Final = JobKind(EXPORT_JOB, "Excel-export", run_export)
