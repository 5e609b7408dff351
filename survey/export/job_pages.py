"""The export page: queue the Excel export as a job, follow its progress, download it.

``/omgangar/<id>/export`` lists the user's recent exports of the round and starts a new
one (POST). Each job has its page (progress, refreshed by a link or, with JavaScript,
by polling its status); the finished file is downloaded from the database by any app
server. Everyone who may read the round may export it pseudonymised; identifying exports
need a process leader of its delregion or an administrator. A user sees only their own
jobs; every download is recorded in the audit log.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey.db import db
from survey.export.jobs import EXPORT_JOB, summary_of
from survey.export.views import IDENTIFYING_PARAMETER, content_disposition
from survey.export.workbook import CONTENT_TYPE, record_export
from survey.jobs.queue import enqueue_job, job_of_round, recent_jobs, result_of
from survey.localtime import moment_text
from survey.rounds.access import can_manage_round, round_view
from survey.schema.jobs import Job, JobState
from survey.schema.rounds import Round

bp = Blueprint("export_jobs", __name__)


def _own_job(round_: Round, job_id: int) -> Job:
    job = job_of_round(job_id, round_.id, EXPORT_JOB)
    if job is None or job.created_by_id != current_user.id:
        abort(404)
    if job.params.get("identifying") and not can_manage_round(current_user, round_):
        abort(404)
    return job


@bp.get("/omgangar/<int:round_id>/export")
@round_view()
def export_page(round_: Round) -> ResponseReturnValue:
    jobs = [
        job for job in recent_jobs(round_.id, EXPORT_JOB) if job.created_by_id == current_user.id
    ]
    return render_template(
        "export/jobs.html",
        round=round_,
        jobs=jobs,
        can_manage=can_manage_round(current_user, round_),
        moment_text=moment_text,
    )


@bp.post("/omgangar/<int:round_id>/export")
@round_view()
def start_export(round_: Round) -> ResponseReturnValue:
    identifying = request.form.get(IDENTIFYING_PARAMETER) == "1"
    if identifying and not can_manage_round(current_user, round_):
        abort(403)
    job = enqueue_job(
        EXPORT_JOB,
        {"round_id": round_.id, "identifying": identifying},
        round_id=round_.id,
        created_by_id=current_user.id,
    )
    db.session.commit()
    flash("Exporten är beställd. Den skapas i bakgrunden; sidan visar hur det går.", "success")
    return redirect(url_for("export_jobs.job_page", round_id=round_.id, job_id=job.id))


@bp.get("/omgangar/<int:round_id>/export/<int:job_id>")
@round_view()
def job_page(round_: Round, job_id: int) -> ResponseReturnValue:
    job = _own_job(round_, job_id)
    return render_template("export/job.html", round=round_, job=job, moment_text=moment_text)


@bp.get("/omgangar/<int:round_id>/export/<int:job_id>/status")
@round_view()
def job_status(round_: Round, job_id: int) -> ResponseReturnValue:
    job = _own_job(round_, job_id)
    response = jsonify({"state": job.state, "percent": job.percent})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/omgangar/<int:round_id>/export/<int:job_id>/fil")
@round_view()
def download_job(round_: Round, job_id: int) -> ResponseReturnValue:
    job = _own_job(round_, job_id)
    if job.state != JobState.DONE:
        abort(404)
    data = result_of(job)
    if data is None:
        abort(404)
    summary = job.params.get("summary", {})
    record_export(round_, summary_of(round_.id, summary))
    db.session.commit()
    response = Response(data, mimetype=CONTENT_TYPE)
    response.headers["Content-Length"] = str(len(data))
    # Answers (and, identifying, personal data) must not stay in shared caches.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = content_disposition(
        job.result_name or "export.xlsx", str(summary.get("utf8_name") or "export.xlsx")
    )
    return response
