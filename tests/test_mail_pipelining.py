"""SMTP PIPELINING in the delivery worker: used when announced, with the same outcomes.

Every failure the server can produce is tried with a server that announces PIPELINING
(MAIL, RCPT and DATA go out together) and with one that does not (one command at a
time): the message's outcome, the rest of the batch and what the server finally holds
must be the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask

from survey.mail.batch import DeliveryReport
from survey.mail.worker import deliver_outbox
from survey.schema.outbox import MailStatus
from tests.factories import MakeApp
from tests.outbox_helpers import address_of, make_all_due, queue_invitations, rows, statuses
from tests.smtp_server import SmtpServer

MODES = pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])


@pytest.fixture
def mail_app(make_app: MakeApp, smtp_server: SmtpServer) -> Flask:
    return make_app(**smtp_server.settings)


@dataclass(frozen=True)
class Case:
    """A failure of the first of three messages and what it must lead to."""

    name: str
    fail: Callable[[SmtpServer, str], None]
    status: MailStatus  # the first message's status after the run
    report: tuple[int, int, int, int]  # sent, retried, failed, uncertain
    session_survives: bool  # the other two go out in the same run and session


CASES = [
    Case("temporary-at-rcpt", lambda s, _: s.fail_next(1, code=451, stage="rcpt"),
         MailStatus.QUEUED, (2, 1, 0, 0), True),
    Case("temporary-after-data", lambda s, _: s.fail_next(1, code=451, stage="data"),
         MailStatus.QUEUED, (2, 1, 0, 0), True),
    Case("permanent-at-rcpt", lambda s, _: s.fail_next(1, code=550, stage="rcpt"),
         MailStatus.FAILED, (2, 0, 1, 0), True),
    Case("refused-recipient", lambda s, to: s.refuse_recipient(to),
         MailStatus.FAILED, (2, 0, 1, 0), True),
    Case("permanent-after-data", lambda s, _: s.fail_next(1, code=554, stage="data"),
         MailStatus.FAILED, (2, 0, 1, 0), True),
    Case("closing-at-rcpt", lambda s, _: s.fail_next(1, code=421, stage="rcpt"),
         MailStatus.QUEUED, (0, 1, 0, 0), False),
    Case("dropped-at-mail", lambda s, _: s.drop_connection_after(0),
         MailStatus.QUEUED, (0, 1, 0, 0), False),
    Case("reply-lost-after-data", lambda s, _: s.drop_after_data(1),
         MailStatus.UNCERTAIN, (0, 0, 0, 1), False),
]  # fmt: skip


def _counts(report: DeliveryReport) -> tuple[int, int, int, int]:
    return report.sent, report.retried, report.failed, report.uncertain


@MODES
def test_it_pipelines_the_envelope_only_when_the_server_announces_it(
    mail_app: Flask, smtp_server: SmtpServer, pipelining: bool
) -> None:
    smtp_server.pipelining = pipelining
    with mail_app.app_context():
        queued = queue_invitations(5)

        report = deliver_outbox()

    assert report.sent == 5
    assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}
    assert smtp_server.pipelined_envelopes == (5 if pipelining else 0)
    assert smtp_server.sessions == 1


@MODES
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_it_gives_each_failure_the_same_outcome_with_and_without_pipelining(
    mail_app: Flask, smtp_server: SmtpServer, pipelining: bool, case: Case
) -> None:
    smtp_server.pipelining = pipelining
    with mail_app.app_context():
        first, *others = queue_invitations(3)
        case.fail(smtp_server, address_of(first))

        report = deliver_outbox()

        assert _counts(report) == case.report
        after = {row.id: row for row in rows()}
        assert after[first.id].status == case.status
        assert after[first.id].attempts == 1
        assert smtp_server.sessions == 1
        if case.session_survives:
            assert {after[message.id].status for message in others} == {MailStatus.SENT}
        else:  # released untouched for the next run
            assert {(after[m.id].status, after[m.id].attempts) for m in others} == {
                (MailStatus.QUEUED, 0)
            }

        smtp_server.heal()
        make_all_due()
        deliver_outbox()

        final = statuses()
    # Nothing arrived twice: a message whose reply was lost stays uncertain, unsent again.
    expected = {message.message_id: 1 for message in others}
    if case.status in (MailStatus.QUEUED, MailStatus.UNCERTAIN):
        expected[first.message_id] = 1
    assert smtp_server.message_id_counts() == expected
    assert {final[message.id] for message in others} == {MailStatus.SENT}
    assert (
        final[first.id]
        == {
            MailStatus.QUEUED: MailStatus.SENT,
            MailStatus.FAILED: MailStatus.FAILED,
            MailStatus.UNCERTAIN: MailStatus.UNCERTAIN,
        }[case.status]
    )


@MODES
def test_it_ends_an_empty_message_when_the_server_takes_data_after_refusing_the_recipient(
    mail_app: Flask, smtp_server: SmtpServer, pipelining: bool
) -> None:
    smtp_server.pipelining = pipelining
    smtp_server.data_despite_refusals = True
    with mail_app.app_context():
        first, *others = queue_invitations(3)
        smtp_server.refuse_recipient(address_of(first))

        report = deliver_outbox()

        assert _counts(report) == (2, 0, 1, 0)
        failed = {row.id: row for row in rows()}[first.id]
    assert failed.status == MailStatus.FAILED
    # The recipient's refusal is what counts, not the refusal of the empty message.
    assert "tog inte emot mottagaren: 550 5.1.1 Mailbox does not exist" in (failed.last_error or "")
    assert smtp_server.sessions == 1
    assert smtp_server.message_id_counts() == {message.message_id: 1 for message in others}


@MODES
def test_it_marks_a_message_sending_before_its_final_dot_and_the_previous_one_sent(
    mail_app: Flask, smtp_server: SmtpServer, pipelining: bool
) -> None:
    smtp_server.pipelining = pipelining
    with mail_app.app_context():
        queued = queue_invitations(4)
        # The server holds the third message after its final "." (it may take it).
        block = smtp_server.block(to=address_of(queued[2]), accept=True)
        outcome: list[DeliveryReport] = []
        worker = threading.Thread(
            target=lambda: outcome.append(_deliver_in(mail_app)), name="worker"
        )
        worker.start()
        try:
            assert block.reached.wait(30)
            during = statuses()
        finally:
            block.release()
            worker.join(60)

    assert list(during.values()) == [
        MailStatus.SENT,
        MailStatus.SENT,
        MailStatus.SENDING,
        MailStatus.QUEUED,
    ]
    assert outcome and outcome[0].sent == 4
    assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}


def _deliver_in(app: Flask) -> DeliveryReport:
    with app.app_context():
        return deliver_outbox()
