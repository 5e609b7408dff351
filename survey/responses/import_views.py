"""The answers import page: upload earlier answers (Excel or CSV) to a round, and its template.

For process leaders of the round's delregion and administrators (readers: 403; other
delregions: 404). The file is checked whole; it is imported only when nothing is wrong, in
one transaction. "Kontrollera filen" checks without importing.
"""

from __future__ import annotations

import io
import re
from typing import Final

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from survey.db import db
from survey.questionnaires.storage import questionnaire_of
from survey.responses.answer_cells import allowed_answers
from survey.responses.answers_file import NEW_RECIPIENT_COLUMNS
from survey.responses.answers_template import responses_template_xlsx
from survey.responses.importing import ImportOutcome, import_responses
from survey.rounds.access import round_view
from survey.schema.rounds import Round

bp = Blueprint("response_import", __name__)

FILE_FIELD: Final = "fil"
ADD_RECIPIENTS_FIELD: Final = "lagg_till_mottagare"
# More problems than this are counted, not listed: a wholly wrong file would flood the page.
MAX_PROBLEMS_SHOWN: Final = 500
XLSX_MIMETYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONFLICT_MESSAGE: Final = (
    "Svaren i omgången ändrades samtidigt som importen pågick, så ingenting importerades. "
    "Ladda upp filen igen."
)


def render_import_page(
    round_: Round,
    *,
    errors: list[tuple[str, str]] | None = None,
    outcome: ImportOutcome | None = None,
    checked_only: bool = False,
    add_recipients: bool = False,
    status: int = 200,
) -> ResponseReturnValue:
    errors = errors or []
    problems = outcome.check.problems if outcome is not None else []
    problem_count = outcome.check.problem_count if outcome is not None else 0
    return (
        render_template(
            "responses/import.html",
            round=round_,
            questionnaire=questionnaire_of(round_.questionnaire_version),
            errors=errors,
            outcome=outcome,
            problems=problems[:MAX_PROBLEMS_SHOWN],
            problems_not_shown=max(0, problem_count - min(len(problems), MAX_PROBLEMS_SHOWN)),
            checked_only=checked_only,
            add_recipients=add_recipients,
            file_field=FILE_FIELD,
            add_recipients_field=ADD_RECIPIENTS_FIELD,
            new_recipient_columns=NEW_RECIPIENT_COLUMNS,
            allowed_answers=allowed_answers,
            round_url=url_for("rounds.show_round", round_id=round_.id),
        ),
        status,
    )


@bp.route("/omgangar/<int:round_id>/importera-svar", methods=["GET", "POST"])
@round_view(manage=True)
def import_page(round_: Round) -> ResponseReturnValue:
    """Show the upload form; on POST check the file and import it when it has no problem."""
    if request.method == "GET":
        return render_import_page(round_)
    add_recipients = request.form.get(ADD_RECIPIENTS_FIELD) == "ja"
    checked_only = request.form.get("action") == "kontrollera"
    upload = request.files.get(FILE_FIELD)
    if upload is None or not upload.filename:
        return render_import_page(
            round_,
            errors=[(FILE_FIELD, "Välj en fil med svar (.xlsx eller .csv).")],
            add_recipients=add_recipients,
        )
    filename = upload.filename
    data = upload.read()
    try:
        outcome = import_responses(
            round_, data, filename, add_recipients=add_recipients, dry_run=checked_only
        )
        if outcome.imported:
            db.session.commit()
        else:
            db.session.rollback()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        return render_import_page(
            round_, errors=[(FILE_FIELD, CONFLICT_MESSAGE)], add_recipients=add_recipients
        )
    if not outcome.ok:
        count = outcome.check.problem_count
        message = (
            f"Filen har {count} fel. Ingenting har importerats. Rätta felen och ladda upp "
            "filen igen."
            if count
            else "Filen har inga rader med svar. Ingenting har importerats."
        )
        return render_import_page(
            round_,
            errors=[(FILE_FIELD, message)],
            outcome=outcome,
            checked_only=checked_only,
            add_recipients=add_recipients,
        )
    if checked_only:
        return render_import_page(
            round_, outcome=outcome, checked_only=True, add_recipients=add_recipients
        )
    flash(imported_message(outcome), "success")
    for warning in outcome.check.warnings:
        flash(str(warning), "warning")
    return redirect(url_for("results.round_results", round_id=round_.id))


def imported_message(outcome: ImportOutcome) -> str:
    """Say in Swedish what an import did."""
    parts = [f"{outcome.created} nya", f"{outcome.amended} ändrade"]
    if outcome.unchanged:
        parts.append(f"{outcome.unchanged} oförändrade")
    text = f"{outcome.rows} svar importerades ({', '.join(parts)})"
    if outcome.recipients_created:
        text += f" och {outcome.recipients_created} mottagare lades till"
    return text + "."


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
