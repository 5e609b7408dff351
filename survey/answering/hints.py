"""What a question's hint says: its help text, the format it takes, its bounds, a warning.

Shown under the question in the respondent's form and the preview (`QuestionView.hints`).
"""

from __future__ import annotations

import re
from typing import Final

from survey.questionnaires.answers import allowed_decimals, format_number, max_length, number_bounds
from survey.questionnaires.model import Question, QuestionType

# Free text is read by many and kept for years: it must not hold patient data (GDPR).
FREE_TEXT_TYPES: Final = frozenset({QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT})
PATIENT_DATA_HINT: Final = (
    "Skriv inte uppgifter om enskilda patienter, som namn eller personnummer."
)

FORMAT_HINTS: Final = {
    QuestionType.DATE: "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2025-03-01.",
    QuestionType.WEEK: "Skriv veckan som ÅÅÅÅ-Www, till exempel 2025-W09 för vecka 9 år 2025.",
}

FORMAT_EXAMPLES: Final = {
    QuestionType.DATE: re.compile(r"\d{4}-\d{2}-\d{2}"),
    QuestionType.WEEK: re.compile(r"\d{4}-W\d{2}"),
}


def number_hint(question: Question) -> str:
    """Say what a number field accepts, e.g. "Ange ett heltal mellan 0 och 365."."""
    low, high = number_bounds(question)
    decimals = allowed_decimals(question)
    kind = "ett heltal" if decimals == 0 else "ett tal"
    if low is not None and high is not None:
        bounds = f" mellan {format_number(low)} och {format_number(high)}"
    elif low is not None:
        bounds = f" som är {format_number(low)} eller större"
    elif high is not None:
        bounds = f" som är {format_number(high)} eller mindre"
    else:
        bounds = ""
    if decimals == 0:
        return f"Ange {kind}{bounds}."
    plural = "decimal" if decimals == 1 else "decimaler"
    return f"Ange {kind}{bounds}, med högst {decimals} {plural}."


def question_hints(question: Question) -> list[str]:
    """Help text, then what the field accepts where a respondent needs to know."""
    hints = [question.help] if question.help else []
    format_hint = FORMAT_HINTS.get(question.type)
    # A help text with its own example of the format says it already (no second hint).
    example = FORMAT_EXAMPLES.get(question.type)
    if format_hint and not (example and example.search(question.help or "")):
        hints.append(format_hint)
    if question.type.is_numeric:
        hints.append(number_hint(question))
    if question.type is QuestionType.LONG_TEXT:
        limit = max_length(question)
        hints.append(f"Högst {format_number(limit or 0)} tecken.")
    if question.type in FREE_TEXT_TYPES:
        hints.append(PATIENT_DATA_HINT)
    return hints
