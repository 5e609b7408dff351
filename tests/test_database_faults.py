"""The database unavailable for a moment: a Swedish "try again" page (503), nothing typed lost.

The outages are real, not mocked:

* PostgreSQL: the test's database stops taking connections (``ALTER DATABASE …
  ALLOW_CONNECTIONS false``) and the app's connections are ended with
  ``pg_terminate_backend``, as when the server restarts or fails over. The pool's
  pre-ping finds the dead connection and a new one is refused.
* SQLite: another process holds the write lock (``BEGIN EXCLUSIVE``) past the busy
  timeout, as a long migration or a backup would; the app gets "database is locked".
  The busy timeout is shortened for the test so it does not wait 15 seconds.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict

import survey.database
import survey.pages
from config import normalise_database_url
from survey.db import db
from survey.schema.responses import Response
from tests.factories import logged_in_client
from tests.respondent_helpers import Invited, invite

ANSWERS = {"sip_okning": "ja", "nojdhet": "ganska_nojd", "utbildning": "45", "kommentar": "Åäö 👍"}
UNAVAILABLE = "Tjänsten kunde inte nå sin databas"
# Short enough for a quick test, long enough that a healthy request never waits this long.
TEST_BUSY_TIMEOUT_MS = 300


@pytest.fixture
def fault_app(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app as in production (CSRF on, errors not propagated), with a short busy timeout."""
    monkeypatch.setattr(survey.database, "SQLITE_BUSY_TIMEOUT_MS", TEST_BUSY_TIMEOUT_MS)
    app: Flask = make_app(WTF_CSRF_ENABLED=True, PROPAGATE_EXCEPTIONS=False)
    return app


@contextmanager
def database_outage(app: Flask) -> Iterator[None]:
    """Make the app's database unreachable until the block ends."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        with _postgres_refusing_connections(url.database or ""):
            yield
    else:
        blocker = sqlite3.connect(url.database or "", isolation_level=None, timeout=5)
        try:
            blocker.execute("BEGIN EXCLUSIVE")
            yield
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()


@contextmanager
def _postgres_refusing_connections(name: str) -> Iterator[None]:
    from tests.conftest import POSTGRES_URL

    assert POSTGRES_URL is not None
    # Connect to the suite's base database: the scratch database is the one going down.
    admin = create_engine(normalise_database_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def opened_form(app: Flask, invited: Invited) -> tuple[Any, str]:
    """A respondent's client with the form open, and the form's CSRF token."""
    client = app.test_client()
    assert client.get(invited.link).status_code == 303
    page = client.get(invited.form_url)
    assert page.status_code == 200
    token = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(
        'form.questionnaire-form input[name="csrf_token"]'
    )
    assert token is not None
    return client, str(token["value"])


def kept_form(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The 503 page's form: where it posts and its hidden fields, as a browser would send them."""
    form = BeautifulSoup(page, "html.parser").select_one("form.kept-answers")
    assert form is not None, page
    fields = [
        (str(field["name"]), str(field["value"])) for field in form.select("input[type=hidden]")
    ]
    return str(form["action"]), fields


def stored_draft(app: Flask, invited: Invited) -> dict[str, Any] | None:
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.recipient_id == invited.recipient_id)
        )
        return None if response is None else response.draft


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == []


@pytest.mark.parametrize("action", ["save", "submit"])
def test_it_keeps_the_typed_answers_through_a_database_outage(
    fault_app: Flask, caplog: pytest.LogCaptureFixture, action: str
) -> None:
    invited = invite(fault_app)
    client, token = opened_form(fault_app, invited)

    with caplog.at_level(logging.WARNING), database_outage(fault_app):
        during = client.post(
            invited.form_url, data={**ANSWERS, "action": action, "csrf_token": token}
        )
    page = during.get_data(as_text=True)
    assert during.status_code == 503
    assert during.headers["Retry-After"] == str(survey.pages.RETRY_AFTER_SECONDS)
    assert UNAVAILABLE in page and "inte sparade än" in page
    action_url, fields = kept_form(page)
    assert action_url == invited.form_url
    assert {name: value for name, value in fields if name != "csrf_token"} == ANSWERS
    assert any(name == "csrf_token" and value for name, value in fields)
    assert "Logga ut" not in page  # no menu: it would need the database
    no_errors_logged(caplog)
    assert any("database unavailable" in record.getMessage() for record in caplog.records)
    assert stored_draft(fault_app, invited) is None

    # The database is back: pressing the page's button saves exactly what was typed.
    again = client.post(action_url, data=MultiDict([*fields, ("action", "save")]))
    assert again.status_code == 303, again.get_data(as_text=True)[:2000]
    assert stored_draft(fault_app, invited) == ANSWERS


def test_it_shows_a_logged_in_process_leader_the_503_page_without_the_menu(
    fault_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = logged_in_client(fault_app, "processledare", "NV")
    assert client.get("/omgangar").status_code == 200
    with caplog.at_level(logging.WARNING), database_outage(fault_app):
        during = client.get("/omgangar")
        health = client.get("/healthz")
    assert during.status_code == 503
    assert UNAVAILABLE in during.get_data(as_text=True)
    assert "Retry-After" in during.headers
    assert health.status_code == 503
    no_errors_logged(caplog)
    assert client.get("/omgangar").status_code == 200


def test_it_replaces_connections_the_server_ended_between_requests(
    fault_app: Flask, is_postgres: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A database restart between two requests goes unnoticed: the pool tests and replaces
    its connections (pool_pre_ping). On SQLite: a lock released within the busy timeout."""
    invited = invite(fault_app)
    client, token = opened_form(fault_app, invited)
    with database_outage(fault_app):
        pass  # every connection of the app ended (PostgreSQL) or briefly blocked (SQLite)
    with caplog.at_level(logging.WARNING):
        saved = client.post(
            invited.form_url, data={**ANSWERS, "action": "save", "csrf_token": token}
        )
    assert saved.status_code == 303
    assert stored_draft(fault_app, invited) == ANSWERS
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_it_would_answer_500_without_the_database_unavailable_handler(
    make_app: Callable[..., Flask],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The outage above is real: without survey.pages' handler the same post is a 500."""
    monkeypatch.setattr(survey.database, "SQLITE_BUSY_TIMEOUT_MS", TEST_BUSY_TIMEOUT_MS)
    monkeypatch.setattr(survey.pages, "DATABASE_UNAVAILABLE", ())
    app = make_app(WTF_CSRF_ENABLED=True, PROPAGATE_EXCEPTIONS=False)
    invited = invite(app)
    client, token = opened_form(app, invited)
    with caplog.at_level(logging.ERROR), database_outage(app):
        during = client.post(
            invited.form_url, data={**ANSWERS, "action": "save", "csrf_token": token}
        )
    assert during.status_code == 500
    assert any(record.levelno >= logging.ERROR for record in caplog.records)
