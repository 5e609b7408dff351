"""Which reminders a group's contact is due (the pure rules), from plain facts.

* **Follow-up due**: an open action whose follow-up date (or, without one, due date) has
  come. Keyed by the action and that date, so moving the date gives a new reminder and the
  same date never gives two.
* **Quiet plan**: nothing changed in the plan for `quiet_days` days (counted from the last
  change, or from the group's creation). Keyed by the day of the last change, so the same
  quiet spell never gives two.

No reminder goes to a group without a live link (there is nowhere to send the contact).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

FOLLOW_UP: Final = "follow_up"
QUIET: Final = "quiet"


@dataclass(frozen=True, slots=True)
class ActionFacts:
    id: int
    what: str
    is_open: bool
    due_on: date
    follow_up_on: date | None


@dataclass(frozen=True, slots=True)
class DueReminder:
    reason: str
    key: str
    action: ActionFacts | None = None


def due_reminders(
    *,
    link_live: bool,
    last_change: date,
    actions: Sequence[ActionFacts],
    today: date,
    quiet_days: int,
    already: Collection[tuple[str, str]],
) -> list[DueReminder]:
    """The reminders due today that were never queued before (`already`: (reason, key) pairs)."""
    if not link_live:
        return []
    due: list[DueReminder] = []
    for action in actions:
        when = action.follow_up_on or action.due_on
        if action.is_open and when <= today:
            reminder = DueReminder(FOLLOW_UP, f"action:{action.id}:{when.isoformat()}", action)
            if (reminder.reason, reminder.key) not in already:
                due.append(reminder)
    if last_change + timedelta(days=quiet_days) <= today:
        reminder = DueReminder(QUIET, f"since:{last_change.isoformat()}")
        if (reminder.reason, reminder.key) not in already:
            due.append(reminder)
    return due
