"""The `Frågor` sheet: every question summarised as on the results page "Per fråga".

One block of rows per question (`survey.results.summary`): for choice questions a row per
option with its count and share of those who answered; for numbers the count, mean,
median, lowest and highest; for text questions the number of answers (the answers
themselves are on the `Fritext` sheet). Every question also gets rows for those who left it
blank and those invited who have not responded, so that no answer, and no absence of one,
is missing from the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from survey.export.writer import SheetWriter
from survey.results.summary import QuestionSummary

QUESTION_COLUMNS: Final = ("Nr", "Fråga-id", "Fråga", "Svar eller mått", "Antal", "Andel")


def write_questions(writer: SheetWriter, summaries: Sequence[QuestionSummary]) -> None:
    """One block per question; shares as fractions with a percent format."""
    styles = writer.styles
    writer.header(0, QUESTION_COLUMNS)
    row = 0

    def line(summary: QuestionSummary, label: str, count: float | None, share: float | None,
             as_decimal: bool = False) -> None:  # fmt: skip
        nonlocal row
        row += 1
        writer.number(row, 0, summary.number, styles.integer)
        writer.text(row, 1, summary.question.id)
        writer.text(row, 2, summary.question.text, styles.wrap)
        writer.text(row, 3, label)
        writer.number(row, 4, count, styles.decimal if as_decimal else styles.integer)
        writer.number(row, 5, None if share is None else round(share / 100.0, 5), styles.percent)

    for summary in summaries:
        for option in summary.options:
            line(summary, option.label, option.count, option.share)
        if summary.numbers is not None:
            numbers = summary.numbers
            line(summary, "Antal svar", numbers.count, None)
            for label, value in (
                ("Medelvärde", numbers.mean),
                ("Median", numbers.median),
                ("Lägsta", numbers.low),
                ("Högsta", numbers.high),
            ):
                line(summary, label, value, None, as_decimal=True)
        if summary.kind == "text":
            line(summary, "Antal textsvar (se bladet Fritext)", summary.answered, None)
        line(summary, "Besvarade", summary.answered, None)
        line(summary, "Lämnade tomt", summary.blank, None)
        line(summary, "Inbjudna som inte har svarat på enkäten", summary.not_responded, None)
    writer.wrapped.add(2)
    writer.finish(filter_last_row=row, filter_last_col=len(QUESTION_COLUMNS) - 1)


__all__ = ["QUESTION_COLUMNS", "write_questions"]
