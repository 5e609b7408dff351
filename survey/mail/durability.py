"""The delivery worker's own database connection, and how durable its commits are."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from survey.db import db


@contextmanager
def worker_connection(durable: bool) -> Iterator[Connection]:
    """A connection of the worker's own, set up for many small, cheap commits.

    Durability. By default (SURVEY_MAIL_DURABLE_HANDOVER=true) every commit waits for
    the disk: on PostgreSQL with synchronous_commit on, on SQLite with synchronous=FULL
    for this connection. Then the SENDING mark of a message is on disk before the
    message goes to the SMTP server, and not even a crash or power loss of the database
    server can make it send a message twice. It costs one disk flush per message
    (bench/mail_bench.py and docs/performance.md give the throughput in both modes; on
    slow disks the flushes bound it).

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
            # Outside any transaction (PRAGMA synchronous cannot change inside one, and
            # SQLAlchemy would begin one): on the driver's connection, which
            # `PoolProxiedConnection.driver_connection` hands out for such settings.
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
