"""Storing answers: drafts, submissions, amendments, and what happens when writers race."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.responses import service
from survey.responses.service import (
    CONFLICT_MESSAGE,
    RecipientGone,
    ResponseConflict,
    RoundNotOpen,
    RoundPhase,
    load_response,
    round_phase,
    save_draft,
    submissions_of,
    submit_response,
)
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round, RoundState
from tests.respondent_helpers import Invited, invite, update_recipient, update_round

ANSWERS_1 = {"sip_okning": "nej", "nojdhet": "ganska_nojd", "utbildning": 45}
ANSWERS_2 = {
    "sip_okning": "ja",
    "omraden": ["fallrisk"],
    "nojdhet": "mycket_nojd",
    "utbildning": 50.5,
}


@pytest.fixture
def invited(app: Flask) -> Invited:
    return invite(app)


def recipient_of(invited: Invited) -> Recipient:
    recipient = db.session.get(Recipient, invited.recipient_id)
    assert recipient is not None
    return recipient


def stored_response(app: Flask, invited: Invited) -> tuple[Response | None, list[dict[str, Any]]]:
    """The response (detached) and its submissions' (number, answers, imported)."""
    with app.app_context():
        response = load_response(recipient_of(invited))
        if response is None:
            return None, []
        history = [
            {"number": item.number, "answers": item.answers, "imported": item.imported}
            for item in submissions_of(response)
        ]
        db.session.expunge(response)
        return response, history


def response_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Response)) or 0)


# -- drafts ------------------------------------------------------------------------------------


def test_it_saves_the_draft_as_typed_and_replaces_it(app: Flask, invited: Invited) -> None:
    now = utcnow()
    with app.app_context():
        save_draft(recipient_of(invited), {"utbildning": "45,5", "omraden": ["fallrisk"]}, now)
    response, history = stored_response(app, invited)
    assert response is not None
    assert response.draft == {"utbildning": "45,5", "omraden": ["fallrisk"]}
    assert response.draft_saved_at == now
    assert response.answers is None and response.submitted_at is None
    assert response.round_id == invited.round_id
    assert history == []

    later = now + timedelta(minutes=5)
    with app.app_context():
        save_draft(recipient_of(invited), {"utbildning": "nittio"}, later)
    response, _ = stored_response(app, invited)
    assert response is not None
    assert response.draft == {"utbildning": "nittio"}
    assert response.draft_saved_at == later
    assert response_count(app) == 1


def test_it_never_touches_the_submitted_answers_when_saving_a_draft(
    app: Flask, invited: Invited
) -> None:
    with app.app_context():
        submit_response(recipient_of(invited), ANSWERS_1, {}, utcnow())
        save_draft(recipient_of(invited), {"sip_okning": "ja"}, utcnow())
    response, history = stored_response(app, invited)
    assert response is not None
    assert response.answers == ANSWERS_1
    assert response.draft == {"sip_okning": "ja"}
    assert response.submission_count == 1 and len(history) == 1


# -- submitting and amending ---------------------------------------------------------------


def test_it_submits_a_numbered_submission_and_clears_the_draft(
    app: Flask, invited: Invited
) -> None:
    now = utcnow()
    with app.app_context():
        save_draft(recipient_of(invited), {"utbildning": "45"}, now - timedelta(hours=1))
        submission = submit_response(recipient_of(invited), ANSWERS_1, {"utbildning": "45"}, now)
        assert submission.number == 1
    response, history = stored_response(app, invited)
    assert response is not None
    assert response.answers == ANSWERS_1
    assert response.submitted_at == now and response.first_submitted_at == now
    assert response.submission_count == 1
    assert response.draft is None and response.draft_saved_at is None
    assert response.imported is False
    assert history == [{"number": 1, "answers": ANSWERS_1, "imported": False}]


def test_it_keeps_every_submission_when_amending_and_only_the_latest_as_answers(
    app: Flask, invited: Invited
) -> None:
    first = utcnow()
    second = first + timedelta(days=2)
    with app.app_context():
        submit_response(recipient_of(invited), ANSWERS_1, {}, first)
        submission = submit_response(recipient_of(invited), ANSWERS_2, {}, second)
        assert submission.number == 2
    response, history = stored_response(app, invited)
    assert response is not None
    assert response.answers == ANSWERS_2
    assert response.first_submitted_at == first
    assert response.submitted_at == second
    assert response.submission_count == 2
    assert [item["number"] for item in history] == [1, 2]
    assert [item["answers"] for item in history] == [ANSWERS_1, ANSWERS_2]
    assert response_count(app) == 1


