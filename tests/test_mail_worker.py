"""The delivery worker against a real SMTP server on loopback, in this process."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from survey import create_app
from survey.db import db, utcnow
from survey.mail.batch import retry_delay
from survey.mail.claims import recover_stale_messages
from survey.mail.durability import worker_connection
from survey.mail.outbox import requeue_uncertain
from survey.mail.send_time_fields import register_send_time_field
from survey.mail.worker import deliver_outbox
from survey.schema.outbox import MailStatus, OutboxMessage
from tests.factories import MakeApp, make_recipient, make_round
from tests.outbox_helpers import (
    REPLY_TO,
    SENDER_NAME,
    address_of,
    make_all_due,
    queue_invitation,
    queue_invitations,
    rows,
    statuses,
)
from tests.smtp_server import SmtpServer


@pytest.fixture
def mail_app(make_app: MakeApp, smtp_server: SmtpServer) -> Flask:
    return make_app(**smtp_server.settings)


def test_it_delivers_a_queued_message_to_the_real_server(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        round_ = make_round()
        recipient = make_recipient(round_, name="Örjan Åkesson, Vårdcentralen Ängelholm")
        queued = queue_invitation(recipient)
        db.session.commit()

        report = deliver_outbox()

        assert (report.sent, report.retried, report.failed) == (1, 0, 0)
        [received] = smtp_server.received
        message = received.message
        assert received.envelope_from == "enkat@example.se"
        assert received.envelope_recipients == (recipient.email,)
        assert [str(address) for address in message["To"].addresses] == [
            f'"Örjan Åkesson, Vårdcentralen Ängelholm" <{recipient.email}>'
        ]
        assert message["To"].addresses[0].display_name == recipient.name
        assert message["From"].addresses[0].display_name == SENDER_NAME
        assert message["From"].addresses[0].addr_spec == "enkat@example.se"
        assert message["Reply-To"].addresses[0].addr_spec == REPLY_TO
        assert message["Subject"] == "Inbjudan: Årlig enkät 2025 – god och nära vård"
        assert message["Message-ID"] == queued.message_id
        for header in ("Cc", "Bcc", "Resent-To"):
            assert header not in message
        assert len(message.get_all("To") or []) == 1
        assert len(message.get_all("Message-ID") or []) == 1
        assert message.get_content_type() == "text/plain"
        assert message.get_content_charset() == "utf-8"
        assert message.get_content() == (
            f"Hej {recipient.name}!\n\nSvara på enkäten här.\n\nVänliga hälsningar\n"
        )
        [row] = rows()
        assert row.status == MailStatus.SENT
        assert row.attempts == 1
        assert row.sent_at is not None
        assert row.lease_until is None


def test_it_sends_html_as_an_alternative_to_the_text(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        [queued] = queue_invitations(
            1, body_html="<p>Hej <strong>Åsa</strong> &amp; välkommen!</p>"
        )
        deliver_outbox()

        message = smtp_server.received[0].message
        assert message.get_content_type() == "multipart/alternative"
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert plain is not None and html is not None
        assert plain.get_content() == queued.body_text
        assert html.get_content() == "<p>Hej <strong>Åsa</strong> &amp; välkommen!</p>\n"


def test_it_sends_a_batch_over_one_connection(make_app: MakeApp, smtp_server: SmtpServer) -> None:
    app = make_app(SURVEY_MAIL_BATCH_SIZE=10, **smtp_server.settings)
    with app.app_context():
        queue_invitations(25)

        report = deliver_outbox()

        assert report.sent == 25
        assert report.batches == 3
        assert smtp_server.sessions == 3
        sessions = [received.session for received in smtp_server.received]
        assert [sessions.count(number) for number in (1, 2, 3)] == [10, 10, 5]


def test_it_sends_nothing_more_on_a_second_run(mail_app: Flask, smtp_server: SmtpServer) -> None:
    with mail_app.app_context():
        queue_invitations(3)
        assert deliver_outbox().sent == 3

        second = deliver_outbox()

        assert (second.sent, second.batches) == (0, 0)
        assert len(smtp_server.received) == 3
        assert smtp_server.sessions == 1


def test_it_delivers_messages_queued_for_later_only_when_due(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        queue_invitations(1, send_after=utcnow() + timedelta(hours=1))
        assert deliver_outbox().sent == 0
        make_all_due()
        assert deliver_outbox().sent == 1


@pytest.mark.parametrize("stage", ["data", "rcpt"])
def test_it_retries_temporary_failures_later_and_delivers_once(
    mail_app: Flask, smtp_server: SmtpServer, stage: str
) -> None:
    with mail_app.app_context():
        [queued] = queue_invitations(1)
        smtp_server.fail_next(2, code=451, stage=stage)
        delays = []
        for attempt in (1, 2):
            before = utcnow()
            report = deliver_outbox()
            assert (report.sent, report.retried) == (0, 1)
            [row] = rows()
            assert (row.status, row.attempts, row.claimed_by) == (MailStatus.QUEUED, attempt, None)
            assert "451 4.3.0 Try again later" in (row.last_error or "")
            delays.append(row.next_attempt_at - before)
            assert deliver_outbox().retried == 0, "not retried before its time"
            make_all_due()

        assert timedelta(seconds=50) < delays[0] < timedelta(seconds=70)
        assert timedelta(seconds=100) < delays[1] < timedelta(seconds=140)
        assert deliver_outbox().sent == 1
        assert smtp_server.message_id_counts() == {queued.message_id: 1}
        [row] = rows()
        assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 3, None)


def test_it_grows_the_retry_delay_up_to_a_cap() -> None:
    delays = [retry_delay(attempts) for attempts in range(1, 12)]
    assert all(later > earlier for earlier, later in itertools.pairwise(delays[:7]))
    assert max(delays) <= timedelta(hours=2, minutes=12)
    assert delays[-1] >= timedelta(hours=1, minutes=48)


@pytest.mark.parametrize(
    ("fail", "expected_error"),
    [
        (lambda server: server.fail_next(1, code=554, stage="data"), "554 5.7.1 Message rejected"),
        (lambda server: server.fail_next(1, code=550, stage="rcpt"), "550 5.7.1 Message rejected"),
        (
            lambda server: server.refuse_recipient("mottagare1@example.se"),
            "550 5.1.1 Mailbox does not exist",
        ),
    ],
    ids=["5xx-after-data", "5xx-at-rcpt", "refused-recipient"],
)
def test_it_fails_permanent_errors_at_once_and_sends_the_rest(
    mail_app: Flask,
    smtp_server: SmtpServer,
    fail: Callable[[SmtpServer], None],
    expected_error: str,
) -> None:
    with mail_app.app_context():
        first, *others = queue_invitations(3)
        fail(smtp_server)

        report = deliver_outbox()

        assert (report.sent, report.failed, report.retried) == (2, 1, 0)
        failed = {row.id: row for row in rows()}[first.id]
        assert failed.status == MailStatus.FAILED
        assert expected_error in (failed.last_error or "")
        assert failed.attempts == 1
        assert smtp_server.sessions == 1, "the session survives a refused message"
        assert smtp_server.message_id_counts() == {message.message_id: 1 for message in others}
        make_all_due()
        assert deliver_outbox().batches == 0


def test_it_keeps_every_message_while_the_server_is_down(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        queued = queue_invitations(4)
        with smtp_server.down():
            report = deliver_outbox()
            assert (report.sent, report.retried) == (0, 4)
            assert report.problems and "Kunde inte ansluta" in report.problems[0]
            assert {row.status for row in rows()} == {MailStatus.QUEUED}
            assert {row.attempts for row in rows()} == {1}
            assert "Connection refused" in (rows()[0].last_error or "")

        make_all_due()
        assert deliver_outbox().sent == 4
        assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}


def test_it_delivers_the_rest_later_when_the_connection_drops_mid_batch(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        queued = queue_invitations(6)
        smtp_server.drop_connection_after(2)

        first = deliver_outbox()

        assert (first.sent, first.retried, first.uncertain) == (2, 1, 0)
        assert first.problems
        by_id = {row.id: row for row in rows()}
        assert by_id[queued[2].id].attempts == 1  # its MAIL command met the closed connection
        for message in queued[3:]:
            row = by_id[message.id]
            assert (row.status, row.attempts, row.claimed_by) == (MailStatus.QUEUED, 0, None)

        assert deliver_outbox().sent == 3, "the untouched rest goes on the next run"
        make_all_due()
        assert deliver_outbox().sent == 1
        assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}


def test_it_never_resends_a_message_whose_reply_was_lost(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        queued = queue_invitations(3)
        smtp_server.drop_after_data(1)

        report = deliver_outbox()

        assert (report.sent, report.uncertain) == (0, 1)
        first = {row.id: row for row in rows()}[queued[0].id]
        assert first.status == MailStatus.UNCERTAIN
        assert "Okänt om meddelandet kom fram" in (first.last_error or "")
        make_all_due()
        assert deliver_outbox().sent == 2
        assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}


def test_it_retries_a_message_whose_recipient_step_timed_out(
    make_app: MakeApp, smtp_server: SmtpServer
) -> None:
    app = make_app(MAIL_TIMEOUT_SECONDS=1, **smtp_server.settings)
    with app.app_context():
        [queued] = queue_invitations(1)
        block = smtp_server.block(to=address_of(queued), stage="rcpt")

        report = deliver_outbox()

        assert block.reached.is_set()
        assert report.retried == 1
        [row] = rows()
        assert (row.status, row.attempts) == (MailStatus.QUEUED, 1)
        assert "timed out" in (row.last_error or "")
        block.release()
        make_all_due()
        assert deliver_outbox().sent == 1
        assert smtp_server.message_id_counts() == {queued.message_id: 1}


def test_it_marks_uncertain_a_message_whose_final_reply_timed_out(
    make_app: MakeApp, smtp_server: SmtpServer
) -> None:
    app = make_app(MAIL_TIMEOUT_SECONDS=1, **smtp_server.settings)
    with app.app_context():
        [queued] = queue_invitations(1)
        smtp_server.block(to=address_of(queued), stage="data")

        report = deliver_outbox()

        assert report.uncertain == 1
        assert rows()[0].status == MailStatus.UNCERTAIN
        make_all_due()
        assert deliver_outbox().batches == 0


def test_it_fails_a_message_after_the_maximum_attempts(
    make_app: MakeApp, smtp_server: SmtpServer
) -> None:
    app = make_app(SURVEY_MAIL_MAX_ATTEMPTS=3, **smtp_server.settings)
    with app.app_context():
        queue_invitations(1)
        smtp_server.fail_next(10, code=452, text="4.2.2 Mailbox full")
        outcomes = []
        for _ in range(4):
            report = deliver_outbox()
            outcomes.append((report.retried, report.failed))
            make_all_due()

        assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0)]
        [row] = rows()
        assert (row.status, row.attempts) == (MailStatus.FAILED, 3)
        assert row.last_error == (
            "Gav upp efter 3 försök. E-postservern svarade: 452 4.2.2 Mailbox full"
        )
        assert smtp_server.received == []


def _as_if_a_worker_died_while_sending(message_id: int) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            status=MailStatus.SENDING.value,
            attempts=1,
            claimed_by="dead-worker",
            lease_until=utcnow() - timedelta(seconds=1),
        )
    )
    db.session.commit()


def test_it_marks_a_stale_sending_message_uncertain_and_resends_it_only_when_asked(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        stale, fresh = queue_invitations(2)
        _as_if_a_worker_died_while_sending(stale.id)

        report = deliver_outbox()

        assert (report.uncertain, report.sent) == (1, 1)
        assert statuses() == {stale.id: MailStatus.UNCERTAIN, fresh.id: MailStatus.SENT}
        make_all_due()
        assert deliver_outbox().batches == 0
        assert smtp_server.message_id_counts() == {fresh.message_id: 1}

        requeue_uncertain(stale.id)
        db.session.commit()
        assert deliver_outbox().sent == 1
        assert deliver_outbox().sent == 0
        assert smtp_server.message_id_counts() == {fresh.message_id: 1, stale.message_id: 1}
        assert statuses()[stale.id] == MailStatus.SENT


def test_it_leaves_a_sending_message_alone_while_its_lease_runs(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        [queued] = queue_invitations(1)
        _as_if_a_worker_died_while_sending(queued.id)
        db.session.execute(
            update(OutboxMessage).values(lease_until=utcnow() + timedelta(minutes=5))
        )
        db.session.commit()

        assert recover_stale_messages() == 0
        assert statuses() == {queued.id: MailStatus.SENDING}
        assert recover_stale_messages(utcnow() + timedelta(minutes=6)) == 1
        assert statuses() == {queued.id: MailStatus.UNCERTAIN}


def test_it_reclaims_messages_a_dead_worker_claimed_but_never_sent(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        expired, live = queue_invitations(2)
        for message, lease_until in (
            (expired, utcnow() - timedelta(seconds=1)),
            (live, utcnow() + timedelta(minutes=5)),
        ):
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id)
                .values(claimed_by="other-worker", lease_until=lease_until)
            )
        db.session.commit()

        report = deliver_outbox()

        assert report.sent == 1
        assert smtp_server.message_id_counts() == {expired.message_id: 1}
        assert statuses()[live.id] == MailStatus.QUEUED


def test_it_holds_mail_in_development_instead_of_sending(
    make_app: MakeApp, smtp_server: SmtpServer
) -> None:
    app = make_app(SURVEY_MAIL_DELIVERY="outbox", **smtp_server.settings)
    with app.app_context():
        queued = queue_invitations(3)

        report = deliver_outbox()

        assert (report.held, report.sent) == (3, 0)
        assert statuses() == {message.id: MailStatus.HELD for message in queued}
        assert deliver_outbox().held == 0
        assert smtp_server.received == []
        assert smtp_server.sessions == 0


def test_it_fills_send_time_fields_once_per_batch_and_never_stores_them(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    marker = "[[PERSONLIG-LANK]]"
    lookups = []
    with mail_app.app_context():
        round_ = make_round()
        linked = make_recipient(round_, email="med.lank@example.se")
        revoked = make_recipient(round_, email="utan.lank@example.se")
        body = f"Hej!\n\nSvara här: {marker}\n"
        queue_invitation(linked, body_text=body, body_html=f'<a href="{marker}">Svara</a>')
        queue_invitation(revoked, body_text=body)
        linked_id, revoked_id = linked.id, revoked.id
        db.session.commit()

        def links(recipient_ids: Iterable[int]) -> dict[int, str]:
            lookups.append(list(recipient_ids))
            return {linked_id: "https://enkat.example.se/svara/1/abc?x=1&y=2"}

        register_send_time_field(mail_app, marker, links)
        report = deliver_outbox()

        assert lookups == [sorted([linked_id, revoked_id])]
        assert (report.sent, report.failed) == (1, 1)
        [received] = smtp_server.received
        plain = received.message.get_body(preferencelist=("plain",))
        html = received.message.get_body(preferencelist=("html",))
        assert plain is not None and html is not None
        assert "Svara här: https://enkat.example.se/svara/1/abc?x=1&y=2\n" in plain.get_content()
        assert 'href="https://enkat.example.se/svara/1/abc?x=1&amp;y=2"' in html.get_content()
        by_address = {row.to_address: row for row in rows()}
        assert marker in by_address["med.lank@example.se"].body_text
        failed = by_address["utan.lank@example.se"]
        assert failed.status == MailStatus.FAILED
        assert marker in (failed.last_error or "")


def test_it_stops_after_the_current_message_when_asked(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        queued = queue_invitations(4)
        report = deliver_outbox(stop=lambda: len(smtp_server.received) >= 1)

        assert report.sent == 1
        assert [row.claimed_by for row in rows()][1:] == [None, None, None]
        assert list(statuses().values()) == [MailStatus.SENT] + [MailStatus.QUEUED] * 3
        assert deliver_outbox().sent == 3
        assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}


def test_it_sends_to_internationalised_domains_in_their_ascii_form(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        round_ = make_round()
        recipient = make_recipient(round_, name="Kommunen", email="registrator@malmö.se")
        queue_invitation(recipient)
        db.session.commit()

        assert deliver_outbox().sent == 1
        [received] = smtp_server.received
        assert received.envelope_recipients == ("registrator@xn--malm-8qa.se",)
        assert received.message["To"].addresses[0].domain == "xn--malm-8qa.se"


def test_it_fails_a_message_whose_address_was_purged(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        [queued] = queue_invitations(1)
        db.session.execute(update(OutboxMessage).values(to_address=None))
        db.session.commit()

        assert deliver_outbox().failed == 1
        [row] = rows()
        assert row.status == MailStatus.FAILED
        assert "adress har tagits bort" in (row.last_error or "")
        assert smtp_server.sessions == 1
        assert smtp_server.received == []
        assert row.message_id == queued.message_id


@pytest.mark.parametrize("durable", [False, True], ids=["relaxed", "durable"])
def test_it_delivers_in_both_durability_modes_and_leaves_connections_as_found(
    make_app: MakeApp, smtp_server: SmtpServer, durable: bool
) -> None:
    app = make_app(SURVEY_MAIL_DURABLE_HANDOVER=durable, **smtp_server.settings)
    with app.app_context():
        queued = queue_invitations(3)
        # While the worker sends, its commits wait for the disk only in durable mode.
        with worker_connection(durable) as connection:
            if connection.dialect.name == "postgresql":
                during = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
                assert during == ("on" if durable else "off")
            else:
                during = connection.exec_driver_sql("PRAGMA synchronous").scalar()
                assert during == (2 if durable else 1)  # FULL or NORMAL

        assert deliver_outbox().sent == 3

        assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                setting = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
                assert setting == "on"
            else:
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_it_stops_after_the_batches_asked_for(make_app: MakeApp, smtp_server: SmtpServer) -> None:
    app = make_app(SURVEY_MAIL_BATCH_SIZE=2, **smtp_server.settings)
    with app.app_context():
        queue_invitations(5)
        report = deliver_outbox(max_batches=1, worker_id="worker-a")
        assert (report.sent, report.batches) == (2, 1)
        assert {row.claimed_by for row in rows() if row.status == MailStatus.SENT} == {"worker-a"}
        assert deliver_outbox().sent == 3


def test_it_never_hands_over_a_message_another_worker_took_from_it(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        queued = queue_invitations(4)
        taken = queued[1]
        calls = []

        def take_over_the_second_message() -> bool:
            calls.append(1)
            if len(calls) == 2:  # our claim "expired" and another worker claimed it
                db.session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == taken.id)
                    .values(claimed_by="other-worker")
                )
                db.session.commit()
            return False

        report = deliver_outbox(stop=take_over_the_second_message)

        assert report.sent == 3
        counts = smtp_server.message_id_counts()
        assert taken.message_id not in counts
        assert counts == {message.message_id: 1 for message in queued if message is not taken}
        assert smtp_server.sessions == 2, "the session stuck in DATA was closed"
        row = {row.id: row for row in rows()}[taken.id]
        assert (row.status, row.claimed_by, row.attempts) == (
            MailStatus.QUEUED,
            "other-worker",
            0,
        )


def test_it_delivers_from_an_in_memory_sqlite_database(smtp_server: SmtpServer) -> None:
    # The worker's database thread shares the one connection an in-memory database has.
    app = create_app({"SURVEY_ENV": "testing", **smtp_server.settings})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    with app.app_context():
        db.create_all()
        queued = queue_invitations(3)
        assert deliver_outbox().sent == 3
        assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}
        db.session.remove()
        db.engine.dispose()
