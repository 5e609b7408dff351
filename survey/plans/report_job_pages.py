"""The report's PDF and workbook as jobs: ordered on the report page, followed, downloaded.

"Skapa rapporten" on ``/planer/<plan>/rapport`` queues a job (`survey.plans.report_jobs`);
its page shows how far it has come and offers the file once it is done. Everyone who may
read the plan may order its report; a user sees only the jobs they ordered (404
otherwise), and only while they may still read the plan. Each download is recorded in the
audit log. The routes are added to the plans blueprint when this module is imported.
"""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey.accounts.permissions import login_required
from survey.db import db
from survey.jobs.queue import result_of
from survey.localtime import moment_text
from survey.plans.pages import as_of_from, bp, open_plan
from survey.plans.report_jobs import (
    CONTENT_TYPES,
    KIND_LABELS,
    REPORT_KINDS,
    plan_job,
    queue_plan_report,
    record_report_download,
)
from survey.schema.jobs import Job, JobState
from survey.schema.plans import PlanRecord

FORMAT_FIELD = "format"


def _own_job(record: PlanRecord, job_id: int) -> Job:
    job = plan_job(job_id, record)
    if job is None or job.created_by_id != current_user.id:
        abort(404)
    return job


@bp.post("/<plan_key>/rapport/jobb")
@login_required
def start_report_job(plan_key: str) -> ResponseReturnValue:
    record = open_plan(plan_key)
    as_of, errors = as_of_from(request.form)
    kind = request.form.get(FORMAT_FIELD, "")
    if errors or kind not in REPORT_KINDS:
        flash(errors[0][1] if errors else "Välj PDF eller Excel.", "error")
        return redirect(url_for("plans.report", plan_key=plan_key))
    job = queue_plan_report(record, current_user._get_current_object(), as_of, kind)
    db.session.commit()
    flash("Rapporten är beställd. Den skapas i bakgrunden; sidan visar hur det går.", "success")
    return redirect(url_for("plans.report_job_page", plan_key=plan_key, job_id=job.id))


@bp.get("/<plan_key>/rapport/jobb/<int:job_id>")
@login_required
def report_job_page(plan_key: str, job_id: int) -> ResponseReturnValue:
    record = open_plan(plan_key)
    job = _own_job(record, job_id)
    return render_template(
        "plans/report_job.html",
        record=record,
        job=job,
        kind_label=KIND_LABELS.get(str(job.params.get("kind")), ""),
        moment_text=moment_text,
    )


@bp.get("/<plan_key>/rapport/jobb/<int:job_id>/status")
@login_required
def report_job_status(plan_key: str, job_id: int) -> ResponseReturnValue:
    job = _own_job(open_plan(plan_key), job_id)
    response = jsonify({"state": job.state, "percent": job.percent})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<plan_key>/rapport/jobb/<int:job_id>/fil")
@login_required
def download_report_job(plan_key: str, job_id: int) -> ResponseReturnValue:
    record = open_plan(plan_key)
    job = _own_job(record, job_id)
    data = result_of(job) if job.state == JobState.DONE else None
    if data is None:
        abort(404)
    record_report_download(record, job.params)
    db.session.commit()
    kind = str(job.params.get("kind"))
    response = Response(data, mimetype=CONTENT_TYPES.get(kind, "application/octet-stream"))
    response.headers["Content-Length"] = str(len(data))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{job.result_name or f"rapport.{kind}"}"'
    )
    return response
