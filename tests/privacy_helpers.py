"""Rounds with personal data in every place it is kept, for the privacy tests.

`make_round_with_people` runs a round the way the engine does (create, add recipients,
open, deliver or fail mail, remind, answer, close) at chosen moments, so recipients,
outbox messages, responses, drafts and audit events all hold what they hold in real use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from survey.db import db, utcnow
from survey.organisations import OrganisationType
from survey.rounds.lifecycle import close_round, create_round, open_round
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.reminding import remind_now
from survey.rounds.roster import add_recipients
from survey.rounds.settings import RoundSettings
from survey.schema.outbox import MailStatus, OutboxMessage
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import make_questionnaire_version, make_submitted_response
from tests.sample import sample_questionnaire

ANSWERS = [
    {"sip_okning": "ja", "omraden": ["fallrisk"], "nojdhet": "ganska_nojd", "utbildning": 40,
     "kommentar": "Bra samverkan"},
    {"sip_okning": "nej", "nojdhet": "mycket_nojd", "utbildning": 75,
     "beskrivning": "Vi har arbetat med SIP under året."},
]  # fmt: skip


@dataclass(frozen=True)
class People:
    """A round and the personal data put into it."""

    round_id: int
    recipient_ids: list[int]
    names: list[str]
    emails: list[str]


def _version() -> QuestionnaireVersion:
    questionnaire = sample_questionnaire()
    found = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
            QuestionnaireVersion.version == questionnaire.version,
        )
    )
    return found or make_questionnaire_version(questionnaire)


def make_round_with_people(
    app: Flask,
    label: str,
    *,
    opened_days_ago: int,
    closed_days_ago: int | None,
    state: RoundState = RoundState.CLOSED,
    people: int = 3,
    **round_fields: Any,
) -> People:
    """A round opened (and closed) that many days ago, with `people` recipients.

    The first two recipients answered (the second amended, and keeps a draft); the
    first invitation was delivered, the second failed with the address in the server's
    answer, and everyone not answering got a reminder.
    """
    with app.app_context():
        opened: datetime = utcnow() - timedelta(days=opened_days_ago)
        names = [f"{label} Person {n}" for n in range(1, people + 1)]
        emails = [f"{label.lower()}.person{n}@example.se" for n in range(1, people + 1)]
        round_ = create_round(
            RoundSettings(
                questionnaire_version_id=_version().id,
                title=f"Enkät {label}",
                delregion="NV",
                reference_date=opened.date(),
                opens_at=opened,
                closes_at=opened + timedelta(days=2000),
                sender_name="Processledare nära vård, Nordväst",
                reply_to="processledare.nv@example.se",
                **round_fields,
            ),
            now=opened,
        )
        recipients = add_recipients(
            round_,
            [
                RecipientRow(name, email, f"Vårdcentralen {label} {n}",
                             OrganisationType.REGIONAL_PV, "Lund", "NV")
                for n, (name, email) in enumerate(zip(names, emails, strict=True), start=1)
            ],
            now=opened,
        )  # fmt: skip
        if state is not RoundState.DRAFT:
            open_round(round_, now=opened)
            invitations = list(
                db.session.scalars(
                    select(OutboxMessage).where(OutboxMessage.round_id == round_.id)
                    .order_by(OutboxMessage.id)
                )
            )  # fmt: skip
            invitations[0].status = MailStatus.SENT.value
            invitations[0].sent_at = opened
            invitations[1].status = MailStatus.FAILED.value
            invitations[1].last_error = f"550 5.1.1 <{emails[1]}>: Recipient address rejected"
            for message in invitations[2:]:
                message.status = MailStatus.SENT.value
            make_submitted_response(round_, recipients[0], ANSWERS[0])
            response = make_submitted_response(round_, recipients[1], ANSWERS[1], ANSWERS[1])
            response.draft = {"kommentar": f"Utkast om {names[1]}"}
            response.draft_saved_at = opened
            remind_now(round_, now=opened + timedelta(days=3))
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.round_id == round_.id, OutboxMessage.status == "queued")
                .values(status=MailStatus.SENT.value)
            )
        if state is RoundState.CLOSED:
            assert closed_days_ago is not None
            close_round(round_, now=utcnow() - timedelta(days=closed_days_ago))
        db.session.commit()
        return People(round_.id, [recipient.id for recipient in recipients], names, emails)


def rows_of_round(app: Flask, round_id: int) -> dict[str, list[str]]:
    """The round's recipient, outbox and response rows as text (to compare before and after)."""
    with app.app_context():
        tables = {
            "recipients": select(Recipient.__table__).where(Recipient.round_id == round_id),
            "outbox": select(OutboxMessage.__table__).where(OutboxMessage.round_id == round_id),
            "responses": select(Response.__table__).where(Response.round_id == round_id),
            "round": select(Round.__table__).where(Round.id == round_id),
        }
        result = {
            name: sorted(repr(tuple(row)) for row in db.session.execute(statement))
            for name, statement in tables.items()
        }
        db.session.rollback()
        return result


def database_text(app: Flask) -> str:
    """Everything stored, as one text: search it for personal data that must be gone."""
    from tests.security_helpers import database_snapshot

    return "\n".join(row for rows in database_snapshot(app).values() for row in rows)
