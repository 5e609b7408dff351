"""A round's mail: queueing invitations and reminders, withdrawing, re-sending, listing.

Decisions made here:

* Recipients whose answers were imported (an earlier year, a paper form) are not invited:
  they have already answered.
* Messages still queued (not yet handed to the mail server) when a link is revoked or
  reissued, a recipient removed or a round closed are withdrawn: deleted, never sent —
  nobody received them, and a reissued link's new invitation replaces them. A worker
  that had claimed one finds it gone and skips it; one already being handed over to the
  mail server finishes. A message queued earlier never goes out with a dead or missing
  link: the send-time lookup (`survey.rounds.links.live_links`) gives no link for a
  revoked link, a removed recipient or a round not open, and the worker then marks the
  message failed.
* A failed or uncertain message goes out again only when a person asks (`resend_message`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from survey.db import db
from survey.errors import ErrorCode
from survey.mail.compose import MAX_SUBJECT_LENGTH
from survey.mail.outbox import (
    NewMessage,
    NotRequeueable,
    queue_messages,
    queue_new_message,
    requeue_failed,
    requeue_uncertain,
)
from survey.rounds.actions import audit_round, chunks, lock_for_change
from survey.rounds.link_keys import renew_links_of_dropped_keys, signing_key
from survey.rounds.messages import render_template
from survey.rounds.settings import RoundError, message_values
from survey.rounds.tokens import issue_link
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState

if TYPE_CHECKING:
    from survey.schema.accounts import User


def _subject(text: str) -> str:
    if len(text) <= MAX_SUBJECT_LENGTH:
        return text
    return text[: MAX_SUBJECT_LENGTH - 1] + "…"


def _queue(round_: Round, recipient: Recipient, kind: MailKind, sequence: int) -> OutboxMessage:
    return queue_new_message(_new_message(round_, recipient, kind, sequence))


def _queue_all(
    round_: Round, recipients: Sequence[Recipient], kind: MailKind, sequences: Mapping[int, int]
) -> None:
    """Queue one message of `kind` per recipient (numbered by `sequences`) in one statement."""
    queue_messages(
        _new_message(round_, recipient, kind, sequences[recipient.id]) for recipient in recipients
    )


def _new_message(round_: Round, recipient: Recipient, kind: MailKind, sequence: int) -> NewMessage:
    if kind is MailKind.INVITATION:
        subject, body = round_.invitation_subject, round_.invitation_body
    else:
        subject, body = round_.reminder_subject, round_.reminder_body
    values = message_values(round_, name=recipient.name or "", organisation=recipient.organisation)
    if recipient.email is None:
        raise RoundError(
            "Mottagarens personuppgifter är rensade; inget meddelande kan skickas.",
            f"recipient {recipient.id} has been pseudonymised; no message can be sent",
            code=ErrorCode.ROUND_RECIPIENT_PSEUDONYMISED,
        )
    return NewMessage(
        kind=kind,
        sequence=sequence,
        to_address=recipient.email,
        to_name=recipient.name,
        subject=_subject(render_template(subject, values)),
        body_text=render_template(body, values),
        sender_name=round_.sender_name,
        reply_to=round_.reply_to,
        round_id=round_.id,
        recipient_id=recipient.id,
    )


def invite(round_: Round, recipients: Sequence[Recipient], now: datetime) -> int:
    """Give each not yet invited recipient a link and queue their invitation; count them."""
    chosen = [r for r in recipients if r.removed_at is None and r.invited_at is None]
    # Recipients whose answers were imported (an earlier year, a paper form) have
    # already answered: inviting them would only ask again.
    answered = _submitted_recipient_ids(round_.id)
    chosen = [r for r in chosen if r.id not in answered]
    key = signing_key()
    renew_links_of_dropped_keys(round_, chosen)
    # Change every row first and flush once: each queued message below would otherwise
    # autoflush one recipient at a time.
    for recipient in chosen:
        if recipient.token_hash is None:
            issue_link(recipient, key)
        recipient.invited_at = now
        recipient.last_contacted_at = now
    db.session.flush()
    _queue_all(round_, chosen, MailKind.INVITATION, {r.id: r.token_generation for r in chosen})
    return len(chosen)


def _submitted_recipient_ids(round_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Response.recipient_id).where(
                Response.round_id == round_id, Response.submitted_at.is_not(None)
            )
        )
    )


def invite_with_new_link(round_: Round, recipient: Recipient, now: datetime) -> OutboxMessage:
    """Withdraw what is queued for the recipient, issue a new link and queue its invitation."""
    withdraw_queued(recipient_ids=[recipient.id])
    issue_link(recipient, signing_key())  # a new generation: the old token stops matching
    recipient.invited_at = recipient.invited_at or now
    recipient.last_contacted_at = now
    db.session.flush()
    return _queue(round_, recipient, MailKind.INVITATION, recipient.token_generation)


def queue_reminders(round_: Round, recipient_ids: Sequence[int], now: datetime) -> int:
    """Queue the next reminder to each of the recipients named; count them."""
    recipients: list[Recipient] = []
    for chunk in chunks(list(recipient_ids)):
        recipients.extend(db.session.scalars(select(Recipient).where(Recipient.id.in_(chunk))))
    recipients.sort(key=lambda recipient: recipient.id)
    renew_links_of_dropped_keys(round_, recipients)
    sequences = {}
    for recipient in recipients:
        sequences[recipient.id] = recipient.reminders_sent + 1
        recipient.reminders_sent += 1
        recipient.last_contacted_at = now
    db.session.flush()
    # The unique (recipient, kind, sequence) makes a repeated run queue nothing twice.
    _queue_all(round_, recipients, MailKind.REMINDER, sequences)
    return len(recipients)


def withdraw_queued(*, round_id: int | None = None, recipient_ids: Sequence[int] = ()) -> int:
    """Delete messages still waiting in the queue, so they are never sent; count them.

    Only QUEUED rows go: nothing of them has left, so nobody misses anything. A worker
    that claimed one a moment ago finds it gone and skips it (it only sends QUEUED rows);
    a message already being handed over (SENDING) is left to finish.
    """
    if round_id is None and not recipient_ids:
        return 0
    db.session.flush()
    condition = (
        OutboxMessage.round_id == round_id
        if round_id is not None
        else OutboxMessage.recipient_id.in_(list(recipient_ids))
    )
    result = db.session.execute(
        delete(OutboxMessage)
        .where(condition, OutboxMessage.status == MailStatus.QUEUED.value)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def round_message(round_: Round, message_id: int) -> OutboxMessage | None:
    """One of the round's outbox messages, or None."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.round_id != round_.id:
        return None
    return message


