"""Attach the database to the app: SQLAlchemy, Alembic migrations and SQLite tuning."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from survey.db import db
from survey.extensions import migrate

SQLITE_BUSY_TIMEOUT_MS = 15_000


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL, a busy timeout and foreign keys for SQLite; transactions are begun by us."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below start transactions (see _begin_immediately).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediately(connection: Connection) -> None:
    """Take SQLite's write lock at BEGIN, so concurrent writers wait instead of failing.

    A deferred transaction that reads and then writes cannot wait for another writer
    (SQLite returns "database is locked" at once); BEGIN IMMEDIATE waits up to the busy
    timeout instead.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_database(app: Flask) -> None:
    """Attach SQLAlchemy and Alembic's migrations (in the project's migrations/ folder)."""
    import survey.schema  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
