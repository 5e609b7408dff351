"""The plan's report for the tjänstemannaberedning (DST) as a job: PDF or workbook.

WeasyPrint takes seconds for a plan with its charts, longer for a large one, and more than
one user asking at once would hold app servers; the report page queues a job of this kind
instead. The worker builds the file as of the date asked for and keeps it in the job's
row (every app server can hand it out) until it expires; its download is recorded in the
audit log. Who may download is decided when the file is asked for (the plan's readers),
not when it was built.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from sqlalchemy import select

from survey.audit.recording import record_audit
from survey.db import db
from survey.errors import ErrorCode
from survey.jobs.queue import enqueue_job
from survey.jobs.registry import JobContext, JobFailed, JobKind, JobOutput
from survey.plans.analyses import latest_analyses
from survey.plans.report import build_report, report_pdf, report_xlsx
from survey.schema.accounts import User
from survey.schema.jobs import Job
from survey.schema.plans import PlanRecord

PLAN_REPORT_JOB: Final = "plan_report"
REPORT_KINDS: Final = ("pdf", "xlsx")
CONTENT_TYPES: Final = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
KIND_LABELS: Final = {"pdf": "PDF", "xlsx": "Excel"}
DOWNLOAD_ACTION: Final = "plan.report_downloaded"
STEPS: Final = 3  # claimed, report built, file made


def report_file_name(record: PlanRecord, as_of: date, kind: str) -> str:
    return f"{record.plan_key}-rapport-{as_of.isoformat()}.{kind}"


def queue_plan_report(record: PlanRecord, user: User, as_of: date, kind: str) -> Job:
    """Queue the report of the plan as of `as_of` (`kind` "pdf" or "xlsx"). The caller commits."""
    assert kind in REPORT_KINDS
    return enqueue_job(
        PLAN_REPORT_JOB,
        {"plan_id": record.id, "as_of": as_of.isoformat(), "kind": kind},
        created_by_id=user.id,
    )


def run_plan_report(context: JobContext) -> JobOutput:
    """Build the report's file as the page's download did."""
    record = db.session.get(PlanRecord, int(context.params["plan_id"]))
    if record is None:
        raise JobFailed("Planen finns inte längre.", code=ErrorCode.JOB_FAILED)
    as_of = date.fromisoformat(str(context.params["as_of"]))
    kind = str(context.params["kind"])
    if kind not in REPORT_KINDS:
        raise JobFailed("Rapporten kan bara skapas som PDF eller Excel.", code=ErrorCode.JOB_FAILED)
    context.progress(1, STEPS)
    built = build_report(record, as_of, latest_analyses(record, as_of.year))
    context.progress(2, STEPS)
    data = report_pdf(built) if kind == "pdf" else report_xlsx(built)
    return JobOutput(
        summary={"plan_key": record.plan_key, "version": built.version.version},
        file=data,
        file_name=report_file_name(record, as_of, kind),
        content_type=CONTENT_TYPES[kind],
    )


def plan_job(job_id: int, record: PlanRecord) -> Job | None:
    """The report job, if it is one of this plan's; None otherwise."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != PLAN_REPORT_JOB or job.params.get("plan_id") != record.id:
        return None
    return job


def recent_report_jobs(record: PlanRecord, user_id: int, limit: int = 10) -> list[Job]:
    """The user's latest report jobs of the plan, newest first."""
    jobs = db.session.scalars(
        select(Job)
        .where(Job.kind == PLAN_REPORT_JOB, Job.created_by_id == user_id)
        .order_by(Job.id.desc())
        .limit(100)
    )
    return [job for job in jobs if job.params.get("plan_id") == record.id][:limit]


def record_report_download(record: PlanRecord, params: dict[str, Any]) -> None:
    """Add the audit event of a report's download (the caller commits)."""
    kind = str(params.get("kind", ""))
    record_audit(
        DOWNLOAD_ACTION,
        f"Laddade ner rapporten för {record.title} per {params.get('as_of')} "
        f"({KIND_LABELS.get(kind, kind)}).",
        delregion=record.delregion,
        details={"plan": record.plan_key, "as_of": params.get("as_of"), "kind": kind},
    )


PLAN_REPORT_JOB_KIND: Final = JobKind(PLAN_REPORT_JOB, "DST-rapport", run_plan_report)
