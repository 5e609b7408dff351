"""Read one cell of an answers file as a person writes it, and say what a cell may hold.

* yes/no and other choices by value or label, case and accents ignored, ``_`` or ``-`` for a
  space ("Ja", "nej", "Ej aktuellt", "ej_aktuellt", "mycket_nojd", "Mycket nöjd");
* several choices separated by ``;``;
* numbers with a decimal comma or point; dates ISO (an Excel date cell reads as ISO); weeks as
  the form accepts them ("2025-W09", "v. 9 2025" …);
* an empty cell is no answer.

Only choices are turned into values here; everything else is left for the form's own rules
(`survey.questionnaires.answers.check_answers`).
"""

from __future__ import annotations

from functools import lru_cache

from survey.errors import ErrorCode
from survey.organisations import normalise_word
from survey.questionnaires.answers import AnswerError, format_number, join_with_or, max_length
from survey.questionnaires.model import Question, QuestionType


@lru_cache(maxsize=8192)  # a file repeats the same few cells ("Ja", "Nej") many times
def _choice_key(text: str) -> str:
    return normalise_word(text.replace("_", " ").replace("-", " "))


# Each question's lookup, made once: by id, with the question kept so its id stays its own.
_lookups: dict[int, tuple[Question, dict[str, str]]] = {}
MAX_LOOKUPS = 2048


def _choice_lookup(question: Question) -> dict[str, str]:
    found = _lookups.get(id(question))
    if found is not None and found[0] is question:
        return found[1]
    lookup = _make_choice_lookup(question)
    if len(_lookups) >= MAX_LOOKUPS:
        _lookups.clear()
    _lookups[id(question)] = (question, lookup)
    return lookup


def _make_choice_lookup(question: Question) -> dict[str, str]:
    # Values win over labels should a label be written like another choice's value.
    lookup: dict[str, str] = {}
    for choice in question.choices:
        lookup.setdefault(_choice_key(choice.label), choice.value)
    for choice in question.choices:
        lookup[_choice_key(choice.value)] = choice.value
    return lookup


def _shown(value: str, limit: int = 60) -> str:
    text = " ".join(value.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def allowed_answers(question: Question) -> str:
    """Say in Swedish what a cell for the question may hold (for messages and the template)."""
    labels = [choice.label for choice in question.choices]
    match question.type:
        case QuestionType.YES_NO | QuestionType.SINGLE_CHOICE | QuestionType.SCALE:
            return f"{join_with_or(labels)}."
        case QuestionType.MULTIPLE_CHOICE:
            return f"Ett eller flera av {join_with_or(labels)}, åtskilda med semikolon (;)."
        case QuestionType.PERCENT:
            return "Ett tal mellan 0 och 100, högst en decimal (t.ex. 45 eller 12,5)."
        case QuestionType.NUMBER:
            return _number_rule(question)
        case QuestionType.SHORT_TEXT | QuestionType.LONG_TEXT:
            return f"Text, högst {max_length(question)} tecken."
        case QuestionType.DATE:
            return "Ett datum som ÅÅÅÅ-MM-DD, t.ex. 2025-03-01."
        case QuestionType.WEEK:
            return "En vecka som ÅÅÅÅ-Www eller i ord, t.ex. 2025-W09 eller vecka 9 år 2025."
    raise AssertionError(f"unhandled question type {question.type}")  # pragma: no cover


def _number_rule(question: Question) -> str:
    parts = ["Ett tal"]
    if question.minimum is not None and question.maximum is not None:
        parts.append(
            f"mellan {format_number(question.minimum)} och {format_number(question.maximum)}"
        )
    elif question.minimum is not None:
        parts.append(f"från {format_number(question.minimum)}")
    elif question.maximum is not None:
        parts.append(f"till {format_number(question.maximum)}")
    if question.decimals:
        plural = "er" if question.decimals > 1 else ""
        parts.append(f"med högst {question.decimals} decimal{plural}")
    else:
        parts.append("utan decimaler")
    text = " ".join(parts)
    return f"{text}{f' ({question.unit})' if question.unit else ''}."


def raw_answer_from_cell(question: Question, text: str) -> str | list[str] | None:
    """Turn a cell's text into the raw answer the form would post; raise AnswerError if unknown.

    Choices are looked up by value or label; everything else is left for `check_answers`.
    """
    text = text.strip()
    if not text:
        return None
    if question.type is QuestionType.MULTIPLE_CHOICE:
        lookup = _choice_lookup(question)
        chosen: list[str] = []
        for part in (item.strip() for item in text.split(";")):
            if not part:
                continue
            value = lookup.get(_choice_key(part))
            if value is None:
                raise AnswerError(
                    f"{_shown(part)} är inte ett av svarsalternativen. Skriv "
                    f"{allowed_answers(question)[0].lower()}{allowed_answers(question)[1:]}",
                    code=ErrorCode.ANSWERS_BAD_CHOICE,
                )
            chosen.append(value)
        return chosen or None
    if question.type.has_choices:
        value = _choice_lookup(question).get(_choice_key(text))
        if value is None:
            raise AnswerError(
                f"{_shown(text)} är inte ett av svarsalternativen. "
                f"Skriv {allowed_answers(question)}",
                code=ErrorCode.ANSWERS_BAD_CHOICE,
            )
        return value
    return text
