"""Dates and ISO weeks as respondents type them: read, check the year, write back.

Split from answers.py (the rules for answers), which re-exports what callers use.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from survey.errors import ErrorCode
from survey.questionnaires.errors import AnswerError

EARLIEST_YEAR: Final = 1900
LATEST_YEAR: Final = 2100


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
DATE_FORMAT_MESSAGE: Final = "Ange datumet som ÅÅÅÅ-MM-DD, till exempel 2025-03-01."


def _check_year(year: int) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise AnswerError(
            f"Kontrollera årtalet: ange ett år mellan {EARLIEST_YEAR} och {LATEST_YEAR}.",
            code=ErrorCode.ANSWERS_BAD_YEAR,
        )


def parse_date(text: str) -> date:
    """Read "2025-03-01", "2025-3-1" or "20250301"; raise `AnswerError` otherwise."""
    match = _ISO_DATE.fullmatch(text.strip()) or _COMPACT_DATE.fullmatch(text.strip())
    if match is None:
        raise AnswerError(DATE_FORMAT_MESSAGE, code=ErrorCode.ANSWERS_BAD_DATE)
    year, month, day = (int(part) for part in match.groups())
    _check_year(year)
    try:
        return date(year, month, day)
    except ValueError:
        raise AnswerError(
            f"Datumet finns inte i kalendern. {DATE_FORMAT_MESSAGE}",
            code=ErrorCode.ANSWERS_BAD_DATE,
        ) from None


_WEEK_AFTER_YEAR = re.compile(
    r"([0-9]{4})\s*-?\s*(?:w|v|vecka)\s*\.?\s*([0-9]{1,2})", re.IGNORECASE
)
_WEEK_BEFORE_YEAR = re.compile(
    r"(?:w|v|vecka|week)\s*\.?\s*([0-9]{1,2})\s*[,/-]?\s*(?:år\s*)?([0-9]{4})", re.IGNORECASE
)
WEEK_FORMAT_MESSAGE: Final = "Ange veckan som ÅÅÅÅ-Www, till exempel 2025-W09 för vecka 9 år 2025."


def parse_week(text: str) -> tuple[int, int]:
    """Read an ISO week as typed ("2025-W09", "v. 9 2025" …) into (year, week)."""
    text = text.strip()
    match = _WEEK_AFTER_YEAR.fullmatch(text)
    if match is not None:
        year, week = int(match.group(1)), int(match.group(2))
    else:
        match = _WEEK_BEFORE_YEAR.fullmatch(text)
        if match is None:
            raise AnswerError(WEEK_FORMAT_MESSAGE, code=ErrorCode.ANSWERS_BAD_WEEK)
        week, year = int(match.group(1)), int(match.group(2))
    _check_year(year)
    if not 1 <= week <= 53:
        raise AnswerError(
            "Ange ett veckonummer mellan 1 och 52 (53 vissa år).", code=ErrorCode.ANSWERS_BAD_WEEK
        )
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise AnswerError(
            f"År {year} har ingen vecka {week}. Ange en vecka mellan 1 och 52.",
            code=ErrorCode.ANSWERS_BAD_WEEK,
        ) from None
    return year, week


def format_iso_week(year: int, week: int) -> str:
    return f"{year:04d}-W{week:02d}"


def format_swedish_week(year: int, week: int) -> str:
    """A week as people read it: "vecka 45 år 2026" (the form, the pages and the export)."""
    return f"vecka {week} år {year}"


def week_in_words(value: str) -> str:
    """A stored week ("2026-W45") as people read it; anything unreadable stays as it is."""
    try:
        year, week = parse_week(value)
    except AnswerError:
        return value
    return format_swedish_week(year, week)
