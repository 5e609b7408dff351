"""Concurrent respondents on a SQLite file database: WAL, a busy timeout, no "database is locked".

The app is served over real HTTP by a threaded Werkzeug server (the `live_server` fixture)
on the suite's database file; twenty respondents save drafts five times each and submit,
all at once. The same test runs on PostgreSQL when the suite does.
"""

from __future__ import annotations

import http.cookiejar
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

import survey.database
from survey.db import db
from survey.schema.responses import Response, ResponseSubmission
from tests.browser import LiveServer
from tests.respondent_helpers import Invited, invite

RESPONDENTS = 20
SAVES = 5
REQUEST_TIMEOUT_SECONDS = 60


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpRespondent:
    """One respondent's browser: its own cookies, redirects not followed."""

    def __init__(self, server: LiveServer, invited: Invited) -> None:
        self.server = server
        self.invited = invited
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(
                self.server(path), data=body, timeout=REQUEST_TIMEOUT_SECONDS
            ) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()


def answers_for(number: int, save: int) -> dict[str, str]:
    chosen = {"sip_okning": "ja", "omraden": "fallrisk"} if number % 2 else {"sip_okning": "nej"}
    return {
        **chosen,
        "nojdhet": "ganska_nojd",
        "utbildning": str(save * 10 + number % 10),
        "kommentar": f"Respondent {number}, sparning {save} – åäö",
    }


def respond(
    server: LiveServer, invited: Invited, number: int, start: threading.Barrier
) -> list[int]:
    """Open the link, save SAVES drafts, then submit; return every status."""
    browser = HttpRespondent(server, invited)
    statuses = [browser.request(invited.link)[0]]
    start.wait(timeout=REQUEST_TIMEOUT_SECONDS)
    for save in range(1, SAVES + 1):
        status, _ = browser.request(
            invited.form_url, {**answers_for(number, save), "action": "save"}
        )
        statuses.append(status)
    status, _ = browser.request(
        invited.form_url, {**answers_for(number, SAVES), "action": "submit"}
    )
    statuses.append(status)
    return statuses


def test_it_saves_every_draft_of_twenty_respondents_answering_at_once(
    app: Flask, live_server: LiveServer
) -> None:
    first = invite(app)
    invited = [first] + [invite(app, round_id=first.round_id) for _ in range(RESPONDENTS - 1)]
    start = threading.Barrier(RESPONDENTS)
    results: dict[int, list[int]] = {}
    failures: list[BaseException] = []

    def run(number: int) -> None:
        try:
            results[number] = respond(live_server, invited[number], number, start)
        except BaseException as error:  # reported below, with the others
            failures.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(RESPONDENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert failures == []
    # 303 for the link, every save and the submission: none was locked out (503) or failed.
    assert results == {number: [303] * (SAVES + 2) for number in range(RESPONDENTS)}

    with app.app_context():
        responses = {
            response.recipient_id: response for response in db.session.scalars(select(Response))
        }
        assert len(responses) == RESPONDENTS
        for number, person in enumerate(invited):
            response = responses[person.recipient_id]
            expected = answers_for(number, SAVES)
            assert response.draft is None
            assert response.submission_count == 1
            assert response.answers is not None
            assert response.answers["kommentar"] == expected["kommentar"]
            assert response.answers["utbildning"] == int(expected["utbildning"])
        assert (
            db.session.scalar(select(func.count()).select_from(ResponseSubmission)) == RESPONDENTS
        )


def test_it_runs_sqlite_in_wal_mode_with_a_busy_timeout(app: Flask, is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("SQLite settings: PostgreSQL has neither journal modes nor busy timeouts")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert (
            db.session.execute(text("PRAGMA busy_timeout")).scalar()
            == survey.database.SQLITE_BUSY_TIMEOUT_MS
            >= 5000
        )
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1

    # Every pooled connection is tuned, also those opened by other threads.
    def check_in_thread() -> None:
        with app.app_context():
            seen.append(db.session.execute(text("PRAGMA busy_timeout")).scalar())

    seen: list[Any] = []
    threads = [threading.Thread(target=check_in_thread) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [survey.database.SQLITE_BUSY_TIMEOUT_MS] * 3


@contextmanager
def write_lock_held_for(app: Flask, seconds: float) -> Iterator[None]:
    """Another connection takes SQLite's write lock and keeps it for `seconds`."""
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database or ""
    taken = threading.Event()

    def hold() -> None:
        blocker = sqlite3.connect(path, isolation_level=None, timeout=5)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            taken.set()
            time.sleep(seconds)
            blocker.execute("COMMIT")
        finally:
            blocker.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(timeout=5)
    try:
        yield
    finally:
        holder.join()


@pytest.mark.parametrize("busy_timeout_ms", [survey.database.SQLITE_BUSY_TIMEOUT_MS, 0])
def test_it_waits_for_another_writer_instead_of_failing(
    make_app: Any, is_postgres: bool, monkeypatch: pytest.MonkeyPatch, busy_timeout_ms: int
) -> None:
    """With the busy timeout a save waits for a writer holding the lock; without it (0, the
    driver's default before survey/database.py set one) the same save fails at once."""
    if is_postgres:
        pytest.skip("SQLite's write lock; PostgreSQL locks rows")
    monkeypatch.setattr(survey.database, "SQLITE_BUSY_TIMEOUT_MS", busy_timeout_ms)
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    invited = invite(app)
    client = app.test_client()
    assert client.get(invited.link).status_code == 303
    with write_lock_held_for(app, 0.5):
        began = time.monotonic()
        saved = client.post(invited.form_url, data={**answers_for(1, 1), "action": "save"})
        waited = time.monotonic() - began
    if busy_timeout_ms:
        assert saved.status_code == 303
        assert waited >= 0.3
    else:
        assert saved.status_code == 503
        assert "Tjänsten kunde inte nå sin databas" in saved.get_data(as_text=True)
