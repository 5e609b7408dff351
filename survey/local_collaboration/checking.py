"""Posted text to values, or Swedish problems naming the field: nothing is changed on a problem.

Each `check_*` function takes the posted fields (a plain mapping) and returns either the
checked values or a list of `Problem`s (field id, Swedish message). The field ids are the
form's own, so the error summary links to the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from email_validator import EmailNotValidError, validate_email

from survey.errors import ErrorCode, SurveyError
from survey.local_collaboration.vocabulary import MATURITY_LEVELS, PLAN_QUESTION_KEYS, STEP_DATES
from survey.schema.local_collaboration import ActionStatus

MAX_TEXT: Final = 5000
MAX_SHORT: Final = 200
MIN_YEAR: Final = 2020
MAX_YEAR: Final = 2100
_NUMBER: Final = re.compile(r"[+-]?\d{1,12}([.,]\d{1,6})?")


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str


class Refused(SurveyError, ValueError):
    """The posted values were refused; `problems` says why, field by field (Swedish)."""

    code = ErrorCode.GROUP_BAD_INPUT

    def __init__(self, problems: list[Problem], *, code: ErrorCode | None = None) -> None:
        super().__init__("; ".join(problem.message for problem in problems), code=code)
        self.problems = problems


def _text(
    form: Mapping[str, str],
    name: str,
    label: str,
    problems: list[Problem],
    *,
    required: bool = False,
    limit: int = MAX_TEXT,
    field: str | None = None,
) -> str:
    value = (form.get(name) or "").strip().replace("\r\n", "\n")
    field_id = field or name
    if required and not value:
        problems.append(Problem(field_id, f"Fyll i {label}."))
    elif len(value) > limit:
        problems.append(
            Problem(field_id, f"{label[:1].upper()}{label[1:]} får vara högst {limit} tecken.")
        )
    elif any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        problems.append(
            Problem(field_id, f"{label[:1].upper()}{label[1:]} innehåller otillåtna tecken.")
        )
    return value


def parse_date(text: str) -> date | None:
    """A date written YYYY-MM-DD, or None when it is not one."""
    text = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _date(
    form: Mapping[str, str],
    name: str,
    label: str,
    problems: list[Problem],
    *,
    required: bool,
    field: str | None = None,
    not_after: date | None = None,
) -> date | None:
    text = (form.get(name) or "").strip()
    field_id = field or name
    if not text:
        if required:
            problems.append(Problem(field_id, f"Ange {label} som ÅÅÅÅ-MM-DD."))
        return None
    parsed = parse_date(text)
    if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR:
        problems.append(
            Problem(
                field_id,
                f"{label[:1].upper()}{label[1:]} ska vara ett datum som ÅÅÅÅ-MM-DD, "
                f"mellan år {MIN_YEAR} och {MAX_YEAR}.",
            )
        )
        return None
    if not_after is not None and parsed > not_after:
        problems.append(
            Problem(field_id, f"{label[:1].upper()}{label[1:]} kan inte ligga i framtiden.")
        )
        return None
    return parsed


# A problem with a hidden field (a tampered or outdated form) points at the page's content.
PAGE_FIELD: Final = "innehall"


def check_question(form: Mapping[str, str], problems: list[Problem], field: str) -> str:
    """The Bilaga 2 question a hidden field names (`field` is kept for the caller's ids)."""
    key = (form.get("fraga") or "").strip()
    if key not in PLAN_QUESTION_KEYS:
        problems.append(Problem(PAGE_FIELD, "Välj en av de fyra frågorna."))
    return key


@dataclass(frozen=True, slots=True)
class FindingInput:
    question: str
    text: str


def check_finding(form: Mapping[str, str]) -> FindingInput:
    problems: list[Problem] = []
    question = check_question(form, problems, "fynd-fraga")
    text = _text(form, "upptackt", "vad ni har upptäckt", problems, field=f"fynd-{question}")
    if problems:
        raise Refused(problems, code=ErrorCode.GROUP_BAD_INPUT)
    return FindingInput(question, text)


@dataclass(frozen=True, slots=True)
class ActionInput:
    question: str
    what: str
    who: str
    how: str
    citizen_value: str
    follow_up: str
    status: ActionStatus
    due_on: date
    follow_up_on: date | None


def check_action(form: Mapping[str, str], prefix: str) -> ActionInput:
    """An action's fields; `prefix` makes the field ids ("atgard-ny", "atgard-17")."""
    problems: list[Problem] = []
    question = check_question(form, problems, f"{prefix}-fraga")
    what = _text(form, "vad", "vad som ska göras", problems, required=True, field=f"{prefix}-vad")
    who = _text(
        form,
        "vem",
        "vem som ansvarar",
        problems,
        required=True,
        limit=MAX_SHORT,
        field=f"{prefix}-vem",
    )
    how = _text(form, "hur", "hur det ska göras", problems, field=f"{prefix}-hur")
    value = _text(
        form, "varde", "hur ni följer värdet för invånaren", problems, field=f"{prefix}-varde"
    )
    follow_up = _text(form, "uppfoljning", "uppföljningen", problems, field=f"{prefix}-uppfoljning")
    status_text = (form.get("status") or ActionStatus.PLANNED.value).strip()
    try:
        status = ActionStatus(status_text)
    except ValueError:
        problems.append(Problem(f"{prefix}-status", "Välj en status i listan."))
        status = ActionStatus.PLANNED
    due_on = _date(
        form, "klart", "när det ska vara klart", problems, required=True, field=f"{prefix}-klart"
    )
    follow_up_on = _date(
        form,
        "uppfoljning_datum",
        "datum för uppföljning",
        problems,
        required=False,
        field=f"{prefix}-uppfoljning_datum",
    )
    if problems or due_on is None:
        raise Refused(problems, code=ErrorCode.GROUP_BAD_INPUT)
    return ActionInput(question, what, who, how, value, follow_up, status, due_on, follow_up_on)


def check_steps(form: Mapping[str, str], today: date) -> dict[str, date | None]:
    """The dates of steps 3–5 (blank: not yet); none may lie in the future."""
    problems: list[Problem] = []
    values = {
        step.field: _date(
            form,
            step.field,
            f"datumet för {step.label.lower()}",
            problems,
            required=False,
            field=f"steg-{step.field}",
            not_after=today,
        )
        for step in STEP_DATES
    }
    dot, dst = values["dot_anchored_on"], values["dst_taken_on"]
    if not problems and dot is not None and dst is not None and dst < dot:
        problems.append(
            Problem("steg-dst_taken_on", "Förslaget kan inte tas till DST före förankringen i DOT.")
        )
    if problems:
        raise Refused(problems, code=ErrorCode.GROUP_BAD_INPUT)
    return values


@dataclass(frozen=True, slots=True)
class IndicatorInput:
    name: str
    source: str
    unit: str


def check_indicator(form: Mapping[str, str]) -> IndicatorInput:
    from survey.local_collaboration.vocabulary import catalogue_indicator

    problems: list[Problem] = []
    chosen = (form.get("katalog") or "").strip()
    own = _text(
        form,
        "egen",
        "namnet på er egen indikator",
        problems,
        limit=MAX_SHORT,
        field="indikator-egen",
    )
    unit = _text(form, "enhet", "enheten", problems, limit=20, field="indikator-enhet")
    if chosen and own:
        problems.append(
            Problem(
                "indikator-katalog", "Välj en indikator i listan eller skriv en egen, inte båda."
            )
        )
    elif chosen:
        item = catalogue_indicator(chosen)
        if item is None:
            problems.append(Problem("indikator-katalog", "Välj en indikator i listan."))
        else:
            if problems:
                raise Refused(problems, code=ErrorCode.GROUP_BAD_INPUT)
            return IndicatorInput(item.name, item.source, unit)
    elif not own and not problems:
        problems.append(
            Problem("indikator-katalog", "Välj en indikator i listan eller skriv en egen.")
        )
    if problems:
        raise Refused(problems, code=ErrorCode.GROUP_BAD_INPUT)
    source = _text(form, "kalla", "källan", problems, limit=MAX_SHORT, field="indikator-kalla")
    if problems:
        raise Refused(problems, code=ErrorCode.GROUP_BAD_INPUT)
    return IndicatorInput(own, source or "Egen indikator", unit)


def parse_number(text: str) -> float | None:
    """A number written the Swedish way (decimal comma) or with a point; None if not one."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _NUMBER.fullmatch(cleaned):
        return None
    value = float(cleaned.replace(",", "."))
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class ResultInput:
    value: float
    measured_on: date


def check_result(form: Mapping[str, str], field_prefix: str, today: date) -> ResultInput:
    problems: list[Problem] = []
    text = (form.get("resultat") or "").strip()
    value = parse_number(text) if text else None
    if not text:
        problems.append(
            Problem(
                f"{field_prefix}-resultat",
                "Fyll i resultatet som ett tal, till exempel 42 eller 42,5.",
            )
        )
    elif value is None:
        problems.append(
            Problem(
                f"{field_prefix}-resultat",
                "Resultatet ska vara ett tal, till exempel 42 eller 42,5.",
            )
        )
    measured = _date(
        form,
        "datum",
        "datum för resultatet",
        problems,
        required=True,
        field=f"{field_prefix}-datum",
        not_after=today,
    )
    if problems or value is None or measured is None:
        raise Refused(problems, code=ErrorCode.GROUP_BAD_INPUT)
    return ResultInput(value, measured)


@dataclass(frozen=True, slots=True)
class MaturityInput:
    year: int
    level: int
    comment: str


def check_maturity(form: Mapping[str, str], today: date) -> MaturityInput:
    problems: list[Problem] = []
    year_text = (form.get("ar") or "").strip()
    year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else 0
    if not MIN_YEAR <= year <= today.year:
        problems.append(
            Problem("mognad-ar", f"Ange året som fyra siffror, mellan {MIN_YEAR} och {today.year}.")
        )
    level_text = (form.get("niva") or "").strip()
    level = int(level_text) if level_text.isdigit() else 0
    if level not in MATURITY_LEVELS:
        problems.append(Problem("mognad-niva-1", "Välj ett av de fyra stegen."))
    comment = _text(form, "kommentar", "kommentaren", problems, field="mognad-kommentar")
    if problems:
        raise Refused(problems, code=ErrorCode.GROUP_BAD_INPUT)
    return MaturityInput(year, level, comment)


def check_contact(form: Mapping[str, str]) -> tuple[str, str]:
    """A contact's name and email address."""
    problems: list[Problem] = []
    name = _text(
        form,
        "kontakt_namn",
        "kontaktpersonens namn",
        problems,
        required=True,
        limit=MAX_SHORT,
        field="kontakt_namn",
    )
    email = (form.get("kontakt_epost") or "").strip()
    try:
        email = validate_email(email, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        problems.append(
            Problem("kontakt_epost", "Ange en giltig e-postadress, till exempel namn@kommun.se.")
        )
    if problems:
        raise Refused(problems, code=ErrorCode.GROUP_BAD_INPUT)
    return name, email
