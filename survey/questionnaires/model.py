"""The validated questionnaire: typed, immutable objects built from a checked YAML file.

Everything downstream (forms, rounds, results, export) works on these objects, never on
raw YAML. ``Questionnaire.to_json()`` gives the normalised model that
``survey questionnaire show --json`` prints and the database stores; ``from_json`` reads
it back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any

from survey.organisations import OrganisationType


class QuestionType(StrEnum):
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE = "scale"
    PERCENT = "percent"
    NUMBER = "number"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    DATE = "date"
    WEEK = "week"

    @property
    def has_choices(self) -> bool:
        return self in CHOICE_TYPES

    @property
    def is_numeric(self) -> bool:
        return self in (QuestionType.PERCENT, QuestionType.NUMBER)

    @property
    def is_text(self) -> bool:
        return self in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT)


CHOICE_TYPES = frozenset(
    {
        QuestionType.YES_NO,
        QuestionType.SINGLE_CHOICE,
        QuestionType.MULTIPLE_CHOICE,
        QuestionType.SCALE,
    }
)

YES = "ja"
NO = "nej"
NOT_APPLICABLE = "ej_aktuellt"
YES_NO_LABELS = {YES: "Ja", NO: "Nej", NOT_APPLICABLE: "Ej aktuellt"}


class Measure(StrEnum):
    """How an indicator turns answers into one value."""

    SHARE_YES = "share_yes"  # share answering yes among those answering yes or no
    MEAN = "mean"  # mean of the reported numbers (percent or number questions)
    SHARE_OF_OPTIONS = "share_of_options"  # share choosing one of `options`
    COUNT = "count"  # how many answered yes / chose one of `options`; sum for numbers
    NONE = "none"  # free text: collated, not scored

    @property
    def is_share(self) -> bool:
        return self in (Measure.SHARE_YES, Measure.SHARE_OF_OPTIONS)


class Direction(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    INCREASE = "increase"  # the value should rise from the previous round (no target value)
    DECREASE = "decrease"  # the value should fall from the previous round (no target value)

    @property
    def comparative(self) -> bool:
        """Whether the goal is a change from the previous round rather than a target value."""
        return self in (Direction.INCREASE, Direction.DECREASE)


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Condition:
    """Show (and require) a question only when `question` was answered with one of `answers`.

    For a multiple-choice question the condition holds when any of `answers` is chosen.
    """

    question: str
    answers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: QuestionType
    text: str
    section_id: str
    help: str | None = None
    required: bool = True
    choices: tuple[Choice, ...] = ()
    # Effective audience (section and question combined); None means every organisation type.
    audience: tuple[OrganisationType, ...] | None = None
    show_if: Condition | None = None
    minimum: float | None = None  # percent: 0; number: as declared
    maximum: float | None = None  # percent: 100; number: as declared
    decimals: int = 0  # number of decimals accepted for number questions
    unit: str | None = None  # shown after a number field, e.g. "dygn"
    max_length: int | None = None  # text questions
    # week and date questions: the id of an earlier question of the same type whose answer
    # this one's may not lie before
    not_before: str | None = None

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)

    def choice_label(self, value: str) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label
        return value

    def asked_of(self, organisation_type: OrganisationType | str | None) -> bool:
        """Whether a respondent of this organisation type is asked this question."""
        if self.audience is None:
            return True
        return (
            organisation_type is not None and OrganisationType(organisation_type) in self.audience
        )


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    intro: str | None = None
    audience: tuple[OrganisationType, ...] | None = None

    def asked_of(self, organisation_type: OrganisationType | str | None) -> bool:
        return any(question.asked_of(organisation_type) for question in self.questions)


@dataclass(frozen=True, slots=True)
class Target:
    """A target value (percent for shares) to reach by `date`; no date means it always applies."""

    value: float
    date: date | None = None


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    title: str
    area: str
    question: str
    measure: Measure
    options: tuple[str, ...] = ()
    population: OrganisationType | None = None  # None: every respondent asked the question
    per_organisation: bool = False
    direction: Direction = Direction.AT_LEAST
    unit: str = "%"
    targets: tuple[Target, ...] = ()
    goal: str | None = None  # the plan's own wording of the target, shown beside the figures
    # Fewer counted units than this give "för få svar"; None: the questionnaire's minimum.
    min_responses: int | None = None

    @property
    def final_target(self) -> Target | None:
        return self.targets[-1] if self.targets else None


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    title: str
    sections: tuple[Section, ...]
    indicators: tuple[Indicator, ...] = ()
    intro: str | None = None
    language: str = "sv"
    # The least number of counted units for a status, for indicators that set none.
    min_responses: int | None = None
    notes: str | None = None  # what changed in this version and why (shown with the results)
    _by_id: dict[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_by_id", {question.id: question for question in self.iter_questions()}
        )

    def iter_questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(self.iter_questions())

    def question(self, question_id: str) -> Question:
        return self._by_id[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._by_id

    @cached_property
    def _numbers(self) -> dict[str, int]:
        return {question.id: number for number, question in enumerate(self.iter_questions(), 1)}

    def question_number(self, question_id: str) -> int:
        """The question's number: its place in the whole questionnaire, 1-based.

        The same for every respondent, whichever questions their organisation type is asked
        (a kommun and a vårdcentral see the same number for the same question).
        """
        return self._numbers[question_id]

    def indicator(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)

    # -- the normalised JSON form ------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The normalised model; keys are fixed whatever the YAML spelling."""
        data: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "language": self.language,
            "intro": self.intro,
            "sections": [_section_to_json(section) for section in self.sections],
            "indicators": [_indicator_to_json(indicator) for indicator in self.indicators],
        }
        # Written only when set, so that stored versions without them keep their hash.
        if self.min_responses is not None:
            data["min_responses"] = self.min_responses
        if self.notes is not None:
            data["notes"] = self.notes
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Questionnaire:
        """Rebuild the model from `to_json()` output (as stored in the database)."""
        return cls(
            id=data["id"],
            version=str(data["version"]),
            title=data["title"],
            language=data.get("language", "sv"),
            intro=data.get("intro"),
            sections=tuple(_section_from_json(section) for section in data["sections"]),
            indicators=tuple(_indicator_from_json(item) for item in data.get("indicators", [])),
            min_responses=data.get("min_responses"),
            notes=data.get("notes"),
        )

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON: equal for files that differ only in layout or comments."""
        canonical = json.dumps(
            self.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _audience_to_json(audience: tuple[OrganisationType, ...] | None) -> list[str] | None:
    return None if audience is None else [str(kind) for kind in audience]


def _audience_from_json(data: list[str] | None) -> tuple[OrganisationType, ...] | None:
    return None if data is None else tuple(OrganisationType(kind) for kind in data)


def _number_to_json(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _section_to_json(section: Section) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "intro": section.intro,
        "audience": _audience_to_json(section.audience),
        "questions": [_question_to_json(question) for question in section.questions],
    }


def _question_to_json(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": question.id,
        "type": str(question.type),
        "text": question.text,
        "help": question.help,
        "required": question.required,
        "choices": [{"value": choice.value, "label": choice.label} for choice in question.choices],
        "audience": _audience_to_json(question.audience),
        "show_if": None
        if question.show_if is None
        else {"question": question.show_if.question, "answers": list(question.show_if.answers)},
        "min": _number_to_json(question.minimum),
        "max": _number_to_json(question.maximum),
        "decimals": question.decimals,
        "unit": question.unit,
        "max_length": question.max_length,
    }
    if question.not_before is not None:  # only when set: older versions' JSON stays the same
        data["not_before"] = question.not_before
    return data


def _section_from_json(data: dict[str, Any]) -> Section:
    return Section(
        id=data["id"],
        title=data["title"],
        intro=data.get("intro"),
        audience=_audience_from_json(data.get("audience")),
        questions=tuple(_question_from_json(item, data["id"]) for item in data["questions"]),
    )


def _question_from_json(data: dict[str, Any], section_id: str) -> Question:
    show_if = data.get("show_if")
    return Question(
        id=data["id"],
        type=QuestionType(data["type"]),
        text=data["text"],
        section_id=section_id,
        help=data.get("help"),
        required=bool(data.get("required", True)),
        choices=tuple(Choice(item["value"], item["label"]) for item in data.get("choices", [])),
        audience=_audience_from_json(data.get("audience")),
        show_if=None
        if show_if is None
        else Condition(show_if["question"], tuple(show_if["answers"])),
        minimum=data.get("min"),
        maximum=data.get("max"),
        decimals=int(data.get("decimals", 0)),
        unit=data.get("unit"),
        max_length=data.get("max_length"),
        not_before=data.get("not_before"),
    )


def _indicator_to_json(indicator: Indicator) -> dict[str, Any]:
    data = {
        "id": indicator.id,
        "title": indicator.title,
        "area": indicator.area,
        "question": indicator.question,
        "measure": str(indicator.measure),
        "options": list(indicator.options),
        "population": "all" if indicator.population is None else str(indicator.population),
        "per_organisation": indicator.per_organisation,
        "direction": str(indicator.direction),
        "unit": indicator.unit,
        "targets": [
            {
                "date": None if target.date is None else target.date.isoformat(),
                "value": _number_to_json(target.value),
            }
            for target in indicator.targets
        ],
        "goal": indicator.goal,
    }
    if indicator.min_responses is not None:
        data["min_responses"] = indicator.min_responses
    return data


def _indicator_from_json(data: dict[str, Any]) -> Indicator:
    population = data.get("population", "all")
    return Indicator(
        id=data["id"],
        title=data["title"],
        area=data["area"],
        question=data["question"],
        measure=Measure(data["measure"]),
        options=tuple(data.get("options", [])),
        population=None if population == "all" else OrganisationType(population),
        per_organisation=bool(data.get("per_organisation", False)),
        direction=Direction(data.get("direction", "at_least")),
        unit=data.get("unit", "%"),
        targets=tuple(
            Target(
                value=float(item["value"]),
                date=None if item.get("date") is None else date.fromisoformat(item["date"]),
            )
            for item in data.get("targets", [])
        ),
        goal=data.get("goal"),
        min_responses=data.get("min_responses"),
    )
