"""Queueing mail in the outbox: checks, idempotency, the leader's queries, re-queueing."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext

from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.mail.compose import InvalidAddress, InvalidMail, UnsafeHeader
from survey.mail.outbox import (
    NewMessage,
    NotRequeueable,
    failed_messages,
    outbox_backlog,
    outbox_summary,
    queue_message,
    queue_messages,
    requeue_failed,
    requeue_uncertain,
    uncertain_messages,
)
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.rounds import Recipient
from tests.factories import make_recipient, make_round
from tests.outbox_helpers import REPLY_TO, queue_invitation


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_it_queues_a_message_with_a_stable_message_id_in_our_domain(app: Flask) -> None:
    with app.app_context():
        recipient = make_recipient(make_round())
        queued = queue_invitation(recipient)
        db.session.commit()

        assert re.fullmatch(r"<outbox-[0-9a-f]{32}@example\.se>", queued.message_id)
        assert queued.status == MailStatus.QUEUED
        assert queued.attempts == 0
        assert queued.claimed_by is None
        assert queued.sender == '"Processledare nära vård, Nordväst" <enkat@example.se>'
        assert queued.reply_to == REPLY_TO
        assert queued.next_attempt_at <= utcnow()


def test_it_sends_from_our_address_even_without_a_sender_name(app: Flask) -> None:
    with app.app_context():
        queued = queue_invitation(make_recipient(make_round()), sender_name=None, reply_to=None)
        assert queued.sender == "enkat@example.se"
        assert queued.reply_to is None


def test_it_queues_once_per_recipient_kind_and_sequence_inside_the_callers_transaction(
    app: Flask,
) -> None:
    with app.app_context():
        round_ = make_round()
        recipient = make_recipient(round_)
        recipient_id = recipient.id
        first = queue_invitation(recipient)
        # The caller's own change in the same transaction, before and after the duplicate.
        recipient.invited_at = utcnow()
        again = queue_invitation(recipient, subject="En annan rubrik")
        recipient.reminders_sent = 1
        db.session.commit()

        assert again.id == first.id
        assert again.subject == first.subject
        assert outbox_count() == 1
        stored = db.session.get(Recipient, recipient_id)
        assert stored is not None
        assert stored.invited_at is not None and stored.reminders_sent == 1

        # A later transaction (say, a launch repeated after a crash) gets the same row.
        later = queue_invitation(stored)
        db.session.commit()
        assert later.id == first.id
        assert outbox_count() == 1


def test_it_queues_other_kinds_and_sequences_of_the_same_recipient(app: Flask) -> None:
    with app.app_context():
        recipient = make_recipient(make_round())
        messages = {
            queue_invitation(recipient).id,
            queue_invitation(recipient, kind=MailKind.REMINDER, sequence=1).id,
            queue_invitation(recipient, kind=MailKind.REMINDER, sequence=2).id,
        }
        db.session.commit()
        assert len(messages) == 3
        assert outbox_count() == 3


def test_it_never_deduplicates_messages_without_a_recipient(app: Flask) -> None:
    with app.app_context():
        round_ = make_round()
        for _ in range(2):
            queue_message(
                kind=MailKind.INVITATION,
                sequence=1,
                to_address="testmottagare@example.se",
                to_name=None,
                subject="Provutskick",
                body_text="Hej!",
                sender_name=None,
                reply_to=None,
                round_id=round_.id,
                recipient_id=None,
            )
        db.session.commit()
        assert outbox_count() == 2


def test_it_waits_until_the_time_given(app: Flask) -> None:
    with app.app_context():
        later = utcnow() + timedelta(days=7)
        queued = queue_invitation(make_recipient(make_round()), send_after=later)
        db.session.commit()
        assert queued.next_attempt_at == later
        assert outbox_backlog().due == 0
        assert outbox_backlog().waiting == 1


UNSAFE = [
    ("to_name", "Anna Andersson\r\nBcc: spion@example.com"),
    ("to_name", "Anna\nAndersson"),
    ("to_name", "Anna\x85Andersson"),
    ("to_name", "Anna\u2028Andersson"),
    ("subject", "Inbjudan\r\nBcc: spion@example.com"),
    ("subject", "Inbjudan\rX"),
    ("subject", "Inbjudan\x00"),
    ("subject", "Inbjudan\tenkät"),
    ("sender_name", "Processledare\nBcc: spion@example.com"),
    ("to_address", "anna@example.se\r\nBcc: spion@example.com"),
    ("reply_to", "pl@example.se\nBcc: spion@example.com"),
]


@pytest.mark.parametrize(("field", "value"), UNSAFE)
def test_it_refuses_header_injection_and_queues_nothing(app: Flask, field: str, value: str) -> None:
    with app.app_context():
        recipient = make_recipient(make_round())
        db.session.commit()
        with pytest.raises(
            UnsafeHeader, match=f"^{field} contains the control character U\\+"
        ) as raised:
            queue_invitation(recipient, **{field: value})
        assert raised.value.code is ErrorCode.MAIL_UNSAFE_HEADER
        assert outbox_count() == 0
        db.session.commit()  # the caller's transaction is still usable


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("to_address", "Anna <anna@example.se>", "display name"),
        ("to_address", "anna@example.se, eva@example.se", "invalid characters"),
        ("to_address", "anna@example.se;eva@example.se", "invalid characters"),
        ("to_address", "åsa@example.se", "Internationalized characters"),
        ("to_address", "inte-en-adress", "@-sign"),
        ("to_address", "", "empty"),
        ("reply_to", "processledare", "@-sign"),
    ],
)
def test_it_refuses_anything_but_one_plain_address(
    app: Flask, field: str, value: str, message: str
) -> None:
    with app.app_context():
        recipient = make_recipient(make_round())
        with pytest.raises(InvalidMail, match=message) as raised:
            queue_invitation(recipient, **{field: value})
        assert isinstance(raised.value, InvalidAddress) or value == ""
        expected = ErrorCode.MAIL_EMPTY_FIELD if value == "" else ErrorCode.MAIL_BAD_ADDRESS
        assert raised.value.code is expected
        assert outbox_count() == 0


@pytest.mark.parametrize(
    ("fields", "message", "code"),
    [
        ({"subject": "   "}, "subject is empty", ErrorCode.MAIL_EMPTY_FIELD),
        (
            {"subject": "x" * 301},
            "subject is 301 characters long; at most 300 fit",
            ErrorCode.MAIL_FIELD_TOO_LONG,
        ),
        ({"to_name": "Å" * 201}, "to_name is 201 characters long", ErrorCode.MAIL_FIELD_TOO_LONG),
        ({"body_text": "\n"}, "body_text is empty", ErrorCode.MAIL_EMPTY_FIELD),
        ({"sequence": 0}, "sequence must be 1 or more", ErrorCode.MAIL_BAD_SEQUENCE),
        ({"send_after": datetime(2030, 1, 1)}, "aware datetime", ErrorCode.MAIL_NAIVE_TIME),
    ],
)
def test_it_refuses_other_unusable_values(
    app: Flask, fields: dict[str, Any], message: str, code: ErrorCode
) -> None:
    with app.app_context():
        with pytest.raises(InvalidMail, match=re.escape(message)) as raised:
            queue_invitation(make_recipient(make_round()), **fields)
        assert raised.value.code is code
        assert outbox_count() == 0


def test_it_accepts_names_with_swedish_letters_commas_and_quotes(app: Flask) -> None:
    with app.app_context():
        recipient = make_recipient(make_round(), name='Åsa "Åsan" Öberg, Vårdcentralen Ängelholm')
        queued = queue_invitation(recipient, sender_name="Nära vård: Skåne, NV")
        assert queued.to_name == 'Åsa "Åsan" Öberg, Vårdcentralen Ängelholm'
        assert queued.sender == '"Nära vård: Skåne, NV" <enkat@example.se>'


def _set_status(message_id: int, status: MailStatus, **values: object) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=status.value, **values)
    )


def test_it_counts_a_rounds_messages_and_lists_those_needing_a_person(app: Flask) -> None:
    with app.app_context():
        round_ = make_round()
        other_round = make_round(round_.questionnaire_version)
        ours = [queue_invitation(make_recipient(round_)) for _ in range(4)]
        theirs = queue_invitation(make_recipient(other_round))
        _set_status(ours[0].id, MailStatus.SENT)
        _set_status(ours[1].id, MailStatus.FAILED, last_error="550 5.1.1 Mailbox does not exist")
        _set_status(ours[2].id, MailStatus.UNCERTAIN)
        _set_status(theirs.id, MailStatus.FAILED)
        db.session.commit()

        summary = outbox_summary(round_.id)
        assert summary == {
            MailStatus.QUEUED: 1,
            MailStatus.SENDING: 0,
            MailStatus.SENT: 1,
            MailStatus.FAILED: 1,
            MailStatus.UNCERTAIN: 1,
            MailStatus.HELD: 0,
        }
        assert outbox_summary()[MailStatus.FAILED] == 2
        assert [message.id for message in failed_messages(round_.id)] == [ours[1].id]
        assert failed_messages(round_.id)[0].last_error == "550 5.1.1 Mailbox does not exist"
        assert [message.id for message in uncertain_messages(round_.id)] == [ours[2].id]
        assert len(failed_messages()) == 2


@pytest.mark.parametrize(
    ("requeue", "status"),
    [(requeue_uncertain, MailStatus.UNCERTAIN), (requeue_failed, MailStatus.FAILED)],
)
def test_it_requeues_on_a_persons_decision_keeping_the_message_id(
    app: Flask, requeue: Callable[[int], OutboxMessage], status: MailStatus
) -> None:
    with app.app_context():
        queued = queue_invitation(make_recipient(make_round()))
        _set_status(queued.id, status, attempts=3, claimed_by="worker", lease_until=None)
        db.session.commit()

        message = requeue(queued.id)
        db.session.commit()

        assert message.status == MailStatus.QUEUED
        assert (message.attempts, message.claimed_by) == (0, None)
        assert message.message_id == queued.message_id
        assert outbox_backlog().due == 1


@pytest.mark.parametrize("status", [MailStatus.QUEUED, MailStatus.SENT, MailStatus.FAILED])
def test_it_refuses_to_requeue_a_message_that_is_not_uncertain(
    app: Flask, status: MailStatus
) -> None:
    with app.app_context():
        queued = queue_invitation(make_recipient(make_round()))
        _set_status(queued.id, status)
        db.session.commit()
        with pytest.raises(NotRequeueable, match=f"is {status.value}, not uncertain") as wrong:
            requeue_uncertain(queued.id)
        assert wrong.value.code is ErrorCode.OUTBOX_WRONG_STATE
        with pytest.raises(NotRequeueable, match="does not exist") as missing:
            requeue_failed(queued.id + 1000)
        assert missing.value.code is ErrorCode.OUTBOX_NOT_FOUND


def test_it_queues_once_when_two_transactions_race_for_the_same_message(app: Flask) -> None:
    with app.app_context():
        recipient = make_recipient(make_round())
        recipient_id = recipient.id
        db.session.commit()
    first_queued = threading.Event()
    may_commit = threading.Event()
    first_ids: list[int] = []

    def first_transaction() -> None:
        with app.app_context():
            stored = db.session.get(Recipient, recipient_id)
            assert stored is not None
            first_ids.append(queue_invitation(stored).id)
            first_queued.set()
            may_commit.wait(10)
            db.session.commit()

    racer = threading.Thread(target=first_transaction)
    racer.start()
    try:
        assert first_queued.wait(10)
        with app.app_context():
            # Waits for the first transaction (its row lock, or SQLite's write lock).
            threading.Timer(0.3, may_commit.set).start()
            stored = db.session.get(Recipient, recipient_id)
            assert stored is not None
            second = queue_invitation(stored)
            db.session.commit()
            assert second.id == first_ids[0]
            assert outbox_count() == 1
    finally:
        may_commit.set()
        racer.join(10)


def _new_invitation(recipient: Recipient, **fields: Any) -> NewMessage:
    values = {
        "kind": MailKind.INVITATION,
        "sequence": 1,
        "to_address": recipient.email,
        "to_name": recipient.name,
        "subject": "Inbjudan: Årlig enkät 2025",
        "body_text": f"Hej {recipient.name}!",
        "sender_name": "Processledare nära vård, Nordväst",
        "reply_to": REPLY_TO,
        "round_id": recipient.round_id,
        "recipient_id": recipient.id,
        **fields,
    }
    return NewMessage(**values)


def test_it_queues_many_messages_in_one_statement_skipping_those_already_queued(app: Flask) -> None:
    with app.app_context():
        round_ = make_round()
        recipients = [make_recipient(round_) for _ in range(5)]
        already = queue_invitation(recipients[0])
        db.session.commit()
        with _statements() as statements:
            given = queue_messages(_new_invitation(recipient) for recipient in recipients)
            db.session.commit()

        assert given == 5
        assert len([sql for sql in statements if sql.startswith("INSERT")]) == 1
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [row.recipient_id for row in rows] == [recipient.id for recipient in recipients]
        assert rows[0].message_id == already.message_id  # kept, not queued again
        assert len({row.message_id for row in rows}) == 5
        assert {row.status for row in rows} == {MailStatus.QUEUED}
        assert rows[1].sender == '"Processledare nära vård, Nordväst" <enkat@example.se>'


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("to_address", "två@adresser.se, tre@adresser.se", InvalidAddress),
        ("subject", "Rad ett\r\nBcc: alla@example.se", UnsafeHeader),
        ("reply_to", "inte en adress", InvalidAddress),
    ],
)
def test_it_queues_none_of_many_messages_when_one_is_refused(
    app: Flask, field: str, value: str, error: type[Exception]
) -> None:
    with app.app_context():
        round_ = make_round()
        recipients = [make_recipient(round_) for _ in range(3)]
        messages = [_new_invitation(recipient) for recipient in recipients]
        messages[2] = _new_invitation(recipients[2], **{field: value})

        with pytest.raises(error):
            queue_messages(messages)
        db.session.commit()

        assert outbox_count() == 0


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block."""
    seen: list[str] = []

    def collect(
        conn: Connection,
        cursor: DBAPICursor,
        statement: str,
        parameters: object,
        context: ExecutionContext | None,
        executemany: bool,
    ) -> None:
        seen.append(statement.lstrip())

    event.listen(db.engine, "before_cursor_execute", collect)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", collect)
