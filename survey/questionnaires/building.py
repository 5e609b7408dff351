"""Stage 4: build the immutable model from a draft that passed every rule.

Defaults are filled in here, so the model (and its JSON) is the same however the file
was written: percent questions get 0–100, text questions their default length, yes/no
questions their fixed answers, an audience is the section's and the question's in common.
"""

from __future__ import annotations

from typing import TypeVar

from survey.errors import ErrorCode, OperatorError
from survey.questionnaires.drafts import (
    ConditionDraft,
    IndicatorDraft,
    Located,
    QuestionDraft,
    QuestionnaireDraft,
    SectionDraft,
    TargetDraft,
    effective_audience,
)
from survey.questionnaires.model import (
    NO,
    NOT_APPLICABLE,
    YES,
    YES_NO_LABELS,
    Choice,
    Condition,
    Direction,
    Indicator,
    Measure,
    Question,
    Questionnaire,
    QuestionType,
    Section,
    Target,
)

T = TypeVar("T")

DEFAULT_MAX_LENGTH = {QuestionType.SHORT_TEXT: 200, QuestionType.LONG_TEXT: 5000}
COUNT_UNIT = "st"


class DraftIncomplete(OperatorError):
    """A draft with unread values reached the builder (the rules should have stopped it)."""

    code = ErrorCode.QUESTIONNAIRE_DRAFT_INCOMPLETE


def _need(located: Located[T] | None) -> T:
    if located is None:
        raise DraftIncomplete(
            "a required value is missing; check the draft before building",
            code=ErrorCode.QUESTIONNAIRE_DRAFT_INCOMPLETE,
        )
    return located.value


def _optional(located: Located[T] | None) -> T | None:
    return None if located is None else located.value


def build_questionnaire(draft: QuestionnaireDraft) -> Questionnaire:
    """The model of a draft that has no issues."""
    by_id: dict[str, Question] = {}
    sections = tuple(_section(section, by_id) for section in draft.section_drafts)
    return Questionnaire(
        id=_need(draft.id),
        version=_need(draft.version),
        title=_need(draft.title),
        intro=_optional(draft.intro),
        language=(_optional(draft.language) or "sv").lower(),
        sections=sections,
        indicators=tuple(
            _indicator(indicator, by_id[_need(indicator.question)])
            for indicator in draft.indicator_drafts
        ),
        min_responses=_optional(draft.min_responses),
        notes=_optional(draft.notes),
    )


def _section(draft: SectionDraft, by_id: dict[str, Question]) -> Section:
    """Build a section, adding its questions to `by_id` (conditions look up earlier ones)."""
    questions = []
    for question_draft in draft.question_drafts:
        question = _question(question_draft, draft, by_id)
        by_id[question.id] = question
        questions.append(question)
    return Section(
        id=_need(draft.id),
        title=_need(draft.title),
        intro=_optional(draft.intro),
        audience=_optional(draft.audience),
        questions=tuple(questions),
    )


def _question(
    draft: QuestionDraft, section: SectionDraft, earlier: dict[str, Question]
) -> Question:
    kind = _need(draft.type)
    minimum, maximum = _optional(draft.minimum), _optional(draft.maximum)
    if kind is QuestionType.PERCENT:
        minimum, maximum = 0.0, 100.0
    return Question(
        id=_need(draft.id),
        type=kind,
        text=_need(draft.text),
        section_id=_need(section.id),
        help=_optional(draft.help),
        required=True if draft.required is None else draft.required.value,
        choices=_choices(draft, kind),
        audience=effective_audience(section, draft),
        show_if=None if draft.show_if is None else _condition(draft.show_if, earlier),
        minimum=minimum,
        maximum=maximum,
        decimals=_optional(draft.decimals) or 0,
        unit=_optional(draft.unit),
        max_length=_optional(draft.max_length) or DEFAULT_MAX_LENGTH.get(kind),
        not_before=_optional(draft.not_before),
    )


def _choices(draft: QuestionDraft, kind: QuestionType) -> tuple[Choice, ...]:
    if kind is QuestionType.YES_NO:
        with_na = draft.not_applicable is not None and draft.not_applicable.value
        values = (YES, NO, NOT_APPLICABLE) if with_na else (YES, NO)
        return tuple(Choice(value, YES_NO_LABELS[value]) for value in values)
    if draft.choices is None:
        return ()
    return tuple(Choice(_need(choice.value), _need(choice.label)) for choice in draft.choices.value)


def _condition(draft: ConditionDraft, earlier: dict[str, Question]) -> Condition:
    question = earlier[_need(draft.question)]
    answers = tuple(answer.value for answer in draft.answers)
    return Condition(question=question.id, answers=_in_choice_order(answers, question))


def _in_choice_order(values: tuple[str, ...], question: Question) -> tuple[str, ...]:
    """Order values as the question lists its choices: the written order carries no meaning."""
    order = {value: index for index, value in enumerate(question.choice_values)}
    return tuple(sorted(dict.fromkeys(values), key=lambda value: order.get(value, len(order))))


def _indicator(draft: IndicatorDraft, question: Question) -> Indicator:
    measure = _need(draft.measure)
    options = () if draft.options is None else tuple(option.value for option in draft.options.value)
    return Indicator(
        id=_need(draft.id),
        title=_need(draft.title),
        area=_need(draft.area),
        question=question.id,
        measure=measure,
        options=_in_choice_order(options, question),
        population=None if draft.population is None else draft.population.value,
        per_organisation=draft.per_organisation is not None and draft.per_organisation.value,
        direction=_optional(draft.direction) or Direction.AT_LEAST,
        unit=_optional(draft.unit) or default_unit(measure, question),
        targets=tuple(_target(target) for target in _targets(draft)),
        goal=_optional(draft.goal),
        min_responses=_optional(draft.min_responses),
    )


def _targets(draft: IndicatorDraft) -> tuple[TargetDraft, ...]:
    return () if draft.targets is None else draft.targets.value


def _target(draft: TargetDraft) -> Target:
    return Target(value=_need(draft.value), date=_optional(draft.date))


def default_unit(measure: Measure, question: Question) -> str:
    """The unit shown with an indicator's value when the file gives none."""
    if measure.is_share or (measure is Measure.MEAN and question.type is QuestionType.PERCENT):
        return "%"
    if question.type is QuestionType.NUMBER:
        return question.unit or ""
    if measure is Measure.COUNT:
        return COUNT_UNIT
    return ""
