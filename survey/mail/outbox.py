"""Queue mail in the outbox and look after it: summaries, failures, a person's re-queue.

Whoever sends mail writes an outbox row in the same transaction as its own change
(`queue_message` adds to the current session and never commits); the worker in
`survey.mail.worker` delivers the rows later. A message is queued at most once per
(recipient, kind, sequence number), so a launch or a reminder run that is repeated
after a crash queues nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from survey.db import db, table_of, utcnow
from survey.errors import ErrorCode, OperatorError
from survey.mail.compose import (
    MAX_NAME_LENGTH,
    MAX_SENDER_LENGTH,
    MAX_SUBJECT_LENGTH,
    InvalidMail,
    address_part,
    check_address,
    check_header_text,
    format_sender,
    make_message_id,
)
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage


class NotRequeueable(OperatorError, ValueError):
    """The message does not exist or is not in the state the re-queue asks for."""

    code = ErrorCode.OUTBOX_WRONG_STATE


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to queue (see `queue_message` for the fields)."""

    kind: MailKind
    sequence: int
    to_address: str
    to_name: str | None
    subject: str
    body_text: str
    sender_name: str | None
    reply_to: str | None
    round_id: int | None
    recipient_id: int | None
    body_html: str | None = None
    send_after: datetime | None = None


def queue_message(
    *,
    kind: MailKind,
    sequence: int,
    to_address: str,
    to_name: str | None,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    sender_name: str | None,
    reply_to: str | None,
    round_id: int | None,
    recipient_id: int | None,
    send_after: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction; return the existing one if queued.

    Raises UnsafeHeader for control characters in a header field, InvalidAddress for
    anything but one plain address and InvalidMail for other unusable values; nothing
    is queued then. Messages without a recipient id are never deduplicated.
    """
    return queue_new_message(
        NewMessage(
            kind=kind,
            sequence=sequence,
            to_address=to_address,
            to_name=to_name,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            sender_name=sender_name,
            reply_to=reply_to,
            round_id=round_id,
            recipient_id=recipient_id,
            send_after=send_after,
        )
    )


def queue_new_message(message: NewMessage) -> OutboxMessage:
    """`queue_message` of a message already gathered in a NewMessage."""
    values = _checked_values(message, utcnow())
    queued: OutboxMessage | None = db.session.scalars(
        _insert_ignoring_duplicates(OutboxMessage).values(values).returning(OutboxMessage)
    ).one_or_none()
    if queued is not None:
        return queued
    existing: OutboxMessage = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.recipient_id == message.recipient_id,
            OutboxMessage.kind == values["kind"],
            OutboxMessage.sequence == message.sequence,
        )
    ).one()
    return existing


def queue_messages(messages: Iterable[NewMessage]) -> int:
    """Add many messages to the outbox in the current transaction; return how many were given.

    One multi-row INSERT (executemany) instead of a statement per message: opening a
    round of thousands of recipients queues their invitations in a second, not minutes.
    Every message is checked first as by `queue_message`, and if one is refused nothing
    is queued. A message already queued for its (recipient, kind, sequence) is skipped.
    """
    now = utcnow()
    rows = [_checked_values(message, now) for message in messages]
    if rows:
        db.session.execute(_insert_ignoring_duplicates(OutboxMessage.__table__), rows)
    return len(rows)


def _checked_values(message: NewMessage, now: datetime) -> dict[str, Any]:
    """The outbox row of a message, after every check (raises InvalidMail and its kinds)."""
    kind = MailKind(message.kind)
    if message.sequence < 1:
        raise InvalidMail(
            f"sequence must be 1 or more, not {message.sequence}", code=ErrorCode.MAIL_BAD_SEQUENCE
        )
    check_address("to_address", message.to_address)
    to_name = message.to_name
    if to_name is not None:
        check_header_text("to_name", to_name, MAX_NAME_LENGTH, required=False)
    if message.sender_name is not None:
        check_header_text("sender_name", message.sender_name, MAX_NAME_LENGTH, required=False)
    if message.reply_to is not None:
        _check_repeated_address("reply_to", message.reply_to)
    check_header_text("subject", message.subject, MAX_SUBJECT_LENGTH)
    if not message.body_text.strip():
        raise InvalidMail("body_text is empty", code=ErrorCode.MAIL_EMPTY_FIELD)
    send_after = message.send_after
    if send_after is not None and send_after.tzinfo is None:
        raise InvalidMail("send_after must be an aware datetime", code=ErrorCode.MAIL_NAIVE_TIME)
    sender_address = address_part(current_app.config["MAIL_DEFAULT_SENDER"])
    _check_repeated_address("MAIL_DEFAULT_SENDER", sender_address)
    sender = format_sender(message.sender_name, sender_address)
    if len(sender) > MAX_SENDER_LENGTH:
        raise InvalidMail(
            f"sender_name makes a From header of {len(sender)} characters",
            code=ErrorCode.MAIL_FIELD_TOO_LONG,
        )
    return {
        "round_id": message.round_id,
        "recipient_id": message.recipient_id,
        "kind": kind.value,
        "sequence": message.sequence,
        "to_address": message.to_address,
        "to_name": to_name.strip() if to_name and to_name.strip() else None,
        "sender": sender,
        "reply_to": message.reply_to,
        "subject": message.subject,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "message_id": make_message_id(sender_address),
        "status": MailStatus.QUEUED.value,
        "attempts": 0,
        "next_attempt_at": send_after or now,
        "created_at": now,
    }


@lru_cache(maxsize=64)
def _check_repeated_address(field: str, value: str) -> None:
    """`check_address` for values every message of a round repeats (refusals are not cached)."""
    check_address(field, value)


def _insert_ignoring_duplicates(target: Any) -> postgresql.Insert | sqlite.Insert:
    # ON CONFLICT DO NOTHING instead of catching IntegrityError: a failed INSERT would
    # abort the caller's whole transaction on PostgreSQL, and a concurrent duplicate
    # simply waits for the first transaction and then inserts nothing.
    dialect = db.session.get_bind().dialect.name
    key = ["recipient_id", "kind", "sequence"]
    if dialect == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing(index_elements=key)
    if dialect == "sqlite":
        return sqlite.insert(target).on_conflict_do_nothing(index_elements=key)
    raise RuntimeError(f"the outbox supports PostgreSQL and SQLite, not {dialect}")


def outbox_summary(round_id: int | None = None) -> dict[MailStatus, int]:
    """Count a round's messages (or all messages) by status; every status is present."""
    statement = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if round_id is not None:
        statement = statement.where(OutboxMessage.round_id == round_id)
    counts = dict.fromkeys(MailStatus, 0)
    for status, count in db.session.execute(statement):
        counts[MailStatus(status)] = count
    return counts


def failed_messages(round_id: int | None = None) -> list[OutboxMessage]:
    """Messages that will not be delivered unless a person re-queues them, oldest first."""
    return _messages_with_status(MailStatus.FAILED, round_id)


def uncertain_messages(round_id: int | None = None) -> list[OutboxMessage]:
    """Messages that may or may not have arrived (a worker died handing them over)."""
    return _messages_with_status(MailStatus.UNCERTAIN, round_id)


def _messages_with_status(status: MailStatus, round_id: int | None) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.status == status.value)
    if round_id is not None:
        statement = statement.where(OutboxMessage.round_id == round_id)
    return list(db.session.scalars(statement.order_by(OutboxMessage.id)))


