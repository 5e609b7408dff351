"""Errors in a questionnaire file: each says where (file, line), what is wrong and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from survey.errors import ErrorCode, OperatorError, SurveyError


@dataclass(frozen=True)
class QuestionnaireError:
    """One problem in a questionnaire file, printed as ``FILE:LINE: message — hint``.

    `line` is the 1-based YAML line of the offending key (or list item); 0 when the
    problem concerns the whole file (e.g. it cannot be read).
    """

    source: str
    line: int
    message: str
    hint: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line > 0 else self.source
        return f"{where}: {self.message} — {self.hint}" if self.hint else f"{where}: {self.message}"


class QuestionnaireInvalid(OperatorError):
    """A questionnaire file has errors; `errors` holds every one of them, in line order."""

    code = ErrorCode.QUESTIONNAIRE_INVALID

    def __init__(self, errors: list[QuestionnaireError], *, code: ErrorCode | None = None) -> None:
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__("\n".join(str(error) for error in self.errors), code=code)


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found by one stage of the pipeline, before the file name is attached."""

    line: int
    message: str
    hint: str

    def for_source(self, source: str) -> QuestionnaireError:
        return QuestionnaireError(
            source=source, line=self.line, message=self.message, hint=self.hint
        )


class Issues(list[Issue]):
    """The problems collected while reading one file."""

    def add(self, line: int, message: str, hint: str) -> None:
        self.append(Issue(line, message, hint))


class AnswerError(SurveyError, ValueError):
    """An answer that breaks a rule; the message is Swedish and shown to the respondent."""

    code = ErrorCode.ANSWERS_BAD_VALUE
