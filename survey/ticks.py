"""`survey tick`: the idempotent scheduled work run from cron or a systemd timer.

One tick, in this order: open the draft rounds whose opening time has come (queueing
their invitations), queue the reminders that are due, close the rounds whose closing
time has come (and the reminders of lokal samverkan groups: a follow-up due, a plan left
alone too long), purge the personal data of rounds closed longer ago than the retention
period (survey.privacy.purge), delete expired staged uploads, remove finished jobs (and
their files) kept long enough (survey.jobs.queue), and deliver the outbox.
Each round's step is its own transaction, so a problem with one round is reported and
the others still run. Running it twice in a row does nothing the second time: opened
rounds are no longer drafts,
reminders are counted per recipient (and unique per recipient and number), purged rounds
hold nothing more to purge, and delivered mail is not due.
See docs/operations.md for cron and systemd timer examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from survey.db import db, utcnow
from survey.jobs.queue import remove_expired_jobs
from survey.local_collaboration.mailing import queue_due_group_reminders
from survey.mail.batch import DeliveryReport
from survey.mail.worker import deliver_outbox
from survey.privacy.purge import purge_personal_data
from survey.rounds.lifecycle import close_round, open_round, open_rounds, rounds_due_to_open
from survey.rounds.reminding import queue_due_reminders
from survey.rounds.settings import RoundError
from survey.rounds.staging import purge_expired_uploads
from survey.schema.rounds import Round


@dataclass
class TickReport:
    """What one tick did."""

    opened: list[int] = field(default_factory=list)
    invitations: int = 0
    reminders: int = 0
    group_reminders: int = 0
    closed: list[int] = field(default_factory=list)
    purged: list[int] = field(default_factory=list)
    jobs_removed: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the log."""
        return (
            f"opened {len(self.opened)} round(s), queued {self.invitations} invitation(s) and "
            f"{self.reminders} reminder(s), closed {len(self.closed)} round(s), "
            f"purged personal data of {len(self.purged)} round(s), "
            f"queued {self.group_reminders} lokal samverkan reminder(s), "
            f"removed {self.jobs_removed} expired job(s); "
            f"mail: {self.delivery.describe()}"
        )


def run_tick(*, now: datetime | None = None, deliver: bool = True) -> TickReport:
    """Do the scheduled work due at `now` (default: the current time)."""
    now = now or utcnow()
    report = TickReport()

    for round_id in rounds_due_to_open(now):
        round_ = db.session.get(Round, round_id)
        if round_ is None:
            continue
        try:
            outcome = open_round(round_, now=now)
            db.session.commit()
        except RoundError as error:
            db.session.rollback()
            report.problems.append(f"round {round_id} was not opened: {error.english}")
        except SQLAlchemyError as error:
            db.session.rollback()
            report.problems.append(f"round {round_id} was not opened: {error}")
        else:
            if outcome.opened:
                report.opened.append(round_id)
            report.invitations += outcome.invitations

    for round_id in open_rounds():
        round_ = db.session.get(Round, round_id)
        if round_ is None:
            continue
        try:
            report.reminders += queue_due_reminders(round_, now=now)
            db.session.commit()
        except (RoundError, SQLAlchemyError) as error:
            db.session.rollback()
            report.problems.append(f"reminders of round {round_id} were not queued: {error}")

    try:
        report.group_reminders = queue_due_group_reminders(now)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        report.problems.append(f"lokal samverkan reminders were not queued: {error}")

    for round_id in open_rounds(closing_by=now):
        round_ = db.session.get(Round, round_id)
        if round_ is None:
            continue
        try:
            close_round(round_, now=now)
            db.session.commit()
        except RoundError:
            db.session.rollback()  # closed meanwhile by someone else: nothing to do
        except SQLAlchemyError as error:
            db.session.rollback()
            report.problems.append(f"round {round_id} was not closed: {error}")
        else:
            report.closed.append(round_id)

    try:
        purge = purge_personal_data(
            now=now, older_than_days=int(current_app.config["SURVEY_RETENTION_DAYS"])
        )
    except SQLAlchemyError as error:
        db.session.rollback()
        report.problems.append(f"personal data of closed rounds was not purged: {error}")
    else:
        report.purged = [purged.round_id for purged in purge.rounds]

    try:
        purge_expired_uploads(now=now)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        report.problems.append(f"expired staged uploads were not deleted: {error}")

    try:
        report.jobs_removed = remove_expired_jobs(now)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        report.problems.append(f"expired jobs were not removed: {error}")

    # End the session's transaction: on SQLite it holds the write lock the worker needs.
    db.session.close()
    if deliver:
        report.delivery = deliver_outbox()
        report.problems.extend(report.delivery.problems)
    return report


@click.command("tick")
@with_appcontext
@click.option("--no-deliver", is_flag=True, help="Do the round work but leave the outbox alone.")
def tick_command(no_deliver: bool) -> None:
    """Open, remind, close and deliver whatever is due; safe to run as often as you like."""
    report = run_tick(deliver=not no_deliver)
    click.echo(report.describe())
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)
    if report.problems:
        raise click.exceptions.Exit(1)