def resend_message(
    round_: Round, message_id: int, *, actor: User | None = None, now: datetime
) -> OutboxMessage:
    """Queue a failed or uncertain message again: a person decided it should go out."""
    round_ = lock_for_change(round_)
    message = round_message(round_, message_id)
    if message is None:
        raise RoundError(
            "Meddelandet finns inte.",
            f"message {message_id} is not in round {round_.id}",
            code=ErrorCode.ROUND_MESSAGE_NOT_FOUND,
        )
    if round_.state_enum is not RoundState.OPEN or now >= round_.closes_at:
        raise RoundError(
            "Meddelanden kan bara skickas igen medan omgången är öppen.",
            f"round {round_.id} is not open",
            code=ErrorCode.ROUND_NOT_OPEN,
        )
    recipient = db.session.get(Recipient, message.recipient_id) if message.recipient_id else None
    if recipient is None or recipient.removed_at is not None:
        raise RoundError(
            "Mottagaren är borttagen från omgången.",
            f"the recipient of message {message_id} has been removed",
            code=ErrorCode.ROUND_RECIPIENT_NOT_ACTIVE,
        )
    if recipient.token_hash is None:
        raise RoundError(
            "Mottagarens länk är återkallad. Skicka en ny länk i stället.",
            f"the recipient of message {message_id} has a revoked link — reissue it instead",
            code=ErrorCode.ROUND_LINK_REVOKED,
        )
    previous = message.status
    renew_links_of_dropped_keys(round_, [recipient])
    try:
        if previous == MailStatus.UNCERTAIN.value:
            message = requeue_uncertain(message_id)
        else:
            message = requeue_failed(message_id)
    except NotRequeueable as error:
        raise RoundError(
            "Meddelandet kan inte skickas igen: det har redan köats eller skickats.",
            str(error),
            code=ErrorCode.ROUND_MESSAGE_NOT_REQUEUEABLE,
        ) from None
    audit_round(
        round_,
        "mail.resend",
        f"Köade meddelande {message_id} ({MailKind(message.kind).label.lower()} till "
        f"mottagare {recipient.id}) igen efter status {previous}.",
        actor=actor,
        details={"message_id": message_id, "previous_status": previous},
    )
    return message


def round_messages(round_id: int, *, limit: int | None = None) -> list[OutboxMessage]:
    """The round's outbox, newest first."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.round_id == round_id)
        .order_by(OutboxMessage.id.desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))
