"""A whole round against a real SMTP server: invitations, links, reminders, refusals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text, update

from survey.db import db, utcnow
from survey.mail.worker import deliver_outbox
from survey.organisations import OrganisationType
from survey.questionnaires.storage import find_questionnaire_version
from survey.rounds.lifecycle import create_round, open_round
from survey.rounds.links import reissue_link
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.roster import add_recipients
from survey.rounds.settings import RoundSettings
from survey.rounds.status import RecipientState, round_status
from survey.rounds.tokens import LINK_MARKER, hash_token
from survey.schema.outbox import MailStatus, OutboxMessage
from survey.schema.rounds import Recipient, Round
from survey.ticks import run_tick
from tests.factories import (
    MakeApp,
    login,
    make_cast,
    make_questionnaire_version,
    make_submitted_response,
)
from tests.outbox_helpers import make_all_due
from tests.smtp_server import ReceivedMessage, SmtpServer

BASE_URL = "https://enkat.example.se"
ADDRESSES = ("asa.oberg@example.se", "bjorn.ek@example.se", "cecilia.holm@example.se")


@pytest.fixture
def flow_app(make_app: MakeApp, smtp_server: SmtpServer) -> Flask:
    return make_app(SURVEY_BASE_URL=BASE_URL, **smtp_server.settings)


def start_round(addresses: tuple[str, ...] = ADDRESSES) -> int:
    """Create a round with a recipient per address and open it (nothing delivered yet)."""
    now = utcnow()
    round_ = create_round(
        RoundSettings(
            questionnaire_version_id=(
                find_questionnaire_version("prov", "1") or make_questionnaire_version()
            ).id,
            title="Årlig enkät 2025",
            delregion="NV",
            reference_date=now.date(),
            opens_at=now + timedelta(days=1),
            closes_at=now + timedelta(days=30),
            reminder_days="7, 14",
            max_reminders=2,
            sender_name="Processledare nära vård, Nordväst",
            reply_to="processledare.nv@example.se",
        ),
        now=now,
    )
    add_recipients(
        round_,
        [
            RecipientRow(
                f"Mottagare {number}", address, f"Vårdcentralen {number}",
                OrganisationType.REGIONAL_PV, "Ängelholm", "NV",
            )
            for number, address in enumerate(addresses, start=1)
        ],
        now=now,
    )  # fmt: skip
    open_round(round_, now=now)
    round_id = round_.id
    db.session.commit()  # and no read after it: on SQLite a read would hold the write lock
    return round_id


def body_of(received: ReceivedMessage) -> str:
    part = received.message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(received: ReceivedMessage, round_id: int) -> str:
    found: list[tuple[str, str]] = re.findall(
        rf"{re.escape(BASE_URL)}/svara/(\d+)/([A-Za-z0-9_-]+)", body_of(received)
    )
    assert len(found) == 1, body_of(received)
    [(round_part, token)] = found
    assert int(round_part) == round_id and len(token) == 43
    return token


def recipient_by_email(address: str) -> Recipient:
    db.session.expire_all()
    return db.session.scalars(select(Recipient).where(Recipient.email == address)).one()


def all_table_text(*tables: str) -> str:
    """Every value of every row of the tables, as text."""
    texts = []
    for table in tables:
        for row in db.session.execute(text(f"SELECT * FROM {table}")):
            texts.append(" ".join(str(value) for value in row))
    return "\n".join(texts)


def test_it_invites_reminds_and_reissues_through_a_real_mail_server(
    flow_app: Flask, smtp_server: SmtpServer
) -> None:
    with flow_app.app_context():
        round_id = start_round()
        report = deliver_outbox()
        assert report.sent == 3

        tokens: dict[str, str] = {}
        for address in ADDRESSES:
            [received] = smtp_server.messages_to(address)
            assert [a.addr_spec for a in received.message["To"].addresses] == [address]
            assert received.message["Subject"] == "Inbjudan: Årlig enkät 2025"
            assert (
                received.message["Reply-To"].addresses[0].addr_spec == "processledare.nv@example.se"
            )
            token = link_in(received, round_id)
            assert hash_token(round_id, token) == recipient_by_email(address).token_hash
            assert LINK_MARKER not in body_of(received)
            tokens[address] = token
        stored = all_table_text("outbox_messages", "recipients", "audit_events")
        for token in tokens.values():
            assert token not in stored

        # The first recipient submits; a week later only the others are reminded.
        answered = recipient_by_email(ADDRESSES[0])
        make_submitted_response(db.session.get_one(Round, round_id), answered, {"sip_okning": "ja"})
        db.session.commit()
        week = utcnow() + timedelta(days=7, minutes=1)
        assert run_tick(now=week).reminders == 2
        assert run_tick(now=week).reminders == 0
        assert len(smtp_server.received) == 5
        for address in ADDRESSES[1:]:
            reminder = smtp_server.messages_to(address)[-1]
            assert reminder.message["Subject"] == "Påminnelse: Årlig enkät 2025"
            assert link_in(reminder, round_id) == tokens[address]  # the same live link
        assert len(smtp_server.messages_to(ADDRESSES[0])) == 1

        # A reissued link arrives; the old token no longer matches.
        second = recipient_by_email(ADDRESSES[1])
        reissue_link(db.session.get_one(Round, round_id), second, now=utcnow())
        db.session.commit()
        assert deliver_outbox().sent == 1
        newest = smtp_server.messages_to(ADDRESSES[1])[-1]
        new_token = link_in(newest, round_id)
        assert new_token != tokens[ADDRESSES[1]]
        second = recipient_by_email(ADDRESSES[1])
        assert hash_token(round_id, new_token) == second.token_hash
        assert hash_token(round_id, tokens[ADDRESSES[1]]) != second.token_hash

        # Two weeks: the second reminder, to the two who still have not submitted.
        fortnight = utcnow() + timedelta(days=14, minutes=2)
        assert run_tick(now=fortnight).reminders == 2
        assert run_tick(now=fortnight + timedelta(days=7)).reminders == 0  # the maximum is 2

        counts = smtp_server.message_id_counts()
        assert set(counts.values()) == {1}, counts
        per_address = {address: len(smtp_server.messages_to(address)) for address in ADDRESSES}
        assert per_address == {ADDRESSES[0]: 1, ADDRESSES[1]: 4, ADDRESSES[2]: 3}


def test_it_retries_a_temporary_refusal_and_marks_a_permanent_one(
    flow_app: Flask, smtp_server: SmtpServer
) -> None:
    refused, delayed, fine = ADDRESSES
    smtp_server.refuse_recipient(refused, code=550, text="5.1.1 Mailbox does not exist")
    with flow_app.app_context():
        cast = make_cast()
        round_id = start_round()
        smtp_server.fail_next(1, code=451, stage="rcpt")  # the first message: try later
        first = deliver_outbox()
        assert (first.sent, first.failed, first.retried) == (1, 1, 1)
        make_all_due()
        assert deliver_outbox().sent == 1
        assert {r.envelope_recipients[0] for r in smtp_server.received} == {delayed, fine}

        states = {
            row.email: row.state
            for row in round_status(db.session.get_one(Round, round_id)).recipients
        }
        assert states == {
            refused: RecipientState.DELIVERY_FAILED,
            delayed: RecipientState.SENT,
            fine: RecipientState.SENT,
        }
        week = utcnow() + timedelta(days=7, minutes=1)
        assert run_tick(now=week).reminders == 2
        assert smtp_server.messages_to(refused) == []

    client = flow_app.test_client()
    login(client, cast.leader_nv.email)
    html = client.get(f"/omgangar/{round_id}").get_data(as_text=True)
    assert "Leverans misslyckades" in html
    assert "5.1.1 Mailbox does not exist" in html
    assert "Skicka igen" in html


def test_it_never_sends_a_message_whose_link_died_after_queueing(
    flow_app: Flask, smtp_server: SmtpServer
) -> None:
    with flow_app.app_context():
        round_id = start_round(ADDRESSES[:2])
        # As if the link were revoked while a worker held the message: still queued here.
        db.session.execute(
            update(Recipient).where(Recipient.email == ADDRESSES[0]).values(token_hash=None)
        )
        db.session.commit()
        report = deliver_outbox()
        assert (report.sent, report.failed) == (1, 1)
        assert smtp_server.messages_to(ADDRESSES[0]) == []
        failed = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == ADDRESSES[0])
        ).one()
        assert failed.status == MailStatus.FAILED
        assert "återkallad personlig länk" in (failed.last_error or "")

        # A closed round's queued mail does not go out either.
        other = start_round(("sen@example.se",))
        db.session.execute(update(Round).where(Round.id == other).values(state="closed"))
        db.session.commit()
        assert deliver_outbox().failed == 1
        assert smtp_server.messages_to("sen@example.se") == []
        assert round_id != other
