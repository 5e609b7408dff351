"""How results and answers read in the workbook: Swedish labels and the numbers cells hold.

Shares (and means of percentages) are stored as fractions formatted as percent: 75 % is
0.75. Indicator values and targets are rounded to the decimals the results pages show
(`survey.results.attainment_rules.display_value`), so that the status always agrees with the
figure in the cell; a change is the difference of the two rounded values (percentage
points for shares).
"""

from __future__ import annotations

from enum import Enum
from typing import Final

from survey.organisations import ORGANISATION_TYPE_LABELS, OrganisationType
from survey.questionnaires.model import (
    YES_NO_LABELS,
    Indicator,
    Measure,
    Question,
    Questionnaire,
    QuestionType,
)
from survey.results.attainment_rules import DISPLAY_DECIMALS, display_value
from survey.results.judging import Target


class ValueKind(Enum):
    """How an indicator's value is stored: a fraction shown as percent, or a plain number."""

    PERCENT = "percent"
    DECIMAL = "decimal"
    COUNT = "count"


def value_kind(indicator: Indicator, questionnaire: Questionnaire) -> ValueKind:
    """Percent for shares and means of percent questions; numbers otherwise."""
    if indicator.measure.is_share:
        return ValueKind.PERCENT
    question_type = (
        questionnaire.question(indicator.question).type
        if questionnaire.has_question(indicator.question)
        else None
    )
    if indicator.measure is Measure.MEAN:
        return ValueKind.PERCENT if question_type is QuestionType.PERCENT else ValueKind.DECIMAL
    if indicator.measure is Measure.COUNT and question_type is not None:
        return ValueKind.DECIMAL if question_type.is_numeric else ValueKind.COUNT
    return ValueKind.COUNT


def cell_value(value: float | None, kind: ValueKind) -> float | None:
    """The number a cell holds: rounded as displayed; a fraction for percentages."""
    if value is None or value != value:  # None or NaN
        return None
    shown = display_value(value)
    if kind is ValueKind.PERCENT:
        # Rounded again so that 65.8 % is stored as 0.658, not 0.6579999999999999.
        return round(shown / 100.0, DISPLAY_DECIMALS + 2)
    return shown


def target_value(target: Target | None, kind: ValueKind) -> float | None:
    """A target as a cell holds it (targets of shares are in percent, like values)."""
    if target is None or target.value is None:
        return None
    return cell_value(float(target.value), kind)


def change_value(value: float | None, previous: float | None, kind: ValueKind) -> float | None:
    """The change as displayed: the difference of the two rounded values."""
    now, before = cell_value(value, kind), cell_value(previous, kind)
    if now is None or before is None:
        return None
    return round(now - before, DISPLAY_DECIMALS + 2)


MEASURE_LABELS: Final = {
    Measure.SHARE_YES: "Andel ja",
    Measure.MEAN: "Medelvärde",
    Measure.SHARE_OF_OPTIONS: "Andel som valt",
    Measure.COUNT: "Antal",
    Measure.NONE: "Fritext (sammanställs, mäts inte)",
}


def measure_label(indicator: Indicator, questionnaire: Questionnaire) -> str:
    """The measure in Swedish, with the counted options named."""
    label = MEASURE_LABELS[indicator.measure]
    if indicator.options and questionnaire.has_question(indicator.question):
        question = questionnaire.question(indicator.question)
        options = ", ".join(question.choice_label(option) for option in indicator.options)
        return f"{label}: {options}"
    return label


def population_label(indicator: Indicator) -> str:
    """Whom the indicator counts, in Swedish."""
    who = "Alla" if indicator.population is None else indicator.population.label
    if indicator.per_organisation:
        return f"{who} (varje organisation räknas en gång)"
    return who


def organisation_type_label(code: str) -> str:
    """The Swedish name of an organisation type code (the code itself when unknown)."""
    try:
        return ORGANISATION_TYPE_LABELS[OrganisationType(code)]
    except ValueError:
        return code


def choice_label(question: Question, value: str) -> str:
    """A choice's label (Ja/Nej/Ej aktuellt for yes/no questions without declared labels)."""
    if question.choices:
        return question.choice_label(value)
    return YES_NO_LABELS.get(value, value)
