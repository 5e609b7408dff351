"""Every bad input in tests/bad_inputs/cases.py: its status, its message, and nothing changed.

Each row is its own test (so each line of docs/reliability.md is proven by one test, also
under pytest-xdist). The app runs as in production: exceptions are not propagated, so a
bug shows as a 500 page and a logged error, and both fail the row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.routing import IntegerConverter

import survey.accounts.views
import survey.answering.respondent
import survey.pages
import survey.questionnaires.answers
import survey.rounds.pages
import survey.rounds.recipient_pages
import survey.tabular.xlsx_reader
from tests.bad_inputs.cases import (
    ALL_ROWS,
    RATE_LIMITS,
    UPLOAD_LIMIT_BYTES,
    BadInput,
    Category,
    Ctx,
    rows_by_id,
)
from tests.bad_inputs.fingerprint import changed_tables, database_fingerprint
from tests.bad_inputs.world import World, build_world
from tests.factories import login
from tests.reliability_report import SABOTAGED_ROWS, record_outcome


@pytest.fixture
def bad_input_app(make_app: Any) -> Flask:
    """The app as in production (a bug is a 500, not an exception) with 1 MB upload limits."""
    app: Flask = make_app(
        PROPAGATE_EXCEPTIONS=False,
        MAX_CONTENT_LENGTH=UPLOAD_LIMIT_BYTES,
        SURVEY_MAX_IMPORT_MB=UPLOAD_LIMIT_BYTES >> 20,
    )
    return app


def client_of(app: Flask, world: World, who: str) -> FlaskClient:
    """The row's client, logged in or holding a respondent session before anything is measured."""
    client = app.test_client()
    if who in {"leader_nv", "reader_nv"}:
        assert login(client, getattr(world.cast, who).email).status_code == 302
    elif who in {"respondent", "closed"}:
        invited = world.anna if who == "respondent" else world.closed
        assert client.get(invited.link).status_code == 303
    return client


def run_row(row: BadInput, app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Any:
    """Send the row's input and assert everything the row promises; return the outcome."""
    world = build_world(app)
    client = client_of(app, world, row.who)
    ctx = Ctx(app, world, client, tmp_path)
    before = database_fingerprint(app)
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        outcome = row.send(ctx)
    after = database_fingerprint(app)

    assert outcome.exception is None, f"the command raised {outcome.exception!r}"
    unhandled = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not unhandled, f"logged errors: {[record.getMessage() for record in unhandled]}"
    assert outcome.status != 500
    assert (outcome.status, row.message in outcome.text) == (row.status, True), (
        f"got {outcome.status}; {row.message!r} not in: {outcome.text[:3000]}"
    )
    if row.id.startswith("admin-next-"):
        assert outcome.location.startswith("/") and not outcome.location.startswith("//")
        assert "evil" not in outcome.location and "javascript" not in outcome.location

    changed = changed_tables(before, after)
    if row.category is Category.IMPORT and not row.cli:
        # A web import's job is the record of its check (its page lists the problems).
        changed = [name for name in changed if name != "jobs"]
    if row.outcome == "refused":
        assert changed == sorted(row.counts_in), f"tables changed: {changed}"
    else:
        assert row.check is not None
        row.check(ctx)
    return outcome


@pytest.mark.parametrize("row", ALL_ROWS, ids=lambda row: row.id)
def test_it_handles_bad_input(
    row: BadInput,
    bad_input_app: Flask,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> None:
    outcome = run_row(row, bad_input_app, tmp_path, caplog)
    record_outcome(request, row.id, outcome.status, row.message)


def test_it_has_at_least_sixty_distinct_bad_inputs_in_every_category() -> None:
    rows = rows_by_id()
    bad = [row for row in rows.values() if row.outcome != "accepted"]
    assert len({(row.category, row.description) for row in bad}) >= 60
    for category in Category:
        assert sum(1 for row in rows.values() if row.category is category) >= 3, category


def test_it_counts_a_wrong_link_only_in_the_rate_limit_table() -> None:
    for row in ALL_ROWS:
        assert row.counts_in <= {RATE_LIMITS}, row.id
        if row.counts_in:
            assert row.category is Category.TOKENS, row.id


def _upload_that_ignores_empty_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The upload as it was before the fix: an empty file counted as no file chosen."""
    original = survey.rounds.pages.read_upload

    def read_upload(storage: FileStorage | None, *args: Any) -> Any:
        if storage is not None and not storage.read():
            return None
        if storage is not None:
            storage.stream.seek(0)
        return original(storage, *args)

    monkeypatch.setattr(survey.rounds.recipient_pages, "read_upload", read_upload)


# Row id → (remove its protection, settings for the app): the row must then fail.
SABOTAGE: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], dict[str, Any]]] = {
    "admin-id-overflow": (
        lambda mp: mp.setattr(survey.pages, "RowIdConverter", IntegerConverter),
        {},
    ),
    "admin-next-protocol-relative": (
        lambda mp: mp.setattr(survey.accounts.views, "safe_next_path", lambda target: target),
        {},
    ),
    "recipients-zip-bomb-ratio": (
        lambda mp: mp.setattr(survey.tabular.xlsx_reader, "MAX_COMPRESSION_RATIO", 10**9),
        {},
    ),
    "answer-control-characters": (
        lambda mp: mp.setattr(
            survey.questionnaires.answers, "_CONTROL_CHARACTERS", re.compile("(?!)")
        ),
        {},
    ),
    "size-recipients-upload": (lambda mp: None, {"MAX_CONTENT_LENGTH": None}),
    "token-garbled": (
        lambda mp: mp.setattr(survey.answering.respondent, "register_failure", lambda *a: 0),
        {},
    ),
    "recipients-empty-file": (_upload_that_ignores_empty_files, {}),
}


@pytest.mark.parametrize("row_id", sorted(SABOTAGE))
def test_it_fails_a_row_whose_protection_is_removed(
    row_id: str,
    make_app: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row is no test unless it can fail: without its protection, it does."""
    remove_protection, settings = SABOTAGE[row_id]
    remove_protection(monkeypatch)
    app = make_app(
        PROPAGATE_EXCEPTIONS=False,
        **{
            "MAX_CONTENT_LENGTH": UPLOAD_LIMIT_BYTES,
            "SURVEY_MAX_IMPORT_MB": UPLOAD_LIMIT_BYTES >> 20,
            **settings,
        },
    )
    with pytest.raises(AssertionError):
        run_row(rows_by_id()[row_id], app, tmp_path, caplog)


def test_it_marks_in_the_report_exactly_the_rows_it_sabotages() -> None:
    assert set(SABOTAGE) == SABOTAGED_ROWS
