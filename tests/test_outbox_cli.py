"""`survey outbox send`, `survey outbox status` and `survey outbox requeue`."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import update

from config import ConfigError
from survey.db import db
from survey.errors import ErrorCode
from survey.schema.outbox import MailStatus, OutboxMessage
from tests.factories import MakeApp
from tests.outbox_helpers import queue_invitations, statuses
from tests.smtp_server import SmtpServer


def _set_status(message_id: int, status: MailStatus, **values: object) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=status.value, **values)
    )
    db.session.commit()


def test_it_sends_the_due_messages_and_reports_progress(
    make_app: MakeApp, smtp_server: SmtpServer
) -> None:
    app = make_app(**smtp_server.settings)
    with app.app_context():
        queued = queue_invitations(5)

    result = app.test_cli_runner().invoke(args=["outbox", "send", "--batch-size", "2"])

    assert result.exit_code == 0, result.output
    assert result.output.count("batch: sent") == 3
    assert "done: sent 5, retried 0, failed 0, uncertain 0, held 0" in result.output
    assert smtp_server.sessions == 3
    assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}


def test_it_warns_when_the_mail_server_cannot_be_reached(
    make_app: MakeApp, smtp_server: SmtpServer
) -> None:
    app = make_app(**smtp_server.settings)
    with app.app_context():
        queue_invitations(2)
    with smtp_server.down():
        result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert "done: sent 0, retried 2" in result.output
    assert "warning: Kunde inte ansluta till e-postservern 127.0.0.1:" in result.output
    with app.app_context():
        assert set(statuses().values()) == {MailStatus.QUEUED}


def test_it_shows_counts_and_the_messages_that_need_a_decision(app: Flask) -> None:
    with app.app_context():
        sent, failed, uncertain, _waiting = queue_invitations(4)
        _set_status(sent.id, MailStatus.SENT)
        _set_status(failed.id, MailStatus.FAILED, last_error="550 5.1.1 Mailbox does not exist")
        _set_status(uncertain.id, MailStatus.UNCERTAIN, last_error="Okänt om meddelandet kom fram")
        round_id = sent.round_id

    result = app.test_cli_runner().invoke(args=["outbox", "status"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("Outbox: 1 queued, 0 sending, 1 sent, 1 failed, 1 uncertain, 0 held")
    assert lines[1].startswith("Queued: 1 due now, oldest due since ")
    assert f"  #{uncertain.id} round {round_id} to {uncertain.to_address}" in result.output
    assert "Okänt om meddelandet kom fram" in result.output
    assert f"  #{failed.id} round {round_id} to {failed.to_address}" in result.output
    assert "550 5.1.1 Mailbox does not exist" in result.output

    per_round = app.test_cli_runner().invoke(args=["outbox", "status", "--round", str(round_id)])
    assert per_round.output.splitlines()[0].startswith(f"Round {round_id}: 1 queued")


def test_it_requeues_uncertain_and_failed_messages_on_request(
    make_app: MakeApp, smtp_server: SmtpServer
) -> None:
    app = make_app(**smtp_server.settings)
    with app.app_context():
        failed, uncertain = queue_invitations(2)
        _set_status(failed.id, MailStatus.FAILED, attempts=8)
        _set_status(uncertain.id, MailStatus.UNCERTAIN, attempts=1)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["outbox", "requeue", str(failed.id), str(uncertain.id)])

    assert result.exit_code == 0, result.output
    assert result.output == f"queued again: #{failed.id}, #{uncertain.id}\n"
    sent = runner.invoke(args=["outbox", "send"])
    assert "done: sent 2" in sent.output
    assert smtp_server.message_id_counts() == {failed.message_id: 1, uncertain.message_id: 1}


def test_it_refuses_to_requeue_a_sent_message_and_changes_nothing(app: Flask) -> None:
    with app.app_context():
        sent, failed = queue_invitations(2)
        _set_status(sent.id, MailStatus.SENT)
        _set_status(failed.id, MailStatus.FAILED)

    result = app.test_cli_runner().invoke(args=["outbox", "requeue", str(failed.id), str(sent.id)])

    assert result.exit_code == 1
    assert f"outbox message {sent.id} is sent, not failed" in result.output
    assert "nothing was queued again" in result.output
    with app.app_context():
        assert statuses() == {sent.id: MailStatus.SENT, failed.id: MailStatus.FAILED}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"SURVEY_MAIL_DELIVERY": "print"}, "SURVEY_MAIL_DELIVERY='print' is unknown"),
        ({"MAIL_DEFAULT_SENDER": "enkat@example.se\r\nBcc: x@example.com"}, "MAIL_DEFAULT_SENDER"),
        ({"MAIL_DEFAULT_SENDER": "ingen adress"}, "MAIL_DEFAULT_SENDER"),
        ({"MAIL_MAX_EMAILS": 50}, "MAIL_MAX_EMAILS is not supported"),
    ],
)
def test_it_refuses_to_start_with_unusable_mail_settings(
    make_app: MakeApp, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as refused:
        make_app(**settings)
    assert refused.value.code is ErrorCode.CONFIG_MAIL


def test_it_names_every_unusable_mail_setting_at_once(make_app: MakeApp) -> None:
    with pytest.raises(ConfigError) as refused:
        make_app(
            SURVEY_MAIL_DELIVERY="print", MAIL_DEFAULT_SENDER="ingen adress", MAIL_MAX_EMAILS=5
        )

    assert [problem.split(" ", 1)[0] for problem in refused.value.problems] == [
        "SURVEY_MAIL_DELIVERY='print'",
        "MAIL_DEFAULT_SENDER",
        "MAIL_MAX_EMAILS",
    ]
