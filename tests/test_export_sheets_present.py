"""The export leaves out sheets a questionnaire would leave empty."""

from __future__ import annotations

from pathlib import Path

from survey.export.workbook import SHEET_NAMES, sheets_for
from survey.questionnaires.parsing import read_questionnaire_file

QUESTIONNAIRES = Path(__file__).parent.parent / "questionnaires"


def test_it_keeps_every_sheet_for_the_annual_questionnaire() -> None:
    nv = read_questionnaire_file(QUESTIONNAIRES / "nv-arlig-enkat.yaml")
    assert sheets_for(nv) == SHEET_NAMES


def test_it_leaves_out_indicator_and_trend_sheets_without_scored_indicators() -> None:
    bilaga = read_questionnaire_file(QUESTIONNAIRES / "no-bilaga1-stodfragor.yaml")
    sheets = sheets_for(bilaga)
    assert "Indikatorer" not in sheets and "Trend" not in sheets
    assert "Fritext" in sheets and sheets[0] == "Sammanfattning"
