"""`survey outbox send|status|requeue`: run the delivery worker and look at the outbox."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from survey.db import db
from survey.errors import CommandError, ErrorCode
from survey.mail.batch import DeliveryReport
from survey.mail.outbox import (
    NotRequeueable,
    failed_messages,
    outbox_backlog,
    outbox_summary,
    requeue_failed,
    requeue_uncertain,
    uncertain_messages,
)
from survey.mail.worker import deliver_outbox
from survey.progress import CommandProgress
from survey.schema.outbox import MailStatus, OutboxMessage

LISTED_AT_MOST = 20


outbox_cli = AppGroup("outbox", help="Deliver queued mail and look at the outbox.")


class StopRequest:
    """Set by SIGTERM or SIGINT; the worker finishes the message in hand and stops."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self) -> bool:
        return self.event.is_set()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name} received: stopping after the current message")
        self.event.set()

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, self._handle) for sig in signals}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _print_batch(batch: DeliveryReport) -> None:
    click.echo(f"batch: {batch.describe()}")
    for problem in batch.problems:
        click.echo(f"warning: {problem}", err=True)


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running (for systemd); stop with SIGTERM.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait between runs in --loop mode.",
)
@click.option(
    "--batch-size", type=click.IntRange(min=1), help="Messages per claim and SMTP session."
)
def send_command(loop: bool, interval: float, batch_size: int | None) -> None:
    """Deliver the due messages (once, or again and again with --loop)."""
    stop = StopRequest()
    with stop.installed(), CommandProgress("Sending") as progress:
        handed = [0]

        def on_batch(batch: DeliveryReport) -> None:
            _print_batch(batch)
            handed[0] += batch.sent + batch.failed + batch.retried + batch.uncertain + batch.held
            progress(handed[0], max(handed[0], due[0]))

        while True:
            started = time.monotonic()
            try:
                due = [handed[0] + outbox_backlog().due]
                db.session.close()  # on SQLite the read holds the lock the worker needs
                report = deliver_outbox(batch_size=batch_size, stop=stop, on_batch=on_batch)
            except OperationalError as exc:
                problem = f"the database cannot be reached: {exc.orig}"
                if not loop:
                    raise CommandError(
                        problem, code=ErrorCode.COMMAND_DATABASE_UNREACHABLE
                    ) from exc
                click.echo(f"warning: {problem}; trying again in {interval:g} s", err=True)
                report = DeliveryReport()
            if report.batches or report.uncertain or not loop:
                elapsed = time.monotonic() - started
                click.echo(f"done: {report.describe()} in {elapsed:.1f} s")
            if not loop or stop() or stop.event.wait(interval):
                break
    if stop():
        click.echo("stopped")


@outbox_cli.command("status")
@click.option("--round", "round_id", type=int, help="Only this round's messages.")
def status_command(round_id: int | None) -> None:
    """Count messages by status and list those that need a person's decision."""
    summary = outbox_summary(round_id)
    click.echo(
        ("Round " + str(round_id) if round_id is not None else "Outbox")
        + ": "
        + ", ".join(f"{count} {status.value}" for status, count in summary.items())
    )
    if round_id is None:
        backlog = outbox_backlog()
        oldest = ""
        if backlog.oldest_due_at is not None:
            oldest = f", oldest due since {backlog.oldest_due_at:%Y-%m-%d %H:%M} UTC"
        click.echo(
            f"Queued: {backlog.due} due now{oldest}, {backlog.waiting} waiting for a later attempt"
        )
    _list(
        uncertain_messages(round_id),
        "Uncertain (check with the recipient whether it arrived, then `survey outbox requeue ID`):",
    )
    _list(failed_messages(round_id), "Failed (fix the cause, then `survey outbox requeue ID`):")


def _list(messages: list[OutboxMessage], heading: str) -> None:
    if not messages:
        return
    click.echo(heading)
    for message in messages[:LISTED_AT_MOST]:
        click.echo(
            f"  #{message.id} round {message.round_id} to {message.to_address} "
            f"({message.kind} {message.sequence}, {message.attempts} attempts): "
            f"{message.last_error}"
        )
    if len(messages) > LISTED_AT_MOST:
        click.echo(f"  … and {len(messages) - LISTED_AT_MOST} more")


@outbox_cli.command("requeue")
@click.argument("message_ids", nargs=-1, type=int, required=True)
def requeue_command(message_ids: tuple[int, ...]) -> None:
    """Queue uncertain or failed messages again (by outbox id): a person's decision."""
    for message_id in message_ids:
        status = db.session.scalar(
            select(OutboxMessage.status).where(OutboxMessage.id == message_id)
        )
        try:
            if status == MailStatus.UNCERTAIN:
                requeue_uncertain(message_id)
            else:
                requeue_failed(message_id)
        except NotRequeueable as exc:
            db.session.rollback()
            raise CommandError(f"{exc} (nothing was queued again)", code=exc.code) from None
    db.session.commit()
    click.echo(f"queued again: {', '.join(f'#{message_id}' for message_id in message_ids)}")
