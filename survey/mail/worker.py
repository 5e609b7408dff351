"""The delivery worker: claims due outbox rows in batches and hands them to SMTP.

How a message moves, and why nothing is sent twice:

* A batch is *claimed*: queued rows get ``claimed_by`` and ``lease_until`` (PostgreSQL
  skips rows another worker has locked; SQLite serialises writers). A claimed row has
  not been handed to anyone, so if its worker dies it is simply claimed again once the
  lease has expired.
* Before a message is handed to the SMTP server it is marked SENDING and that is
  committed. Afterwards it is SENT, or QUEUED again with a later ``next_attempt_at``
  (temporary failure), or FAILED (permanent failure, or attempts used up), or UNCERTAIN
  (the connection broke after the content went out, before the server answered).
* A SENDING row whose lease has expired belonged to a worker that died mid-send: it is
  marked UNCERTAIN and never sent again automatically. A person decides
  (`survey.mail.outbox.requeue_uncertain`).

Throughput (10,000 invitations should go out nearly as fast as smtplib alone sends
them; `bench/mail_bench.py` measures it): one SMTP session per batch; MAIL, RCPT and
DATA sent together where the server announces PIPELINING (`survey.mail.smtp`); one
statement per message, which marks the message SENDING and the previous one SENT (a
crash between a hand-over and that statement leaves the previous message SENDING, i.e.
UNCERTAIN — never resent); that statement runs on a database thread while the message's
MAIL, RCPT and content go out, and only the final "." that completes the hand-over
waits for its commit. How durable these commits are: see `_worker_connection`.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import socket
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app
from markupsafe import escape
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    bindparam,
    case,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from survey.db import UTCDateTime, db, table_of, utcnow
from survey.errors import ErrorCode, OperatorError
from survey.mail.compose import OutgoingMail, address_part, ascii_address, compose_message
from survey.mail.smtp import (
    Failure,
    OutboxConnection,
    Outcome,
    classify,
    classify_connect_error,
)
from survey.schema.outbox import MailStatus, OutboxMessage

RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 2 * 60 * 60
RETRY_JITTER = 0.1  # ±10 %: workers retrying after one outage do not return in step
MAX_ERROR_LENGTH = 2000
DELIVERY_MODES = ("smtp", "outbox")

SEND_TIME_FIELDS = "survey_mail_send_time_fields"
# The same, looked up by the outbox message's own id (mail to someone who is no recipient).
SEND_TIME_MESSAGE_FIELDS = "survey_mail_send_time_message_fields"

# Given the recipient ids of a batch's messages that contain the field's marker, return
# each recipient's value; a recipient left out cannot be mailed (the message FAILS).
SendTimeValues = Callable[[Sequence[int]], Mapping[int, str]]

_table = table_of(OutboxMessage)
_c = _table.c


@dataclass
class DeliveryReport:
    """What one run (or one batch) did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: int = 0
    held: int = 0
    batches: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        """Count another report's work in this one."""
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.uncertain += other.uncertain
        self.held += other.held
        self.batches += other.batches
        self.problems.extend(other.problems)

    def describe(self) -> str:
        """One line for logs and the command line."""
        return (
            f"sent {self.sent}, retried {self.retried}, failed {self.failed}, "
            f"uncertain {self.uncertain}, held {self.held}"
        )


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """The worker's settings, read once per run from the app's configuration."""

    delivery: str
    batch_size: int
    max_attempts: int
    lease: timedelta
    timeout: float
    envelope_from: str
    durable: bool

    @classmethod
    def from_app(cls, app: Flask, batch_size: int | None = None) -> WorkerSettings:
        """Read the settings; `batch_size` overrides SURVEY_MAIL_BATCH_SIZE."""
        config = app.config
        return cls(
            delivery=config["SURVEY_MAIL_DELIVERY"],
            batch_size=batch_size or config["SURVEY_MAIL_BATCH_SIZE"],
            max_attempts=config["SURVEY_MAIL_MAX_ATTEMPTS"],
            lease=timedelta(seconds=config["SURVEY_MAIL_LEASE_SECONDS"]),
            timeout=float(config["MAIL_TIMEOUT_SECONDS"]),
            envelope_from=ascii_address(address_part(config["MAIL_DEFAULT_SENDER"])),
            durable=bool(config["SURVEY_MAIL_DURABLE_HANDOVER"]),
        )


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


