"""`survey round export ROUND -o FILE.xlsx [--identifying]`."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from survey.audit.recording import COMMAND_LINE_ACTOR
from survey.db import db
from survey.export.workbook import SHEET_NAMES
from survey.schema.audit import AuditEvent
from tests.export_helpers import ExportRound, header_of, make_export_round, read_workbook


@pytest.fixture
def made(app: Flask) -> ExportRound:
    with app.app_context():
        return make_export_round()


def exports(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        statement = select(AuditEvent).where(AuditEvent.action == "round.exported")
        return list(db.session.scalars(statement))


def test_it_writes_the_pseudonymised_export_and_records_it(
    app: Flask, runner: FlaskCliRunner, made: ExportRound, tmp_path: Path
) -> None:
    path = tmp_path / "omgång.xlsx"
    result = runner.invoke(args=["round", "export", str(made.round_id), "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {path}: 4 responses, 3 non-respondents, 3 free-text answers" in result.output
    assert "(pseudonymised)" in result.output
    workbook = read_workbook(path)
    assert workbook.sheetnames == list(SHEET_NAMES)
    assert "Namn" not in header_of(workbook, "Svar")
    (event,) = exports(app)
    assert event.actor == COMMAND_LINE_ACTOR
    assert event.details == {
        "variant": "pseudonymiserad",
        "identifying": False,
        "responses": 4,
        "non_respondents": 3,
    }
    assert [p.name for p in tmp_path.iterdir()] == ["omgång.xlsx"]  # no temporary file left


def test_it_writes_the_identifying_export_on_request(
    app: Flask, runner: FlaskCliRunner, made: ExportRound, tmp_path: Path
) -> None:
    path = tmp_path / "med-namn.xlsx"
    result = runner.invoke(
        args=["round", "export", str(made.round_id), "--output", str(path), "--identifying"]
    )
    assert result.exit_code == 0, result.output
    assert "identifying (names and email addresses)" in result.output
    assert header_of(read_workbook(path), "Svar")[1:3] == ["Namn", "E-post"]
    (event,) = exports(app)
    assert event.details is not None and event.details["variant"] == "identifierande"
    assert event.summary.startswith("IDENTIFIERANDE export")


def test_it_replaces_an_existing_file(
    runner: FlaskCliRunner, made: ExportRound, tmp_path: Path
) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"old content")
    result = runner.invoke(args=["round", "export", str(made.round_id), "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert read_workbook(path).sheetnames == list(SHEET_NAMES)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["999", "-o", "{dir}/x.xlsx"], "round 999 does not exist — `survey round list` shows"),
        (["{round}", "-o", "{dir}/x.csv"], "the file name must end in .xlsx"),
        (["{round}", "-o", "{dir}/saknas/x.xlsx"], "the directory"),
        (["{round}"], "Missing option '-o' / '--output'"),
        (["abc", "-o", "{dir}/x.xlsx"], "'abc' is not a valid integer"),
    ],
)
def test_it_refuses_bad_arguments_and_writes_nothing(
    app: Flask,
    runner: FlaskCliRunner,
    made: ExportRound,
    tmp_path: Path,
    arguments: list[str],
    message: str,
) -> None:
    filled = [a.format(dir=tmp_path, round=made.round_id) for a in arguments]
    result = runner.invoke(args=["round", "export", *filled])
    assert result.exit_code != 0
    assert message in result.output
    assert list(tmp_path.iterdir()) == []
    assert exports(app) == []


def test_it_is_listed_among_the_round_commands(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["round", "--help"])
    assert result.exit_code == 0
    assert "export" in result.output
    help_text = runner.invoke(args=["round", "export", "--help"]).output
    assert "--identifying" in help_text and "ROUND" in help_text