@dataclass(frozen=True, slots=True)
class Backlog:
    """Queued mail: how much is due now, how much waits for later, the oldest due time."""

    due: int
    waiting: int
    oldest_due_at: datetime | None


def outbox_backlog(now: datetime | None = None) -> Backlog:
    """Describe the queued messages, for status output and monitoring."""
    now = now or utcnow()
    queued = OutboxMessage.status == MailStatus.QUEUED.value
    due_filter = (queued, OutboxMessage.next_attempt_at <= now)
    due, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(*due_filter)
    ).one()
    waiting = db.session.scalar(
        select(func.count()).where(queued, OutboxMessage.next_attempt_at > now)
    )
    return Backlog(due=due, waiting=waiting or 0, oldest_due_at=oldest)


def requeue_uncertain(message_id: int) -> OutboxMessage:
    """Queue an UNCERTAIN message (by outbox id) again: a person checked it did not arrive.

    Changes the current session only; the caller commits (and records who decided).
    """
    return _requeue(message_id, MailStatus.UNCERTAIN)


def requeue_failed(message_id: int) -> OutboxMessage:
    """Queue a FAILED message (by outbox id) again with a fresh set of attempts."""
    return _requeue(message_id, MailStatus.FAILED)


def _requeue(message_id: int, expected: MailStatus) -> OutboxMessage:
    # A conditional UPDATE: a worker or another person acting at the same moment
    # cannot make us queue a message that has meanwhile changed state.
    result = db.session.execute(
        update(table_of(OutboxMessage))
        .where(OutboxMessage.id == message_id, OutboxMessage.status == expected.value)
        .values(
            status=MailStatus.QUEUED.value,
            claimed_by=None,
            lease_until=None,
            attempts=0,
            next_attempt_at=utcnow(),
        )
    )
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None:
        raise NotRequeueable(
            f"outbox message {message_id} does not exist", code=ErrorCode.OUTBOX_NOT_FOUND
        )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotRequeueable(
            f"outbox message {message_id} is {message.status}, not {expected.value}; "
            "only such messages can be queued again",
            code=ErrorCode.OUTBOX_WRONG_STATE,
        )
    return message
