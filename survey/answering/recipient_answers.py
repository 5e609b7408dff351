"""One recipient's submitted answers, for the process leader to read and print.

Personal data: only those who run the round see it (`round_view(manage=True)`), and each
view is written to the audit log. The answers are shown in the form's order and
numbering, as the respondent saw them on their receipt page.
"""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from survey.answering.respondent import (
    answered_questions,
    organisation_type_label,
    respondent_type_of,
)
from survey.answering.views import bp
from survey.audit.recording import record_audit
from survey.db import db
from survey.localtime import format_local
from survey.questionnaires.storage import questionnaire_of
from survey.rounds.access import round_view
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round


@bp.get("/omgangar/<int:round_id>/mottagare/<int:recipient_id>/svar")
@round_view(manage=True)
def recipient_answers(round_: Round, recipient_id: int) -> ResponseReturnValue:
    recipient = db.session.get(Recipient, recipient_id)
    if recipient is None or recipient.round_id != round_.id:
        abort(404)
    response = db.session.scalar(select(Response).where(Response.recipient_id == recipient.id))
    submitted = response is not None and response.answers is not None
    questionnaire = questionnaire_of(round_.questionnaire_version)
    answers = (
        answered_questions(questionnaire, respondent_type_of(recipient), response.answers or {})
        if submitted and response is not None
        else []
    )
    if submitted:
        record_audit(
            "response.view",
            f"Läste de inskickade svaren från mottagare {recipient.id}.",
            round_id=round_.id,
            delregion=round_.delregion,
            details={"recipient_id": recipient.id},
        )
        db.session.commit()
    return render_template(
        "answering/recipient_answers.html",
        round=round_,
        recipient=recipient,
        questionnaire=questionnaire,
        organisation_type=organisation_type_label(recipient),
        submitted_at=format_local(response.submitted_at) if response and submitted else None,
        answers=answers,
        submitted=submitted,
    )
