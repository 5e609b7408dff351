"""The rules for answers: cleaning what was typed, checking it, and which questions are asked.

These plain functions are the single source of truth for answers. The preview, the
respondent's page (drafts and submissions) and any import call them; the WTForms form
only delegates to `check_answers` and shows its messages.

Decisions where the questionnaire format is silent:

* Percent answers accept at most one decimal (`PERCENT_DECIMALS`), e.g. "12,5 %".
* Numbers accept a decimal comma or point, a leading sign (also "−"), spaces (also
  no-break and thin spaces) as thousands separators in groups of three ("1 234,5"),
  and trailing zeros beyond the allowed decimals ("12,50" with one decimal is 12.5).
  A number with both a comma and a point ("1.234,5") is refused as ambiguous.
* Dates: "2025-03-01", "2025-3-1" and "20250301" are accepted and stored as
  "2025-03-01"; years outside 1900–2100 are refused as typing errors.
* Weeks: the browser's "2025-W09", and as typed where the browser has no week field:
  "2025-W9", "2025W09", "2025 v 9", "v. 9 2025", "v9 2025", "vecka 9, 2025" (case
  ignored); stored as ISO "2025-W09". A week 53 is accepted only in years that have one.
* A week or date question with `not_before` may not lie before that earlier question's
  answer (equal is accepted); the message goes to the later question.
* Empty answers are never stored: an unanswered question has no key in `answers`.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Final, Protocol

from survey.errors import ErrorCode
from survey.organisations import OrganisationType
from survey.questionnaires.dates import DATE_FORMAT_MESSAGE as DATE_FORMAT_MESSAGE
from survey.questionnaires.dates import WEEK_FORMAT_MESSAGE as WEEK_FORMAT_MESSAGE
from survey.questionnaires.dates import format_iso_week, format_swedish_week, parse_date, parse_week
from survey.questionnaires.dates import week_in_words as week_in_words
from survey.questionnaires.errors import AnswerError as AnswerError
from survey.questionnaires.model import (
    Condition,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)

RawAnswers = dict[str, str | list[str]]
"""Values as typed in the form (cleaned), by question id; empty answers left out."""

AnswerValue = str | int | float | list[str]
"""A checked, typed answer: a choice value, a list of values, a number, a text, a date or week."""


class Everyone(Enum):
    """Every organisation type at once: the preview's default view shows every question."""

    EVERYONE = "alla"


EVERYONE: Final = Everyone.EVERYONE

RespondentType = OrganisationType | str | Everyone | None
"""Whom the form is for: an organisation type (code), `EVERYONE`, or None (unrestricted
questions only, as `Question.asked_of(None)`)."""


class FormData(Protocol):
    """What `raw_answers_from_form` reads: a werkzeug MultiDict or anything with `getlist`."""

    def getlist(self, key: str) -> list[str]: ...


DEFAULT_MAX_LENGTH: Final = {QuestionType.SHORT_TEXT: 200, QuestionType.LONG_TEXT: 5000}
PERCENT_DECIMALS: Final = 1
# Values longer than this (choices, numbers, dates) are garbage; cut them before checking.
OTHER_VALUE_CAP: Final = 200
# A forged multiple-choice post cannot make the draft grow without bound.
MAX_CHOSEN: Final = 100


# -- who is asked what -------------------------------------------------------------------


def is_asked(question: Question, respondent_type: RespondentType) -> bool:
    """Whether a respondent of this organisation type is asked the question (audience only)."""
    if respondent_type is EVERYONE:
        return True
    return question.asked_of(respondent_type)


def is_section_asked(section: Section, respondent_type: RespondentType) -> bool:
    """Whether any question of the section is asked of this organisation type."""
    return any(is_asked(question, respondent_type) for question in section.questions)


def condition_holds(condition: Condition, answers: Mapping[str, object]) -> bool:
    """Whether the earlier question's answer is one of the condition's (any, for lists)."""
    value = answers.get(condition.question)
    if isinstance(value, list):
        return any(item in condition.answers for item in value)
    return isinstance(value, str) and value in condition.answers


