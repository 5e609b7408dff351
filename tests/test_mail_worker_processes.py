"""The worker as the real `survey outbox send` process: killed, stopped, run twice at once.

The processes run in the production configuration against the test database (see
`tests.outbox_helpers.worker_environment`) and send to the test's SMTP server.
"""

from __future__ import annotations

import signal
import subprocess

import pytest
from flask import Flask

from survey.db import db
from survey.mail.outbox import requeue_uncertain
from survey.schema.outbox import MailStatus
from tests.factories import MakeApp
from tests.outbox_helpers import (
    address_of,
    expire_leases,
    queue_invitations,
    rows,
    run_worker,
    start_worker,
    statuses,
)
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.slow


@pytest.fixture
def mail_app(make_app: MakeApp, smtp_server: SmtpServer) -> Flask:
    return make_app(**smtp_server.settings)


def _stop(worker: subprocess.Popen[str]) -> str:
    if worker.poll() is None:
        worker.kill()
    output, _ = worker.communicate(timeout=30)
    return output


def test_it_delivers_each_message_once_when_a_worker_is_killed_mid_send(
    mail_app: Flask, database_url: str, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        queued = queue_invitations(6)
    in_flight = queued[2]
    # The server holds the third message after its final "." until the worker is dead.
    block = smtp_server.block(to=address_of(in_flight))
    worker = start_worker(database_url, smtp_server)
    try:
        assert block.reached.wait(60), _stop(worker)
        with mail_app.app_context():
            assert list(statuses().values()) == [
                MailStatus.SENT,
                MailStatus.SENT,
                MailStatus.SENDING,
                MailStatus.QUEUED,
                MailStatus.QUEUED,
                MailStatus.QUEUED,
            ]
            assert all(row.claimed_by for row in rows())
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(30) == -signal.SIGKILL
    finally:
        _stop(worker)
        block.release()

    with mail_app.app_context():
        expire_leases()  # as if the lease had run out while nobody was watching
    output = run_worker(database_url, smtp_server)

    assert "uncertain 1" in output
    with mail_app.app_context():
        after_restart = statuses()
    assert after_restart[in_flight.id] == MailStatus.UNCERTAIN
    assert [status for id_, status in after_restart.items() if id_ != in_flight.id] == [
        MailStatus.SENT
    ] * 5
    assert smtp_server.message_id_counts() == {
        message.message_id: 1 for message in queued if message is not in_flight
    }

    with mail_app.app_context():
        requeue_uncertain(in_flight.id)
        db.session.commit()
    run_worker(database_url, smtp_server)

    assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}
    with mail_app.app_context():
        assert set(statuses().values()) == {MailStatus.SENT}


def test_it_delivers_each_message_once_with_two_workers_at_once(
    mail_app: Flask, database_url: str, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        queued = queue_invitations(200)
    smtp_server.slow_down(0.01)  # each worker alone would need seconds: they overlap

    workers = [start_worker(database_url, smtp_server, "--batch-size", "10") for _ in range(2)]
    outputs = [worker.communicate(timeout=240)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    sent = [int(output.rsplit("done: sent ", 1)[1].split(",")[0]) for output in outputs]
    assert sum(sent) == 200
    assert all(count > 0 for count in sent), f"one worker did all the work: {outputs}"
    assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}
    with mail_app.app_context():
        assert set(statuses().values()) == {MailStatus.SENT}


def test_it_stops_cleanly_on_sigterm_after_the_current_message(
    mail_app: Flask, database_url: str, smtp_server: SmtpServer
) -> None:
    with mail_app.app_context():
        queued = queue_invitations(5)
    block = smtp_server.block(to=address_of(queued[1]), accept=True)
    worker = start_worker(database_url, smtp_server, "--loop", "--interval", "0.2")
    try:
        assert block.reached.wait(60), _stop(worker)
        worker.send_signal(signal.SIGTERM)
        block.release()
        output, _ = worker.communicate(timeout=60)
    finally:
        _stop(worker)

    assert worker.returncode == 0, output
    assert "SIGTERM received: stopping after the current message" in output
    assert output.rstrip().endswith("stopped")
    assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued[:2]}
    with mail_app.app_context():
        after = {row.id: row for row in rows()}
    assert [after[message.id].status for message in queued] == [
        MailStatus.SENT,
        MailStatus.SENT,
        MailStatus.QUEUED,
        MailStatus.QUEUED,
        MailStatus.QUEUED,
    ]
    assert [after[message.id].claimed_by for message in queued[2:]] == [None, None, None]


def test_it_keeps_running_in_loop_mode_and_delivers_what_is_queued_later(
    mail_app: Flask, database_url: str, smtp_server: SmtpServer
) -> None:
    worker = start_worker(database_url, smtp_server, "--loop", "--interval", "0.2")
    try:
        with mail_app.app_context():
            queued = queue_invitations(3)
        assert smtp_server.wait_for(3, timeout=60), _stop(worker)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        _stop(worker)

    assert worker.returncode == 0, output
    assert "done: sent 3" in output
    assert smtp_server.message_id_counts() == {message.message_id: 1 for message in queued}
