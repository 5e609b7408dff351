"""Benchmark 3 of issue 6: invitations delivered to a local SMTP server, against raw smtplib.

    python -m bench.mail_bench [--messages 10000] [--repeat 3] [--database-url URL]
                               [--no-pipelining]

Generates a draft round of the NV questionnaire with `--messages` recipients
(`tests.realistic_data`), starts a local SMTP server (aiosmtpd, `bench.smtp_sink`) in a process of
its own, and opens the round as a process leader does (`survey.rounds.lifecycle.open_round`:
every recipient gets a personal link and an invitation is queued in the outbox, as when a
process leader presses "Öppna"; timed, and reported, on its own). Then it runs,
alternately and `--repeat` times each:

* the project: `survey.mail.worker.deliver_outbox` until the outbox is empty, with the
  production settings (SURVEY_MAIL_BATCH_SIZE and the rest at their defaults): claims,
  the personal link filled in at sending, composition, the SENDING/SENT marks, one SMTP
  session per batch;
* the raw floor: ``smtplib.SMTP.sendmail`` in a plain loop over one connection, sending
  exactly the bytes the server received from the project (same envelope, same
  message bytes), composed beforehand and not timed.

Before each project run every message is queued again (one UPDATE) and the server
forgets what it received; after it the server must hold each message exactly once.
It prints each run's seconds and messages per second, the medians, the ratio of
throughputs project ÷ floor (target ≥ 0.8), and the project's CPU per message
(``time.process_time`` of this process, the database thread included: on a loaded
machine the figure that still says what the worker costs; `bench.mail_marks` breaks
down the per-message statement).

The server announces PIPELINING (as Postfix and Exchange do); ``--no-pipelining``
measures against a server that does not. The database is a temporary SQLite file by
default; ``--database-url postgresql://postgres@127.0.0.1:5432/test`` creates a scratch
PostgreSQL database beside the one named.
"""

from __future__ import annotations

import argparse
import json
import pickle
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.report import Figure, database_kind, machine, print_figures

ROOT = Path(__file__).resolve().parent.parent