def register_send_time_field(app: Flask, marker: str, values: SendTimeValues) -> None:
    """Fill `marker` in message bodies at sending time (e.g. a personal link never stored)."""
    app.extensions.setdefault(SEND_TIME_FIELDS, {})[marker] = values


def register_send_time_message_field(app: Flask, marker: str, values: SendTimeValues) -> None:
    """As `register_send_time_field`, but `values` is given outbox message ids, not recipients'."""
    app.extensions.setdefault(SEND_TIME_MESSAGE_FIELDS, {})[marker] = values


def default_worker_id() -> str:
    """Name this worker in claimed rows: host, process and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:100]


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Wait 1, 2, 4, 8 … minutes (±10 %) after the n-th failed attempt, at most two hours."""
    base = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)
    jitter = (rng or random).uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)
    return timedelta(seconds=base * jitter)


def _status_is(*statuses: MailStatus) -> ColumnElement[bool]:
    # OR of equalities rather than IN: an IN list is expanded at every execution.
    return or_(*(_c.status == status.value for status in statuses))


# Statements are built once; executing a prepared statement with new parameters keeps
# the per-message cost to the database round trip itself.

# The one statement per message: marks this message SENDING (if it is still ours and
# queued) and, in the same commit, the previous message SENT. RETURNING tells whether
# this message was marked (absent: our claim expired and another worker has it).
_current = bindparam("current", type_=Integer())
_previous = bindparam("previous", type_=Integer())
_MARK_SENDING = (
    update(_table)
    # The IN lets both databases find the two rows by primary key.
    .where(_c.id.in_([_current, _previous]), _c.claimed_by == bindparam("worker"))
    .where(
        or_(
            and_(_c.id == _current, _c.status == MailStatus.QUEUED.value),
            # UNCERTAIN too: another worker may have given up on our slow hand-over,
            # and we know better.
            and_(_c.id == _previous, _status_is(MailStatus.SENDING, MailStatus.UNCERTAIN)),
        )
    )
    .values(
        status=case(
            (_c.id == _current, literal(MailStatus.SENDING.value)),
            else_=literal(MailStatus.SENT.value),
        ),
        attempts=case((_c.id == _current, bindparam("attempts")), else_=_c.attempts),
        lease_until=case(
            (_c.id == _current, bindparam("lease_until", type_=UTCDateTime())),
            else_=null(),
        ),
        sent_at=case((_c.id == _current, _c.sent_at), else_=bindparam("now", type_=UTCDateTime())),
        last_error=case((_c.id == _current, _c.last_error), else_=null()),
    )
    .returning(_c.id)
)
_MARK_SENT = (
    update(_table)
    .where(_c.id == bindparam("m_id"), _c.claimed_by == bindparam("worker"))
    .where(_status_is(MailStatus.SENDING, MailStatus.UNCERTAIN))
    .values(
        status=MailStatus.SENT.value,
        sent_at=bindparam("now", type_=UTCDateTime()),
        lease_until=None,
        last_error=None,
    )
)
_MARK_RETRY = (
    update(_table)
    .where(_c.id == bindparam("m_id"), _c.claimed_by == bindparam("worker"))
    .where(_status_is(MailStatus.QUEUED, MailStatus.SENDING))
    .values(
        status=MailStatus.QUEUED.value,
        attempts=bindparam("m_attempts"),
        next_attempt_at=bindparam("next_attempt_at", type_=UTCDateTime()),
        claimed_by=None,
        lease_until=None,
        last_error=bindparam("error"),
    )
)
_MARK_FINAL = (
    update(_table)
    .where(_c.id == bindparam("m_id"), _c.claimed_by == bindparam("worker"))
    .where(_status_is(MailStatus.QUEUED, MailStatus.SENDING))
    .values(
        status=bindparam("m_status"),
        attempts=bindparam("m_attempts"),
        lease_until=None,
        last_error=bindparam("error"),
    )
)
_RELEASE = (
    update(_table)
    .where(_c.id == bindparam("m_id"), _c.claimed_by == bindparam("worker"))
    .where(_c.status == MailStatus.QUEUED.value)
    .values(claimed_by=None, lease_until=None)
)

Pending = list[tuple[Any, dict[str, Any]]]


