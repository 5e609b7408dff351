"""Imports of any size, streamed: two passes over the file, never the whole file in memory.

Pass 1 reads the file row by row and checks every row; pass 2 reads it again and stores it
in chunks, only when pass 1 found nothing wrong. What is kept while reading does not grow
with the rows' answers (only a key per address), and a failure in pass 2 leaves nothing.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

import survey.responses.importing as importing
import survey.tabular.csv_reader as csv_reader
import survey.tabular.xlsx_reader as xlsx_reader
from survey.db import db, utcnow
from survey.responses.answers_check import MAX_PROBLEMS_KEPT, check_responses_file
from survey.responses.answers_file import KnownRecipient
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round
from survey.tabular import TableSource, TableStream, open_table, read_table
from tests.import_helpers import csv_file, make_import_round, row_counts, xlsx_file
from tests.sample import sample_questionnaire

HEADER: list[object] = ["e-post", "sip_okning", "omraden", "utbildning", "kommentar"]


def address(number: int) -> str:
    return f"person{number}@example.se"


def answer_rows(count: int, *, bad: tuple[int, ...] = ()) -> list[list[object]]:
    """A header and `count` rows for person0… (regional PV); rows numbered in `bad` are wrong."""
    made: list[list[object]] = [list(HEADER)]
    for number in range(count):
        made.append(
            [
                address(number),
                "kanske" if number in bad else ("ja" if number % 3 else "nej"),
                "fallrisk; undernaring" if number % 3 and number % 2 else "",
                str(number % 100),
                f"Kommentar nummer {number}",
            ]
        )
    return made


def recipients(count: int) -> dict[str, KnownRecipient]:
    return {
        address(number): KnownRecipient(number + 1, address(number), "regional_pv")
        for number in range(count)
    }


def import_round_with(app: Flask, count: int) -> int:
    """The import round with `count` more recipients, person0… (regional PV)."""
    target = make_import_round(app)
    with app.app_context():
        round_ = db.session.get(Round, target.round_id)
        assert round_ is not None
        rows = [
            {
                "round_id": round_.id,
                "name": f"Person {number}",
                "email": address(number),
                "organisation": f"Vårdcentral {number}",
                "organisation_type": "regional_pv",
                "kommun": "Bjuv",
                "delregion": round_.delregion,
                "created_at": utcnow(),
            }
            for number in range(count)
        ]
        if rows:
            db.session.execute(insert(Recipient), rows)
        db.session.commit()
    return target.round_id


def responses_of(app: Flask, round_id: int) -> int:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count()).select_from(Response).where(Response.round_id == round_id)
            )
            or 0
        )


# -- reading ---------------------------------------------------------------------------------


def test_the_reader_reads_a_file_from_disk_a_piece_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_file(answer_rows(20_000)))
    with open_table(path, "svar.csv") as table:
        first = next(table.rows)
        assert first.values[0] == address(0)
        # The encoding scan read the whole file; the rows have been read only a little way.
        assert table.position() < path.stat().st_size // 10
        assert sum(1 for _ in table.rows) == 19_999


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_a_streamed_file_reads_as_the_whole_file_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    # Small chunks, so that the one character outside ASCII lies far past the first chunk.
    monkeypatch.setattr(csv_reader, "SCAN_CHUNK", 64)
    rows = answer_rows(200)
    rows[150][4] = "Åsa på vårdcentralen – ”bra”"
    data = csv_file(rows, encoding=encoding)
    path = tmp_path / "svar.csv"
    path.write_bytes(data)
    whole = read_table(data, "svar.csv")
    with open_table(path, "svar.csv") as table:
        streamed = list(table.rows)
        assert table.description == whole.description
    assert [row.values for row in streamed] == [row.values for row in whole.rows]
    assert ("Windows-1252" in whole.description) is (encoding == "cp1252")


def test_an_xlsx_streams_as_it_reads_whole(tmp_path: Path) -> None:
    data = xlsx_file(answer_rows(300))
    path = tmp_path / "svar.xlsx"
    path.write_bytes(data)
    with open_table(path, "svar.xlsx") as table:
        streamed = [row.values for row in table.rows]
    assert streamed == [row.values for row in read_table(data, "svar.xlsx").rows]


# -- pass 1: checking --------------------------------------------------------------------------


def checking_peak(tmp_path: Path, count: int, *, keep_rows: bool) -> int:
    """Peak bytes allocated while checking a file of `count` rows (the recipients excepted)."""
    path = tmp_path / f"svar{count}.csv"
    path.write_bytes(csv_file(answer_rows(count)))
    questionnaire = sample_questionnaire()
    known = recipients(count)
    tracemalloc.start()
    try:
        check = check_responses_file(
            questionnaire, path, "svar.csv", known, round_delregion="NV", keep_rows=keep_rows
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert check.ok and check.row_count == count, check.problems[:3]
    return peak


def test_checking_keeps_a_key_per_address_not_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_reader, "SCAN_CHUNK", 16 * 1024)  # the encoding scan's buffer
    small = checking_peak(tmp_path, 2_000, keep_rows=False)
    large = checking_peak(tmp_path, 20_000, keep_rows=False)
    per_row = (large - small) / 18_000
    # Each further row costs its address's place in a dict; a row with its answers costs
    # several times that (as `keep_rows=True` shows).
    kept = checking_peak(tmp_path, 2_000, keep_rows=True)
    assert per_row < 150, per_row
    assert (kept - small) / 2_000 > 2 * per_row


def test_checking_keeps_the_first_problems_and_counts_the_others(tmp_path: Path) -> None:
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_file(answer_rows(1_000, bad=tuple(range(0, 1_000, 1)))))
    check = check_responses_file(
        sample_questionnaire(), path, "svar.csv", recipients(1_000), round_delregion="NV"
    )
    assert len(check.problems) == MAX_PROBLEMS_KEPT
    assert check.problem_count == 1_000
    assert check.problems_not_kept == 1_000 - MAX_PROBLEMS_KEPT
    assert [problem.row for problem in check.problems[:2]] == [2, 3]
    assert not check.ok and check.rows == [] and check.row_count == 0


def test_a_duplicate_is_found_across_the_whole_file(tmp_path: Path) -> None:
    rows = answer_rows(3_000)
    rows[2_500][0] = address(10)
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_file(rows))
    check = check_responses_file(
        sample_questionnaire(), path, "svar.csv", recipients(3_000), round_delregion="NV"
    )
    assert [(problem.row, problem.message) for problem in check.problems] == [
        (12, f"Samma e-postadress ({address(10)}) finns också på rad 2501. "
         "Varje mottagare får bara ha en rad."),
        (2501, f"Samma e-postadress ({address(10)}) finns också på rad 12. "
         "Varje mottagare får bara ha en rad."),
    ]  # fmt: skip


# -- pass 2: storing -----------------------------------------------------------------------------


def test_pass_two_never_starts_when_pass_one_finds_a_problem(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_id = import_round_with(app, 2_000)
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_file(answer_rows(2_000, bad=(1_999,))))
    opened: list[str] = []

    def spying_open(source: TableSource, filename: str) -> TableStream:
        opened.append(filename)
        return open_table(source, filename)

    monkeypatch.setattr(importing, "open_table", spying_open)
    before = row_counts(app)
    result = app.test_cli_runner().invoke(
        args=["round", "import-responses", str(round_id), str(path)]
    )
    assert result.exit_code == 1
    assert "1 problem; nothing was imported" in result.output
    assert "row 2001" in result.output
    assert opened == []  # pass 1 is the check; the store's reading never began
    assert row_counts(app) == before


def test_a_file_that_changes_between_the_passes_imports_nothing(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_id = import_round_with(app, 2_500)
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_file(answer_rows(2_500)))
    changed = tmp_path / "andrad.csv"
    changed.write_bytes(csv_file(answer_rows(2_500, bad=(2_200,))))

    def open_changed(source: TableSource, filename: str) -> TableStream:
        return open_table(changed, filename)

    monkeypatch.setattr(importing, "open_table", open_changed)
    before = row_counts(app)
    result = app.test_cli_runner().invoke(
        args=["round", "import-responses", str(round_id), str(path)]
    )
    # Two chunks of 1,000 had gone into the transaction: it is rolled back whole.
    assert result.exit_code == 1
    assert "Filen ändrades medan den importerades" in result.output
    assert row_counts(app) == before
    assert responses_of(app, round_id) == 0


def test_five_thousand_rows_import_through_the_command_line_in_chunks(
    app: Flask, tmp_path: Path
) -> None:
    round_id = import_round_with(app, 5_000)
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_file(answer_rows(5_000)))
    result = app.test_cli_runner().invoke(
        args=["round", "import-responses", str(round_id), str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "imported 5000 responses" in result.output
    assert "5000 new, 0 amended, 0 unchanged" in result.output
    assert responses_of(app, round_id) == 5_000
    with app.app_context():
        stored = db.session.scalars(
            select(Response.answers)
            .where(Response.round_id == round_id)
            .order_by(Response.id)
            .limit(2)
        ).all()
    assert stored[1] == {
        "sip_okning": "ja",
        "omraden": ["fallrisk", "undernaring"],
        "utbildning": 1,
        "kommentar": "Kommentar nummer 1",
    }
    # The same file again changes nothing.
    again = app.test_cli_runner().invoke(
        args=["round", "import-responses", str(round_id), str(path)]
    )
    assert again.exit_code == 0, again.output
    assert "0 new, 0 amended, 5000 unchanged" in again.output


def test_what_the_reader_finds_at_the_end_comes_before_the_header_problems(
    tmp_path: Path,
) -> None:
    path = tmp_path / "svar.xlsx"
    path.write_bytes(xlsx_file([["e-post", "okand_kolumn"], [address(1), "x"]], formula=(3, 2)))
    check = check_responses_file(
        sample_questionnaire(), path, "svar.xlsx", recipients(3), round_delregion="NV"
    )
    assert [str(problem) for problem in check.problems] == [
        "Rad 3, kolumn okand_kolumn: Cellen B3 innehåller en formel; klistra in värdet i "
        "stället (kopiera och välj Klistra in special → Värden)."
    ]


def test_the_command_line_lifts_the_unpacked_size_limit_of_an_xlsx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from survey.results.commands import NO_LIMITS
    from survey.tabular import TableError, table_limits

    monkeypatch.setattr(xlsx_reader, "MAX_UNCOMPRESSED_BYTES", 1_000)  # the web's, made tiny
    data = xlsx_file(answer_rows(50))
    with pytest.raises(TableError, match="packas upp"):
        read_table(data, "svar.xlsx")
    with table_limits(NO_LIMITS):
        assert len(read_table(data, "svar.xlsx").rows) == 50
