"""The answers import page: upload earlier answers (Excel or CSV) to a round, and its template.

For process leaders of the round's delregion and administrators (readers: 403; other
delregions: 404). The page reads only the file's header at once: a file that cannot be
read or whose columns are wrong is refused there. Otherwise the file is kept and a job
(`survey.responses.import_jobs`) checks it whole and imports it when nothing is wrong, in
one transaction; the job's page shows how far it has come and then the outcome, or every
problem. "Kontrollera filen" checks without importing; the job's page then offers to
import the file checked. A user sees only the import jobs they queued.
"""

from __future__ import annotations

import io
import re
from typing import Any, Final

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey.db import db, utcnow
from survey.jobs.queue import job_of_round, recent_jobs
from survey.localtime import moment_text
from survey.questionnaires.storage import questionnaire_of
from survey.responses.answer_cells import allowed_answers
from survey.responses.answers_file import NEW_RECIPIENT_COLUMNS, ImportProblem
from survey.responses.answers_template import responses_template_xlsx
from survey.responses.import_jobs import (
    FILE_GONE_MESSAGE,
    IMPORT_JOB,
    IMPORT_MAX_ROWS,
    UPLOAD_PURPOSE,
    check_header,
    imported_text,
    max_import_bytes,
    queue_import,
    queue_kept_file,
)
from survey.rounds.access import round_view
from survey.rounds.staging import job_upload_kept
from survey.schema.jobs import Job, JobState
from survey.schema.rounds import Round

bp = Blueprint("response_import", __name__)

FILE_FIELD: Final = "fil"
ADD_RECIPIENTS_FIELD: Final = "lagg_till_mottagare"
XLSX_MIMETYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _limits_text() -> str:
    rows = f"{IMPORT_MAX_ROWS:,}".replace(",", "\N{NO-BREAK SPACE}")
    return f"högst {rows} rader och {max_import_bytes() >> 20} MB"


def render_import_page(
    round_: Round,
    *,
    errors: list[tuple[str, str]] | None = None,
    problems: list[ImportProblem] | None = None,
    add_recipients: bool = False,
    status: int = 200,
) -> ResponseReturnValue:
    jobs = recent_jobs(round_.id, IMPORT_JOB, created_by_id=current_user.id)
    return (
        render_template(
            "responses/import.html",
            round=round_,
            questionnaire=questionnaire_of(round_.questionnaire_version),
            errors=errors or [],
            problems=[(problem.row, problem.column, problem.message) for problem in problems or []],
            add_recipients=add_recipients,
            file_field=FILE_FIELD,
            add_recipients_field=ADD_RECIPIENTS_FIELD,
            new_recipient_columns=NEW_RECIPIENT_COLUMNS,
            allowed_answers=allowed_answers,
            round_url=url_for("rounds.show_round", round_id=round_.id),
            limits_text=_limits_text(),
            jobs=jobs,
            moment_text=moment_text,
        ),
        status,
    )


@bp.route("/omgangar/<int:round_id>/importera-svar", methods=["GET", "POST"])
@round_view(manage=True)
def import_page(round_: Round) -> ResponseReturnValue:
    """Show the upload form; on POST check the header and queue the job checking the rest."""
    if request.method == "GET":
        return render_import_page(round_)
    add_recipients = request.form.get(ADD_RECIPIENTS_FIELD) == "ja"
    check_only = request.form.get("action") == "kontrollera"
    upload = request.files.get(FILE_FIELD)
    if upload is None or not upload.filename:
        return render_import_page(
            round_,
            errors=[(FILE_FIELD, "Välj en fil med svar (.xlsx eller .csv).")],
            add_recipients=add_recipients,
        )
    filename = upload.filename
    data = upload.read()
    problems = check_header(round_, data, filename)
    if problems:
        message = (
            problems[0].message
            if len(problems) == 1
            else f"Filens rubrikrad har {len(problems)} fel. Ingenting har importerats."
        )
        return render_import_page(
            round_, errors=[(FILE_FIELD, message)], problems=problems, add_recipients=add_recipients
        )
    job = queue_import(
        round_,
        current_user._get_current_object(),
        filename,
        data,
        add_recipients=add_recipients,
        check_only=check_only,
    )
    db.session.commit()
    flash(
        "Filen är uppladdad. Den kontrolleras"
        + (" " if check_only else " och importeras ")
        + "i bakgrunden; sidan visar hur det går.",
        "success",
    )
    return redirect(url_for("response_import.job_page", round_id=round_.id, job_id=job.id))