@contextmanager
def _worker_connection(durable: bool) -> Iterator[Connection]:
    """A connection of the worker's own, set up for many small, cheap commits.

    Durability. By default (SURVEY_MAIL_DURABLE_HANDOVER=true) every commit waits for
    the disk: on PostgreSQL with synchronous_commit on, on SQLite with synchronous=FULL
    for this connection. Then the SENDING mark of a message is on disk before the
    message goes to the SMTP server, and not even a crash or power loss of the database
    server can make it send a message twice. It costs one disk flush per message
    (bench/mail_bench.py: 0.86 of raw smtplib's throughput on PostgreSQL here, against
    0.93 without; on slow disks the flushes bound the throughput).

    With SURVEY_MAIL_DURABLE_HANDOVER=false the worker's updates are acknowledged before
    they reach the disk (PostgreSQL: synchronous_commit off for this connection; SQLite:
    WAL with synchronous=NORMAL, as the rest of the app). That is still safe against
    what usually goes wrong, the worker dying (killed, out of memory, redeployed): the
    database keeps every update it acknowledged, so a message handed over is SENDING and
    becomes UNCERTAIN, never resent; a lost SENT mark leaves the row SENDING: UNCERTAIN;
    a lost claim, release or retry mark only delays a message. What it gives up: if the
    *database server* itself crashes or loses power, updates of its last fraction of a
    second can vanish (PostgreSQL writes them within 3 × wal_writer_delay, 0.6 s by
    default) — among them possibly the SENDING mark of a message already handed over,
    which then returns to its claim and may be sent a second time.

    On PostgreSQL each statement commits by itself (autocommit): one round trip per
    message. SQLite cannot use autocommit here: `survey.database` begins every
    transaction with BEGIN IMMEDIATE, so statements are committed explicitly.
    """
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            setting = "on" if durable else "off"
            connection.exec_driver_sql(f"SET synchronous_commit = {setting}")
            try:
                yield connection
            finally:
                _restore(connection, "RESET synchronous_commit")
        else:
            # Outside any transaction (PRAGMA synchronous cannot change inside one).
            driver = cast(sqlite3.Connection, connection.connection.driver_connection)
            if durable:
                driver.execute("PRAGMA synchronous = FULL")
            try:
                yield connection
            finally:
                if durable:
                    connection.rollback()
                    driver.execute("PRAGMA synchronous = NORMAL")


def _restore(connection: Connection, sql: str) -> None:
    try:
        connection.exec_driver_sql(sql)
    except SQLAlchemyError:
        connection.invalidate()  # a broken connection must not go back to the pool


_COMPILED: dict[tuple[int, str], tuple[Any, list[str] | None, dict[str, Any], dict[str, Any]]] = {}


class _DriverStatement:
    """A Core statement compiled once and run on the database driver's own cursor.

    For the one statement executed per message: SQLAlchemy's execution machinery costs
    about 150 µs of CPU per call on top of the driver's 70; over 10,000 messages that
    is more than the SMTP exchange. The statement stays written in Core; only its
    execution is done by hand (parameters processed by the column types, SQLite's
    transaction begun with BEGIN IMMEDIATE as `survey.database` does for all others).
    """

    def __init__(self, statement: Any, connection: Connection) -> None:
        dialect = connection.dialect
        key = (id(statement), dialect.name)
        if key not in _COMPILED:  # compiling takes milliseconds: once per process
            compiled = statement.compile(dialect=dialect)
            order = list(compiled.positiontup or []) if compiled.positional else None
            processors = {
                name: processor
                for name, bind in compiled.binds.items()
                if (processor := bind.type.bind_processor(dialect)) is not None
            }
            # The statement's own values (literals), so that a call only adds its own.
            fixed = {
                name: bind.effective_value
                for name, bind in compiled.binds.items()
                if not bind.required
            }
            _COMPILED[key] = (compiled, order, processors, fixed)
        self.compiled, self.order, self.processors, self.fixed = _COMPILED[key]
        self.sql = self.compiled.string
        self.sqlite = dialect.name == "sqlite"
        self.driver: Any = connection.connection.driver_connection
        self.cursor: Any = None

    def returning(self, values: dict[str, Any]) -> list[Any]:
        """Execute and commit; return the first column of the rows returned."""
        parameters = {**self.fixed, **values}
        for name, processor in self.processors.items():
            if name in parameters:
                parameters[name] = processor(parameters[name])
        arguments = (
            tuple(parameters[name] for name in self.order) if self.order is not None else parameters
        )
        if self.cursor is None:
            self.cursor = self.driver.cursor()
        cursor = self.cursor
        if self.sqlite:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                cursor.execute(self.sql, arguments)
                rows = cursor.fetchall()
                cursor.execute("COMMIT")
            except BaseException:
                self.driver.rollback()
                raise
        else:  # autocommit: the statement commits itself
            cursor.execute(self.sql, arguments)
            rows = cursor.fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        """Close the cursor (the statement is done with for this batch)."""
        if self.cursor is not None:
            self.cursor.close()
            self.cursor = None


