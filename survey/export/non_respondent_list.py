"""Who has not answered: a download (.xlsx or .csv) of a round's non-respondents.

For the process leader's reminders by phone or mail: name, organisation, organisation
type, kommun and e-post of every recipient without a submitted response. Personal data:
only those who run the round may download it (`round_view(manage=True)`), and each
download is written to the audit log. Cells are text, never formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, Final

from flask import Response, abort
from flask.typing import ResponseReturnValue

from survey.audit.recording import record_audit
from survey.db import db
from survey.export.non_respondents import load_non_respondents
from survey.export.presentation import organisation_type_label
from survey.export.sanitise import FORMULA_TRIGGERS, clean_text
from survey.export.views import bp, content_disposition
from survey.rounds.access import round_view
from survey.schema.rounds import Round

COLUMNS: Final = ("Namn", "Organisation", "Organisationstyp", "Kommun", "E-post")
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def non_respondent_rows(round_id: int) -> list[tuple[str, ...]]:
    """One row of text per recipient without a submitted response, in reading order."""
    return [
        (
            clean_text(row.name or "(rensad)"),
            clean_text(row.organisation or ""),
            organisation_type_label(row.organisation_type),
            clean_text(row.kommun or ""),
            clean_text(row.email or ""),
        )
        for row in load_non_respondents(round_id)
    ]


def as_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """Semicolon CSV as Swedish Excel opens it; a would-be formula gets a leading apostrophe."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([f"'{cell}" if cell[:1] in FORMULA_TRIGGERS else cell for cell in row])
    return "\ufeff".encode() + text.getvalue().encode("utf-8")


def as_xlsx(title: str, rows: Sequence[Sequence[str]]) -> bytes:
    """One sheet, text cells only, printable: landscape, fit to width, header repeated."""
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    plain = workbook.add_format({"text_wrap": True, "valign": "top"})
    quoted = workbook.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
    sheet = workbook.add_worksheet("Ej svarat")
    sheet.write_row(0, 0, COLUMNS, bold)
    for number, row in enumerate(rows, start=1):
        for column, cell in enumerate(row):
            style = quoted if cell[:1] in FORMULA_TRIGGERS else plain
            sheet.write_string(number, column, cell, style)
    for column, width in enumerate((28, 36, 22, 16, 36)):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_header(f"&L{clean_text(title)[:200].replace('&', '&&')}&RSida &P av &N")
    workbook.close()
    return output.getvalue()


@bp.get("/omgangar/<int:round_id>/ej-svarat.<extension>")
@round_view(manage=True)
def download_non_respondents(round_: Round, extension: str) -> ResponseReturnValue:
    if extension not in ("xlsx", "csv"):
        abort(404)
    rows = non_respondent_rows(round_.id)
    data: Any = as_xlsx(round_.title, rows) if extension == "xlsx" else as_csv(rows)
    record_audit(
        "export.non_respondents",
        f"Laddade ner listan över {len(rows)} mottagare som inte har svarat ({extension}).",
        round_id=round_.id,
        delregion=round_.delregion,
        details={"format": extension, "rows": len(rows)},
    )
    db.session.commit()
    response = Response(data, mimetype=XLSX if extension == "xlsx" else "text/csv; charset=utf-8")
    name = f"ej-svarat-omgang-{round_.id}.{extension}"
    response.headers["Content-Disposition"] = content_disposition(name, name)
    response.headers["Cache-Control"] = "no-store"
    return response
