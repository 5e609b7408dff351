"""Progress bars on the long commands: export, import of answers, sending the outbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

import survey.progress
from survey.db import db
from tests.factories import (
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.import_helpers import GOOD_ROWS, make_import_round, xlsx_file
from tests.outbox_helpers import queue_invitations
from tests.sample import sample_questionnaire


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(survey.progress, "stderr_is_terminal", lambda: True)


def test_the_export_shows_a_progress_bar(app: Flask, terminal: None, tmp_path: Path) -> None:
    with app.app_context():
        round_ = make_round(make_questionnaire_version(sample_questionnaire()))
        make_submitted_response(round_, make_recipient(round_), {"sip_okning": "ja"})
        db.session.commit()
        round_id = round_.id
    out = tmp_path / "export.xlsx"
    result = app.test_cli_runner().invoke(args=["round", "export", str(round_id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Exporting round {round_id}" in result.stderr


def test_the_import_shows_a_progress_bar(app: Flask, terminal: None, tmp_path: Path) -> None:
    target = make_import_round(app)
    path = tmp_path / "svar.xlsx"
    path.write_bytes(xlsx_file(GOOD_ROWS))
    result = app.test_cli_runner().invoke(
        args=["round", "import-responses", str(target.round_id), str(path)]
    )
    assert result.exit_code == 0, result.output
    # Two bars: pass 1 reads and checks the file, pass 2 stores it.
    assert "Checking svar.xlsx" in result.stderr
    assert "Importing svar.xlsx" in result.stderr


def test_sending_shows_a_progress_bar(make_app, smtp_server, terminal: None) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**smtp_server.settings)
    with app.app_context():
        queue_invitations(5)
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Sending" in result.stderr


def test_no_bar_without_a_terminal(app: Flask, tmp_path: Path) -> None:
    target = make_import_round(app)
    path = tmp_path / "svar.xlsx"
    path.write_bytes(xlsx_file(GOOD_ROWS))
    result = app.test_cli_runner().invoke(
        args=["round", "import-responses", str(target.round_id), str(path)]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
