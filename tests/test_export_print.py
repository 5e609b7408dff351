"""The export prints without overlapping or cut text: row heights for wrapped cells (issue 13).

LibreOffice keeps the default height of a row the file does not size, so wrapped text
overlapped the next row in print (seen converting an export to PDF with soffice). These
tests read the produced workbook back and check what makes print whole: each row holding
wrapped text is tall enough for it, header texts fit their rows, and the wide Indikatorer
sheet prints three pages wide with the indicator's id on each page.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from flask import Flask
from openpyxl.utils import column_index_from_string
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from survey.db import db
from survey.export.workbook import build_workbook
from survey.export.writer import word_wrapped_lines, wrapped_lines
from survey.schema.rounds import RoundState
from tests.export_helpers import read_workbook
from tests.factories import (
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.respondent_helpers import nv_questionnaire

LONG = (
    "Vi har infört gemensamma SIP-möten varje vecka med kommunens hemsjukvård och "
    "vårdcentralen. Uppföljningen sker i den lokala samverkansgruppen och dokumenteras. "
) * 4
LINE_POINTS = 15.0
LOOSE_CHARACTERS_PER_WIDTH = 1.3  # more than any font fits: a lower bound of the lines


@pytest.fixture
def workbook(app: Flask, tmp_path: Path) -> Workbook:
    with app.app_context():
        round_ = make_round(make_questionnaire_version(nv_questionnaire()), state=RoundState.CLOSED)
        for number, kind in enumerate(("kommun", "regional_pv", "kommun")):
            recipient = make_recipient(
                round_, organisation=f"Organisation {number}", organisation_type=kind
            )
            make_submitted_response(
                round_,
                recipient,
                {
                    "q1a_1a": 40 + number,
                    "q1b_2b": LONG[: 150 + 200 * number],
                    "q_ovrigt": "Första raden\nandra raden\ntredje raden",
                },
            )
        db.session.commit()
        build_workbook(round_.id, identifying=False, out=tmp_path / "export.xlsx")
    return read_workbook(tmp_path / "export.xlsx")


def least_lines(text: str, width: float) -> int:
    """Lines the text needs at the very least in a column `width` wide."""
    per_line = max(1, int(width * LOOSE_CHARACTERS_PER_WIDTH))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def width_of(sheet: Worksheet, letter: str) -> float:
    """The column's width (openpyxl keeps a run of equally wide columns as one)."""
    index = column_index_from_string(letter)
    for dimension in sheet.column_dimensions.values():
        if dimension.min and dimension.max and dimension.min <= index <= dimension.max:
            return float(dimension.width)
    return 8.43


def test_it_makes_every_row_with_wrapped_text_tall_enough(workbook: Workbook) -> None:
    checked = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if not (isinstance(cell.value, str) and cell.alignment.wrap_text):
                    continue
                lines = least_lines(cell.value, width_of(sheet, cell.column_letter))
                if lines < 2:
                    continue
                height = sheet.row_dimensions[cell.row].height
                assert height is not None, f"{sheet.title}!{cell.coordinate} has no row height"
                assert height >= LINE_POINTS * lines, f"{sheet.title}!{cell.coordinate}"
                checked += 1
    assert checked >= 10  # the long answers, the question texts, the notes


def test_it_aligns_the_cells_of_a_tall_row_at_the_top(workbook: Workbook) -> None:
    sheet = workbook["Fritext"]
    tall = [row for row in range(2, sheet.max_row + 1) if sheet.row_dimensions[row].height]
    assert tall
    for row in tall:
        for cell in sheet[row]:
            if cell.value is not None:
                assert cell.alignment.vertical == "top", cell.coordinate


def test_it_fits_the_question_texts_in_the_header_of_the_answers(workbook: Workbook) -> None:
    sheet = workbook["Svar"]
    height = sheet.row_dimensions[2].height
    assert height is not None
    for cell in sheet[2]:
        if isinstance(cell.value, str):
            width = width_of(sheet, cell.column_letter)
            assert height >= LINE_POINTS * least_lines(cell.value, width), cell.coordinate
            assert word_wrapped_lines(cell.value, int(width), bold=True) * LINE_POINTS <= height


def test_it_prints_the_indicators_three_pages_wide_with_the_id_on_each(
    workbook: Workbook,
) -> None:
    sheet = workbook["Indikatorer"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 3 and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$1" and sheet.print_title_cols == "$A:$A"
    for name in ("Frågor", "Fritext", "Sammanfattning"):
        other = workbook[name]
        assert other.sheet_properties.pageSetUpPr.fitToPage and other.page_setup.fitToWidth in (
            None,
            1,
        )


def test_it_estimates_wrapped_lines_generously() -> None:
    assert wrapped_lines("kort", 50) == 1
    assert wrapped_lines("a\nb\nc", 50) == 3
    assert wrapped_lines("x" * 120, 50) == 3  # 49 characters a line
    assert word_wrapped_lines("handlingsplan för samverkande", 14, bold=True) == 3
    assert word_wrapped_lines("", 10) == 1
