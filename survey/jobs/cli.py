"""`survey worker`: the background worker: delivers the outbox and runs due jobs.

`survey outbox send` delivers mail alone; `survey worker` does both, again and again with
``--loop`` (for systemd: run as many as you like, on any machines; each job is run by one).
"""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from survey.errors import CommandError, ErrorCode
from survey.jobs.queue import worker_name
from survey.jobs.runner import run_due_jobs
from survey.mail.cli import StopRequest
from survey.mail.worker import deliver_outbox


@click.command("worker")
@with_appcontext
@click.option("--loop", is_flag=True, help="Keep running (for systemd); stop with SIGTERM.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds to wait between runs in --loop mode.",
)
@click.option("--no-mail", is_flag=True, help="Run jobs only; leave the outbox to others.")
def worker_command(loop: bool, interval: float, no_mail: bool) -> None:
    """Deliver due mail and run due jobs (exports, imports, reports)."""
    stop = StopRequest()
    worker_id = worker_name()
    with stop.installed():
        while True:
            started = time.monotonic()
            try:
                mail = None if no_mail else deliver_outbox(stop=stop)
                jobs = run_due_jobs(worker_id, stop=stop)
            except OperationalError as exc:
                problem = f"the database cannot be reached: {exc.orig}"
                if not loop:
                    raise CommandError(
                        problem, code=ErrorCode.COMMAND_DATABASE_UNREACHABLE
                    ) from exc
                click.echo(f"warning: {problem}; trying again in {interval:g} s", err=True)
            else:
                busy = bool(jobs.done or jobs.failed or jobs.retried or jobs.lost)
                if mail is not None and (mail.batches or mail.uncertain):
                    busy = True
                if busy or not loop:
                    elapsed = time.monotonic() - started
                    mail_text = "" if mail is None else f"mail: {mail.describe()}; "
                    click.echo(f"done: {mail_text}jobs: {jobs.describe()} in {elapsed:.1f} s")
            if not loop or stop() or stop.event.wait(interval):
                break
    if stop():
        click.echo("stopped")
