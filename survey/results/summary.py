"""Every question summarised, as survey tools do: counts and shares, numbers, collations.

For each question of the round's questionnaire, over the (filtered) results frame:

* choice questions (yes/no, single choice, scale) and multiple choice: how many chose each
  option and the share among those who answered the question (for multiple choice the
  shares may add up to more than 100 %: one respondent can choose several);
* numbers and percentages: how many answered, the mean, median, lowest and highest;
* text, week and date questions: the collation (who answered what).

Besides the answers, each summary says who was asked (respondents of the question's
organisation types whose condition was met), how many of them left it blank, and how
many invited recipients of those types have not responded at all (for a question with a
condition nobody knows whether they would have been asked: it counts them all the same).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.questionnaires.model import YES_NO_LABELS, Question, Questionnaire, QuestionType
from survey.results.frame_columns import choices_mask, declared_choice_values
from survey.results.freetext import FreeTextAnswers
from survey.results.population import invited_units
from survey.results.report import collate_answers
from survey.results.response_arrays import ResponseArrays

_SINGLE = frozenset({QuestionType.YES_NO, QuestionType.SINGLE_CHOICE, QuestionType.SCALE})


@dataclass(frozen=True, slots=True)
class OptionCount:
    value: str
    label: str
    count: int
    share: float | None  # percent of those who answered the question


@dataclass(frozen=True, slots=True)
class NumberSummary:
    count: int
    mean: float | None
    median: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class QuestionSummary:
    """One question's answers summarised."""

    question: Question
    number: int  # the question's number in the questionnaire
    asked: int  # respondents asked (audience and condition)
    answered: int  # of them, with an answer
    not_responded: int  # invited of the question's types who have not responded at all
    options: list[OptionCount] = field(default_factory=list)
    numbers: NumberSummary | None = None
    collated: FreeTextAnswers | None = None

    @property
    def blank(self) -> int:
        return self.asked - self.answered

    @property
    def kind(self) -> str:
        """ "choices", "numbers" or "text" (what the page shows)."""
        if self.options:
            return "choices"
        if self.numbers is not None:
            return "numbers"
        return "text"


def option_label(question: Question, value: str) -> str:
    if question.choices:
        return question.choice_label(value)
    return YES_NO_LABELS.get(value, value)


def summarise_questions(
    questionnaire: Questionnaire,
    responses: pd.DataFrame,
    recipients: pd.DataFrame | None = None,
    *,
    collate: bool = True,
) -> list[QuestionSummary]:
    """Every question of the questionnaire, in order, summarised over `responses`.

    With `collate` false the text, week and date questions are only counted (the Excel
    export writes their answers on a sheet of their own and needs no collation here).
    """
    arrays = ResponseArrays(questionnaire, responses)
    collated = (
        {item.question.id: item for item in collate_answers(questionnaire, responses)}
        if collate
        else {}
    )
    summaries = []
    for question in questionnaire.questions:
        asked = arrays.asked(question)
        of_types = _of_types(responses, question)
        invited = (
            int(np.count_nonzero(of_types))
            if recipients is None
            else invited_units(recipients, question.audience, per_organisation=False)
        )
        common = functools.partial(
            QuestionSummary,
            question=question,
            number=questionnaire.question_number(question.id),
            asked=int(np.count_nonzero(asked)),
            not_responded=max(invited - int(np.count_nonzero(of_types)), 0),
        )
        column = responses[question.id]
        if question.type in _SINGLE:
            values = column.astype(object).to_numpy()
            answered = asked & pd.notna(column).to_numpy()
            counts = [
                int(np.count_nonzero(answered & (values == value)))
                for value in declared_choice_values(question)
            ]
            summaries.append(
                common(
                    answered=int(np.count_nonzero(answered)),
                    options=_options(question, counts, int(np.count_nonzero(answered))),
                )
            )
        elif question.type is QuestionType.MULTIPLE_CHOICE:
            masks = column.to_numpy(dtype="int64", na_value=0)
            answered = asked & (masks != 0)
            counts = [
                int(np.count_nonzero(answered & ((masks & choices_mask(question, [value])) != 0)))
                for value in question.choice_values
            ]
            summaries.append(
                common(
                    answered=int(np.count_nonzero(answered)),
                    options=_options(question, counts, int(np.count_nonzero(answered))),
                )
            )
        elif question.type.is_numeric:
            numbers = column.to_numpy(dtype="float64", na_value=np.nan)[asked]
            numbers = numbers[~np.isnan(numbers)]
            summaries.append(common(answered=int(numbers.size), numbers=_numbers(numbers)))
        elif not collate:  # missing and blank text are NaN in the frame
            summaries.append(common(answered=int(column.notna().sum())))
        else:
            texts = collated.get(question.id)
            answered_count = 0 if texts is None else len(texts.answers)
            summaries.append(common(answered=answered_count, collated=texts))
    return summaries


def _of_types(responses: pd.DataFrame, question: Question) -> np.ndarray:
    if question.audience is None or responses.empty:
        return np.ones(len(responses), dtype=bool)
    kinds = responses["organisation_type"].astype(object).to_numpy()
    return np.isin(kinds, [str(kind) for kind in question.audience])


def _options(question: Question, counts: list[int], answered: int) -> list[OptionCount]:
    values = (
        declared_choice_values(question)
        if question.type is not QuestionType.MULTIPLE_CHOICE
        else question.choice_values
    )
    return [
        OptionCount(
            value=value,
            label=option_label(question, value),
            count=count,
            share=None if answered == 0 else 100.0 * count / answered,
        )
        for value, count in zip(values, counts, strict=True)
    ]


def _numbers(values: np.ndarray) -> NumberSummary:
    if values.size == 0:
        return NumberSummary(0, None, None, None, None)
    return NumberSummary(
        count=int(values.size),
        mean=float(values.mean()),
        median=float(np.median(values)),
        low=float(values.min()),
        high=float(values.max()),
    )


__all__ = [
    "NumberSummary",
    "OptionCount",
    "QuestionSummary",
    "option_label",
    "summarise_questions",
]