def _own_job(round_: Round, job_id: int) -> Job:
    job = job_of_round(job_id, round_.id, IMPORT_JOB)
    if job is None or job.created_by_id != current_user.id:
        abort(404)
    return job


def _file_still_kept(job: Job) -> bool:
    return job_upload_kept(
        int(job.params["upload_id"]), current_user.id, UPLOAD_PURPOSE, now=utcnow()
    )


@bp.get("/omgangar/<int:round_id>/importera-svar/<int:job_id>")
@round_view(manage=True)
def job_page(round_: Round, job_id: int) -> ResponseReturnValue:
    job = _own_job(round_, job_id)
    summary: dict[str, Any] = job.params.get("summary", {})
    may_import = (
        job.state == JobState.DONE
        and summary.get("check_only")
        and summary.get("ok")
        and _file_still_kept(job)
    )
    problems = summary.get("problems", [])
    return render_template(
        "responses/import_job.html",
        round=round_,
        job=job,
        summary=summary,
        problems=problems,
        problems_not_shown=max(0, int(summary.get("problem_count", 0)) - len(problems)),
        imported_text=imported_text(summary) if summary.get("imported") else None,
        may_import=may_import,
        moment_text=moment_text,
    )


@bp.get("/omgangar/<int:round_id>/importera-svar/<int:job_id>/status")
@round_view(manage=True)
def job_status(round_: Round, job_id: int) -> ResponseReturnValue:
    job = _own_job(round_, job_id)
    response = jsonify({"state": job.state, "percent": job.percent})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/omgangar/<int:round_id>/importera-svar/<int:job_id>/importera")
@round_view(manage=True)
def import_checked_file(round_: Round, job_id: int) -> ResponseReturnValue:
    """Import the file a check-only job found correct, without choosing it again."""
    job = _own_job(round_, job_id)
    summary = job.params.get("summary", {})
    if job.state != JobState.DONE or not summary.get("check_only") or not summary.get("ok"):
        abort(404)
    if not _file_still_kept(job):
        flash(FILE_GONE_MESSAGE, "error")
        return redirect(url_for("response_import.import_page", round_id=round_.id))
    queued = queue_kept_file(
        round_,
        current_user._get_current_object(),
        int(job.params["upload_id"]),
        str(job.params.get("filename", "")),
        add_recipients=bool(job.params.get("add_recipients")),
        check_only=False,
    )
    db.session.commit()
    flash("Importen är beställd. Filen kontrolleras igen och importeras i bakgrunden.", "success")
    return redirect(url_for("response_import.job_page", round_id=round_.id, job_id=queued.id))


@bp.get("/omgangar/<int:round_id>/importera-svar/mall.xlsx")
@round_view(manage=True)
def import_template(round_: Round) -> ResponseReturnValue:
    """Download the import template of the round's questionnaire version."""
    questionnaire = questionnaire_of(round_.questionnaire_version)
    data = responses_template_xlsx(questionnaire, title=round_.title)
    safe_id = re.sub(r"[^a-z0-9-]", "", questionnaire.id)
    safe_version = re.sub(r"[^0-9.]", "", questionnaire.version)
    return send_file(
        io.BytesIO(data),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"importmall-{safe_id}-v{safe_version}.xlsx",
    )
