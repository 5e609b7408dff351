"""Historical rounds: an earlier year's answers recorded in the engine, never mailed.

A historical round is created closed (``Round.historical``): no invitation, reminder or
receipt is ever queued for it, the scheduled work passes it by, and it cannot be
extended into an open round. Its answers are imported (`survey.responses.importing`),
and it counts in results and trends like any round. It has no answering period: the
stored opening and closing times are the reference date (the columns need a value) and
are never shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, time
from typing import TYPE_CHECKING

from survey.db import db
from survey.errors import ErrorCode
from survey.localtime import local_datetime, to_local
from survey.rounds.actions import audit_round
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.roster import add_recipients
from survey.rounds.settings import (
    RoundSettings,
    RoundSettingsInvalid,
    SettingProblem,
    clean_settings,
    round_settings_problems,
)
from survey.schema.rounds import Round, RoundState

if TYPE_CHECKING:
    from survey.schema.accounts import User

FUTURE_REFERENCE = SettingProblem(
    "reference_date",
    "En historisk omgång beskriver ett tidigare år: referensdatumet måste ha passerat.",
    "a historical round's reference date must be in the past",
)


def historical_settings(settings: RoundSettings) -> RoundSettings:
    """The settings with the answering period set to the reference date (never shown)."""
    if settings.reference_date is None:
        return replace(settings, opens_at=None, closes_at=None)
    return replace(
        settings,
        opens_at=local_datetime(settings.reference_date, time(0, 0)),
        closes_at=local_datetime(settings.reference_date, time(23, 59)),
    )


def historical_problems(settings: RoundSettings, *, now: datetime) -> list[SettingProblem]:
    """Every broken rule of a historical round's settings (dates are not asked for)."""
    problems = round_settings_problems(historical_settings(settings), now=now, check_dates=False)
    problems = [problem for problem in problems if problem.field not in ("opens_at", "closes_at")]
    if settings.reference_date is not None and settings.reference_date > to_local(now).date():
        problems.append(FUTURE_REFERENCE)
    return problems


def create_historical_round(
    settings: RoundSettings,
    recipients: Sequence[RecipientRow] = (),
    *,
    actor: User | None = None,
    now: datetime,
) -> Round:
    """Create a closed historical round with its recipients; raise RoundSettingsInvalid."""
    problems = historical_problems(settings, now=now)
    if problems:
        raise RoundSettingsInvalid(problems, code=ErrorCode.ROUND_INVALID_SETTINGS)
    round_ = Round(
        **clean_settings(historical_settings(settings)),
        state=RoundState.DRAFT.value,
        historical=True,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    db.session.add(round_)
    db.session.flush()
    if recipients:
        add_recipients(round_, recipients, actor=actor, now=now)
    # Closed from the start: nothing is ever mailed, and tick never opens it.
    round_.state = RoundState.CLOSED.value
    round_.closed_at = now
    db.session.flush()
    audit_round(
        round_,
        "round.create_historical",
        f"Skapade den historiska omgången ”{round_.title}” (svaren importeras, ingen e-post).",
        actor=actor,
        details={"questionnaire_version_id": round_.questionnaire_version_id},
    )
    return round_
