"""The delivery worker's loop: claim due outbox rows in batches and hand them to SMTP.

How a message moves, and why nothing is sent twice (each part in its own module):

* A batch is *claimed* (`survey.mail.claims`): queued rows get ``claimed_by`` and
  ``lease_until``. A claimed row has not been handed to anyone, so if its worker dies it
  is simply claimed again once the lease has expired.
* Before a message is handed to the SMTP server it is marked SENDING and that is
  committed (`survey.mail.batch`). Afterwards it is SENT, or QUEUED again with a later
  ``next_attempt_at`` (temporary failure), or FAILED (permanent failure, or attempts
  used up), or UNCERTAIN (the connection broke after the content went out, before the
  server answered).
* A SENDING row whose lease has expired belonged to a worker that died mid-send: it is
  marked UNCERTAIN and never sent again automatically (`survey.mail.claims.recover`). A
  person decides (`survey.mail.outbox.requeue_uncertain`).

Throughput (10,000 invitations should go out nearly as fast as smtplib alone sends
them; `bench/mail_bench.py` measures it): one SMTP session per batch; MAIL, RCPT and
DATA sent together where the server announces PIPELINING (`survey.mail.smtp`); one
statement per message, which marks the message SENDING and the previous one SENT (a
crash between a hand-over and that statement leaves the previous message SENDING, i.e.
UNCERTAIN — never resent); that statement runs on a database thread while the message's
MAIL, RCPT and content go out, and only the final "." that completes the hand-over
waits for its commit. Values never stored in the outbox, such as the personal link, are
filled in at sending (`survey.mail.send_time_fields`). How durable the commits are:
`survey.mail.durability.worker_connection`. All database work goes through SQLAlchemy's
public API: `Connection.execute` of statements built once, except the per-message mark,
compiled once and run on the driver's cursor (`survey.mail.driver_statement`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app

from survey.db import utcnow
from survey.mail.batch import Batch, DeliveryReport, SendingSettings
from survey.mail.claims import claim, default_worker_id, hold, recover
from survey.mail.compose import address_part, ascii_address
from survey.mail.durability import worker_connection

DELIVERY_MODES = ("smtp", "outbox")


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """The worker's settings, read once per run from the app's configuration."""

    delivery: str
    batch_size: int
    durable: bool
    sending: SendingSettings

    @classmethod
    def from_app(cls, app: Flask, batch_size: int | None = None) -> WorkerSettings:
        """Read the settings; `batch_size` overrides SURVEY_MAIL_BATCH_SIZE."""
        config = app.config
        return cls(
            delivery=config["SURVEY_MAIL_DELIVERY"],
            batch_size=batch_size or config["SURVEY_MAIL_BATCH_SIZE"],
            durable=bool(config["SURVEY_MAIL_DURABLE_HANDOVER"]),
            sending=SendingSettings(
                max_attempts=config["SURVEY_MAIL_MAX_ATTEMPTS"],
                lease=timedelta(seconds=config["SURVEY_MAIL_LEASE_SECONDS"]),
                timeout=float(config["MAIL_TIMEOUT_SECONDS"]),
                envelope_from=ascii_address(address_part(config["MAIL_DEFAULT_SENDER"])),
            ),
        )


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
    lease = settings.sending.lease
    total = DeliveryReport()
    with worker_connection(settings.durable) as connection:
        total.uncertain += recover(connection, utcnow())
        while max_batches is None or total.batches < max_batches:
            if should_stop():
                break
            claimed = claim(connection, worker_id, settings.batch_size, utcnow(), lease)
            if not claimed:
                break
            if settings.delivery == "outbox":
                hold(connection, claimed, worker_id)
                batch = DeliveryReport(held=len(claimed), batches=1)
            else:
                batch = Batch(connection, claimed, settings.sending, worker_id, should_stop).run()
            total.add(batch)
            if on_batch is not None:
                on_batch(batch)
            if batch.problems:
                # The mail server is in trouble: leave the rest for the next run.
                break
    return total
