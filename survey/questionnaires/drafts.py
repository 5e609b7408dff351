"""The questionnaire as read, before the rules are checked: typed, with the line of every value.

A draft field is None when the key is absent or its value could not be read (that problem
is already reported), so a rule only checks what is there and never reports twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from survey.organisations import OrganisationType
from survey.questionnaires.model import NO, NOT_APPLICABLE, YES, Direction, Measure, QuestionType

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Located(Generic[T]):
    """A value and the YAML line it was written on."""

    value: T
    line: int


Audience = tuple[OrganisationType, ...]


@dataclass(frozen=True, slots=True)
class ChoiceDraft:
    line: int
    value: Located[str] | None
    label: Located[str] | None


@dataclass(frozen=True, slots=True)
class ConditionDraft:
    line: int  # the line of the `show_if` key
    question: Located[str] | None
    equals: Located[str] | None
    any_of: Located[tuple[Located[str], ...]] | None  # the `in` key

    @property
    def answers(self) -> tuple[Located[str], ...]:
        if self.equals is not None:
            return (self.equals,)
        return self.any_of.value if self.any_of is not None else ()


@dataclass(frozen=True, slots=True)
class QuestionDraft:
    line: int
    name: str  # how messages name it: "question 'sip_okning'" or "question 2 of section 'sip'"
    id: Located[str] | None = None
    type: Located[QuestionType] | None = None
    text: Located[str] | None = None
    help: Located[str] | None = None
    required: Located[bool] | None = None
    choices: Located[tuple[ChoiceDraft, ...]] | None = None
    not_applicable: Located[bool] | None = None
    minimum: Located[float] | None = None
    maximum: Located[float] | None = None
    decimals: Located[int] | None = None
    unit: Located[str] | None = None
    max_length: Located[int] | None = None
    not_before: Located[str] | None = None
    audience: Located[Audience] | None = None
    show_if: ConditionDraft | None = None
    written: frozenset[str] = frozenset()  # the keys written, readable or not

    @property
    def question_type(self) -> QuestionType | None:
        return None if self.type is None else self.type.value


@dataclass(frozen=True, slots=True)
class SectionDraft:
    line: int
    name: str
    id: Located[str] | None = None
    title: Located[str] | None = None
    intro: Located[str] | None = None
    audience: Located[Audience] | None = None
    questions: Located[tuple[QuestionDraft, ...]] | None = None

    @property
    def question_drafts(self) -> tuple[QuestionDraft, ...]:
        return () if self.questions is None else self.questions.value


@dataclass(frozen=True, slots=True)
class TargetDraft:
    line: int
    name: str  # "target 2 of indicator 1a.1b"
    date: Located[date] | None
    value: Located[float] | None
    has_date_key: bool  # a date key was written (even if its value was not a date)


@dataclass(frozen=True, slots=True)
class IndicatorDraft:
    line: int
    name: str  # "indicator 1a.1b" or "indicator 3"
    id: Located[str] | None = None
    title: Located[str] | None = None
    area: Located[str] | None = None
    question: Located[str] | None = None
    measure: Located[Measure] | None = None
    options: Located[tuple[Located[str], ...]] | None = None
    population: Located[OrganisationType | None] | None = None  # value None: everyone ("all")
    per_organisation: Located[bool] | None = None
    direction: Located[Direction] | None = None
    unit: Located[str] | None = None
    goal: Located[str] | None = None
    targets: Located[tuple[TargetDraft, ...]] | None = None
    min_responses: Located[int] | None = None
    written: frozenset[str] = frozenset()  # the keys written, readable or not


@dataclass(frozen=True, slots=True)
class QuestionnaireDraft:
    line: int
    id: Located[str] | None
    version: Located[str] | None
    title: Located[str] | None
    language: Located[str] | None
    intro: Located[str] | None
    sections: Located[tuple[SectionDraft, ...]] | None
    indicators: Located[tuple[IndicatorDraft, ...]] | None
    min_responses: Located[int] | None = None
    notes: Located[str] | None = None

    @property
    def section_drafts(self) -> tuple[SectionDraft, ...]:
        return () if self.sections is None else self.sections.value

    @property
    def indicator_drafts(self) -> tuple[IndicatorDraft, ...]:
        return () if self.indicators is None else self.indicators.value

    def iter_questions(self) -> Iterator[tuple[SectionDraft, QuestionDraft]]:
        """Every question with its section, in file order."""
        for section in self.section_drafts:
            for question in section.question_drafts:
                yield section, question

    def questions_by_id(self) -> dict[str, tuple[int, SectionDraft, QuestionDraft]]:
        """The first question of each id, with its position in file order."""
        found: dict[str, tuple[int, SectionDraft, QuestionDraft]] = {}
        for position, (section, question) in enumerate(self.iter_questions()):
            if question.id is not None and question.id.value not in found:
                found[question.id.value] = (position, section, question)
        return found


def effective_audience(section: SectionDraft, question: QuestionDraft) -> Audience | None:
    """Organisation types asked the question: the section's and the question's in common."""
    outer = None if section.audience is None else section.audience.value
    inner = None if question.audience is None else question.audience.value
    if outer is None:
        return inner
    if inner is None:
        return outer
    return tuple(kind for kind in outer if kind in inner)


def answers_of(question: QuestionDraft) -> tuple[str, ...]:
    """The answer values a choice question can give (empty for other types)."""
    if question.question_type is QuestionType.YES_NO:
        with_na = question.not_applicable is not None and question.not_applicable.value
        return (YES, NO, NOT_APPLICABLE) if with_na else (YES, NO)
    if question.choices is None:
        return ()
    return tuple(
        choice.value.value for choice in question.choices.value if choice.value is not None
    )