def _commit(connection: Connection, pending: Pending) -> None:
    for statement, parameters in pending:
        connection.execute(statement, parameters)
    pending.clear()
    connection.commit()


def _recover(connection: Connection, now: datetime) -> int:
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
    with _worker_connection(durable=True) as connection:
        return _recover(connection, now or utcnow())


def _claim(
    connection: Connection, worker_id: str, size: int, now: datetime, lease: timedelta
) -> list[ClaimedMessage]:
    rows = connection.execute(claim_statement(worker_id, size, now, lease)).all()
    connection.commit()
    claimed = [ClaimedMessage(*row) for row in rows]
    claimed.sort(key=lambda message: (message.next_attempt_at, message.id))
    return claimed


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


def _hold(connection: Connection, claimed: list[ClaimedMessage], worker_id: str) -> DeliveryReport:
    """Development: keep every claimed message in the outbox as HELD."""
    connection.execute(
        update(_table)
        .where(_c.id.in_([message.id for message in claimed]), _c.claimed_by == worker_id)
        .where(_c.status == MailStatus.QUEUED.value)
        .values(status=MailStatus.HELD.value, lease_until=None)
    )
    connection.commit()
    return DeliveryReport(held=len(claimed), batches=1)


class _SendTimeFields:
    """The send-time values of one batch, looked up once per batch."""

    def __init__(self, app: Flask, claimed: list[ClaimedMessage]) -> None:
        self.values: dict[str, Mapping[int, str]] = {}
        self.by_message: dict[str, Mapping[int, str]] = {}
        by_message: dict[str, SendTimeValues] = app.extensions.get(SEND_TIME_MESSAGE_FIELDS, {})
        for marker, lookup in by_message.items():
            message_ids = [message.id for message in claimed if _contains(message, marker)]
            if message_ids:
                self.by_message[marker] = lookup(message_ids)
        registered: dict[str, SendTimeValues] = app.extensions.get(SEND_TIME_FIELDS, {})
        for marker, lookup in registered.items():
            ids = sorted(
                {
                    message.recipient_id
                    for message in claimed
                    if message.recipient_id is not None and _contains(message, marker)
                }
            )
            if any(_contains(message, marker) for message in claimed):
                self.values[marker] = lookup(ids) if ids else {}
        if self.values or self.by_message:
            # The lookups read through the session; end its transaction, which on
            # SQLite holds the write lock the worker's own connection needs next.
            db.session.rollback()

    def fill(self, message: ClaimedMessage) -> tuple[str, str | None]:
        """The message's bodies with every marker replaced; ValueError if one cannot be."""
        text, html = message.body_text, message.body_html
        for marker, values in self.values.items():
            if not _contains(message, marker):
                continue
            value = values.get(message.recipient_id) if message.recipient_id is not None else None
            if value is None:
                raise ValueError(
                    f"Meddelandet innehåller {marker}, men inget värde fanns för mottagaren "
                    "när det skulle skickas (till exempel en återkallad personlig länk)."
                )
            text = text.replace(marker, value)
            if html is not None:
                html = html.replace(marker, str(escape(value)))
        for marker, by_id in self.by_message.items():
            if not _contains(message, marker):
                continue
            found = by_id.get(message.id)
            if found is None:
                raise ValueError(
                    f"Meddelandet innehåller {marker}, men inget värde fanns för det "
                    "när det skulle skickas (till exempel en återkallad personlig länk)."
                )
            text = text.replace(marker, found)
            if html is not None:
                html = html.replace(marker, str(escape(found)))
        return text, html


def _contains(message: ClaimedMessage, marker: str) -> bool:
    return marker in message.body_text or (
        message.body_html is not None and marker in message.body_html
    )


