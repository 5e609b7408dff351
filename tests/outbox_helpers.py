"""Helpers for the outbox and mail worker tests. Call them inside an app context."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from survey.db import db, utcnow
from survey.mail.outbox import queue_message
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.rounds import Recipient, Round
from tests.factories import make_recipient, make_round
from tests.smtp_server import SmtpServer

SENDER_NAME = "Processledare nära vård, Nordväst"
REPLY_TO = "processledare.nv@example.se"
SURVEY_COMMAND = str(Path(sys.executable).parent / "survey")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def address_of(message: OutboxMessage) -> str:
    """The message's recipient address (set on every message the tests queue)."""
    assert message.to_address is not None
    return message.to_address


def queue_invitations(
    count: int, *, round_: Round | None = None, **fields: Any
) -> list[OutboxMessage]:
    """Queue one invitation for each of `count` new recipients and commit.

    The messages come back detached with their attributes loaded, so reading them does
    not open a transaction (on SQLite every transaction holds the write lock).
    """
    round_ = round_ or make_round()
    messages = []
    for number in range(1, count + 1):
        recipient = make_recipient(
            round_, name=f"Åsa Öberg {number}", email=f"mottagare{number}@example.se"
        )
        messages.append(queue_invitation(recipient, **fields))
    db.session.commit()
    for message in messages:
        db.session.refresh(message)
    db.session.expunge_all()
    db.session.rollback()
    return messages


def queue_invitation(recipient: Recipient, **fields: Any) -> OutboxMessage:
    """Queue the invitation of one recipient (not committed)."""
    values: dict[str, Any] = {
        "kind": MailKind.INVITATION,
        "sequence": 1,
        "to_address": recipient.email,
        "to_name": recipient.name,
        "subject": "Inbjudan: Årlig enkät 2025 – god och nära vård",
        "body_text": f"Hej {recipient.name}!\n\nSvara på enkäten här.\n\nVänliga hälsningar\n",
        "sender_name": SENDER_NAME,
        "reply_to": REPLY_TO,
        "round_id": recipient.round_id,
        "recipient_id": recipient.id,
    }
    values.update(fields)
    return queue_message(**values)


def statuses() -> dict[int, str]:
    """Every outbox row's status by id, read fresh from the database."""
    found = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.status).order_by(OutboxMessage.id)
    )
    result = {message_id: status for message_id, status in found}
    # End the read: on SQLite every transaction holds the write lock (BEGIN IMMEDIATE).
    db.session.rollback()
    return result


def rows() -> list[OutboxMessage]:
    """Every outbox row, read fresh and detached (attributes stay readable)."""
    db.session.expire_all()
    result = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    db.session.expunge_all()
    db.session.rollback()
    return result


def make_all_due() -> None:
    """Let time pass: every queued message may be attempted now."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MailStatus.QUEUED.value)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def expire_leases() -> None:
    """Let every lease run out, as if its worker had died long ago."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.lease_until.is_not(None))
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def worker_environment(database_url: str, smtp_server: SmtpServer, **extra: str) -> dict[str, str]:
    """The environment of a real `survey outbox send` process on the test database.

    The worker runs in the production configuration, as under systemd: a strong key, the
    database and mail server from the environment (the testing configuration ignores the
    environment on purpose).
    """
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SURVEY_", "MAIL_", "DATABASE_URL", "SECRET_KEY"))
    }
    return {
        **inherited,
        "SURVEY_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "SURVEY_BASE_URL": "https://enkat.example.se",
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": str(smtp_server.port),
        "MAIL_DEFAULT_SENDER": "enkat@example.se",
        "MAIL_TIMEOUT_SECONDS": "10",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_worker(
    database_url: str, smtp_server: SmtpServer, *arguments: str, **extra: str
) -> subprocess.Popen[str]:
    """Start `survey outbox send ARGUMENTS` as a separate process."""
    return subprocess.Popen(
        [SURVEY_COMMAND, "outbox", "send", *arguments],
        env=worker_environment(database_url, smtp_server, **extra),
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_worker(database_url: str, smtp_server: SmtpServer, *arguments: str) -> str:
    """Run `survey outbox send` to the end; return its output, failing on a bad exit."""
    worker = start_worker(database_url, smtp_server, *arguments)
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    return output
