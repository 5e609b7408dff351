"""The export reads free text from the database as it writes it (a million answers' worth).

The export's frame says only whether each text question has an answer (`PresenceColumn`);
the `Svar` sheet reads the texts by ranges of response ids, the `Fritext` sheet by batches
of its rows in reading order. The workbook must be exactly the one written from a frame
holding the texts, however the rows fall into chunks and batches.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import survey.export.answers_sheets as answers_sheets
import survey.export.free_text_sheet as free_text_sheet
import survey.export.workbook as workbook_module
from survey.db import db
from survey.export.workbook import build_workbook
from survey.questionnaires.storage import questionnaire_of
from survey.results.frame import read_responses_frame
from survey.results.frame_columns import TEXT_PRESENT, texts_in_frame
from survey.schema.rounds import Round
from tests.export_helpers import make_export_round, read_workbook

NOW = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)


def cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Each sheet's rows: the values, then the row's height (wrapped text grows its row)."""
    workbook = read_workbook(path)
    return {
        sheet.title: [
            (*row, sheet.row_dimensions[number].height)
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
        for sheet in workbook.worksheets
    }


def test_the_export_frame_says_only_whether_there_is_a_text(app: Flask) -> None:
    with app.app_context():
        made = make_export_round()
        round_ = db.session.get(Round, made.round_id)
        assert round_ is not None
        questionnaire = questionnaire_of(round_.questionnaire_version)
        full = read_responses_frame(made.round_id, questionnaire)
        lean = read_responses_frame(made.round_id, questionnaire, texts=False)
    texts = [question.id for question in questionnaire.questions if question.type.is_text]
    assert texts and texts_in_frame(full, questionnaire)
    assert not texts_in_frame(lean, questionnaire)
    for question_id in texts:
        assert list(lean[question_id].cat.categories) == [TEXT_PRESENT]
        assert lean[question_id].notna().tolist() == full[question_id].notna().tolist()
        assert full[question_id].notna().any()
    others = [column for column in full.columns if column not in texts]
    assert lean[others].equals(full[others])


def test_streamed_texts_give_the_workbook_a_frame_with_texts_gives(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        made = make_export_round()
        streamed, in_frame = tmp_path / "streamed.xlsx", tmp_path / "in-frame.xlsx"
        # Chunks and batches of two rows: every boundary is crossed.
        with monkeypatch.context() as patch:
            patch.setattr(answers_sheets, "CHUNK_ROWS", 2)
            patch.setattr(free_text_sheet, "BATCH_IDS", 2)
            build_workbook(made.round_id, identifying=True, out=streamed, now=NOW)
        with monkeypatch.context() as patch:
            patch.setattr(
                workbook_module,
                "read_responses_frame",
                lambda round_id, questionnaire, texts=True: read_responses_frame(
                    round_id, questionnaire
                ),
            )
            build_workbook(made.round_id, identifying=True, out=in_frame, now=NOW)
    got, expected = cells(streamed), cells(in_frame)
    assert got == expected
    assert any(name == "Fritext" for name in got) and len(got["Fritext"]) > 1
    written = {value for row in got["Svar"] for value in row if isinstance(value, str)}
    assert TEXT_PRESENT not in written