def _trim(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


class _ClaimLost(OperatorError):
    """Our claim on a message ran out and another worker has it: do not hand it over."""

    code = ErrorCode.MAIL_CLAIM_LOST


class _Batch:
    """Delivers one claimed batch over one SMTP session.

    The database writes of the batch run on a thread of their own, so a message's
    SENDING mark is committed while MAIL, RCPT, DATA and the content go to the server;
    only the final "." of DATA — the moment of hand-over — waits for that commit. The
    semantics are those of marking first and sending afterwards, at the cost of
    whichever of the two takes longer rather than both.
    """

    def __init__(
        self,
        connection: Connection,
        claimed: list[ClaimedMessage],
        settings: WorkerSettings,
        worker_id: str,
        stop: Callable[[], bool],
    ) -> None:
        self.connection = connection
        self.claimed = claimed
        self.settings = settings
        self.worker_id = worker_id
        self.stop = stop
        self.report = DeliveryReport(batches=1)
        # Outcomes other than SENT, written with the next commit.
        self.pending: Pending = []
        # The message last accepted by the server; marked SENT with the next commit.
        self.accepted: int | None = None
        # Messages from this position on have not been dealt with yet.
        self.position = 0
        self.mark_sending: _DriverStatement | None = None

    def run(self) -> DeliveryReport:
        database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-database")
        try:
            self._connect_and_send(database)
        except BaseException:
            database.shutdown(wait=True)
            self._close_statement()
            # Messages not yet handed over are free for other workers at once; one being
            # handed over (if any) stays SENDING and so becomes UNCERTAIN.
            self._release(self.claimed[self.position :])
            try:
                self.connection.rollback()
                self._finish()
            except SQLAlchemyError:
                pass  # the database itself failed: the leases will run out
            raise
        database.shutdown(wait=True)
        self._close_statement()
        self._finish()
        return self.report

    def _close_statement(self) -> None:
        if self.mark_sending is not None:
            with contextlib.suppress(Exception):  # a broken connection is dealt with later
                self.mark_sending.close()

    def _finish(self) -> None:
        if self.accepted is not None:
            self.pending.append((_MARK_SENT, self._sent_parameters(self.accepted)))
            self.accepted = None
        _commit(self.connection, self.pending)

    def _connect_and_send(self, database: ThreadPoolExecutor) -> None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        fields = _SendTimeFields(app, self.claimed)
        smtp = OutboxConnection(app.extensions["mail"], self.settings.timeout)
        try:
            smtp.__enter__()
        except Exception as exc:
            failure = classify_connect_error(exc, smtp.mail.server, smtp.mail.port)
            for message in self.claimed:
                self._failed(message, message.attempts + 1, failure)
            self.position = len(self.claimed)
            self.report.problems.append(failure.text)
            return
        try:
            self._send_all(smtp, fields, database)
        finally:
            smtp.close()

    def _send_all(
        self, smtp: OutboxConnection, fields: _SendTimeFields, database: ThreadPoolExecutor
    ) -> None:
        for index, message in enumerate(self.claimed):
            self.position = index
            if self.stop():
                self._release(self.claimed[index:])
                self.position = len(self.claimed)
                return
            try:
                data = self._compose(message, fields)
            except Exception as exc:
                failure = Failure(Outcome.PERMANENT, str(exc), connection_lost=False)
                self._failed(message, message.attempts, failure)
                continue
            attempts = message.attempts + 1
            marking = database.submit(self._mark_sending, message, attempts, self._take_writes())

            def hand_over(marking: Future[bool] = marking) -> None:
                if not marking.result():
                    raise _ClaimLost

            try:
                recipient = ascii_address(message.to_address or "")
                smtp.send_bytes(self.settings.envelope_from, recipient, data, hand_over)
            except _ClaimLost:
                # Stopped before the final ".", so the message was not handed over; the
                # session had to be closed. The rest of the batch waits for a new one.
                self._release(self.claimed[index + 1 :])
                self.position = len(self.claimed)
                return
            except Exception as exc:
                if not marking.result():  # raises the database's error, if any
                    continue  # not ours: another worker records its outcome
                self.position = index + 1
                failure = classify(exc, smtp.content_transmitted)
                self._failed(message, attempts, failure)
                if failure.connection_lost or not smtp.reset():
                    self.report.problems.append(failure.text)
                    self._release(self.claimed[index + 1 :])
                    self.position = len(self.claimed)
                    return
            else:
                self.position = index + 1
                self.accepted = message.id
                self.report.sent += 1

    def _take_writes(self) -> tuple[Pending, int | None]:
        """The writes waiting for the next commit, handed to the database thread."""
        pending, accepted = self.pending, self.accepted
        self.pending, self.accepted = [], None
        return pending, accepted

    def _compose(self, message: ClaimedMessage, fields: _SendTimeFields) -> bytes:
        if not message.to_address:
            raise ValueError("Mottagarens adress har tagits bort (personuppgifterna är rensade).")
        body_text, body_html = fields.fill(message)
        return compose_message(
            OutgoingMail(
                to_address=message.to_address,
                to_name=message.to_name,
                sender=message.sender,
                reply_to=message.reply_to,
                subject=message.subject,
                body_text=body_text,
                body_html=body_html,
                message_id=message.message_id,
            ),
            utcnow(),
        )

    def _sent_parameters(self, message_id: int) -> dict[str, Any]:
        return {"m_id": message_id, "worker": self.worker_id, "now": utcnow()}

    def _mark_sending(
        self, message: ClaimedMessage, attempts: int, writes: tuple[Pending, int | None]
    ) -> bool:
        """Commit earlier outcomes and this message SENDING; False if it is no longer ours.

        Runs on the database thread, the only user of the connection during the batch.
        """
        pending, accepted = writes
        if pending:
            _commit(self.connection, pending)
        if self.mark_sending is None:
            self.mark_sending = _DriverStatement(_MARK_SENDING, self.connection)
        now = utcnow()
        marked = self.mark_sending.returning(
            {
                "current": message.id,
                "previous": accepted if accepted is not None else -1,
                "worker": self.worker_id,
                "attempts": attempts,
                "lease_until": now + self.settings.lease,
                "now": now,
            }
        )
        return message.id in marked

    def _failed(self, message: ClaimedMessage, attempts: int, failure: Failure) -> None:
        parameters: dict[str, Any] = {
            "m_id": message.id,
            "worker": self.worker_id,
            "m_attempts": attempts,
        }
        if failure.outcome is Outcome.TEMPORARY and attempts < self.settings.max_attempts:
            parameters["error"] = _trim(failure.text)
            parameters["next_attempt_at"] = utcnow() + retry_delay(attempts)
            self.pending.append((_MARK_RETRY, parameters))
            self.report.retried += 1
            return
        if failure.outcome is Outcome.UNKNOWN:
            parameters["m_status"] = MailStatus.UNCERTAIN.value
            parameters["error"] = _trim(failure.text)
            self.report.uncertain += 1
        else:
            parameters["m_status"] = MailStatus.FAILED.value
            if failure.outcome is Outcome.TEMPORARY:
                parameters["error"] = _trim(f"Gav upp efter {attempts} försök. {failure.text}")
            else:
                parameters["error"] = _trim(failure.text)
            self.report.failed += 1
        self.pending.append((_MARK_FINAL, parameters))

    def _release(self, messages: Sequence[ClaimedMessage]) -> None:
        for message in messages:
            self.pending.append((_RELEASE, {"m_id": message.id, "worker": self.worker_id}))


def check_delivery_mode(mode: str) -> None:
    """Refuse a SURVEY_MAIL_DELIVERY that is neither "smtp" nor "outbox"."""
    if mode not in DELIVERY_MODES:
        raise ValueError(
            f"SURVEY_MAIL_DELIVERY={mode!r} is unknown — "
            "use smtp (send) or outbox (keep in the outbox, for development)"
        )


def deliver_outbox(
    *,
    worker_id: str | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    stop: Callable[[], bool] | None = None,
    on_batch: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Deliver due messages batch by batch until none is due, `max_batches` or `stop()`.

    Commits as it goes and never raises for SMTP trouble (that is recorded per message);
    run it as often as you like — a second run right after finds nothing due. Call it
    with nothing pending in `db.session`: after send-time lookups (which read through
    the session) the session's transaction is rolled back.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = WorkerSettings.from_app(app, batch_size)
    check_delivery_mode(settings.delivery)
    worker_id = worker_id or default_worker_id()
    should_stop = stop or (lambda: False)
    total = DeliveryReport()
    with _worker_connection(settings.durable) as connection:
        total.uncertain += _recover(connection, utcnow())
        while max_batches is None or total.batches < max_batches:
            if should_stop():
                break
            claimed = _claim(connection, worker_id, settings.batch_size, utcnow(), settings.lease)
            if not claimed:
                break
            if settings.delivery == "outbox":
                batch = _hold(connection, claimed, worker_id)
            else:
                batch = _Batch(connection, claimed, settings, worker_id, should_stop).run()
            total.add(batch)
            if on_batch is not None:
                on_batch(batch)
            if batch.problems:
                # The mail server is in trouble: leave the rest for the next run.
                break
    return total
