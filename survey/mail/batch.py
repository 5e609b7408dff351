"""One claimed batch delivered over one SMTP session, each message marked before it goes.

Before a message is handed to the SMTP server it is marked SENDING and that is
committed. Afterwards it is SENT, or QUEUED again with a later ``next_attempt_at``
(temporary failure), or FAILED (permanent failure, or attempts used up), or UNCERTAIN
(the connection broke after the content went out, before the server answered).

One statement per message (`MARK_SENDING`) marks the message SENDING and the previous
one SENT, in one commit; a crash between a hand-over and that statement leaves the
previous message SENDING, i.e. UNCERTAIN — never resent. That statement runs on a
database thread while the message's MAIL, RCPT and content go out, and only the final
"." that completes the hand-over waits for its commit. Every statement is built once,
at import. `MARK_SENDING`, run once per message, is compiled once per dialect and run on
the driver's cursor (`survey.mail.driver_statement.DriverStatement`, public API only):
`Connection.execute` would cost two to three times the driver's CPU per message. The
others, a few per batch, run with `Connection.execute(statement, parameters)`, from the
engine's compiled cache. Every value in `MARK_SENDING` is a named parameter.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Executable,
    Integer,
    and_,
    bindparam,
    case,
    null,
    or_,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from survey.db import UTCDateTime, table_of, utcnow
from survey.errors import ErrorCode, OperatorError
from survey.mail.claims import RELEASE, ClaimedMessage
from survey.mail.compose import OutgoingMail, ascii_address, compose_message
from survey.mail.driver_statement import DriverStatement
from survey.mail.send_time_fields import SendTimeFields
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
class SendingSettings:
    """What a batch needs of the worker's settings (`survey.mail.worker.WorkerSettings`)."""

    max_attempts: int
    lease: timedelta
    timeout: float
    envelope_from: str


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Wait 1, 2, 4, 8 … minutes (±10 %) after the n-th failed attempt, at most two hours."""
    base = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)
    jitter = (rng or random).uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)
    return timedelta(seconds=base * jitter)


def _status_is(*statuses: MailStatus) -> ColumnElement[bool]:
    # OR of equalities rather than IN: an IN list is expanded at every execution. Each
    # value a named parameter, as `DriverStatement` needs.
    return or_(*(_c.status == _status(status) for status in statuses))


def _status(status: MailStatus) -> BindParameter[str]:
    return bindparam(f"status_{status.value}", status.value, type_=_c.status.type)


# The one statement per message: marks this message SENDING (if it is still ours and
# queued) and, in the same commit, the previous message SENT. RETURNING tells whether
# this message was marked (absent: our claim expired and another worker has it).
_current = bindparam("current", type_=Integer())
_previous = bindparam("previous", type_=Integer())
MARK_SENDING = (
    update(_table)
    # The IN lets both databases find the two rows by primary key.
    .where(
        _c.id.in_([_current, _previous]),
        _c.claimed_by == bindparam("worker", type_=_c.claimed_by.type),
    )
    .where(
        or_(
            and_(_c.id == _current, _c.status == _status(MailStatus.QUEUED)),
            # UNCERTAIN too: another worker may have given up on our slow hand-over,
            # and we know better.
            and_(_c.id == _previous, _status_is(MailStatus.SENDING, MailStatus.UNCERTAIN)),
        )
    )
    .values(
        status=case(
            (_c.id == _current, _status(MailStatus.SENDING)),
            else_=_status(MailStatus.SENT),
        ),
        attempts=case(
            (_c.id == _current, bindparam("attempts", type_=Integer())), else_=_c.attempts
        ),
        lease_until=case(
            (_c.id == _current, bindparam("lease_until", type_=UTCDateTime())),
            else_=null(),
        ),
        sent_at=case((_c.id == _current, _c.sent_at), else_=bindparam("now", type_=UTCDateTime())),
        last_error=case((_c.id == _current, _c.last_error), else_=null()),
    )
    .returning(_c.id)
)
MARK_SENT = (
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
MARK_RETRY = (
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
MARK_FINAL = (
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

Pending = list[tuple[Executable, dict[str, Any]]]


def _execute(connection: Connection, pending: Pending) -> None:
    for statement, parameters in pending:
        connection.execute(statement, parameters)
    pending.clear()


def _trim(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


class _ClaimLost(OperatorError):
    """Our claim on a message ran out and another worker has it: do not hand it over."""

    code = ErrorCode.MAIL_CLAIM_LOST


class Batch:
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
        settings: SendingSettings,
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
        # The per-message statement, run on the driver's cursor (see its module).
        self.mark_sending = DriverStatement(MARK_SENDING, connection)

    def run(self) -> DeliveryReport:
        """Send the batch; every claimed message ends up dealt with or released."""
        database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-database")
        try:
            self._connect_and_send(database)
        except BaseException:
            database.shutdown(wait=True)
            self.mark_sending.close()
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
        self.mark_sending.close()
        self._finish()
        return self.report

    def _finish(self) -> None:
        if self.accepted is not None:
            self.pending.append((MARK_SENT, self._sent_parameters(self.accepted)))
            self.accepted = None
        _execute(self.connection, self.pending)
        self.connection.commit()

    def _connect_and_send(self, database: ThreadPoolExecutor) -> None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        fields = SendTimeFields(app, self.claimed)
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
        self, smtp: OutboxConnection, fields: SendTimeFields, database: ThreadPoolExecutor
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

    def _compose(self, message: ClaimedMessage, fields: SendTimeFields) -> bytes:
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
            _execute(self.connection, pending)
            self.connection.commit()
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
            self.pending.append((MARK_RETRY, parameters))
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
        self.pending.append((MARK_FINAL, parameters))

    def _release(self, messages: Sequence[ClaimedMessage]) -> None:
        for message in messages:
            self.pending.append((RELEASE, {"m_id": message.id, "worker": self.worker_id}))
