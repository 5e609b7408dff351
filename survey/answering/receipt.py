"""The respondent's receipt by e-mail: a copy of the submitted answers, without the link.

Queued through the outbox after each submission (one per submission number, so a retry
never sends it twice). It carries no personal link: forwarding it gives nobody access.
A receipt that cannot be queued (e.g. the round has no usable sender) is logged and
does not undo the submission.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from survey.answering.form import AnsweredQuestion
from survey.db import db
from survey.localtime import moment_text
from survey.mail.compose import MAX_SUBJECT_LENGTH, InvalidMail
from survey.mail.outbox import NewMessage, queue_new_message
from survey.schema.outbox import MailKind
from survey.schema.rounds import Recipient

log = logging.getLogger(__name__)


def receipt_text(
    recipient: Recipient, answers: Sequence[AnsweredQuestion], submitted_at: datetime
) -> str:
    """The receipt's body: who answered for what, when, and every answer."""
    round_ = recipient.round
    lines = [
        f"Hej {recipient.name or ''}!".replace(" !", "!"),
        "",
        f"Här är en kopia av svaren som skickades in {moment_text(submitted_at)} för "
        f"{recipient.organisation} i enkäten ”{round_.questionnaire_version.title}” "
        f"({round_.title}).",
        "",
    ]
    for item in answers:
        lines.append(f"{item.number}. {item.question.text}")
        lines.extend(f"   {line}" for line in item.display.splitlines() or [""])
        lines.append("")
    lines += [
        "Vill du ändra något öppnar du länken i inbjudan igen. Det här meddelandet innehåller "
        "ingen länk till enkäten.",
        "",
        f"Med vänliga hälsningar\n{round_.sender_name}",
    ]
    return "\n".join(lines)


def queue_receipt(
    recipient: Recipient,
    answers: Sequence[AnsweredQuestion],
    *,
    submission_number: int,
    submitted_at: datetime,
) -> bool:
    """Queue the receipt of a submission and commit; False (logged) when it cannot be."""
    if not recipient.email:
        return False
    round_ = recipient.round
    subject = f"Kvitto: dina svar i {round_.title}"
    try:
        queue_new_message(
            NewMessage(
                kind=MailKind.RECEIPT,
                sequence=submission_number,
                to_address=recipient.email,
                to_name=recipient.name,
                subject=subject[:MAX_SUBJECT_LENGTH],
                body_text=receipt_text(recipient, answers, submitted_at),
                sender_name=round_.sender_name,
                reply_to=round_.reply_to,
                round_id=round_.id,
                recipient_id=recipient.id,
            )
        )
        db.session.commit()
    except InvalidMail as error:
        db.session.rollback()
        log.warning("the receipt of recipient %s was not queued: %s", recipient.id, error)
        return False
    return True
