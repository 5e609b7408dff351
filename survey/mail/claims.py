"""Claims on outbox rows: claiming a batch, the leases, and recovery after a dead worker.

A batch is *claimed*: queued rows get ``claimed_by`` and ``lease_until`` (PostgreSQL
skips rows another worker has locked; SQLite serialises writers). A claimed row has not
been handed to anyone, so if its worker dies it is simply claimed again once the lease
has expired. A SENDING row whose lease has expired belonged to a worker that died
mid-send: `recover` marks it UNCERTAIN, and it is never sent again automatically. A
person decides (`survey.mail.outbox.requeue_uncertain`).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update

from survey.db import table_of, utcnow
from survey.mail.durability import worker_connection
from survey.schema.outbox import MailStatus, OutboxMessage

_table = table_of(OutboxMessage)
_c = _table.c


@dataclass(slots=True)
class ClaimedMessage:
    """The columns of a claimed row that sending needs."""

    id: int
    recipient_id: int | None
    to_address: str | None
    to_name: str | None
    sender: str
    reply_to: str | None
    subject: str
    body_text: str
    body_html: str | None
    message_id: str
    attempts: int
    next_attempt_at: datetime


_CLAIMED_COLUMNS = [
    _c.id,
    _c.recipient_id,
    _c.to_address,
    _c.to_name,
    _c.sender,
    _c.reply_to,
    _c.subject,
    _c.body_text,
    _c.body_html,
    _c.message_id,
    _c.attempts,
    _c.next_attempt_at,
]

# Gives a claimed message not handed over back to the queue at once (parameters m_id,
# worker), rather than when its lease runs out.
RELEASE = (
    update(_table)
    .where(_c.id == bindparam("m_id"), _c.claimed_by == bindparam("worker"))
    .where(_c.status == MailStatus.QUEUED.value)
    .values(claimed_by=None, lease_until=None)
)


def default_worker_id() -> str:
    """Name this worker in claimed rows: host, process and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:100]


def claim_statement(worker_id: str, size: int, now: datetime, lease: timedelta) -> Any:
    """The UPDATE … RETURNING that claims up to `size` due messages (oldest due first).

    The index on (status, next_attempt_at, id) returns the due rows in this order, so
    the database reads `size` rows however long the queue is (see docs/performance.md).
    """
    due = (
        select(_c.id)
        .where(_c.status == MailStatus.QUEUED.value, _c.next_attempt_at <= now)
        .where(or_(_c.claimed_by.is_(None), _c.lease_until < now))
        .order_by(_c.next_attempt_at, _c.id)
        .limit(size)
        # PostgreSQL: rows another worker is claiming are skipped, not waited for.
        # SQLite renders no locking clause; its writers take turns (BEGIN IMMEDIATE).
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    return (
        update(_table)
        .where(_c.id == due.c.id)
        .values(claimed_by=worker_id, lease_until=now + lease)
        .returning(*_CLAIMED_COLUMNS)
    )


def claim(
    connection: Connection, worker_id: str, size: int, now: datetime, lease: timedelta
) -> list[ClaimedMessage]:
    """Claim and commit up to `size` due messages for `worker_id`, oldest due first."""
    rows = connection.execute(claim_statement(worker_id, size, now, lease)).all()
    connection.commit()
    claimed = [ClaimedMessage(*row) for row in rows]
    claimed.sort(key=lambda message: (message.next_attempt_at, message.id))
    return claimed


def hold(connection: Connection, claimed: list[ClaimedMessage], worker_id: str) -> None:
    """Development: keep every claimed message in the outbox as HELD, and commit."""
    connection.execute(
        update(_table)
        .where(_c.id.in_([message.id for message in claimed]), _c.claimed_by == worker_id)
        .where(_c.status == MailStatus.QUEUED.value)
        .values(status=MailStatus.HELD.value, lease_until=None)
    )
    connection.commit()


def recover(connection: Connection, now: datetime) -> int:
    """Mark SENDING rows past their lease UNCERTAIN, free expired claims, commit.

    Returns how many rows became UNCERTAIN.
    """
    uncertain = connection.execute(
        update(_table)
        .where(_c.status == MailStatus.SENDING.value, _c.lease_until < now)
        .values(
            status=MailStatus.UNCERTAIN.value,
            lease_until=None,
            last_error=(
                "Okänt om meddelandet kom fram: utskicket avbröts medan meddelandet lämnades "
                "till e-postservern. Kontrollera med mottagaren innan det skickas igen."
            ),
        )
    ).rowcount
    connection.execute(
        update(_table)
        .where(_c.status == MailStatus.QUEUED.value, _c.claimed_by.is_not(None))
        .where(_c.lease_until < now)
        .values(claimed_by=None, lease_until=None)
    )
    connection.commit()
    return uncertain


def recover_stale_messages(now: datetime | None = None) -> int:
    """Mark SENDING rows past their lease UNCERTAIN and free expired claims; count the former."""
    with worker_connection(durable=True) as connection:
        return recover(connection, now or utcnow())