def test_it_stores_a_copy_of_the_answers(app: Flask, invited: Invited) -> None:
    answers: dict[str, Any] = {"omraden": ["fallrisk"]}
    with app.app_context():
        submit_response(recipient_of(invited), answers, {}, utcnow())
    answers["omraden"].append("undernaring")
    response, history = stored_response(app, invited)
    assert response is not None
    assert response.answers == {"omraden": ["fallrisk"]}
    assert history[0]["answers"] == {"omraden": ["fallrisk"]}


@pytest.mark.parametrize(
    ("round_fields", "phase"),
    [
        ({"state": RoundState.CLOSED}, RoundPhase.CLOSED),
        ({"closes_at": utcnow() - timedelta(minutes=1)}, RoundPhase.CLOSED),
        ({"state": RoundState.DRAFT}, RoundPhase.NOT_YET_OPEN),
        ({"opens_at": utcnow() + timedelta(days=1)}, RoundPhase.NOT_YET_OPEN),
    ],
    ids=["closed", "past-its-closing-time", "draft", "opens-tomorrow"],
)
def test_it_stores_nothing_while_the_round_does_not_take_answers(
    app: Flask, round_fields: dict[str, Any], phase: RoundPhase
) -> None:
    invited = invite(app, round_fields=round_fields)
    with app.app_context():
        with pytest.raises(RoundNotOpen) as refused:
            submit_response(recipient_of(invited), ANSWERS_1, {}, utcnow())
        assert refused.value.phase is phase
        assert refused.value.code is ErrorCode.RESPONSE_ROUND_NOT_OPEN
        with pytest.raises(RoundNotOpen):
            save_draft(recipient_of(invited), {"utbildning": "45"}, utcnow())
    assert stored_response(app, invited) == (None, [])


def test_it_accepts_an_import_outside_the_round_s_dates(app: Flask) -> None:
    invited = invite(app, round_fields={"state": RoundState.CLOSED})
    with app.app_context():
        submit_response(recipient_of(invited), ANSWERS_1, {}, utcnow(), imported=True)
    response, history = stored_response(app, invited)
    assert response is not None and response.imported is True
    assert history == [{"number": 1, "answers": ANSWERS_1, "imported": True}]


def test_it_stores_nothing_for_a_removed_recipient(app: Flask, invited: Invited) -> None:
    update_recipient(app, invited.recipient_id, removed_at=utcnow())
    with app.app_context():
        with pytest.raises(RecipientGone):
            submit_response(recipient_of(invited), ANSWERS_1, {}, utcnow())
        with pytest.raises(RecipientGone):
            save_draft(recipient_of(invited), {}, utcnow())
    assert stored_response(app, invited) == (None, [])


def test_it_tells_the_phase_of_a_round_from_its_state_and_dates() -> None:
    now = utcnow()
    hour = timedelta(hours=1)
    table = [
        (RoundState.OPEN, now - hour, now + hour, RoundPhase.OPEN),
        (RoundState.OPEN, now, now + hour, RoundPhase.OPEN),
        (RoundState.OPEN, now + hour, now + 2 * hour, RoundPhase.NOT_YET_OPEN),
        (RoundState.OPEN, now - 2 * hour, now, RoundPhase.CLOSED),
        (RoundState.DRAFT, now - hour, now + hour, RoundPhase.NOT_YET_OPEN),
        (RoundState.DRAFT, now - 2 * hour, now - hour, RoundPhase.CLOSED),
        (RoundState.CLOSED, now - hour, now + hour, RoundPhase.CLOSED),
    ]
    for state, opens_at, closes_at, expected in table:
        assert round_phase(state, opens_at, closes_at, now) is expected, (state, opens_at)