def reachable_questions(
    questionnaire: Questionnaire, respondent_type: RespondentType
) -> list[Question]:
    """Questions this organisation type may ever be shown, whatever it answers.

    A conditional question whose earlier question is not asked of this organisation
    type (directly or through a chain of conditions) can never be shown, so it is left out.
    """
    reachable: list[Question] = []
    reachable_ids: set[str] = set()
    for question in questionnaire.iter_questions():
        if not is_asked(question, respondent_type):
            continue
        if question.show_if is not None and question.show_if.question not in reachable_ids:
            continue
        reachable.append(question)
        reachable_ids.add(question.id)
    return reachable


def visible_questions(
    questionnaire: Questionnaire,
    organisation_type: RespondentType,
    answers: Mapping[str, object],
) -> list[Question]:
    """Questions asked of this organisation type whose conditions hold for these answers."""
    visible: list[Question] = []
    visible_ids: set[str] = set()
    for question in questionnaire.iter_questions():
        if _is_shown(question, organisation_type, visible_ids, answers):
            visible.append(question)
            visible_ids.add(question.id)
    return visible


def _is_shown(
    question: Question,
    organisation_type: RespondentType,
    shown_before: set[str],
    answers: Mapping[str, object],
) -> bool:
    """Asked of this organisation type, and its condition's question shown and answered so."""
    if not is_asked(question, organisation_type):
        return False
    condition = question.show_if
    return condition is None or (
        condition.question in shown_before and condition_holds(condition, answers)
    )


@dataclass(frozen=True, slots=True)
class SectionProgress:
    """How many of a section's currently shown questions have an answer."""

    section_id: str
    title: str
    answered: int
    total: int

    @property
    def complete(self) -> bool:
        return self.answered == self.total


def is_answered(value: object) -> bool:
    """Whether a raw or typed answer is present (not None, not blank, not an empty list)."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, list):
        return any(is_answered(item) for item in value)
    return True


def progress(
    questionnaire: Questionnaire,
    organisation_type: RespondentType,
    answers: Mapping[str, object],
) -> list[SectionProgress]:
    """Answered and shown questions per section asked of this organisation type."""
    visible = visible_questions(questionnaire, organisation_type, answers)
    result: list[SectionProgress] = []
    for section in questionnaire.sections:
        if not is_section_asked(section, organisation_type):
            continue
        shown = [question for question in visible if question.section_id == section.id]
        answered = sum(1 for question in shown if is_answered(answers.get(question.id)))
        result.append(SectionProgress(section.id, section.title, answered, len(shown)))
    return result


# -- cleaning what was typed ---------------------------------------------------------------

# C0 and C1 control characters except tab and line feed; carriage returns are handled first.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone surrogates cannot be stored as UTF-8 (they only arrive through broken clients).
_SURROGATES = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n?")
_TABS_AND_NEWLINES = re.compile("[\t\n]+")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Remove control characters, normalise to NFC and strip surrounding whitespace.

    Multi-line text keeps line feeds and tabs (browsers send CR LF; it becomes LF);
    anything else gets them turned into spaces.
    """
    value = _LINE_BREAKS.sub("\n", value)
    value = _SURROGATES.sub("", _CONTROL_CHARACTERS.sub("", value))
    if not multiline:
        value = _TABS_AND_NEWLINES.sub(" ", value)
    return unicodedata.normalize("NFC", value).strip()


def max_length(question: Question) -> int | None:
    """The characters a text question accepts (the format's defaults when not declared)."""
    if not question.type.is_text:
        return None
    return question.max_length or DEFAULT_MAX_LENGTH[question.type]


def input_cap(question: Question) -> int:
    """Characters kept of a posted value: above the limit, so the check can say "too long"."""
    limit = max_length(question)
    if limit is None:
        return OTHER_VALUE_CAP
    return limit + max(limit, 1000)