class SmtpSink:
    """The benchmark's SMTP server process (`bench.smtp_sink`)."""

    def __init__(self, pipelining: bool) -> None:
        command = [sys.executable, "-m", "bench.smtp_sink"]
        if pipelining:
            command.append("--pipelining")
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().split()
        if not ready or ready[0] != "ready":
            raise SystemExit("the SMTP server did not start")
        self.port = int(ready[1])

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def received(self, directory: Path) -> list[tuple[str, list[str], bytes]]:
        path = directory / "received.pickle"
        self.ask(f"dump {path}")
        with path.open("rb") as dumped:
            messages: list[tuple[str, list[str], bytes]] = pickle.load(dumped)
        path.unlink()
        return messages

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def send_raw(port: int, messages: list[tuple[str, list[str], bytes]]) -> float:
    """The floor: one connection, smtplib's sendmail for every message; the seconds taken."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for envelope_from, recipients, raw in messages:
            connection.sendmail(envelope_from, recipients, raw)
    return time.perf_counter() - started


def requeue_all() -> None:
    """Queue every outbox message again, as new (the next project run sends them all)."""
    from sqlalchemy import update

    from survey.db import db, utcnow
    from survey.schema.outbox import MailStatus, OutboxMessage

    db.session.execute(
        update(OutboxMessage).values(
            status=MailStatus.QUEUED.value,
            attempts=0,
            next_attempt_at=utcnow() - timedelta(seconds=1),
            claimed_by=None,
            lease_until=None,
            sent_at=None,
            last_error=None,
        )
    )
    db.session.commit()


def run(
    database_url: str | None,
    messages: int,
    repeat: int,
    pipelining: bool,
    durable: bool | None = None,
) -> list[Figure]:
    """Generate the round, open it, run both contenders alternately; print the figures."""
    from survey.db import db, utcnow
    from survey.mail.worker import deliver_outbox
    from survey.rounds.lifecycle import open_round
    from survey.schema.rounds import Round
    from tests.realistic_data import bench_app, generate_recipients, scratch_database

    sink = SmtpSink(pipelining)
    try:
        with scratch_database(database_url) as url, tempfile.TemporaryDirectory() as directory:
            app = bench_app(
                url,
                MAIL_SERVER="127.0.0.1",
                MAIL_PORT=sink.port,
                MAIL_DEFAULT_SENDER="enkat@vardsamverkan.example.se",
                SURVEY_BASE_URL="https://enkat.vardsamverkan.example.se",
                **({} if durable is None else {"SURVEY_MAIL_DURABLE_HANDOVER": durable}),
            )
            with app.app_context():
                now = utcnow()
                generated = generate_recipients(
                    recipients=messages,
                    opens_at=now + timedelta(days=1),
                    closes_at=now + timedelta(days=30),
                )
                started = time.perf_counter()
                round_ = db.session.get(Round, generated.round_id)
                assert round_ is not None
                outcome = open_round(round_, now=utcnow())
                db.session.commit()
                queueing = time.perf_counter() - started
                print(
                    f"opened the round: {outcome.invitations:,} invitations queued in "
                    f"{queueing:.2f} s",
                    flush=True,
                )
                floor_messages: list[tuple[str, list[str], bytes]] = []
                times: dict[str, list[float]] = {"project": [], "floor": []}
                cpu: list[float] = []  # the project's CPU (all threads of this process)
                for attempt in range(1, repeat + 1):
                    # The floor needs the project's bytes: the project goes first once.
                    first, second = (
                        ("project", "floor")
                        if attempt % 2 or not floor_messages
                        else ("floor", "project")
                    )
                    for kind in (first, second):
                        sink.ask("reset")
                        if kind == "project":
                            if attempt > 1 or times["project"]:
                                requeue_all()
                            started = time.perf_counter()
                            cpu_started = time.process_time()
                            report = deliver_outbox()
                            seconds = time.perf_counter() - started
                            cpu.append(time.process_time() - cpu_started)
                            if report.sent != messages or report.problems:
                                raise SystemExit(f"the project did not send all: {report}")
                            if not floor_messages:
                                floor_messages = sink.received(Path(directory))
                        else:
                            seconds = send_raw(sink.port, floor_messages)
                        stats = sink.ask("stats")
                        if stats["messages"] != messages or stats["unique_message_ids"] != messages:
                            raise SystemExit(f"the {kind} run delivered {stats}")
                        times[kind].append(seconds)
                        print(
                            f"run {attempt} {kind:7}: {seconds:6.2f} s, "
                            f"{messages / seconds:7.0f} messages/s",
                            flush=True,
                        )
                size = sum(len(raw) for _, _, raw in floor_messages) / len(floor_messages)
            kind_name = database_kind(url)
    finally:
        sink.close()
    project = statistics.median(times["project"])
    floor = statistics.median(times["floor"])
    ratio = floor / project  # throughput ratio: (n / project) ÷ (n / floor)
    print()
    print(f"machine: {machine()}")
    print(
        f"database: {kind_name}; {messages:,} invitations of {size:,.0f} bytes on average; "
        f"server {'with' if pipelining else 'without'} PIPELINING; {repeat} runs each"
    )
    print(f"queueing (open_round): {queueing:.2f} s")
    print(f"project (deliver_outbox): median {project:.2f} s, {messages / project:,.0f} messages/s")
    print(f"raw floor (smtplib loop): median {floor:.2f} s, {messages / floor:,.0f} messages/s")
    cpu_runs = ", ".join(f"{run / messages * 1e6:.0f}" for run in cpu)
    print(
        f"project CPU per message (this process, all threads): median "
        f"{statistics.median(cpu) / messages * 1e6:.0f} µs (runs: {cpu_runs})"
    )
    print(f"throughput ratio project ÷ floor: {ratio:.2f} (target ≥ 0.8)")
    return [
        Figure(
            "3 mail",
            kind_name,
            f"{messages:,} invitations",
            f"{messages / project:,.0f}/s",
            f"{messages / floor:,.0f}/s",
            ratio,
            "≥ 0.8",
            ratio >= 0.8,
            f"queueing {queueing:.1f} s"
            + ("" if pipelining else ", no PIPELINING")
            + {None: "", True: ", durable hand-over", False: ", fast hand-over"}[durable],
        )
    ]


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument(
        "--no-pipelining", action="store_true", help="the server does not announce PIPELINING"
    )
    parser.add_argument(
        "--durable-handover",
        choices=("true", "false"),
        help="SURVEY_MAIL_DURABLE_HANDOVER for the worker (default: the setting's default)",
    )
    arguments = parser.parse_args(argv)
    durable = None if arguments.durable_handover is None else arguments.durable_handover == "true"
    figures = run(
        arguments.database_url,
        arguments.messages,
        arguments.repeat,
        not arguments.no_pipelining,
        durable,
    )
    print_figures(figures)
    return figures


if __name__ == "__main__":
    main()
