"""A round's life: creating it, changing its settings, opening, closing and extending it.

Decisions made here:

* A round's questionnaire version, delregion and opening time are fixed once it has
  opened; title, reference date, reminder schedule, sender and texts stay editable (new
  texts apply to messages queued afterwards). The closing time changes by `extend_round`.
* `extend_round` on a closed round opens it again (by time or by hand): extending is an
  explicit decision to take answers until the new date.
* Opening by hand before `opens_at` moves `opens_at` to the moment of opening, so the
  settings say when the round really opened. A round opens only with recipients.
* `survey tick` opens every draft round whose opening time has come (a draft is a round
  that is ready to go at its opening time; create it with a later opening time to keep
  preparing it).
* Closing a round withdraws its mail still queued (`survey.rounds.mailing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.localtime import format_local
from survey.rounds.actions import audit_round, lock_for_change
from survey.rounds.mailing import invite, withdraw_queued
from survey.rounds.roster import active_recipients
from survey.rounds.settings import (
    FIXED_WHEN_OPEN,
    RoundError,
    RoundSettings,
    RoundSettingsInvalid,
    SettingProblem,
    clean_settings,
    round_settings_problems,
    settings_of,
)
from survey.schema.rounds import Round, RoundState

if TYPE_CHECKING:
    from survey.schema.accounts import User


def create_round(settings: RoundSettings, *, actor: User | None = None, now: datetime) -> Round:
    """Create a draft round; raise RoundSettingsInvalid listing every broken rule."""
    problems = round_settings_problems(settings, now=now)
    if problems:
        raise RoundSettingsInvalid(problems, code=ErrorCode.ROUND_INVALID_SETTINGS)
    round_ = Round(
        **clean_settings(settings),
        state=RoundState.DRAFT.value,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    db.session.add(round_)
    db.session.flush()
    audit_round(
        round_,
        "round.create",
        f"Skapade omgången ”{round_.title}” (utkast).",
        actor=actor,
        details={"questionnaire_version_id": round_.questionnaire_version_id},
    )
    return round_


def update_round(
    round_: Round, settings: RoundSettings, *, actor: User | None = None, now: datetime
) -> list[str]:
    """Change a draft or open round's settings; return the names of the changed settings.

    An open round keeps its questionnaire version, delregion and opening time; its
    closing time changes only through `extend_round`.
    """
    lock_for_change(round_)
    state = round_.state_enum
    if state is RoundState.CLOSED:
        raise RoundError(
            "En stängd omgång kan inte ändras. Förläng den om den ska ta emot svar igen.",
            f"round {round_.id} is closed and cannot be changed — extend it to reopen it",
            code=ErrorCode.ROUND_CLOSED,
        )
    current = settings_of(round_)
    problems = round_settings_problems(settings, now=now, check_dates=state is RoundState.DRAFT)
    if state is RoundState.OPEN:
        for name in (*FIXED_WHEN_OPEN, "closes_at"):
            if getattr(settings, name) != getattr(current, name):
                english = f"{name} cannot be changed once the round has opened"
                swedish = "Kan inte ändras när omgången har öppnats."
                if name == "closes_at":
                    english = "change the closing time with `survey round extend`"
                    swedish = "Ändra sista svarsdag med ”Förläng”."
                problems.append(SettingProblem(name, swedish, english))
    if problems:
        raise RoundSettingsInvalid(problems, code=ErrorCode.ROUND_INVALID_SETTINGS)
    values = clean_settings(settings)
    changed = [name for name, value in values.items() if getattr(round_, name) != value]
    for name in changed:
        setattr(round_, name, values[name])
    if changed:
        db.session.flush()
        audit_round(
            round_,
            "round.update",
            f"Ändrade omgången ”{round_.title}”: {', '.join(changed)}.",
            actor=actor,
            details={"changed": changed},
        )
    return changed


@dataclass(frozen=True)
class OpenOutcome:
    """What opening (or sending the not yet sent invitations of) a round did."""

    opened: bool
    invitations: int


def open_round(round_: Round, *, actor: User | None = None, now: datetime) -> OpenOutcome:
    """Open a draft round now (or, if open, invite the recipients not yet invited)."""
    round_ = lock_for_change(round_)
    state = round_.state_enum
    if state is RoundState.CLOSED:
        raise RoundError(
            "Omgången är stängd. Förläng den för att öppna den igen.",
            f"round {round_.id} is closed — extend it with `survey round extend` to reopen it",
            code=ErrorCode.ROUND_CLOSED,
        )
    if round_.closes_at <= now:
        raise RoundError(
            "Sista svarsdag har passerat. Förläng omgången innan den öppnas.",
            f"round {round_.id} closed at {format_local(round_.closes_at)} (Europe/Stockholm) "
            "— extend it first",
            code=ErrorCode.ROUND_DEADLINE_PASSED,
        )
    recipients = active_recipients(round_.id)
    if not recipients:
        raise RoundError(
            "Omgången har inga mottagare. Lägg till mottagare innan den öppnas.",
            f"round {round_.id} has no recipients — add them with `survey round recipients`",
            code=ErrorCode.ROUND_NO_RECIPIENTS,
        )
    opened = state is RoundState.DRAFT
    if opened:
        round_.state = RoundState.OPEN.value
        round_.opened_at = now
        if round_.opens_at > now:
            round_.opens_at = now
    invitations = invite(round_, recipients, now)
    if opened:
        audit_round(
            round_,
            "round.open",
            f"Öppnade omgången ”{round_.title}” och köade {invitations} inbjudningar.",
            actor=actor,
            details={"invitations": invitations},
        )
    elif invitations:
        audit_round(
            round_,
            "round.send",
            f"Köade {invitations} inbjudningar som inte skickats.",
            actor=actor,
            details={"invitations": invitations},
        )
    return OpenOutcome(opened=opened, invitations=invitations)


def close_round(round_: Round, *, actor: User | None = None, now: datetime | None = None) -> Round:
    """Close a round: it takes no more answers; queued mail is withdrawn.

    A draft round may be closed too, without any mail going out: that is how a round of
    an earlier year, whose answers were imported, is filed for results and trends.

    The close is stamped once the round's lock is held (`now`, if given, is the time of
    a close decided earlier, such as `survey tick` closing by the round's time): a
    submission that held the lock first is then never stamped later than the close.
    """
    round_ = lock_for_change(round_)
    if round_.state_enum is RoundState.CLOSED:
        raise RoundError(
            "Omgången är redan stängd.",
            f"round {round_.id} is already closed",
            code=ErrorCode.ROUND_ALREADY_CLOSED,
        )
    now = now or utcnow()
    round_.state = RoundState.CLOSED.value
    round_.closed_at = now
    withdrawn = withdraw_queued(round_id=round_.id)
    audit_round(
        round_,
        "round.close",
        f"Stängde omgången ”{round_.title}”.",
        actor=actor,
        details={"withdrawn_messages": withdrawn, "by_time": round_.closes_at <= now},
    )
    return round_


def extend_round(
    round_: Round, new_closes_at: datetime, *, actor: User | None = None, now: datetime
) -> bool:
    """Move the closing time; a closed round opens again. Return True if it was reopened."""
    round_ = lock_for_change(round_)
    if round_.historical:
        raise RoundError(
            "En historisk omgång tar inte emot svar via länkar och kan inte förlängas.",
            f"round {round_.id} is historical: its answers are imported, it cannot be extended",
            code=ErrorCode.ROUND_HISTORICAL,
        )
    if new_closes_at.tzinfo is None:
        raise ValueError("new_closes_at must be an aware datetime")
    if new_closes_at <= now:
        raise RoundSettingsInvalid(
            [
                SettingProblem(
                    "closes_at",
                    "Den nya sista svarsdagen måste ligga i framtiden.",
                    f"the new closing time {format_local(new_closes_at)} (Europe/Stockholm) "
                    "has passed — choose a time in the future",
                )
            ],
            code=ErrorCode.ROUND_BAD_CLOSING_TIME,
        )
    if new_closes_at <= round_.opens_at:
        raise RoundSettingsInvalid(
            [
                SettingProblem(
                    "closes_at",
                    "Omgången måste stänga efter att den öppnar.",
                    "the closing time must be after the opening time "
                    f"({format_local(round_.opens_at)} Europe/Stockholm)",
                )
            ],
            code=ErrorCode.ROUND_BAD_CLOSING_TIME,
        )
    old = round_.closes_at
    reopened = round_.state_enum is RoundState.CLOSED
    round_.closes_at = new_closes_at
    if reopened:
        round_.state = RoundState.OPEN.value
        round_.closed_at = None
    audit_round(
        round_,
        "round.extend",
        f"Ändrade sista svarsdag för ”{round_.title}” från {format_local(old)} till "
        f"{format_local(new_closes_at)}" + (" och öppnade omgången igen." if reopened else "."),
        actor=actor,
        details={"old": old.isoformat(), "new": new_closes_at.isoformat(), "reopened": reopened},
    )
    return reopened


def rounds_due_to_open(now: datetime) -> list[int]:
    """Draft rounds whose opening time has come (and whose closing time has not)."""
    return list(
        db.session.scalars(
            select(Round.id)
            .where(
                Round.state == RoundState.DRAFT.value,
                Round.opens_at <= now,
                Round.closes_at > now,
            )
            .order_by(Round.opens_at, Round.id)
        )
    )


def open_rounds(*, closing_by: datetime | None = None) -> list[int]:
    """Open rounds; with `closing_by`, only those whose closing time has come by then."""
    statement = select(Round.id).where(Round.state == RoundState.OPEN.value)
    if closing_by is not None:
        statement = statement.where(Round.closes_at <= closing_by)
    return list(db.session.scalars(statement.order_by(Round.id)))
