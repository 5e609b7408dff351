"""Imports of any size from the command line: past the web's row limit, in bulk, checked whole.

Other uploads on the web keep their limit (`survey.tabular.model.MAX_ROWS` rows), the
import page its own (a job, `survey.responses.import_jobs.IMPORT_MAX_ROWS`; see
test_response_import_jobs.py); `survey round import-responses` reads a file of any size,
checks every row before writing anything, and stores new responses with multi-row INSERTs.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from survey.db import db
from survey.rounds.answers_version import answers_version
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient
from survey.tabular import model as table_model
from tests.import_helpers import csv_file, make_import_round

ROWS = table_model.MAX_ROWS + 500
HEADER = [
    "e-post",
    "namn",
    "organisation",
    "organisationstyp",
    "kommun",
    "sip_okning",
    "utbildning",
]


def rows(count: int, bad_last: bool = False) -> list[list[object]]:
    made: list[list[object]] = [list[object](HEADER)]
    for number in range(count):
        made.append(
            [f"person{number}@example.se", f"Person {number}", f"Vårdcentral {number}",
             "regional_pv", "Bjuv", "ja" if number % 3 else "nej", str(number % 100)]
        )  # fmt: skip
    if bad_last:
        made[-1][5] = "kanske"
    return made


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Recipient)) or 0,
        db.session.scalar(select(func.count()).select_from(Response)) or 0,
        db.session.scalar(select(func.count()).select_from(ResponseSubmission)) or 0,
    )


def test_the_command_line_imports_past_the_web_limit_in_bulk(app: Flask, tmp_path: Path) -> None:
    target = make_import_round(app)
    with app.app_context():
        before = counts()
        version = answers_version(target.round_id)
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_file(rows(ROWS)))
    result = app.test_cli_runner().invoke(
        args=["round", "import-responses", str(target.round_id), str(path), "--add-recipients"]
    )
    assert result.exit_code == 0, result.output
    assert f"imported {ROWS} responses" in result.output
    with app.app_context():
        assert counts() == (before[0] + ROWS, before[1] + ROWS, before[2] + ROWS)
        assert answers_version(target.round_id) > version
        stored = db.session.scalars(
            select(Response.answers)
            .join(Recipient, Recipient.id == Response.recipient_id)
            .where(Recipient.email == "person7@example.se")
        ).one()
        assert stored == {"sip_okning": "ja", "utbildning": 7}


def test_a_large_file_with_one_bad_row_at_the_end_imports_nothing(
    app: Flask, tmp_path: Path
) -> None:
    target = make_import_round(app)
    with app.app_context():
        before = counts()
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_file(rows(ROWS, bad_last=True)))
    result = app.test_cli_runner().invoke(
        args=["round", "import-responses", str(target.round_id), str(path), "--add-recipients"]
    )
    assert result.exit_code == 1
    assert f"rad {ROWS + 1}" in result.output.lower() or f"row {ROWS + 1}" in result.output.lower()
    with app.app_context():
        assert counts() == before


def test_the_web_keeps_its_row_limit(app: Flask) -> None:
    from survey.tabular import TableError, read_table

    data = csv_file(rows(table_model.MAX_ROWS + 1))
    try:
        read_table(data, "svar.csv")
    except TableError as error:
        assert "högst 20\u00a0000" in str(error)
    else:
        raise AssertionError("the web limit was not applied")
