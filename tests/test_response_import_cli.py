"""`survey round import-responses ROUND FILE`: exit codes, messages, dry run, new recipients."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.import_helpers import (
    ANNA,
    ANNA_ANSWERS,
    GOOD_ROWS,
    HEADERS,
    Cell,
    ImportRound,
    csv_file,
    row_counts,
    stored_answers,
    xlsx_file,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_it_imports_a_file_and_says_what_it_did(
    app: Flask, runner: FlaskCliRunner, target: ImportRound, tmp_path: Path
) -> None:
    path = write(tmp_path, "svar 2023.xlsx", xlsx_file(GOOD_ROWS))
    result = runner.invoke(args=["round", "import-responses", str(target.round_id), str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"imported 2 responses from {path} into round {target.round_id} “Årlig enkät 2023”: "
        "2 new, 0 amended, 0 unchanged; 0 recipients created\n"
    )
    assert stored_answers(app, target.anna) == (ANNA_ANSWERS, True, [(1, True)])


def test_it_prints_every_problem_and_exits_with_1(
    app: Flask, runner: FlaskCliRunner, target: ImportRound, tmp_path: Path
) -> None:
    rows: list[list[Cell]] = [HEADERS[:3], [ANNA, "kanske", ""], ["okand@example.se", "ja", ""]]
    path = write(tmp_path, "svar.csv", csv_file(rows))
    before = row_counts(app)
    result = runner.invoke(args=["round", "import-responses", str(target.round_id), str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        f"{path}: 2 problems; nothing was imported (the messages are those the process leader "
        "sees, in Swedish):"
    )
    assert lines[1].startswith(f'{path}: row 2, column sip_okning: "kanske" är inte ett av')
    assert lines[2].startswith(
        f"{path}: row 3, column e-post: okand@example.se finns inte bland omgångens mottagare."
    )
    assert row_counts(app) == before


def test_it_creates_recipients_with_add_recipients(
    app: Flask, runner: FlaskCliRunner, target: ImportRound, tmp_path: Path
) -> None:
    rows = [
        ["e-post", "sip_okning", "Namn", "Organisation", "Organisationstyp", "Kommun"],
        ["ny@example.se", "Ja", "Nils Ny", "Vårdcentralen Bjuv", "vårdcentral", "Bjuv"],
    ]
    path = write(tmp_path, "nya.csv", csv_file(rows, encoding="cp1252"))
    arguments = ["round", "import-responses", str(target.round_id), str(path)]
    refused = runner.invoke(args=arguments)
    assert refused.exit_code == 1 and "ny@example.se finns inte bland" in refused.output
    result = runner.invoke(args=[*arguments, "--add-recipients"])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("1 new, 0 amended, 0 unchanged; 1 recipient created\n")


def test_it_stores_nothing_on_a_dry_run(
    app: Flask, runner: FlaskCliRunner, target: ImportRound, tmp_path: Path
) -> None:
    path = write(tmp_path, "svar.csv", csv_file(GOOD_ROWS))
    before = row_counts(app)
    result = runner.invoke(
        args=["round", "import-responses", str(target.round_id), str(path), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("would import 2 responses")
    assert result.output.rstrip().endswith("(dry run: nothing was stored)")
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("round_reference", "file_name", "message"),
    [
        ("999", "svar.csv", "round '999' does not exist"),
        (None, "saknas.csv", "saknas.csv: cannot be read: No such file or directory"),
        (None, "tom.csv", "tom.csv: Filen är tom."),
    ],
)
def test_it_refuses_an_unknown_round_or_an_unreadable_file(
    app: Flask,
    runner: FlaskCliRunner,
    target: ImportRound,
    tmp_path: Path,
    round_reference: str | None,
    file_name: str,
    message: str,
) -> None:
    write(tmp_path, "svar.csv", csv_file(GOOD_ROWS))
    write(tmp_path, "tom.csv", b"")
    result = runner.invoke(
        args=[
            "round", "import-responses", round_reference or str(target.round_id),
            str(tmp_path / file_name),
        ]
    )  # fmt: skip
    assert result.exit_code == 1
    assert message in result.output
