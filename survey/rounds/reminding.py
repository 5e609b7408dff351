"""Reminding a round's recipients: the reminders due on the schedule, and reminders by hand.

Who is due on the schedule is decided by the pure rules of `survey.rounds.reminders`; this
module reads the recipients for them, says who cannot be reminded and why, and queues the
reminders (`survey.rounds.mailing.queue_reminders`).

Decisions made here:

* A reminder by hand goes to invited non-responders whatever the schedule, but not to
  anyone contacted less than `HAND_REMINDER_MIN_GAP` ago (a double click sends nothing
  twice); it counts towards the maximum of scheduled reminders.
* Reminders, and hand reminders, skip recipients whose link is revoked: they could not
  answer. A failed invitation counts as failed delivery until a new one is queued
  (reissuing the link) or it is re-queued by a person.
* Reminders resume on the schedule when a closed round is extended; nobody gets more
  than the maximum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from survey.db import db
from survey.errors import ErrorCode
from survey.rounds.actions import audit_round, lock_for_change
from survey.rounds.mailing import queue_reminders
from survey.rounds.reminders import ReminderCandidate, ReminderSchedule, due_reminders
from survey.rounds.settings import RoundError
from survey.rounds.status import latest_invitations
from survey.schema.outbox import MailStatus
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState

if TYPE_CHECKING:
    from survey.schema.accounts import User

HAND_REMINDER_MIN_GAP = timedelta(hours=24)


@dataclass(frozen=True)
class _Candidate:
    recipient_id: int
    invited_at: datetime | None
    submitted: bool
    opted_out: bool
    reminders_sent: int
    last_contacted_at: datetime | None
    link_live: bool
    delivery_failed: bool


# Naming this many recipients or fewer reads just them; more read the whole round.
_FEW_NAMED = 1000


def _failed_invitations(round_id: int, recipient_ids: Sequence[int] | None) -> set[int]:
    """Recipients whose latest invitation failed for good (bounced, refused, gave up)."""
    return {
        recipient_id
        for recipient_id, invitation in latest_invitations(round_id, recipient_ids).items()
        if invitation.status == MailStatus.FAILED.value
    }


def _candidates(round_id: int, recipient_ids: Sequence[int] | None = None) -> list[_Candidate]:
    """The round's recipients (not removed), or those of `recipient_ids` when that is few."""
    named = sorted(set(recipient_ids)) if recipient_ids is not None else None
    if named is not None and len(named) > _FEW_NAMED:
        named = None  # the caller keeps the named ones
    failed = _failed_invitations(round_id, named)
    statement = (
        select(
            Recipient.id,
            Recipient.invited_at,
            Response.submitted_at,
            Recipient.opted_out,
            Recipient.reminders_sent,
            Recipient.last_contacted_at,
            Recipient.token_hash,
        )
        .outerjoin(Response, Response.recipient_id == Recipient.id)
        .where(Recipient.round_id == round_id, Recipient.removed_at.is_(None))
        .order_by(Recipient.id)
    )
    if named is not None:
        statement = statement.where(Recipient.id.in_(named))
    rows = db.session.execute(statement)
    return [
        _Candidate(
            recipient_id=rid,
            invited_at=invited_at,
            submitted=submitted_at is not None,
            opted_out=bool(opted_out),
            reminders_sent=reminders_sent or 0,
            last_contacted_at=last_contacted_at,
            link_live=token_hash is not None,
            delivery_failed=rid in failed,
        )
        for (
            rid,
            invited_at,
            submitted_at,
            opted_out,
            reminders_sent,
            last_contacted_at,
            token_hash,
        ) in rows
    ]


def queue_due_reminders(round_: Round, *, now: datetime) -> int:
    """Queue the reminders the round's schedule says are due now; return how many."""
    round_ = lock_for_change(round_)
    if round_.state_enum is not RoundState.OPEN or now >= round_.closes_at:
        return 0
    schedule = ReminderSchedule(tuple(round_.reminder_days), round_.max_reminders)
    candidates = [
        ReminderCandidate(
            recipient_id=candidate.recipient_id,
            invited_at=candidate.invited_at,
            submitted=candidate.submitted,
            opted_out=candidate.opted_out,
            delivery_failed=candidate.delivery_failed,
            reminders_sent=candidate.reminders_sent,
            last_contacted_at=candidate.last_contacted_at,
        )
        for candidate in _candidates(round_.id)
        if candidate.link_live
    ]
    due = due_reminders(
        candidates, schedule, now=now, round_is_open=True, closes_at=round_.closes_at
    )
    if not due:
        return 0
    queued = queue_reminders(round_, due, now)
    audit_round(
        round_,
        "round.remind_scheduled",
        f"Köade {queued} schemalagda påminnelser.",
        actor=None,
        details={"reminders": queued},
    )
    return queued


@dataclass(frozen=True)
class ReminderPlan:
    """Whom a reminder by hand would reach, and who would be left out and why."""

    chosen: tuple[int, ...]
    # Left out only because they were contacted less than HAND_REMINDER_MIN_GAP ago:
    # a process leader may decide to remind them anyway.
    recent: tuple[int, ...]
    # Left out for a reason no one can override here: (recipient id, Swedish reason).
    skipped: tuple[tuple[int, str], ...]
    submitted: int


