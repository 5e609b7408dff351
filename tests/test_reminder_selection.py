"""Reminder selection: who is reminded when, as one pure function."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from survey.rounds.reminders import (
    ReminderCandidate,
    ReminderSchedule,
    due_reminders,
    parse_reminder_days,
)

INVITED = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
CLOSES = INVITED + timedelta(days=30)
SCHEDULE = ReminderSchedule(days=(7, 14), max_reminders=2)


def candidate(**fields: object) -> ReminderCandidate:
    values: dict[str, Any] = {"recipient_id": 1, "invited_at": INVITED, "submitted": False}
    values.update(fields)
    return ReminderCandidate(**values)


def due(candidate_: ReminderCandidate, days_after_invitation: float, **kwargs: Any) -> bool:
    now = INVITED + timedelta(days=days_after_invitation)
    options: dict[str, Any] = {"round_is_open": True, "closes_at": CLOSES, "schedule": SCHEDULE}
    options.update(kwargs)
    schedule = options.pop("schedule")
    return due_reminders([candidate_], schedule, now=now, **options) == [candidate_.recipient_id]


@pytest.mark.parametrize(
    ("description", "fields", "day", "expected"),
    [
        ("not yet day 7", {}, 6.9, False),
        ("day 7: first reminder", {}, 7, True),
        ("submitted: never", {"submitted": True}, 8, False),
        ("opted out: never", {"opted_out": True}, 8, False),
        ("invitation bounced: never", {"delivery_failed": True}, 8, False),
        ("removed: never", {"removed": True}, 8, False),
        ("not invited yet: never", {"invited_at": None}, 8, False),
        (
            "second reminder before day 14",
            {"reminders_sent": 1, "last_contacted_at": INVITED + timedelta(days=7)},
            13.9,
            False,
        ),
        (
            "second reminder on day 14",
            {"reminders_sent": 1, "last_contacted_at": INVITED + timedelta(days=7)},
            14,
            True,
        ),
        (
            "maximum reached",
            {"reminders_sent": 2, "last_contacted_at": INVITED + timedelta(days=14)},
            25,
            False,
        ),
        (
            "a reminder by hand on day 12 pushes the second back a full gap",
            {"reminders_sent": 1, "last_contacted_at": INVITED + timedelta(days=12)},
            14,
            False,
        ),
        (
            "… until 7 days after that contact",
            {"reminders_sent": 1, "last_contacted_at": INVITED + timedelta(days=12)},
            19,
            True,
        ),
    ],
)
def test_it_selects_recipients_by_the_rules(
    description: str, fields: dict[str, object], day: float, expected: bool
) -> None:
    assert due(candidate(**fields), day) is expected, description


def test_it_sends_nothing_when_the_round_is_not_open() -> None:
    assert not due(candidate(), 8, round_is_open=False)


def test_it_sends_nothing_after_closing() -> None:
    assert not due(candidate(), 31)


def test_it_repeats_the_last_gap_when_more_reminders_than_days() -> None:
    schedule = ReminderSchedule(days=(7, 14), max_reminders=3)
    assert [schedule.day_of(n) for n in (1, 2, 3, 4)] == [7, 14, 21, None]
    third = candidate(reminders_sent=2, last_contacted_at=INVITED + timedelta(days=14))
    assert not due(third, 20.9, schedule=schedule)
    assert due(third, 21, schedule=schedule)


def test_it_sends_none_with_an_empty_schedule() -> None:
    assert not due(candidate(), 20, schedule=ReminderSchedule(days=(), max_reminders=2))


def test_it_selects_only_the_due_among_many() -> None:
    people = [
        candidate(recipient_id=1),
        candidate(recipient_id=2, submitted=True),
        candidate(recipient_id=3, reminders_sent=1, last_contacted_at=INVITED + timedelta(days=7)),
        candidate(recipient_id=4),
    ]
    now = INVITED + timedelta(days=8)
    assert due_reminders(people, SCHEDULE, now=now, round_is_open=True, closes_at=CLOSES) == [1, 4]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7, 14", (7, 14)), ("7;14;21", (7, 14, 21)), ("", ()), (" 3 ", (3,))],
)
def test_it_parses_reminder_days(text: str, expected: tuple[int, ...]) -> None:
    assert parse_reminder_days(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7, fjorton", "inte ett antal dagar"),
        ("14, 7", "stigande ordning"),
        ("0", "mellan 1 och 365"),
        ("7, 7", "stigande ordning"),
        ("-3", "inte ett antal dagar"),
    ],
)
def test_it_refuses_bad_reminder_days(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_reminder_days(text)
