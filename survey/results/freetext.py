"""Free-text answers collated per question (the Bilaga 1 collation): read, not scored."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from survey.organisations import ORGANISATION_TYPE_LABELS, OrganisationType
from survey.questionnaires.model import Question, Questionnaire
from survey.results.frame import GROUP_COLUMNS
from survey.results.ordering import organisation_type_sort_key, swedish_sort_key


@dataclass(frozen=True, slots=True)
class FreeTextAnswer:
    """One respondent's answer to a text question, with whom it comes from."""

    text: str
    organisation: str
    organisation_type: str  # the code, e.g. "kommun"
    kommun: str
    delregion: str
    response_id: int

    @property
    def organisation_type_label(self) -> str:
        """The organisation type's Swedish name (the code itself when unknown)."""
        try:
            return ORGANISATION_TYPE_LABELS[OrganisationType(self.organisation_type)]
        except ValueError:
            return self.organisation_type


@dataclass(frozen=True, slots=True)
class FreeTextAnswers:
    """Every non-empty answer to one text question."""

    question: Question
    answers: tuple[FreeTextAnswer, ...]


def collate_free_text(
    questionnaire: Questionnaire, responses: pd.DataFrame
) -> list[FreeTextAnswers]:
    """Collate the answers to every short and long text question, in questionnaire order.

    Answers that are empty or only white space are left out; a question nobody answered
    has an empty tuple. Within a question the order is stable: organisation type (in
    declared order), kommun, organisation (Swedish alphabetical order), then response id.
    The text is kept as the respondent wrote it.
    """
    collated: list[FreeTextAnswers] = []
    for question in questionnaire.questions:
        if not question.type.is_text:
            continue
        texts = responses[question.id]
        # Only the columns collated: at a million answers a filtered copy of the whole
        # frame per question would cost more than the answers themselves.
        answered = responses.loc[
            (texts.notna() & (texts.str.strip() != "")).to_numpy(dtype=bool),
            [question.id, *GROUP_COLUMNS, "response_id"],
        ]
        answers = [
            FreeTextAnswer(
                text=str(text),
                organisation=_text(organisation),
                organisation_type=_text(organisation_type),
                kommun=_text(kommun),
                delregion=_text(delregion),
                response_id=int(response_id),
            )
            for text, organisation, organisation_type, kommun, delregion, response_id in zip(
                answered[question.id],
                answered["organisation"],
                answered["organisation_type"],
                answered["kommun"],
                answered["delregion"],
                answered["response_id"],
                strict=True,
            )
        ]
        answers.sort(key=_reading_order)
        collated.append(FreeTextAnswers(question=question, answers=tuple(answers)))
    return collated


def _reading_order(answer: FreeTextAnswer) -> tuple[object, ...]:
    return (
        organisation_type_sort_key(answer.organisation_type),
        swedish_sort_key(answer.kommun),
        swedish_sort_key(answer.organisation),
        answer.response_id,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