@dataclass(frozen=True)
class RemindOutcome:
    """What a reminder by hand did: queued, and who was skipped (and why)."""

    queued: int
    skipped_recent: int
    recent: tuple[int, ...] = ()
    skipped: tuple[tuple[int, str], ...] = ()


RECENT_REASON = "Mottagaren kontaktades för mindre än ett dygn sedan."


def plan_hand_reminders(
    round_: Round, recipient_ids: Sequence[int] | None = None, *, now: datetime
) -> ReminderPlan:
    """Sort the round's recipients (or those named) into remindable, recent and skipped."""
    candidates = _candidates(round_.id, recipient_ids)
    if recipient_ids is not None:
        wanted = set(recipient_ids)
        candidates = [candidate for candidate in candidates if candidate.recipient_id in wanted]
    chosen: list[int] = []
    recent: list[int] = []
    skipped: list[tuple[int, str]] = []
    submitted = 0
    for candidate in candidates:
        reason = _not_remindable(candidate)
        if candidate.submitted:
            submitted += 1
        elif reason is not None:
            skipped.append((candidate.recipient_id, reason[0]))
        elif (
            candidate.last_contacted_at is not None
            and now - candidate.last_contacted_at < HAND_REMINDER_MIN_GAP
        ):
            recent.append(candidate.recipient_id)
        else:
            chosen.append(candidate.recipient_id)
    return ReminderPlan(tuple(chosen), tuple(recent), tuple(skipped), submitted)


def remind_now(
    round_: Round,
    recipient_ids: Sequence[int] | None = None,
    *,
    actor: User | None = None,
    now: datetime,
    override_recent: bool = False,
) -> RemindOutcome:
    """Remind every invited non-responder now, or the recipients named, whatever the schedule.

    Recipients contacted less than a day ago are left out unless `override_recent` (a
    process leader's deliberate choice, recorded in the audit log). Naming one recipient
    who cannot be reminded raises RoundError saying why.
    """
    round_ = lock_for_change(round_)
    if round_.state_enum is not RoundState.OPEN or now >= round_.closes_at:
        raise RoundError(
            "Påminnelser kan bara skickas medan omgången är öppen.",
            f"round {round_.id} is not open; reminders are sent only while it is open",
            code=ErrorCode.ROUND_NOT_OPEN,
        )
    if recipient_ids is not None:
        wanted = set(recipient_ids)
        known = {candidate.recipient_id for candidate in _candidates(round_.id, recipient_ids)}
        missing = wanted - known
        if missing:
            raise RoundError(
                "Mottagaren finns inte i omgången.",
                f"recipient(s) {', '.join(map(str, sorted(missing)))} are not active "
                f"recipients of round {round_.id}",
                code=ErrorCode.ROUND_RECIPIENT_NOT_ACTIVE,
            )
    plan = plan_hand_reminders(round_, recipient_ids, now=now)
    chosen = list(plan.chosen) + (list(plan.recent) if override_recent else [])
    if recipient_ids is not None and len(set(recipient_ids)) == 1 and not chosen:
        [only] = set(recipient_ids)
        if plan.submitted:
            raise RoundError(
                "Mottagaren har redan skickat in sina svar.",
                f"recipient {only} has already submitted",
                code=ErrorCode.ROUND_REMINDER_REFUSED,
            )
        if plan.skipped:
            raise RoundError(
                plan.skipped[0][1],
                f"recipient {only} cannot be reminded",
                code=ErrorCode.ROUND_REMINDER_REFUSED,
            )
        raise RoundError(
            RECENT_REASON + " Bekräfta om mottagaren ändå ska få en påminnelse.",
            f"recipient {only} was contacted less than 24 hours ago",
            code=ErrorCode.ROUND_REMINDER_REFUSED,
        )
    queued = queue_reminders(round_, sorted(chosen), now) if chosen else 0
    if queued:
        overridden = len(plan.recent) if override_recent else 0
        audit_round(
            round_,
            "round.remind",
            f"Skickade påminnelse för hand till {queued} mottagare"
            + (
                f", varav {overridden} som kontaktats för mindre än ett dygn sedan."
                if overridden
                else "."
            ),
            actor=actor,
            details={
                "reminders": queued,
                "recipient_ids": sorted(chosen)[:1000],
                "override_24h": overridden,
            },
        )
    return RemindOutcome(
        queued=queued,
        skipped_recent=0 if override_recent else len(plan.recent),
        recent=() if override_recent else plan.recent,
        skipped=plan.skipped,
    )


def _not_remindable(candidate: _Candidate) -> tuple[str, str] | None:
    """Why a recipient cannot be reminded (Swedish, English), or None."""
    if candidate.submitted:
        return ("Mottagaren har redan skickat in sina svar.", "has already submitted")
    if candidate.invited_at is None:
        return ("Mottagaren har inte fått någon inbjudan ännu.", "has not been invited yet")
    if candidate.opted_out:
        return ("Mottagaren har tackat nej till påminnelser.", "has opted out of reminders")
    if candidate.delivery_failed:
        return (
            "Inbjudan kunde inte levereras. Rätta e-postadressen eller skicka en ny länk.",
            "could not be reached: the invitation failed — correct the address or reissue the link",
        )
    if not candidate.link_live:
        return (
            "Mottagarens länk är återkallad. Skicka en ny länk i stället.",
            "has a revoked link — reissue it instead",
        )
    return None
