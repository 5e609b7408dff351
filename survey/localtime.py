"""Times as the people of Region Skåne read them: Europe/Stockholm, Swedish month names.

Every stored time is aware UTC (`survey.db.UTCDateTime`); these functions turn it into
what a page, a mail, a command or a workbook shows, and a typed local date and time back
into an aware time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

STOCKHOLM: Final = ZoneInfo("Europe/Stockholm")

MONTHS: Final = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip


def local_datetime(day: date, clock: time) -> datetime:
    """A date and a wall-clock time in Europe/Stockholm, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=STOCKHOLM).astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    """A stored time in Europe/Stockholm."""
    return moment.astimezone(STOCKHOLM)


def local_naive(moment: datetime) -> datetime:
    """An aware time as Stockholm wall-clock time without zone (what Excel stores)."""
    return to_local(moment).replace(tzinfo=None)


def format_local(moment: datetime | None) -> str:
    """A time as a Swede reads it in a table: 2025-12-15 23:59 ("–" for none)."""
    if moment is None:
        return "–"
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def date_text(day: date) -> str:
    """A date in words: "31 december 2025"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def moment_text(moment: datetime) -> str:
    """A time in words, in Europe/Stockholm: "31 december 2025 kl. 14.05"."""
    local = to_local(moment)
    return f"{date_text(local)} kl. {local:%H.%M}"


def deadline_text(closes_at: datetime) -> str:
    """Until when answers are taken: "31 december 2025" for local midnight, else with the time.

    A round closing at 00.00 takes answers through the day before, which is how a
    respondent reads a deadline.
    """
    here = to_local(closes_at)
    if (here.hour, here.minute, here.second) == (0, 0, 0):
        return date_text(here - timedelta(days=1))
    return moment_text(here)
