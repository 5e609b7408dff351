"""A round to export: respondents of every organisation type, non-respondents, earlier rounds.

`make_export_round` (inside an app context) builds it with the sample questionnaire
(tests/sample.py) and returns plain values; `read_workbook` opens an export with openpyxl.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.workbook import Workbook

from survey.db import db
from survey.questionnaires.model import Questionnaire
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import (
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)

INVITED = datetime(2025, 10, 1, 7, 0, tzinfo=UTC)


@dataclass
class ExportRound:
    """The ids and the personal data of the round, as plain values."""

    round_id: int
    earlier_round_ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)


def respondent(
    round_: Round,
    made: ExportRound,
    *versions: dict[str, Any],
    imported: bool = False,
    **fields: Any,
) -> Recipient:
    """Add a recipient who submitted `versions` (the last counts)."""
    recipient = make_recipient(round_, invited_at=INVITED, **fields)
    make_submitted_response(round_, recipient, *versions, imported=imported)
    _remember(made, recipient)
    return recipient


def non_respondent(
    round_: Round, made: ExportRound, *, draft: dict[str, Any] | None = None, **fields: Any
) -> Recipient:
    """Add a recipient without a submitted response (with a draft if given)."""
    fields.setdefault("invited_at", INVITED)
    recipient = make_recipient(round_, **fields)
    if draft is not None:
        db.session.add(
            Response(
                round_id=round_.id,
                recipient_id=recipient.id,
                draft=draft,
                draft_saved_at=INVITED + timedelta(days=2),
            )
        )
        db.session.flush()
    _remember(made, recipient)
    return recipient


def _remember(made: ExportRound, recipient: Recipient) -> None:
    if recipient.name:
        made.names.append(recipient.name)
    if recipient.email:
        made.emails.append(recipient.email)
    made.organisations.append(recipient.organisation)


def make_export_round(
    questionnaire: Questionnaire | None = None, *, title: str = "Årlig enkät 2025"
) -> ExportRound:
    """An open NV round of 2025 with four respondents and four others, and two earlier rounds.

    Indicators of the 2025 round (sample questionnaire):
    1a.1b share yes 2 of 3 (one Ej aktuellt) = 66.7 %, target in force 75 % (2025-12-31) →
    ej uppnått, previous 50 % (2024); 1a.1a mean (80 + 60 + 40.5 + 20) / 4 = 50.1 %, target
    in force 50 % (2023-12-31), next 100 % (2026-12-31) → uppnått; 1b.2a 2 of 4 satisfied =
    50 %, target 100 → ej uppnått; 1a.5 the one answering kommun (Ängelholm) yes = 100 %, of
    2 invited kommuner (Höganäs missing): bounds 50–100 % against 50 % in force since
    2024-06-01 → uppnått; 1b.2b free text → inget mål. Invited 6, answered 4.
    """
    version = make_questionnaire_version(questionnaire)
    made = ExportRound(round_id=0)
    for year, answers in ((2023, ["ja"]), (2024, ["ja", "nej"])):
        earlier = make_round(
            version, reference_date=date(year, 12, 31), state=RoundState.CLOSED, title=f"År {year}"
        )
        for number, answer in enumerate(answers):
            recipient = make_recipient(
                earlier, organisation=f"Vårdcentralen {number}", invited_at=INVITED
            )
            make_submitted_response(earlier, recipient, {"sip_okning": answer, "utbildning": 50})
        made.earlier_round_ids.append(earlier.id)
    round_ = make_round(version, reference_date=date(2025, 12, 31), title=title)
    made.round_id = round_.id
    respondent(
        round_,
        made,
        {"sip_okning": "nej", "nojdhet": "ganska_nojd", "utbildning": 10, "npo": "nej"},
        {
            "sip_okning": "ja",
            "omraden": ["fallrisk", "undernaring"],
            "nojdhet": "mycket_nojd",
            "forum": "lokal",
            "utbildning": 80,
            "dygn": 2.5,
            "kommentar": "Bra samverkan",
            "beskrivning": "Vi har gemensamma SIP-möten varje vecka.",
            "startdatum": "2025-03-01",
            "vecka": "2025-W09",
            "npo": "ja",
        },
        name="Karin Öberg",
        email="karin.oberg@angelholm.example.se",
        organisation="Ängelholms kommun",
        organisation_type="kommun",
        kommun="Ängelholm",
    )
    respondent(
        round_,
        made,
        {
            "sip_okning": "ja",
            "omraden": ["suicidprevention"],
            "nojdhet": "ganska_missnojd",
            "utbildning": 60,
            "beskrivning": "- punkt ett\n- punkt två",
        },
        name="Lars Nilsson",
        email="lars.nilsson@vc-angelholm.example.se",
        organisation="Vårdcentralen Ängelholm",
        organisation_type="regional_pv",
        kommun="Ängelholm",
    )
    respondent(
        round_,
        made,
        {"sip_okning": "nej", "nojdhet": "ganska_nojd", "utbildning": 40.5},
        imported=True,
        name="Åsa Ek",
        email="asa.ek@vc-hoganas.example.se",
        organisation="Vårdcentralen Höganäs",
        organisation_type="regional_pv",
        kommun="Höganäs",
    )
    respondent(
        round_,
        made,
        {"sip_okning": "ej_aktuellt", "nojdhet": "varken_eller", "utbildning": 20},
        name="Per Persson",
        email="per.persson@sjukhus.example.se",
        organisation="Helsingborgs lasarett",
        organisation_type="slutenvard",
        kommun="Helsingborg",
    )
    non_respondent(
        round_,
        made,
        draft={"sip_okning": "ja"},
        name="Eva Psyk",
        email="eva.psyk@psykiatri.example.se",
        organisation="Vuxenpsykiatri Helsingborg",
        organisation_type="psykiatri",
        kommun="Helsingborg",
        reminders_sent=2,
        last_contacted_at=INVITED + timedelta(days=14),
    )
    non_respondent(
        round_,
        made,
        name="Olle Hög",
        email="olle.hog@hoganas.example.se",
        organisation="Höganäs kommun",
        organisation_type="kommun",
        kommun="Höganäs",
        opted_out=True,
        last_contacted_at=INVITED,
    )
    removed = make_recipient(
        round_,
        name="Borttagen Person",
        email="borttagen@example.se",
        organisation="Borttagen vårdcentral",
        invited_at=INVITED,
        removed_at=INVITED + timedelta(days=1),
    )
    assert removed.id
    non_respondent(
        round_,
        made,
        invited_at=None,
        name="Ny Mottagare",
        email="ny.mottagare@example.se",
        organisation="Vårdcentralen Båstad",
        organisation_type="regional_pv",
        kommun="Båstad",
    )
    db.session.commit()
    return made


def read_workbook(source: Path | bytes) -> Workbook:
    """Open an exported workbook with openpyxl (formulas as formulas, not their values)."""
    if isinstance(source, bytes):
        return openpyxl.load_workbook(io.BytesIO(source))
    return openpyxl.load_workbook(source)


def all_cells(workbook: Workbook) -> Iterator[Any]:
    """Every cell of every sheet."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def rows_of(workbook: Workbook, sheet: str, *, skip: int = 1) -> list[tuple[Any, ...]]:
    """The values of a sheet's rows after its header rows."""
    return [tuple(row) for row in workbook[sheet].iter_rows(min_row=skip + 1, values_only=True)]


def header_of(workbook: Workbook, sheet: str, row: int = 1) -> list[Any]:
    """The values of one header row, trailing empty cells dropped."""
    values = [cell.value for cell in workbook[sheet][row]]
    while values and values[-1] is None:
        values.pop()
    return values
