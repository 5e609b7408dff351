"""The free-text collation a page at a time: one question, searched, paged.

A round of 100,000 answers has hundreds of thousands of text answers; the free-text page
shows one question's answers (the first question by default), optionally only those
containing a search text, `ANSWERS_PER_PAGE` at a time, so that no page is large.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from survey.paging import Page, page_of
from survey.results.freetext import FreeTextAnswer, FreeTextAnswers

ANSWERS_PER_PAGE = 50
MAX_SEARCH_LENGTH = 200


@dataclass(frozen=True)
class FreeTextPage:
    """What the free-text page shows: the questions, the one chosen and a page of its answers."""

    questions: Sequence[FreeTextAnswers]  # every collated question, for the list of questions
    chosen: FreeTextAnswers | None
    search: str
    matching: int  # answers to the chosen question that match the search (all without one)
    page: Page[FreeTextAnswer]


def normalised_search(value: str | None) -> str:
    """The search text as typed, trimmed, at most `MAX_SEARCH_LENGTH` characters."""
    return " ".join((value or "").split())[:MAX_SEARCH_LENGTH]


def matches(answer: FreeTextAnswer, folded: str) -> bool:
    """Whether the answer's text, organisation or kommun contains the (casefolded) search."""
    return (
        folded in answer.text.casefold()
        or folded in answer.organisation.casefold()
        or folded in answer.kommun.casefold()
    )


def free_text_page(
    collated: Sequence[FreeTextAnswers],
    *,
    question_id: str | None,
    search: str | None,
    page: int | None,
    size: int = ANSWERS_PER_PAGE,
) -> FreeTextPage:
    """The page asked for: an unknown question shows the first, a page past the end the last."""
    chosen = next((item for item in collated if item.question.id == question_id), None)
    if chosen is None and collated:
        chosen = collated[0]
    text = normalised_search(search)
    answers: Sequence[FreeTextAnswer] = chosen.answers if chosen is not None else ()
    if text:
        folded = text.casefold()
        answers = [answer for answer in answers if matches(answer, folded)]
    return FreeTextPage(
        questions=collated,
        chosen=chosen,
        search=text,
        matching=len(answers),
        page=page_of(answers, page, size),
    )
