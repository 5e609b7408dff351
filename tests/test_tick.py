"""`survey tick`: opens due rounds, queues due reminders, closes due rounds, delivers — once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.db import db, utcnow
from survey.organisations import OrganisationType
from survey.rounds.lifecycle import create_round, open_round
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.roster import add_recipients
from survey.rounds.settings import RoundSettings
from survey.schema.outbox import MailKind, OutboxMessage
from survey.schema.rounds import Recipient, Round, RoundState
from survey.ticks import run_tick
from tests.factories import MakeApp, make_questionnaire_version, make_submitted_response
from tests.smtp_server import SmtpServer


@pytest.fixture
def tick_app(make_app: MakeApp, smtp_server: SmtpServer) -> Flask:
    return make_app(**smtp_server.settings)


def new_round(title: str, *, opens_in: timedelta, closes_in: timedelta, recipients: int) -> Round:
    now = utcnow()
    stored = db.session.scalars(select(Round.questionnaire_version_id)).first()
    version_id = stored or make_questionnaire_version().id
    round_ = create_round(
        RoundSettings(
            questionnaire_version_id=version_id,
            title=title,
            delregion="NV",
            reference_date=now.date(),
            opens_at=now + opens_in,
            closes_at=now + closes_in,
            reminder_days="7, 14",
            max_reminders=2,
            sender_name="Processledare nära vård, Nordväst",
        ),
        now=now - timedelta(days=1),
    )
    slug = "runda" + str(db.session.scalar(select(func.count()).select_from(Round)))
    add_recipients(
        round_,
        [
            RecipientRow(
                f"Mottagare {n}", f"{slug}.{n}@example.se", f"Vårdcentralen {n}",
                OrganisationType.REGIONAL_PV, "Lund", "NV",
            )
            for n in range(1, recipients + 1)
        ],
        now=now,
    )  # fmt: skip
    db.session.commit()
    return round_


def state_of(round_id: int) -> str:
    db.session.expire_all()
    return db.session.get_one(Round, round_id).state


def test_it_opens_reminds_closes_and_delivers_and_a_second_tick_sends_nothing(
    tick_app: Flask, smtp_server: SmtpServer
) -> None:
    with tick_app.app_context():
        due = new_round("Öppnas nu", opens_in=-timedelta(minutes=5), closes_in=timedelta(days=30),
                        recipients=3)  # fmt: skip
        later = new_round("Öppnas senare", opens_in=timedelta(days=2), closes_in=timedelta(days=30),
                          recipients=1)  # fmt: skip
        ending = new_round("Stänger nu", opens_in=-timedelta(days=20), closes_in=timedelta(days=1),
                           recipients=1)  # fmt: skip
        open_round(ending, now=utcnow() - timedelta(days=1))
        db.session.commit()
        due_id, later_id, ending_id = due.id, later.id, ending.id

        first = run_tick()
        assert first.opened == [due_id] and first.invitations == 3
        assert first.delivery.sent == 4  # three invitations and the open round's one
        assert len(smtp_server.received) == 4
        assert state_of(later_id) == RoundState.DRAFT

        second = run_tick()
        assert (second.opened, second.invitations, second.reminders, second.closed) == (
            [],
            0,
            0,
            [],
        )
        assert second.delivery.sent == 0
        assert len(smtp_server.received) == 4

        # Past the ending round's closing time and the later round's opening time.
        two_days = utcnow() + timedelta(days=2, minutes=1)
        closing = run_tick(now=two_days)
        assert closing.closed == [ending_id] and state_of(ending_id) == RoundState.CLOSED
        assert closing.opened == [later_id] and closing.delivery.sent == 1
        assert run_tick(now=two_days).delivery.sent == 0
        assert len(smtp_server.received) == 5

        # A week after the invitations: reminders to those who have not submitted.
        answered = db.session.scalars(
            select(OutboxMessage.recipient_id).where(OutboxMessage.round_id == due_id)
        ).first()
        make_submitted_response(
            db.session.get_one(Round, due_id),
            db.session.get_one(Recipient, answered),
            {"sip_okning": "ja"},
        )
        db.session.commit()
        week = utcnow() + timedelta(days=7, minutes=1)
        reminded = run_tick(now=week)
        assert (reminded.reminders, reminded.delivery.sent) == (2, 2)
        again = run_tick(now=week)
        assert (again.reminders, again.delivery.sent) == (0, 0)
        assert len(smtp_server.received) == 7

        counts = smtp_server.message_id_counts()
        assert len(counts) == 7 and set(counts.values()) == {1}
        kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
        assert kinds.count(MailKind.REMINDER) == 2


def test_it_reports_a_due_draft_without_recipients_and_leaves_it(tick_app: Flask) -> None:
    with tick_app.app_context():
        empty = new_round("Tom", opens_in=-timedelta(hours=1), closes_in=timedelta(days=3),
                          recipients=0).id  # fmt: skip
        report = run_tick(deliver=False)
        assert report.opened == []
        assert report.problems == [
            f"round {empty} was not opened: round {empty} has no recipients — add them "
            "with `survey round recipients`"
        ]
        assert state_of(empty) == RoundState.DRAFT


def test_it_runs_from_the_command_line(tick_app: Flask, smtp_server: SmtpServer) -> None:
    with tick_app.app_context():
        new_round("Kommandorad", opens_in=-timedelta(minutes=1), closes_in=timedelta(days=9),
                  recipients=2)  # fmt: skip
    runner = tick_app.test_cli_runner()
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "opened 1 round(s), queued 2 invitation(s) and 0 reminder(s), closed 0 round(s)" in (
        result.output
    )
    assert "mail: sent 2, retried 0, failed 0, uncertain 0, held 0" in result.output
    again = runner.invoke(args=["tick"])
    assert again.exit_code == 0
    assert "opened 0 round(s), queued 0 invitation(s)" in again.output and "sent 0" in again.output
    assert len(smtp_server.received) == 2


def test_it_exits_with_1_when_the_mail_server_is_down(
    tick_app: Flask, smtp_server: SmtpServer
) -> None:
    with tick_app.app_context():
        new_round("Nere", opens_in=-timedelta(minutes=1), closes_in=timedelta(days=9), recipients=1)
    with smtp_server.down():
        result = tick_app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 1
    assert "retried 1" in result.output
    assert "warning:" in result.output
