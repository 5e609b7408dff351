"""Build answer files (xlsx, CSV) and a round to import them into, for the import tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import openpyxl
from flask import Flask
from sqlalchemy import func, select

from survey.db import db
from survey.schema.audit import AuditEvent
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, RoundState
from tests.factories import make_questionnaire_version, make_recipient, make_round
from tests.sample import sample_questionnaire

# A cell as the tests write it: text, a number, a date, or empty (None or "").
Cell = object

ANNA = "anna@example.se"
BO = "bo@example.se"
CILLA = "cilla@example.se"  # removed from the round

HEADERS: list[Cell] = [
    "e-post", "sip_okning", "omraden", "nojdhet", "forum", "utbildning", "dygn", "kommentar",
    "beskrivning", "startdatum", "vecka", "npo",
]  # fmt: skip
ANNA_ROW: list[Cell] = [
    "Anna@Example.se", "Ja", "Fallrisk; undernaring", "Ganska nöjd", "dot", "12,5", "3.5",
    "=1+1 är text", "Första raden\nandra raden – åäö", "2025-03-01", "2025-W09", "",
]  # fmt: skip
BO_ROW: list[Cell] = [
    "bo@example.se", "ej aktuellt", "", "MYCKET_NOJD", "", "80", "", "", "", "", "", "Nej",
]  # fmt: skip
GOOD_ROWS = [HEADERS, ANNA_ROW, BO_ROW]
ANNA_ANSWERS = {
    "sip_okning": "ja",
    "omraden": ["fallrisk", "undernaring"],
    "nojdhet": "ganska_nojd",
    "forum": "dot",
    "utbildning": 12.5,
    "dygn": 3.5,
    "kommentar": "=1+1 är text",
    "beskrivning": "Första raden\nandra raden – åäö",
    "startdatum": "2025-03-01",
    "vecka": "2025-W09",
}
BO_ANSWERS = {"sip_okning": "ej_aktuellt", "nojdhet": "mycket_nojd", "utbildning": 80, "npo": "nej"}


@dataclass(frozen=True)
class ImportRound:
    round_id: int
    anna: int
    bo: int


def make_import_round(
    app: Flask,
    *,
    state: RoundState = RoundState.CLOSED,
    reference_date: date = date(2023, 12, 31),
    questionnaire_version_id: int | None = None,
    title: str = "Årlig enkät 2023",
) -> ImportRound:
    """A round of the sample questionnaire in NV with Anna (regional PV), Bo (kommun), Cilla."""
    from survey.schema.questionnaires import QuestionnaireVersion

    with app.app_context():
        version = (
            db.session.get(QuestionnaireVersion, questionnaire_version_id)
            if questionnaire_version_id
            else make_questionnaire_version(sample_questionnaire())
        )
        round_ = make_round(version, state=state, reference_date=reference_date, title=title)
        anna = make_recipient(
            round_, email=ANNA, organisation="Vårdcentralen Ängelholm",
            organisation_type="regional_pv", kommun="Ängelholm",
        )  # fmt: skip
        bo = make_recipient(
            round_, email=BO, organisation="Ängelholms kommun", organisation_type="kommun",
            kommun="Ängelholm",
        )  # fmt: skip
        make_recipient(
            round_, email=CILLA, organisation="Vårdcentralen Höganäs",
            removed_at=datetime(2025, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        db.session.commit()
        return ImportRound(round_.id, anna.id, bo.id)


def xlsx_file(rows: Sequence[Sequence[Cell]], *, formula: tuple[int, int] | None = None) -> bytes:
    """An .xlsx written by openpyxl; strings stay strings, numbers and dates are typed cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row_index, row in enumerate(rows, start=1):
        for column_index, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = sheet.cell(row=row_index, column=column_index)
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # keep "=1+1 är text" a string, not a formula
            else:
                cell.value = value
    if formula is not None:
        sheet.cell(row=formula[0], column=formula[1]).value = "=40+40"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def csv_file(
    rows: Sequence[Sequence[Cell]], *, encoding: str = "utf-8-sig", delimiter: str = ";"
) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([["" if value is None else str(value) for value in row] for row in rows])
    return text.getvalue().encode(encoding)


def row_counts(app: Flask) -> dict[str, int]:
    """Rows in the tables an import writes to."""
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Response, ResponseSubmission, Recipient, AuditEvent)
        }


def stored_answers(
    app: Flask, recipient_id: int
) -> tuple[dict[str, object] | None, bool, list[tuple[int, bool]]]:
    """The response's answers, its imported flag, and its submissions (number, imported)."""
    with app.app_context():
        response = db.session.scalar(select(Response).where(Response.recipient_id == recipient_id))
        if response is None:
            return None, False, []
        submissions = db.session.execute(
            select(ResponseSubmission.number, ResponseSubmission.imported)
            .where(ResponseSubmission.response_id == response.id)
            .order_by(ResponseSubmission.number)
        ).all()
        return response.answers, response.imported, [(number, flag) for number, flag in submissions]
