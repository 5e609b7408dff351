"""The SENDING mark's fast path: compiled once, run on the driver, stores what the ORM does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, event, update
from sqlalchemy.exc import SQLAlchemyError

from survey.db import db
from survey.mail.batch import MARK_SENDING
from survey.mail.driver_statement import DriverStatement, compile_for
from survey.mail.durability import worker_connection
from survey.mail.worker import deliver_outbox
from survey.schema.outbox import MailStatus, OutboxMessage
from tests.factories import MakeApp
from tests.outbox_helpers import queue_invitations, statuses
from tests.smtp_server import SmtpServer

WORKER = "test-worker"


@pytest.fixture
def mail_app(make_app: MakeApp, smtp_server: SmtpServer) -> Flask:
    return make_app(**smtp_server.settings)


def test_every_sending_mark_runs_on_the_driver_with_the_sql_compiled_once(
    mail_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    original = DriverStatement.returning

    def spy(self: DriverStatement, values: dict[str, Any]) -> list[Any]:
        calls.append((self.sql, self.parameters(values)))
        return original(self, values)

    monkeypatch.setattr(DriverStatement, "returning", spy)
    through_sqlalchemy: list[str] = []

    def collect(*arguments: Any) -> None:
        through_sqlalchemy.append(arguments[2])

    with mail_app.app_context():
        messages = queue_invitations(3)
        event.listen(db.engine, "before_cursor_execute", collect)
        try:
            report = deliver_outbox()
        finally:
            event.remove(db.engine, "before_cursor_execute", collect)
        dialect = db.engine.dialect
        compiled_sql = compile_for(MARK_SENDING, dialect)[0]

        assert report.sent == 3
        assert set(statuses().values()) == {MailStatus.SENT.value}
    # One driver call per message, every one with the very string compiled once.
    assert len(calls) == 3
    assert all(sql is compiled_sql for sql, _ in calls)
    named = ":current" if dialect.name == "sqlite" else "%(current)s"
    assert named in compiled_sql and compiled_sql.startswith("UPDATE outbox_messages SET")
    assert [parameters["current"] for _, parameters in calls] == [m.id for m in messages]
    # ... and not one of them went through SQLAlchemy's execution.
    assert not [sql for sql in through_sqlalchemy if "status=CASE" in sql.replace(" ", "")]


def _raw(connection: Connection, column: str, message_id: int) -> object:
    """The value as the database holds it (SQLite: the text; PostgreSQL: the timestamp)."""
    sql = f"SELECT {column} FROM outbox_messages WHERE id = {int(message_id)}"
    value = connection.exec_driver_sql(sql).scalar()
    connection.rollback()
    return value


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 3, 14, 5, 6, 123456, tzinfo=UTC),
        # Whole seconds (the driver's own adapter would drop ".000000") and another zone.
        datetime(2026, 3, 29, 3, 0, 0, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_the_driver_path_stores_exactly_what_the_orm_stores(app: Flask, now: datetime) -> None:
    lease_until = now + timedelta(minutes=10)
    with app.app_context():
        fast, orm = (m.id for m in queue_invitations(2))
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([fast, orm]))
            .values(claimed_by=WORKER, status=MailStatus.QUEUED.value)
        )
        db.session.commit()
        common = {"worker": WORKER, "attempts": 1, "now": now, "lease_until": lease_until}
        with worker_connection(durable=False) as connection:
            statement = DriverStatement(MARK_SENDING, connection)
            # `fast` SENDING with its lease, written by the driver path.
            assert statement.returning({**common, "current": fast, "previous": -1}) == [fast]
            # The same two times written by the ORM on the other row.
            message = db.session.get(OutboxMessage, orm)
            assert message is not None
            message.lease_until = lease_until
            message.sent_at = now
            db.session.commit()
            assert _raw(connection, "lease_until", fast) == _raw(connection, "lease_until", orm)
            # The next mark sets `fast` SENT with sent_at = now (and `orm` SENDING).
            marked = statement.returning({**common, "current": orm, "previous": fast})
            assert sorted(marked) == sorted([fast, orm])
            assert _raw(connection, "sent_at", fast) == _raw(connection, "sent_at", orm)
            statement.close()

        db.session.expire_all()
        first, second = (db.session.get(OutboxMessage, key) for key in (fast, orm))
        assert first is not None and second is not None
        assert (first.status, second.status) == (MailStatus.SENT.value, MailStatus.SENDING.value)
        assert first.sent_at == now and first.sent_at.tzinfo is UTC and first.lease_until is None
        assert second.lease_until == lease_until and second.lease_until.tzinfo is UTC
        assert (first.attempts, second.attempts) == (1, 1)
        db.session.rollback()


def test_a_statement_with_an_unnamed_value_is_refused(app: Flask) -> None:
    anonymous = update(OutboxMessage).where(OutboxMessage.id == 5).values(attempts=1)
    with app.app_context(), pytest.raises(ValueError, match="name of its own"):
        compile_for(anonymous, db.engine.dialect)


def test_missing_or_unknown_parameters_are_refused(app: Flask) -> None:
    with app.app_context(), worker_connection(durable=False) as connection:
        statement = DriverStatement(MARK_SENDING, connection)
        with pytest.raises(ValueError, match="needs"):
            statement.parameters({"current": 1})


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(app: Flask) -> None:
    with app.app_context(), worker_connection(durable=False) as connection:
        statement = DriverStatement(MARK_SENDING, connection)
        statement.sql = "UPDATE no_such_table SET x = 1"
        values = {"current": 1, "previous": -1, "worker": WORKER, "attempts": 1}
        now = datetime.now(UTC)
        with pytest.raises(SQLAlchemyError):
            statement.returning({**values, "now": now, "lease_until": now})
        statement.close()
