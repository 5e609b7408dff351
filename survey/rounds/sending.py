"""Before mail goes out: who an action would write to, the messages as they will read, a test.

The confirmation page of "Öppna och skicka" and the message previews of a round use
these; a test message goes to the process leader's own address through the outbox,
marked as a test in the subject and the text, with a placeholder where a recipient's
personal link would be (never a working link of a real recipient).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from survey.db import db
from survey.errors import ErrorCode
from survey.mail.compose import MAX_SUBJECT_LENGTH
from survey.mail.outbox import NewMessage, queue_new_message
from survey.rounds.actions import audit_round
from survey.rounds.messages import render_template
from survey.rounds.settings import LINK_PLACEHOLDER, RoundError, message_values
from survey.schema.accounts import User
from survey.schema.outbox import MailKind, OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState

TEST_LINK = "[Här står mottagarens personliga länk. Ett provutskick har ingen fungerande länk.]"
TEST_SUBJECT_PREFIX = "[PROV] "
EXAMPLE_RECIPIENT = ("Anna Andersson", "Vårdcentralen Ängelholm")


def _subject(text: str) -> str:
    return text if len(text) <= MAX_SUBJECT_LENGTH else text[: MAX_SUBJECT_LENGTH - 1] + "…"


def submitted_recipient_ids(round_id: int) -> set[int]:
    """The recipients of the round who have submitted (on the web or imported)."""
    return set(
        db.session.scalars(
            select(Response.recipient_id).where(
                Response.round_id == round_id, Response.submitted_at.is_not(None)
            )
        )
    )


@dataclass(frozen=True)
class RenderedMessage:
    """A round's message as one recipient would get it (the link as a placeholder)."""

    kind: MailKind
    subject: str
    body: str
    name: str
    organisation: str


def uninvited_recipients(round_: Round) -> list[Recipient]:
    """The recipients "Öppna och skicka" would invite now, in the order of the list."""
    recipients = list(
        db.session.scalars(
            select(Recipient)
            .where(
                Recipient.round_id == round_.id,
                Recipient.removed_at.is_(None),
                Recipient.invited_at.is_(None),
            )
            .order_by(Recipient.id)
        )
    )
    answered = submitted_recipient_ids(round_.id)
    return [recipient for recipient in recipients if recipient.id not in answered]


def rendered_message(
    round_: Round, kind: MailKind, recipient: Recipient | None = None, *, link: str | None = None
) -> RenderedMessage:
    """The invitation or reminder for the recipient (or an example one)."""
    if recipient is not None and recipient.name:
        name, organisation = recipient.name, recipient.organisation
    else:
        name, organisation = EXAMPLE_RECIPIENT
    if kind is MailKind.INVITATION:
        subject, body = round_.invitation_subject, round_.invitation_body
    else:
        subject, body = round_.reminder_subject, round_.reminder_body
    values = message_values(round_, name=name, organisation=organisation)
    shown_link = link or LINK_PLACEHOLDER
    return RenderedMessage(
        kind,
        _subject(render_template(subject, values, link=shown_link)),
        render_template(body, values, link=shown_link),
        name,
        organisation,
    )


def send_test_message(
    round_: Round, kind: MailKind, *, actor: User, now: datetime
) -> OutboxMessage:
    """Queue the round's invitation or reminder to the actor's own address, marked as a test."""
    if kind not in (MailKind.INVITATION, MailKind.REMINDER):
        raise RoundError(
            "Välj inbjudan eller påminnelse.",
            f"no test message of kind {kind}",
            code=ErrorCode.ROUND_REFUSED,
        )
    if round_.state_enum is RoundState.CLOSED:
        raise RoundError(
            "Omgången är stängd; inga meddelanden skickas.",
            f"round {round_.id} is closed",
            code=ErrorCode.ROUND_CLOSED,
        )
    first = next(iter(uninvited_recipients(round_)), None)
    message = rendered_message(round_, kind, first, link=TEST_LINK)
    body = (
        f"PROVUTSKICK. Så här ser {kind.label.lower()} ut för {message.name}, "
        f"{message.organisation}. Den riktiga mottagarens personliga länk finns inte i "
        "provet.\n\n" + message.body
    )
    queued = queue_new_message(
        NewMessage(
            kind=MailKind.TEST,
            sequence=1,
            to_address=actor.email,
            to_name=actor.name,
            subject=_subject(TEST_SUBJECT_PREFIX + message.subject),
            body_text=body,
            sender_name=round_.sender_name,
            reply_to=round_.reply_to,
            round_id=round_.id,
            recipient_id=None,
            send_after=now,
        )
    )
    audit_round(
        round_,
        "mail.test",
        f"Köade ett provutskick av {kind.label.lower()} till {actor.email}.",
        actor=actor,
        details={"kind": kind.value},
    )
    return queued
