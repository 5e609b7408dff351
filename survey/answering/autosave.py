"""Autosave of the respondent's draft, for the form's script (static/autosave.js).

The form works without JavaScript: "Spara utkast" posts the page. With JavaScript the
script posts the same fields here a few seconds after a change; the draft is saved as
by "Spara utkast" (never submitted), and the answer says when, with each section's
progress, so the overview stays current. Every refusal is JSON with a Swedish message;
the page then tells the respondent to save by hand.
"""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from survey.answering.form import build_answer_form
from survey.answering.respondent import (
    _csrf_token_is_valid,
    bp,
    parse_round_id,
    respondent_type_of,
)
from survey.answering.respondent_session import current_recipient
from survey.db import utcnow
from survey.extensions import csrf
from survey.localtime import to_local
from survey.questionnaires.storage import questionnaire_of
from survey.responses.service import (
    AnswersRefused,
    RecipientGone,
    ResponseConflict,
    RoundNotOpen,
    RoundPhase,
    phase_of,
    save_draft,
)

NOT_SAVED = "Svaren kunde inte sparas automatiskt. Klicka på ”Spara utkast”."


def _refusal(message: str, status: int) -> ResponseReturnValue:
    return jsonify({"saved": False, "message": message}), status


@bp.post("/svara/<round_id>/autospara")
def autosave(round_id: str) -> ResponseReturnValue:
    """Save the posted answers as the draft; answer JSON (saved, at, sections)."""
    number = parse_round_id(round_id)
    recipient = current_recipient(number)
    if recipient is None:
        return _refusal("Länken gäller inte längre. Öppna länken i e-postmeddelandet igen.", 403)
    if not _csrf_token_is_valid():
        return _refusal(NOT_SAVED, 400)
    round_ = recipient.round
    now = utcnow()
    if phase_of(round_, now) is not RoundPhase.OPEN:
        return _refusal("Enkäten tar inte emot svar just nu.", 409)
    questionnaire = questionnaire_of(round_.questionnaire_version)
    answer_form = build_answer_form(questionnaire, respondent_type_of(recipient))
    answer_form.validate_answers(require_complete=False)
    try:
        save_draft(recipient, answer_form.raw_answers, now)
    except RoundNotOpen:
        return _refusal("Enkäten tar inte emot svar just nu.", 409)
    except RecipientGone:
        return _refusal("Länken gäller inte längre. Öppna länken i e-postmeddelandet igen.", 403)
    except (ResponseConflict, AnswersRefused) as refusal:
        return _refusal(refusal.message, 409)
    sections = [
        {
            "anchor": view.anchor,
            "answered": view.progress.answered,
            "total": view.progress.total,
            "text": view.progress_text,
        }
        for view in answer_form.layout().sections
    ]
    saved_at = to_local(now).strftime("%H.%M")
    return jsonify(
        {
            "saved": True,
            "message": f"Utkastet sparades automatiskt kl. {saved_at}.",
            "sections": sections,
        }
    )


# The CSRF token is checked above, so a refusal is JSON rather than the HTML error page.
csrf.exempt(autosave)
