"""The preview: a stored questionnaire version shown as a respondent will see it, to try out."""

from __future__ import annotations

import re
from typing import Final

from flask import Blueprint, abort, render_template, request, url_for

from survey.accounts.permissions import login_required
from survey.answering.form import build_answer_form
from survey.organisations import OrganisationType, parse_organisation_type
from survey.questionnaires.answers import EVERYONE, RespondentType
from survey.questionnaires.storage import find_questionnaire_version, questionnaire_of
from survey.schema.questionnaires import QuestionnaireVersion

bp = Blueprint("answering", __name__)

# Ids and versions as the questionnaire format allows them; anything else cannot be stored.
QUESTIONNAIRE_ID: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
VERSION: Final = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9}){0,7}")
EVERYONE_PARAMETER: Final = "alla"


def find_version_or_404(questionnaire_id: str, version: str | None) -> QuestionnaireVersion:
    """The stored version asked for (the latest without `version`); 404 when there is none."""
    if not QUESTIONNAIRE_ID.fullmatch(questionnaire_id) or (
        version is not None and not VERSION.fullmatch(version)
    ):
        abort(404)
    stored = find_questionnaire_version(questionnaire_id, version)
    if stored is None:
        abort(404)
    return stored


def preview_respondent_type(parameter: str | None) -> tuple[RespondentType, str | None]:
    """The organisation type chosen in `?organisationstyp=`, and a notice when it is unknown."""
    if parameter is None or parameter.strip() in ("", EVERYONE_PARAMETER):
        return EVERYONE, None
    chosen = parse_organisation_type(parameter)
    if chosen is None:
        return EVERYONE, (
            f"Organisationstypen ”{parameter[:60]}” finns inte. "
            "Enkäten visas som för alla organisationstyper."
        )
    return chosen, None


@bp.route("/forhandsgranska/<questionnaire_id>", methods=["GET", "POST"])
@login_required
def preview(questionnaire_id: str) -> str:
    """Show the questionnaire as a respondent sees it; a POST checks the answers, stores nothing."""
    version = request.args.get("version") or None
    stored = find_version_or_404(questionnaire_id, version)
    questionnaire = questionnaire_of(stored)
    respondent_type, type_notice = preview_respondent_type(request.args.get("organisationstyp"))
    form = build_answer_form(questionnaire, respondent_type)
    action: str | None = None
    if request.method == "POST":
        # Enter in a text field presses the first button, "save": the gentler check.
        action = "save" if request.form.get("action") == "save" else "submit"
        form.validate_answers(require_complete=action == "submit")
    errors = form.error_summary()
    selected_type = (
        "" if not isinstance(respondent_type, OrganisationType) else respondent_type.value
    )
    return render_template(
        "answering/preview.html",
        questionnaire=questionnaire,
        stored=stored,
        form=form,
        errors=errors,
        action=action,
        checked=request.method == "POST" and not errors,
        selected_type=selected_type,
        type_notice=type_notice,
        organisation_types=list(OrganisationType),
        version_parameter=version,
        action_url=url_for(
            "answering.preview",
            questionnaire_id=questionnaire.id,
            version=version,
            organisationstyp=selected_type or None,
        ),
    )
