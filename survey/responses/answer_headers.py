"""The question columns of an answers file: headed as the import template heads them, or by id.

The template heads each question's column with its number and text as the form shows them
("3. Finns det en utsedd …"). A person's file may differ in small ways, and an older file
uses the question's id ("q1a_1a"). A header names a question when it is

* the question's id, in any case (older files and the CLI's files);
* the question's number and text, compared without case, accents, white space (line breaks
  in a wrapped Excel header included) and punctuation (typographic quotes, dashes);
* the text alone, when exactly one question has it;
* the number and the beginning of the text (at least `MIN_PREFIX` letters), for a header
  shortened by hand or by another program ("3. Finns det en utsedd …").

The text decides over the number: a file made from an earlier version of the questionnaire,
where the question had another number, still finds its question by the text. A header that
names no question clearly (a text shared by several questions without a number, a number
whose text is another question's) gets a message instead of a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from survey.organisations import normalise_word
from survey.questionnaires.answers import shorten
from survey.questionnaires.model import Question, Questionnaire

MIN_PREFIX = 20  # letters and digits a shortened header needs to name one question
SHOWN_HEADER_WIDTH = 60  # a question column as a problem names it
_NUMBERED = re.compile(r"\s*(\d{1,4})\s*[.):]\s*(.*)", re.DOTALL)
_ELLIPSIS = re.compile(r"(?:…|\.\.\.)\s*$")


def question_header(questionnaire: Questionnaire, question: Question) -> str:
    """The template's header of a question's column: "3. Finns det en utsedd …" in full."""
    return f"{questionnaire.question_number(question.id)}. {' '.join(question.text.split())}"


def question_label(questionnaire: Questionnaire, question: Question, width: int = 60) -> str:
    """A question named in a message: "fråga 3 (”Finns det en utsedd …”)"."""
    number = questionnaire.question_number(question.id)
    return f"fråga {number} (”{shorten(question.text, width)}”)"


def shown_header(header: str) -> str:
    """A header as a problem's column shows it: white space collapsed, long texts shortened."""
    return shorten(header, SHOWN_HEADER_WIDTH) if header.strip() else header


def fold(text: str) -> str:
    """Letters and digits only, lower case, without accents: what two headers must share."""
    return "".join(ch for ch in normalise_word(text) if ch.isalnum())


@dataclass(frozen=True)
class HeaderMatch:
    """What a header names: a question, nothing (another column), or a problem to report."""

    question: Question | None = None
    problem: str | None = None


class QuestionHeaders:
    """Match a file's headers to a questionnaire's questions (see the module's rules)."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questionnaire = questionnaire
        self.questions = questionnaire.questions
        self.by_id = {question.id.lower(): question for question in self.questions}
        self.by_number = {
            questionnaire.question_number(question.id): question for question in self.questions
        }
        self.folded = {question.id: fold(question.text) for question in self.questions}

    def match(self, header: str) -> HeaderMatch:
        """The question the header names, or a problem, or neither."""
        by_id = self.by_id.get(header.strip().lower())
        if by_id is not None:
            return HeaderMatch(by_id)
        numbered = _NUMBERED.fullmatch(header)
        if numbered is not None:
            return self._numbered(int(numbered.group(1)), numbered.group(2), header)
        return self._by_text(header)

    def _candidates(self, text: str) -> list[Question]:
        """Questions whose text is the header's, or else begins with it (a shortened header)."""
        folded = fold(_ELLIPSIS.sub("", text))
        if not folded:
            return []
        exact = [question for question in self.questions if self.folded[question.id] == folded]
        if exact or len(folded) < MIN_PREFIX:
            return exact
        return [q for q in self.questions if self.folded[q.id].startswith(folded)]

    def _numbered(self, number: int, text: str, header: str) -> HeaderMatch:
        candidates = self._candidates(text)
        numbered = self.by_number.get(number)
        if numbered is not None and numbered in candidates:
            return HeaderMatch(numbered)
        if len(candidates) == 1:
            return HeaderMatch(candidates[0])  # the text decides: another version's numbering
        if numbered is not None and fold(text):
            return HeaderMatch(
                problem=(
                    f"Rubriken börjar med nummer {number}, men texten är inte texten i "
                    f"{question_label(self.questionnaire, numbered)}. Skriv rubriken som i "
                    "importmallen (ladda ner en ny mall om enkäten har ändrats)."
                )
            )
        return self._by_text(header)

    def _by_text(self, header: str) -> HeaderMatch:
        candidates = self._candidates(header)
        if len(candidates) == 1:
            return HeaderMatch(candidates[0])
        if len(candidates) > 1:
            numbers = [self.questionnaire.question_number(q.id) for q in candidates]
            listed = ", ".join(str(number) for number in numbers)
            example = shorten(question_header(self.questionnaire, candidates[0]), 80)
            return HeaderMatch(
                problem=(
                    f"Flera frågor ({listed}) har den texten. Skriv frågans nummer först, som i "
                    f"importmallen: {example}"
                )
            )
        return HeaderMatch()