def raw_answers_from_form(
    questionnaire: Questionnaire, form: FormData, organisation_type: RespondentType
) -> RawAnswers:
    """The cleaned values posted for the questions asked of this organisation type.

    Other keys (unknown fields, the CSRF token, the button) are ignored. Multiple-choice
    answers are lists; everything else a single string. Blank answers are left out.
    """
    raw: RawAnswers = {}
    for question in questionnaire.iter_questions():
        if not is_asked(question, organisation_type):
            continue
        cap = input_cap(question)
        multiline = question.type is QuestionType.LONG_TEXT
        posted = [
            clean_text(value, multiline=multiline)[:cap] for value in form.getlist(question.id)
        ]
        if question.type is QuestionType.MULTIPLE_CHOICE:
            chosen = list(dict.fromkeys(value for value in posted if value))[:MAX_CHOSEN]
            if chosen:
                raw[question.id] = chosen
        elif posted and posted[0]:
            raw[question.id] = posted[0]
    return raw


# -- checking answers --------------------------------------------------------------------


@dataclass
class AnswerCheck:
    """Checked answers: typed values to store, and a Swedish message per question in error."""

    answers: dict[str, AnswerValue] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_answers(
    questionnaire: Questionnaire,
    raw: Mapping[str, str | list[str]],
    organisation_type: RespondentType,
    *,
    require_complete: bool,
) -> AnswerCheck:
    """Check every shown question's answer; with `require_complete`, required ones must be there.

    Questions not asked of this organisation type, or whose condition does not hold, are
    neither required nor stored, whatever was posted for them. A draft
    (`require_complete=False`) is checked for formats only.
    """
    result = AnswerCheck()
    shown: set[str] = set()
    for question in questionnaire.iter_questions():
        if not _is_shown(question, organisation_type, shown, result.answers):
            continue
        shown.add(question.id)
        value = raw.get(question.id)
        try:
            typed = check_answer(question, value)
            if typed is not None:
                check_not_before(questionnaire, question, typed, result.answers)
        except AnswerError as error:
            result.errors[question.id] = str(error)
            continue
        if typed is not None:
            result.answers[question.id] = typed
        elif require_complete and question.required:
            result.errors[question.id] = missing_answer_message(question)
    return result


def check_answer(question: Question, value: str | list[str] | None) -> AnswerValue | None:
    """The typed answer, None when unanswered; raise `AnswerError` when it breaks a rule."""
    if question.type is QuestionType.MULTIPLE_CHOICE:
        chosen = _as_list(value)
        return _check_multiple_choice(question, chosen) if chosen else None
    text = _as_single(question, value)
    if not text:
        return None
    match question.type:
        case QuestionType.YES_NO | QuestionType.SINGLE_CHOICE | QuestionType.SCALE:
            if text not in question.choice_values:
                raise AnswerError(
                    f"Det valda alternativet finns inte. {choose_message(question)}",
                    code=ErrorCode.ANSWERS_BAD_CHOICE,
                )
            return text
        case QuestionType.PERCENT | QuestionType.NUMBER:
            return _check_number(question, text)
        case QuestionType.SHORT_TEXT | QuestionType.LONG_TEXT:
            return _check_text(question, text)
        case QuestionType.DATE:
            return parse_date(text).isoformat()
        case QuestionType.WEEK:
            year, week = parse_week(text)
            return format_iso_week(year, week)
    raise AssertionError(f"unhandled question type {question.type}")  # pragma: no cover


def check_not_before(
    questionnaire: Questionnaire,
    question: Question,
    typed: AnswerValue,
    earlier_answers: Mapping[str, AnswerValue],
) -> None:
    """Raise `AnswerError` when a week or date lies before its `not_before` question's answer.

    Both are stored in ISO form ("2026-W12", "2026-03-16"), which sorts as time does. An
    earlier question left unanswered, not shown or itself in error is not compared.
    """
    if question.not_before is None:
        return
    earlier = earlier_answers.get(question.not_before)
    if not isinstance(typed, str) or not isinstance(earlier, str) or typed >= earlier:
        return
    other = questionnaire.question(question.not_before)
    week = question.type is QuestionType.WEEK
    noun = "Veckan" if week else "Datumet"
    shown = week_in_words(earlier) if week else earlier
    raise AnswerError(
        f"{noun} kan inte ligga före svaret på frågan ”{shorten(other.text)}” ({shown}).",
        code=ErrorCode.ANSWERS_BEFORE_EARLIER,
    )


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    cleaned = (clean_text(item) for item in items if isinstance(item, str))
    return list(dict.fromkeys(item for item in cleaned if item))