# -- conflicts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "conflict",
    [StaleDataError("stale"), IntegrityError("INSERT", {}, Exception("unique"))],
    ids=["optimistic-lock", "unique"],
)
def test_it_retries_a_write_conflict_once_then_reports_it_in_swedish(
    app: Flask, conflict: Exception
) -> None:
    calls: list[int] = []

    def conflicting() -> str:
        calls.append(1)
        raise conflict

    def conflicting_once() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise conflict
        return "stored"

    with app.app_context():
        assert service._run_with_retry(conflicting_once) == "stored"
        calls.clear()
        with pytest.raises(ResponseConflict) as reported:
            service._run_with_retry(conflicting)
    assert len(calls) == 2
    assert str(reported.value) == CONFLICT_MESSAGE
    assert reported.value.code is ErrorCode.RESPONSE_CONFLICT
    assert "samtidigt i ett annat fönster" in CONFLICT_MESSAGE


# -- real concurrency: threads with their own sessions and connections ------------------------


def run_in_threads(*jobs: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run each job in its own thread; return their results, or raise the first error."""
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def runner(index: int, job: Callable[[], Any]) -> None:
        try:
            results[index] = job()
        except BaseException as exc:  # a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
        assert not thread.is_alive(), "a thread hung"
    if errors:
        raise errors[0]
    return results


@contextmanager
def before_statement(
    app: Flask, prefix: str, action: Callable[[], None], *, thread: str
) -> Iterator[None]:
    """Run `action` once, in the named thread, just before it executes a statement with `prefix`."""
    done = threading.Event()

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if (
            not done.is_set()
            and threading.current_thread().name == thread
            and statement.lstrip().upper().startswith(prefix.upper())
        ):
            done.set()
            action()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert done.is_set(), f"no statement starting with {prefix!r} ran in {thread}"


def submit_in_context(app: Flask, invited: Invited, answers: dict[str, Any]) -> int:
    with app.app_context():
        return submit_response(recipient_of(invited), answers, {}, utcnow()).number


def named(name: str, job: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        threading.current_thread().name = name
        return job()

    return run


def test_it_numbers_two_tabs_submitting_at_once_1_and_2(app: Flask, invited: Invited) -> None:
    barrier = threading.Barrier(2)

    def tab(answers: dict[str, Any]) -> Callable[[], int]:
        def submit() -> int:
            barrier.wait(timeout=30)
            return submit_in_context(app, invited, answers)

        return submit

    numbers = run_in_threads(tab(ANSWERS_1), tab(ANSWERS_2))
    assert sorted(numbers) == [1, 2]
    response, history = stored_response(app, invited)
    assert response is not None
    assert [item["number"] for item in history] == [1, 2]
    assert response.submission_count == 2
    # One consistent result: the response's answers are those of the last submission.
    assert response.answers == history[-1]["answers"]
    assert sorted((item["answers"] for item in history), key=lambda a: a["sip_okning"]) == [
        ANSWERS_2,
        ANSWERS_1,
    ]
    assert response_count(app) == 1


def test_it_makes_the_second_tab_wait_for_the_first(app: Flask, invited: Invited) -> None:
    """Tab A holds its transaction open in the middle of submitting; tab B comes meanwhile."""
    a_inside = threading.Event()
    release_a = threading.Event()

    def hold_a() -> None:
        a_inside.set()
        assert release_a.wait(timeout=30)

    def tab_b() -> int:
        assert a_inside.wait(timeout=30)
        return submit_in_context(app, invited, ANSWERS_2)

    def release_later() -> None:
        assert a_inside.wait(timeout=30)
        time.sleep(0.5)  # B is now waiting for A's locks
        release_a.set()

    with before_statement(app, "INSERT INTO response_submissions", hold_a, thread="tab-a"):
        numbers = run_in_threads(
            named("tab-a", lambda: submit_in_context(app, invited, ANSWERS_1)),
            tab_b,
            release_later,
        )
    assert numbers[:2] == [1, 2]
    response, history = stored_response(app, invited)
    assert response is not None
    assert response.answers == ANSWERS_2
    assert [item["answers"] for item in history] == [ANSWERS_1, ANSWERS_2]


@pytest.mark.postgres_only
def test_it_turns_a_concurrent_first_submission_into_an_amendment(
    app: Flask, invited: Invited, is_postgres: bool
) -> None:
    """Both tabs find no response; B inserts it first, so A's insert hits the unique
    recipient_id, is retried and becomes submission 2 (SQLite serialises whole transactions,
    so this interleaving needs PostgreSQL)."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: SQLite cannot interleave two writing transactions")

    def other_tab_submits_first() -> None:
        assert run_in_threads(lambda: submit_in_context(app, invited, ANSWERS_2)) == [1]

    with before_statement(app, "INSERT INTO responses", other_tab_submits_first, thread="tab-a"):
        (number,) = run_in_threads(
            named("tab-a", lambda: submit_in_context(app, invited, ANSWERS_1))
        )
    assert number == 2
    response, history = stored_response(app, invited)
    assert response is not None
    assert [item["answers"] for item in history] == [ANSWERS_2, ANSWERS_1]
    assert response.answers == ANSWERS_1
    assert response_count(app) == 1


