"""The Excel export of a survey round: eight sheets for the *tjänstemannaberedning*.

`build_workbook` writes, in this order: ``Sammanfattning``, ``Indikatorer``, ``Per
organisationstyp``, ``Per kommun``, ``Svar``, ``Fritext``, ``Bortfall`` and ``Trend``
(`SHEET_NAMES`). It is built for size: xlsxwriter in constant-memory mode (a row goes to
disk as soon as the next is begun), the results frame of `survey.results.frame` loaded
once and used for every sheet, and the large ``Svar`` sheet written from the frame's
typed columns a chunk at a time (`survey.export.answers_sheets`).

Every text passes through one cleaner (`survey.export.sanitise`) and is written with
``write_string``; nothing becomes a formula or a link (`survey.export.writer`).

Decisions:

* The pseudonymised variant (the default, and the only one for readers) has no names and
  no email addresses anywhere; each response is "Svar 1", "Svar 2", … in the order the
  responses were first saved, the same in ``Svar`` and ``Fritext``. Organisation,
  organisation type and kommun stay: results by organisation are the point of the
  follow-up. ``Sammanfattning`` says which variant the file is.
* The identifying variant adds the respondents' names and email addresses to ``Svar``
  and ``Bortfall``.
* Shares (and means of percentages) are fractions formatted as percent, rounded as the
  results pages show them (`survey.export.presentation`); percent answers in ``Svar``
  are fractions too.
* Times are Stockholm time (a workbook has no time zones); dates are Excel dates.
* ``Trend`` has a column per earlier open or closed round of the same questionnaire id
  (any version) in the delregion, by reference date (the last created wins a date, as in
  `survey.results.trends.indicator_trend`), and one for this round; the last earlier
  one is the previous round of ``Föregående``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, Final

import xlsxwriter
from flask import current_app

from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.export.answers_sheets import pseudonyms_for, write_responses
from survey.export.fastrows import worksheet_class
from survey.export.free_text_sheet import write_free_text
from survey.export.non_respondents import (
    invited_recipients,
    load_non_respondents,
    write_non_respondents,
)
from survey.export.presentation import ValueKind, value_kind
from survey.export.question_sheet import write_questions
from survey.export.results_sheets import (
    INDICATOR_COLUMNS,
    RoundValues,
    SummaryFacts,
    write_breakdown,
    write_indicators,
    write_summary,
    write_trend,
)
from survey.export.sanitise import clean_text
from survey.export.writer import SheetWriter, Styles
from survey.questionnaires.model import Measure, Questionnaire, QuestionType
from survey.questionnaires.storage import questionnaire_of
from survey.results.attainment import IndicatorResult
from survey.results.frame import load_recipients_frame, read_responses_frame
from survey.results.summary import summarise_questions
from survey.results.trends import (
    comparable_rounds,
    comparable_values,
    compute_round_results,
    round_indicator_results,
)
from survey.schema.rounds import Round

SHEET_NAMES: Final = (
    "Sammanfattning",
    "Indikatorer",
    "Per organisationstyp",
    "Per kommun",
    "Frågor",
    "Svar",
    "Fritext",
    "Bortfall",
    "Trend",
)


def sheets_for(questionnaire: Questionnaire) -> tuple[str, ...]:
    """The sheets of a questionnaire's export: none left empty by its kind of questions.

    Without scored indicators (e.g. Bilaga 1, all free text) there is no ``Indikatorer``
    or ``Trend``; without free-text questions there is no ``Fritext``.
    """
    scored = any(indicator.measure is not Measure.NONE for indicator in questionnaire.indicators)
    free_text = any(
        question.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT)
        for question in questionnaire.questions
    )
    omitted = set() if scored else {"Indikatorer", "Trend"}
    if not free_text:
        omitted.add("Fritext")
    return tuple(name for name in SHEET_NAMES if name not in omitted)


CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK_OPTIONS: Final = {
    "constant_memory": True,
    # Belt and braces: every cell is written with an explicit type anyway.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

Output = IO[bytes] | str | Path


class Variant(Enum):
    """Which export: without or with the respondents' names and email addresses."""

    PSEUDONYMISED = "pseudonymiserad"
    IDENTIFYING = "identifierande"


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What `build_workbook` wrote."""

    round_id: int
    variant: Variant
    responses: int  # rows of Svar
    non_respondents: int  # rows of Bortfall
    free_text_answers: int  # rows of Fritext
    exported_at: datetime

    @property
    def identifying(self) -> bool:
        return self.variant is Variant.IDENTIFYING


def build_workbook(
    round_id: int,
    *,
    identifying: bool,
    out: Output,
    min_responses: int | None = None,
    now: datetime | None = None,
) -> ExportSummary:
    """Write the round's Excel export to `out` (a path or a binary file object).

    `identifying` adds names and email addresses: the caller decides whether the user may
    have them (see `survey.export.views`). `min_responses` defaults to the
    ``SURVEY_MIN_RESPONSES`` setting. Raises LookupError for an unknown round. Nothing is
    recorded: call `record_export` once the file is delivered.
    """
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise LookupError(f"round {round_id} does not exist")
    if min_responses is None:
        min_responses = int(current_app.config["SURVEY_MIN_RESPONSES"])
    variant = Variant.IDENTIFYING if identifying else Variant.PSEUDONYMISED
    return _write(round_, variant, min_responses, now or utcnow(), out)


def record_export(round_: Round, summary: ExportSummary) -> None:
    """Add the export's audit event (the caller commits); an identifying one says so loudly."""
    counts = f"{summary.responses} svar, {summary.non_respondents} utan svar"
    if summary.identifying:
        text = (
            f"IDENTIFIERANDE export med namn och e-postadresser av omgången ”{round_.title}” "
            f"({counts})."
        )
    else:
        text = f"Pseudonymiserad export av omgången ”{round_.title}” ({counts})."
    record_audit(
        "round.exported",
        text,
        round_id=round_.id,
        delregion=round_.delregion,
        details={
            "variant": summary.variant.value,
            "identifying": summary.identifying,
            "responses": summary.responses,
            "non_respondents": summary.non_respondents,
        },
    )


