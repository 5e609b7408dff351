"""The `Bortfall` sheet (recipients without a submitted response) and the invited recipients.

The same rows also complete the response-rate figures: the respondents are the results
frame's rows, so only the non-respondents are read from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import select
from xlsxwriter.format import Format

from survey.db import db
from survey.export.presentation import organisation_type_label
from survey.export.sanitise import clean_text
from survey.export.writer import SheetWriter, check_rows, text_cell_writer
from survey.localtime import local_naive
from survey.results.ordering import organisation_type_sort_key, swedish_sort_key
from survey.schema.responses import Response
from survey.schema.rounds import Recipient

HEADER: Final = (
    "Organisation", "Organisationstyp", "Kommun", "Inbjuden", "Påminnelser", "Senaste kontakt",
    "Utkast påbörjat", "Avanmäld från utskick",
)  # fmt: skip
IDENTIFYING_HEADER: Final = ("Namn", "E-post")


def load_non_respondents(round_id: int) -> list[Any]:
    """The round's recipients (not removed) without a submitted response, in reading order.

    Reading order: organisation type as declared, kommun, organisation (Swedish order),
    then as added.
    """
    submitted = Response.answers.is_not(None) & Response.submitted_at.is_not(None)
    statement = (
        select(
            Recipient.id,
            Recipient.name,
            Recipient.email,
            Recipient.organisation,
            Recipient.organisation_type,
            Recipient.kommun,
            Recipient.delregion,
            Recipient.invited_at,
            Recipient.reminders_sent,
            Recipient.last_contacted_at,
            Response.draft.is_not(None).label("has_draft"),
            Recipient.opted_out,
        )
        .outerjoin(Response, Response.recipient_id == Recipient.id)
        .where(
            Recipient.round_id == round_id,
            Recipient.removed_at.is_(None),
            Response.id.is_(None) | ~submitted,
        )
    )
    rows = list(db.session.execute(statement))
    keys: dict[str, Any] = {}

    def swedish(text: str | None) -> Any:
        found = keys.get(text or "")
        if found is None:
            found = keys[text or ""] = swedish_sort_key(text or "")
        return found

    rows.sort(
        key=lambda row: (
            organisation_type_sort_key(row.organisation_type),
            swedish(row.kommun),
            swedish(row.organisation),
            row.id,
        )
    )
    return rows


def invited_recipients(frame: pd.DataFrame, non_respondents: Sequence[Any]) -> pd.DataFrame:
    """The invited recipients as `survey.results.breakdowns.response_rates` counts them.

    The same recipients as `survey.results.frame.load_recipients_frame` gives (invited, or
    with a submitted response; not removed), without reading every recipient again: the
    respondents are the frame's rows, the others the invited `non_respondents`.
    """
    answered = set(frame["recipient_id"].tolist())
    others = [
        row for row in non_respondents if row.invited_at is not None and row.id not in answered
    ]
    columns: dict[str, Any] = {}
    for column in ("organisation_type", "kommun", "delregion"):
        values = frame[column].astype(object).where(frame[column].notna(), None).tolist()
        values += [getattr(row, column) or None for row in others]
        columns[column] = pd.Series(values, dtype=object)
    columns["submitted"] = np.concatenate(
        [np.ones(len(frame), dtype=bool), np.zeros(len(others), dtype=bool)]
    )
    return pd.DataFrame(columns)


def write_non_respondents(writer: SheetWriter, rows: Sequence[Any], *, identifying: bool) -> None:
    """One row per recipient without a submitted response; names and emails if identifying."""
    styles = writer.styles
    sheet = writer.sheet
    check_rows("Bortfall", 1 + len(rows))
    header = [*(IDENTIFYING_HEADER if identifying else ()), *HEADER]
    writer.header(0, header)
    first = len(IDENTIFYING_HEADER) if identifying else 0
    write_text = text_cell_writer(sheet)
    write_string, write_number = sheet.write_string, sheet.write_number
    write_datetime = sheet.write_datetime
    prepared: dict[str, tuple[str, Format | None]] = {}
    widths = [len(label) for label in header]

    def text(row: int, col: int, value: str | None) -> None:
        if not value:
            return
        found = prepared.get(value)
        if found is None:
            cleaned = clean_text(value)
            found = prepared[value] = (cleaned, styles.text.pick(cleaned))
        if found[0]:
            write_text(row, col, *found)
            if len(found[0]) > widths[col]:
                widths[col] = len(found[0])

    for number, row in enumerate(rows, start=1):
        if identifying:
            text(number, 0, row.name)
            text(number, 1, row.email)
        text(number, first, row.organisation)
        text(number, first + 1, organisation_type_label(row.organisation_type))
        text(number, first + 2, row.kommun)
        if row.invited_at is not None:
            write_datetime(number, first + 3, local_naive(row.invited_at), styles.datetime)
        write_number(number, first + 4, row.reminders_sent or 0, styles.integer)
        if row.last_contacted_at is not None:
            write_datetime(number, first + 5, local_naive(row.last_contacted_at), styles.datetime)
        write_string(number, first + 6, "ja" if row.has_draft else "nej")
        write_string(number, first + 7, "ja" if row.opted_out else "nej")
    for col, width in enumerate(widths):
        writer.fit(col, width)
    for col in (first + 3, first + 5):
        writer.fit(col, 16)
    writer.finish(filter_last_row=len(rows), filter_last_col=len(header) - 1)