def _as_single(question: Question, value: str | list[str] | None) -> str:
    if isinstance(value, list):
        values = [item for item in value if isinstance(item, str) and item.strip()]
        if len(values) > 1:
            raise AnswerError(
                f"Ange bara ett svar. {missing_answer_message(question)}",
                code=ErrorCode.ANSWERS_SEVERAL,
            )
        value = values[0] if values else None
    if not isinstance(value, str):
        return ""
    return clean_text(value, multiline=question.type is QuestionType.LONG_TEXT)


def _check_multiple_choice(question: Question, chosen: list[str]) -> list[str]:
    allowed = question.choice_values
    if any(value not in allowed for value in chosen):
        raise AnswerError(
            "Ett av de valda alternativen finns inte. Välj bland alternativen.",
            code=ErrorCode.ANSWERS_BAD_CHOICE,
        )
    return [value for value in allowed if value in chosen]


def _check_text(question: Question, text: str) -> str:
    limit = max_length(question)
    if limit is not None and len(text) > limit:
        # Exactly the cap: `raw_answers_from_form` may have cut it, so it was at least this long.
        now = format_number(len(text))
        if len(text) == input_cap(question):
            now = f"minst {now}"
        raise AnswerError(
            f"Svaret får vara högst {format_number(limit)} tecken (nu {now}).",
            code=ErrorCode.ANSWERS_TOO_LONG,
        )
    return text


# -- numbers -----------------------------------------------------------------------------

_SPACES = "\u0020\u00a0\u202f\u2009"
_GROUPED_NUMBER = re.compile(rf"[+-]?[0-9]{{1,3}}(?:[{_SPACES}][0-9]{{3}})+(?:[.,][0-9]+)?")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)")


def parse_number(text: str, *, percent: bool = False) -> Decimal | None:
    """Read a number as Swedes type it ("1 234,5", "-3", "12.5", with percent also "45 %")."""
    text = text.strip().replace("\u2212", "-")
    if percent and text.endswith("%"):
        text = text[:-1].rstrip(_SPACES)
    if _GROUPED_NUMBER.fullmatch(text):
        text = re.sub(f"[{_SPACES}]", "", text)
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def decimal_places(number: Decimal) -> int:
    """Decimals that matter: 12.50 has one, 100 has none."""
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def number_bounds(question: Question) -> tuple[float | None, float | None]:
    """The accepted range; a percent is always 0–100."""
    if question.type is QuestionType.PERCENT:
        return (
            0 if question.minimum is None else question.minimum,
            100 if question.maximum is None else question.maximum,
        )
    return question.minimum, question.maximum


def allowed_decimals(question: Question) -> int:
    return PERCENT_DECIMALS if question.type is QuestionType.PERCENT else question.decimals


def range_message(question: Question) -> str:
    """Say which numbers are accepted, e.g. "Ange ett tal mellan 0 och 100."."""
    low, high = number_bounds(question)
    if low is not None and high is not None:
        return f"Ange ett tal mellan {format_number(low)} och {format_number(high)}."
    if low is not None:
        return f"Ange ett tal som är {format_number(low)} eller större."
    if high is not None:
        return f"Ange ett tal som är {format_number(high)} eller mindre."
    return "Ange ett tal."


