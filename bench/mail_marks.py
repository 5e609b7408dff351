"""CPU per SENDING mark: the mail worker's one statement per message, four ways.

    python -m bench.mail_marks [--marks 5000] [--repeat 3] [--database-url URL]

Queues `--marks` invitations (a generated round, opened), then marks them one after
another as the worker does (`survey.mail.batch.MARK_SENDING`: this message SENDING, the
previous one SENT, committed; on the worker's own connection, fast hand-over) and prints
the CPU time of this process (``time.process_time``) per mark, the median of `--repeat`
runs, for:

* ``driver floor``: the driver's cursor with the compiled SQL and the parameters already
  processed (built before the clock starts) — what the database driver itself costs;
* ``Connection.execute``: SQLAlchemy's public execution of the Core statement, from the
  engine's compiled cache (the worker from issue 10 until 2026-12-03);
* ``exec_driver_sql``: `Connection.exec_driver_sql` of the compiled SQL with parameters
  processed by `DriverStatement.parameters`;
* ``DriverStatement``: what the worker runs (`survey.mail.driver_statement`).

CPU rather than wall time, because the figure is meant to be read on a shared machine;
the database server's own work is not counted (it is another process).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

WORKER = "bench-marks"


def run(database_url: str | None, marks: int, repeat: int) -> dict[str, float]:
    """Print and return µs of CPU per mark, by contender."""
    from sqlalchemy import Connection, update

    from bench.report import database_kind, machine
    from survey.db import db, utcnow
    from survey.mail.batch import MARK_SENDING
    from survey.mail.driver_statement import DriverStatement
    from survey.mail.durability import worker_connection
    from survey.rounds.lifecycle import open_round
    from survey.schema.outbox import MailStatus, OutboxMessage
    from survey.schema.rounds import Round
    from tests.realistic_data import bench_app, generate_recipients, scratch_database

    results: dict[str, list[float]] = {}
    with scratch_database(database_url) as url:
        app = bench_app(url)
        with app.app_context():
            now = utcnow()
            generated = generate_recipients(
                recipients=marks,
                opens_at=now + timedelta(days=1),
                closes_at=now + timedelta(days=30),
            )
            round_ = db.session.get(Round, generated.round_id)
            assert round_ is not None
            open_round(round_, now=utcnow())
            db.session.commit()
            ids = list(db.session.scalars(db.select(OutboxMessage.id).order_by(OutboxMessage.id)))
            db.session.rollback()

            def values(index: int) -> dict[str, Any]:
                now = utcnow()
                return {
                    "current": ids[index],
                    "previous": ids[index - 1] if index else -1,
                    "worker": WORKER,
                    "attempts": 1,
                    "lease_until": now + timedelta(minutes=10),
                    "now": now,
                }

            with worker_connection(durable=False) as connection:
                autocommit = connection.dialect.name != "sqlite"

                def requeue() -> None:
                    connection.execute(
                        update(OutboxMessage).values(
                            status=MailStatus.QUEUED.value, claimed_by=WORKER, attempts=0
                        )
                    )
                    connection.commit()

                def through_execute(index: int) -> None:
                    connection.execute(MARK_SENDING, values(index)).all()
                    if not autocommit:
                        connection.commit()

                statement = DriverStatement(MARK_SENDING, connection)

                def through_exec_driver_sql(index: int) -> None:
                    parameters = statement.parameters(values(index))
                    connection.exec_driver_sql(statement.sql, parameters).all()
                    if not autocommit:
                        connection.commit()

                def through_driver_statement(index: int) -> None:
                    statement.returning(values(index))

                prepared: list[dict[str, Any]] = []
                cursor: Any = None

                def floor(index: int) -> None:
                    if statement.sqlite:
                        cursor.execute("BEGIN IMMEDIATE")
                        cursor.execute(statement.sql, prepared[index])
                        cursor.fetchall()
                        cursor.execute("COMMIT")
                    else:
                        cursor.execute(statement.sql, prepared[index])
                        cursor.fetchall()

                contenders: dict[str, Callable[[int], None]] = {
                    "driver floor": floor,
                    "Connection.execute": through_execute,
                    "exec_driver_sql": through_exec_driver_sql,
                    "DriverStatement": through_driver_statement,
                }
                for _ in range(repeat):
                    for name, mark in contenders.items():
                        requeue()
                        prepared = [statement.parameters(values(i)) for i in range(len(ids))]
                        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
                        started = time.process_time()
                        for index in range(len(ids)):
                            mark(index)
                        seconds = time.process_time() - started
                        cursor.close()
                        results.setdefault(name, []).append(seconds / len(ids) * 1e6)
                statement.close()
                assert isinstance(connection, Connection)
        kind = database_kind(url)
    medians = {name: statistics.median(runs) for name, runs in results.items()}
    print(f"machine: {machine()}")
    print(f"database: {kind}; {len(ids):,} marks per run, {repeat} runs; CPU of this process")
    for name, micro in medians.items():
        runs = ", ".join(f"{run:.0f}" for run in results[name])
        print(f"  {name:20} {micro:7.1f} µs per mark  (runs: {runs})")
    return medians


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--marks", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    arguments = parser.parse_args(argv)
    return run(arguments.database_url, arguments.marks, arguments.repeat)


if __name__ == "__main__":
    main()
