"""Who gets a reminder now: one pure function over plain data."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ReminderCandidate:
    """What the selection needs to know about one recipient."""

    recipient_id: int
    invited_at: datetime | None
    submitted: bool
    opted_out: bool = False
    delivery_failed: bool = False  # the invitation failed permanently (bounced, refused)
    removed: bool = False
    reminders_sent: int = 0
    last_contacted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReminderSchedule:
    """Reminders `days` after the invitation (e.g. 7 and 14), at most `max_reminders`.

    With more reminders allowed than days listed, the last gap repeats: days (7, 14) and
    three reminders give reminders on days 7, 14 and 21.
    """

    days: tuple[int, ...]
    max_reminders: int

    def day_of(self, number: int) -> int | None:
        """The day (after the invitation) of reminder `number` (1-based), or None if none."""
        if number < 1 or number > self.max_reminders or not self.days:
            return None
        if number <= len(self.days):
            return self.days[number - 1]
        last_gap = self.days[-1] - (self.days[-2] if len(self.days) > 1 else 0)
        return self.days[-1] + last_gap * (number - len(self.days))

    def gap_before(self, number: int) -> int:
        """Days that must pass since the previous contact before reminder `number`."""
        day = self.day_of(number)
        previous = self.day_of(number - 1) if number > 1 else 0
        assert day is not None and previous is not None
        return day - previous


def due_reminders(
    candidates: Iterable[ReminderCandidate],
    schedule: ReminderSchedule,
    *,
    now: datetime,
    round_is_open: bool,
    closes_at: datetime,
) -> list[int]:
    """Recipient ids that should get their next reminder now.

    A recipient is reminded when: the round is open and not past closing; they were
    invited; they have not submitted (a draft counts as not submitted); they have not
    opted out, been removed, or had their invitation fail permanently; they have had
    fewer reminders than the maximum; the schedule's day for their next reminder has
    come; and the schedule's gap has passed since the last contact (so a reminder sent
    by hand pushes the next scheduled one back).
    """
    if not round_is_open or now >= closes_at:
        return []
    due: list[int] = []
    for candidate in candidates:
        if (
            candidate.invited_at is None
            or candidate.submitted
            or candidate.opted_out
            or candidate.delivery_failed
            or candidate.removed
        ):
            continue
        number = candidate.reminders_sent + 1
        day = schedule.day_of(number)
        if day is None:
            continue
        if now < candidate.invited_at + timedelta(days=day):
            continue
        last_contact = candidate.last_contacted_at or candidate.invited_at
        if now < last_contact + timedelta(days=schedule.gap_before(number)):
            continue
        due.append(candidate.recipient_id)
    return due


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """Parse "7, 14" into (7, 14); raise ValueError with a Swedish message if malformed."""
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    days: list[int] = []
    for part in parts:
        if not part.isdigit():
            raise ValueError(f"”{part}” är inte ett antal dagar. Skriv till exempel 7, 14.")
        days.append(int(part))
    return check_reminder_days(days)


def check_reminder_days(days: Sequence[int]) -> tuple[int, ...]:
    """Days must be whole, between 1 and 365, strictly increasing."""
    for day in days:
        if not 1 <= day <= 365:
            raise ValueError("Påminnelsedagar ska vara mellan 1 och 365 dagar efter inbjudan.")
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        raise ValueError("Påminnelsedagarna ska stå i stigande ordning, till exempel 7, 14.")
    return tuple(days)
