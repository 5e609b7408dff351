"""A round closed while an answer is being submitted: no accepted answer is stamped later
than the round's close (issue 11, finding 7). Real threads on the real database."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask

from survey.db import db
from survey.responses.service import RoundNotOpen
from survey.rounds import actions
from survey.schema.accounts import Role
from survey.schema.responses import Response
from survey.schema.rounds import Round, RoundState
from tests.factories import login, make_user
from tests.respondent_helpers import Invited, invite
from tests.test_response_service import ANSWERS_1, named, run_in_threads, submit_in_context


@pytest.fixture
def invited(app: Flask) -> Invited:
    return invite(app)


def test_it_stamps_the_close_after_every_answer_it_let_in(
    app: Flask, invited: Invited, is_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        admin_email = make_user(Role.ADMIN.value).email
        db.session.commit()
    admin = app.test_client()
    assert login(admin, admin_email).status_code == 302

    closing = threading.Event()
    submitted = threading.Event()
    real_lock_round = actions.lock_round

    def lock_round_after_a_pause(round_id: int) -> Any:
        # The close has decided to close and takes its time before it asks for the lock:
        # on PostgreSQL a submission slips in and commits meanwhile. (SQLite's write lock,
        # held since the close's first statement, keeps the submission waiting instead.)
        if threading.current_thread().name == "close":
            closing.set()
            submitted.wait(timeout=3)
        return real_lock_round(round_id)

    monkeypatch.setattr(actions, "lock_round", lock_round_after_a_pause)

    def close() -> int:
        return admin.post(f"/omgangar/{invited.round_id}/stang").status_code

    def submit() -> object:
        assert closing.wait(timeout=30)
        try:
            return submit_in_context(app, invited, ANSWERS_1)
        except RoundNotOpen:
            return "refused"
        finally:
            submitted.set()

    closed_status, outcome = run_in_threads(named("close", close), named("submit", submit))
    assert closed_status == 302
    with app.app_context():
        round_ = db.session.get(Round, invited.round_id)
        assert round_ is not None and round_.state == RoundState.CLOSED
        assert round_.closed_at is not None
        response = db.session.query(Response).filter_by(round_id=invited.round_id).one_or_none()
        if is_postgres:
            assert outcome == 1  # the race happened: the answer got in before the close
        if outcome == 1:
            assert response is not None and response.submitted_at is not None
            assert response.submitted_at <= round_.closed_at
        else:
            assert outcome == "refused" and (response is None or response.submitted_at is None)