def _write(
    round_: Round, variant: Variant, min_responses: int, exported_at: datetime, out: Output
) -> ExportSummary:
    questionnaire = questionnaire_of(round_.questionnaire_version)
    identifying = variant is Variant.IDENTIFYING
    # Without the texts: the sheets read them as they are written (`text_answers`).
    frame = read_responses_frame(round_.id, questionnaire, texts=False)
    non_respondents = load_non_respondents(round_.id)
    history = _earlier_rounds(round_, questionnaire.id, min_responses)
    # The same figures as the results page and `survey round results --json`.
    recipients = load_recipients_frame(round_.id)
    results = compute_round_results(
        round_, min_responses=min_responses, frame=frame, recipients=recipients
    )
    this_round = _round_values(round_.reference_date, questionnaire, results, min_responses)
    kinds = {
        indicator.id: value_kind(indicator, questionnaire) for indicator in questionnaire.indicators
    }
    pseudonyms = pseudonyms_for(len(frame))

    workbook = xlsxwriter.Workbook(str(out) if isinstance(out, Path) else out, WORKBOOK_OPTIONS)
    try:
        styles = Styles(workbook)
        fast = worksheet_class()
        sheets = {
            name: workbook.add_worksheet(name, worksheet_class=fast)
            for name in sheets_for(questionnaire)
        }
        workbook.set_properties(
            {
                "title": clean_text(f"{round_.title} – export"),
                "subject": clean_text(questionnaire.title),
                "comments": variant.value,
            }
        )
        write_summary(
            SheetWriter(sheets["Sammanfattning"], styles),
            round_,
            SummaryFacts(
                questionnaire=questionnaire,
                recipients=invited_recipients(frame, non_respondents),
                responses_in_file=len(frame),
                exported_at=exported_at,
                identifying=identifying,
                variant=variant.value,
                min_responses=min_responses,
            ),
        )
        if "Indikatorer" in sheets:
            write_indicators(
                workbook, SheetWriter(sheets["Indikatorer"], styles), questionnaire, results, kinds
            )
        for name, by in (("Per organisationstyp", "organisation_type"), ("Per kommun", "kommun")):
            write_breakdown(
                SheetWriter(sheets[name], styles),
                questionnaire,
                frame,
                results,
                kinds,
                by=by,  # type: ignore[arg-type]
                reference_date=round_.reference_date,
                min_responses=min_responses,
            )
        write_questions(
            SheetWriter(sheets["Frågor"], styles),
            summarise_questions(questionnaire, frame, recipients, collate=False),
        )
        write_responses(
            sheets["Svar"],
            styles,
            questionnaire,
            frame,
            pseudonyms,
            round_id=round_.id,
            identifying=identifying,
        )
        free_texts = (
            write_free_text(
                SheetWriter(sheets["Fritext"], styles),
                questionnaire,
                frame,
                pseudonyms,
                round_id=round_.id,
            )
            if "Fritext" in sheets
            else 0
        )
        write_non_respondents(
            SheetWriter(sheets["Bortfall"], styles), non_respondents, identifying=identifying
        )
        if "Trend" in sheets:
            write_trend(SheetWriter(sheets["Trend"], styles), [*history, this_round])
    finally:
        workbook.close()
    return ExportSummary(
        round_id=round_.id,
        variant=variant,
        responses=len(frame),
        non_respondents=len(non_respondents),
        free_text_answers=free_texts,
        exported_at=exported_at,
    )


def _earlier_rounds(round_: Round, questionnaire_id: str, min_responses: int) -> list[RoundValues]:
    """Earlier open or closed rounds of the questionnaire in the delregion, oldest first.

    One round per reference date; the last of them is `survey.results.trends.previous_round`.
    """
    by_date: dict[date, Round] = {}
    for earlier in comparable_rounds(questionnaire_id, round_.delregion):
        if earlier.id != round_.id and earlier.reference_date < round_.reference_date:
            by_date[earlier.reference_date] = earlier  # ordered by id within a date: last wins
    history = []
    for reference_date, earlier in sorted(by_date.items()):
        results = round_indicator_results(earlier, min_responses=min_responses)
        history.append(
            _round_values(
                reference_date,
                questionnaire_of(earlier.questionnaire_version),
                results,
                min_responses,
            )
        )
    return history


def _round_values(
    reference_date: date,
    questionnaire: Questionnaire,
    results: list[IndicatorResult],
    min_responses: int,
) -> RoundValues:
    scored = [
        indicator for indicator in questionnaire.indicators if indicator.measure is not Measure.NONE
    ]
    kinds: dict[str, ValueKind] = {
        indicator.id: value_kind(indicator, questionnaire) for indicator in scored
    }
    return RoundValues(
        reference_date=reference_date,
        values=comparable_values(results, min_responses=min_responses),
        kinds=kinds,
        titles={indicator.id: indicator.title for indicator in scored},
    )


__all__ = [
    "CONTENT_TYPE",
    "INDICATOR_COLUMNS",
    "SHEET_NAMES",
    "ExportSummary",
    "Variant",
    "build_workbook",
    "record_export",
]