def _check_number(question: Question, text: str) -> int | float:
    is_percent = question.type is QuestionType.PERCENT
    number = parse_number(text, percent=is_percent)
    decimals = allowed_decimals(question)
    if number is None:
        if is_percent:
            raise AnswerError(
                "Ange andelen med siffror, till exempel 45 eller 12,5.",
                code=ErrorCode.ANSWERS_NOT_A_NUMBER,
            )
        if decimals == 0:
            raise AnswerError(
                "Ange ett heltal med siffror, till exempel 12.", code=ErrorCode.ANSWERS_NOT_A_NUMBER
            )
        raise AnswerError(
            "Ange ett tal med siffror, till exempel 12 eller 12,5.",
            code=ErrorCode.ANSWERS_NOT_A_NUMBER,
        )
    low, high = number_bounds(question)
    if (low is not None and number < Decimal(str(low))) or (
        high is not None and number > Decimal(str(high))
    ):
        raise AnswerError(range_message(question), code=ErrorCode.ANSWERS_OUT_OF_RANGE)
    if decimal_places(number) > decimals:
        if decimals == 0:
            raise AnswerError(
                "Ange ett heltal, utan decimaler.", code=ErrorCode.ANSWERS_TOO_MANY_DECIMALS
            )
        plural = "decimal" if decimals == 1 else "decimaler"
        raise AnswerError(
            f"Ange talet med högst {decimals} {plural}.", code=ErrorCode.ANSWERS_TOO_MANY_DECIMALS
        )
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def format_number(value: float | int | Decimal) -> str:
    """A number as Swedes write it: decimal comma, spaces between thousands from 10 000."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        text = str(int(number))
    else:
        text = format(number.normalize(), "f")
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    if len(whole) > 4:
        groups: list[str] = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = "\u00a0".join(groups)
    return sign + whole + ("," + fraction if fraction else "")


# -- messages and display ----------------------------------------------------------------


def join_with_or(labels: Iterable[str]) -> str:
    """Join labels the Swedish way: "Ja, Nej eller Ej aktuellt"."""
    items = list(labels)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " eller " + items[-1]


def choose_message(question: Question) -> str:
    """What to do on a single-answer choice question: "Välj Ja eller Nej." …"""
    if question.type is QuestionType.YES_NO:
        return f"Välj {join_with_or(choice.label for choice in question.choices)}."
    if question.type is QuestionType.SCALE:
        return "Välj ett alternativ på skalan."
    return "Välj ett av alternativen."


def missing_answer_message(question: Question) -> str:
    """The Swedish message for a required question left unanswered, specific to its type."""
    match question.type:
        case QuestionType.YES_NO | QuestionType.SINGLE_CHOICE | QuestionType.SCALE:
            return choose_message(question)
        case QuestionType.MULTIPLE_CHOICE:
            return "Välj minst ett alternativ."
        case QuestionType.PERCENT:
            return "Ange en andel i procent mellan 0 och 100."
        case QuestionType.NUMBER:
            return range_message(question)
        case QuestionType.SHORT_TEXT | QuestionType.LONG_TEXT:
            return "Skriv ett svar."
        case QuestionType.DATE:
            return "Ange ett datum, till exempel 2025-03-01."
        case QuestionType.WEEK:
            return "Ange en vecka, till exempel 2025-W09 för vecka 9 år 2025."
    raise AssertionError(f"unhandled question type {question.type}")  # pragma: no cover


def shorten(text: str, width: int = 80) -> str:
    """A question's text cut to fit a summary line."""
    return textwrap.shorten(text, width=width, placeholder=" …")


def display_answer(question: Question, value: AnswerValue) -> str:
    """A typed answer as a respondent reads it: labels, Swedish numbers, weeks in words."""
    if isinstance(value, list):
        return ", ".join(question.choice_label(item) for item in value)
    if question.type.has_choices:
        return question.choice_label(str(value))
    if isinstance(value, int | float):
        unit = "%" if question.type is QuestionType.PERCENT else question.unit
        return format_number(value) + (f"\u00a0{unit}" if unit else "")
    if question.type is QuestionType.WEEK:
        year, week = parse_week(value)
        return format_swedish_week(year, week)
    return value
