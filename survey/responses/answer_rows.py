"""The answers of one row of an answers file, fast, when the row breaks no rule.

An import of 100,000 rows checks every cell twice (once to find problems, once to store),
so the work that does not depend on the row is done once: which of the file's questions
each organisation type is asked, in the questionnaire's order, with their conditions; and
what a cell's text means for its question (a cell holds one of a few texts — "Ja", "Nej",
a number — so each text is read once per question and remembered, up to
`MEMO_PER_QUESTION` texts; free text is checked every time).

`RowAnswers.answers` returns the answers of a row that is certainly right, or None when it
is not sure: a cell that breaks a rule, an answer the form would not have stored (a
question not asked of the organisation type, a condition that does not hold, a week before
its `not_before`), a row without answers. Then the caller checks the row the slow way
(`survey.responses.answers_file`), which finds every problem and says it in Swedish. The
rules are the form's: `raw_answer_from_cell` and `check_answer` read each cell, and the
answers stored are those `check_answers` would store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, cast

from survey.questionnaires.answers import (
    AnswerError,
    AnswerValue,
    RespondentType,
    check_answer,
    condition_holds,
    is_asked,
)
from survey.questionnaires.model import Condition, Question, Questionnaire
from survey.responses.answer_cells import raw_answer_from_cell

MEMO_PER_QUESTION: Final = 4096  # texts remembered per question; more are read each time

_UNSURE: Final = object()  # a cell to be checked the slow way


# One question column as a row is read: its question's id, position in the row, whether the
# organisation type is asked it, its condition, its `not_before`, its remembered cell
# texts (text → typed answer, lists as tuples, or _UNSURE; None: free text), the question.
_Column = tuple[str, int, bool, Condition | None, str | None, dict[str, object] | None, Question]


class RowAnswers:
    """Read rows' answers for the question columns of one file (position → question)."""

    def __init__(self, questionnaire: Questionnaire, questions: Mapping[int, Question]) -> None:
        position_of = {question.id: position for position, question in questions.items()}
        self._ordered = [
            (question, position_of[question.id])
            for question in questionnaire.iter_questions()
            if question.id in position_of
        ]
        self._memos: dict[str, dict[str, object] | None] = {
            question.id: None if question.type.is_text else {} for question, _ in self._ordered
        }
        self._plans: dict[object, list[_Column]] = {}

    def _plan(self, respondent_type: RespondentType) -> list[_Column]:
        plan = self._plans.get(respondent_type)
        if plan is None:
            plan = [
                (
                    question.id,
                    position,
                    is_asked(question, respondent_type),
                    question.show_if,
                    question.not_before,
                    self._memos[question.id],
                    question,
                )
                for question, position in self._ordered
            ]
            self._plans[respondent_type] = plan
        return plan

    def answers(
        self, values: tuple[str, ...], respondent_type: RespondentType
    ) -> dict[str, AnswerValue] | None:
        """The row's answers as `check_answers` stores them, or None to check it slowly."""
        answers: dict[str, AnswerValue] = {}
        width = len(values)
        for question_id, position, asked, condition, not_before, memo, question in self._plan(
            respondent_type
        ):
            text = values[position] if position < width else ""
            if not text:
                continue
            if not asked:
                return None
            if condition is not None and not condition_holds(condition, answers):
                return None
            typed = memo.get(text, _UNSURE) if memo is not None else _UNSURE
            if typed is _UNSURE:
                typed = _typed(question, text)
                if memo is not None and len(memo) < MEMO_PER_QUESTION:
                    memo[text] = typed
                if typed is _UNSURE:
                    return None
            if not_before is not None:
                earlier = answers.get(not_before)
                if isinstance(typed, str) and isinstance(earlier, str) and typed < earlier:
                    return None
            answers[question_id] = cast(
                AnswerValue, list(typed) if isinstance(typed, tuple) else typed
            )
        return answers or None


def _typed(question: Question, text: str) -> object:
    """The cell's typed answer (a list as a tuple), or _UNSURE when it is not one."""
    try:
        raw = raw_answer_from_cell(question, text)
        if raw is None:
            return _UNSURE
        typed = check_answer(question, raw)
    except AnswerError:
        return _UNSURE
    if typed is None:
        return _UNSURE  # a cell the form would read as empty: the slow check says why
    if isinstance(typed, list):
        return tuple(typed)
    return typed