def close_round_as_documented(app: Flask, round_id: int, hold: Callable[[], None]) -> int:
    """Close a round the way service.py asks: lock the row FOR UPDATE first, then change it.

    Returns the submissions the closing code sees once it holds the lock.
    """
    with app.app_context():
        round_ = db.session.scalar(
            select(Round).where(Round.id == round_id).with_for_update(of=Round)
        )
        assert round_ is not None
        hold()
        round_.state = RoundState.CLOSED
        round_.closed_at = utcnow()
        seen = db.session.scalar(
            select(func.count())
            .select_from(ResponseSubmission)
            .join(Response, Response.id == ResponseSubmission.response_id)
            .where(Response.round_id == round_id)
        )
        db.session.commit()
        return int(seen or 0)


def test_it_refuses_a_submission_that_waited_for_the_round_to_close(
    app: Flask, invited: Invited
) -> None:
    closer_locked = threading.Event()
    submit_started = threading.Event()

    def hold_close() -> None:
        closer_locked.set()
        assert submit_started.wait(timeout=30)
        time.sleep(0.5)  # the submission is now waiting for the round's lock

    def submit() -> str:
        assert closer_locked.wait(timeout=30)
        submit_started.set()
        try:
            submit_in_context(app, invited, ANSWERS_1)
        except RoundNotOpen as refused:
            return refused.phase.value
        return "stored"

    seen, outcome = run_in_threads(
        lambda: close_round_as_documented(app, invited.round_id, hold_close), submit
    )
    assert (seen, outcome) == (0, "closed")
    assert stored_response(app, invited) == (None, [])


def test_it_lets_a_submission_under_way_finish_before_the_round_closes(
    app: Flask, invited: Invited
) -> None:
    inside = threading.Event()
    release = threading.Event()
    closed: list[int] = []

    def hold_submission() -> None:
        inside.set()
        assert release.wait(timeout=30)

    def close() -> None:
        assert inside.wait(timeout=30)
        closed.append(close_round_as_documented(app, invited.round_id, lambda: None))

    def release_later() -> None:
        assert inside.wait(timeout=30)
        time.sleep(0.5)  # the closing code is now waiting for the submission's lock
        assert closed == [], "the round closed while a submission held its lock"
        release.set()

    with before_statement(
        app, "INSERT INTO response_submissions", hold_submission, thread="submit"
    ):
        number, _, _ = run_in_threads(
            named("submit", lambda: submit_in_context(app, invited, ANSWERS_1)),
            close,
            release_later,
        )
    assert number == 1
    assert closed == [1]  # the closing code saw the submission that finished first
    response, _ = stored_response(app, invited)
    assert response is not None and response.answers == ANSWERS_1
    with app.app_context():
        round_ = db.session.get(Round, invited.round_id)
        assert round_ is not None and round_.state == RoundState.CLOSED
        with pytest.raises(RoundNotOpen):
            submit_response(recipient_of(invited), ANSWERS_2, {}, utcnow())


def test_it_refuses_answers_once_the_closing_is_committed(app: Flask, invited: Invited) -> None:
    update_round(app, invited.round_id, state=RoundState.CLOSED, closed_at=utcnow())
    with app.app_context(), pytest.raises(RoundNotOpen):
        submit_response(recipient_of(invited), ANSWERS_1, {}, utcnow())
