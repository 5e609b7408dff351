"""Retention: purge the personal data of rounds closed longer ago than the retention period.

A round is due when it is closed and its closing (`Round.closed_at`, the moment it
actually closed) lies more than ``SURVEY_RETENTION_DAYS`` days back, and some of its
recipients or outbox messages still hold personal data. Purging pseudonymises every
recipient of the round and every message of the round (see
`survey.privacy.pseudonymise`); the answers stay for statistics, results and trends. Open
and draft rounds are never purged, however old. Each round is its own transaction with
its own audit event; a round already purged is not due again, so the purge can run as
often as one likes (`survey tick` runs it).

The purge also deletes throttling counters whose window has long passed (they hold only
hashes of email and IP addresses, but are of no use afterwards).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from flask import current_app
from sqlalchemy import exists, func, select

from survey import ratelimit
from survey.audit.recording import record_audit
from survey.db import db
from survey.privacy.pseudonymise import (
    PseudonymisedCounts,
    count_personal_data,
    message_still_identifying,
    pseudonymise,
    recipient_still_identifying,
)
from survey.schema.outbox import OutboxMessage
from survey.schema.ratelimit import RateLimitCounter
from survey.schema.rounds import Recipient, Round, RoundState

PURGE_ACTION: Final = "privacy.purge"
# Counters are kept a day past the longest window: long enough for any investigation.
COUNTER_GRACE: Final = timedelta(days=1)


@dataclass(frozen=True)
class RoundPurge:
    """One round's purge: which round and what was (or, in a dry run, would be) changed."""

    round_id: int
    title: str
    delregion: str
    closed_at: datetime
    counts: PseudonymisedCounts


@dataclass
class PurgeReport:
    """What a purge did (or would do)."""

    cutoff: datetime
    dry_run: bool
    rounds: list[RoundPurge] = field(default_factory=list)
    counters: int = 0

    @property
    def totals(self) -> PseudonymisedCounts:
        total = PseudonymisedCounts()
        for purged in self.rounds:
            total = total + purged.counts
        return total

    def describe(self) -> str:
        """One line for the operator's terminal or the log."""
        totals = self.totals
        verb = "would purge" if self.dry_run else "purged"
        counters = "would delete" if self.dry_run else "deleted"
        return (
            f"{verb} personal data of {len(self.rounds)} round(s) closed before "
            f"{self.cutoff:%Y-%m-%d %H:%M} UTC: {totals.recipients} recipient(s), "
            f"{totals.messages} message(s), {totals.withdrawn} queued message(s) withdrawn, "
            f"{totals.drafts} draft(s); {counters} {self.counters} expired throttling counter(s)"
        )


def retention_cutoff(now: datetime, older_than_days: int) -> datetime:
    """Rounds closed at or before this moment are due for purging."""
    if older_than_days < 0:
        raise ValueError(f"older_than_days must be 0 or more, not {older_than_days}")
    return now - timedelta(days=older_than_days)


def rounds_due_for_purge(cutoff: datetime) -> list[int]:
    """Closed rounds closed at or before `cutoff` that still hold personal data, oldest first."""
    recipients_left = exists().where(Recipient.round_id == Round.id, recipient_still_identifying())
    messages_left = exists().where(OutboxMessage.round_id == Round.id, message_still_identifying())
    return list(
        db.session.scalars(
            select(Round.id)
            .where(
                Round.state == RoundState.CLOSED.value,
                Round.closed_at.is_not(None),
                Round.closed_at <= cutoff,
                recipients_left | messages_left,
            )
            .order_by(Round.closed_at, Round.id)
        )
    )


def round_recipient_ids(round_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Recipient.id).where(Recipient.round_id == round_id).order_by(Recipient.id)
        )
    )


def purge_round(round_: Round, *, now: datetime, dry_run: bool = False) -> RoundPurge:
    """Pseudonymise the round's recipients and messages and record it (the caller commits)."""
    recipient_ids = round_recipient_ids(round_.id)
    every_message = OutboxMessage.round_id == round_.id
    if dry_run:
        counts = count_personal_data(recipient_ids=recipient_ids, message_filter=every_message)
    else:
        counts = pseudonymise(recipient_ids=recipient_ids, now=now, message_filter=every_message)
    assert round_.closed_at is not None
    purged = RoundPurge(round_.id, round_.title, round_.delregion, round_.closed_at, counts)
    if not dry_run and counts.changed_anything:
        record_audit(
            PURGE_ACTION,
            f"Rensade personuppgifter i omgången ”{round_.title}” (stängd "
            f"{round_.closed_at:%Y-%m-%d}): namn, e-postadresser och länkar för "
            f"{counts.recipients} mottagare, {counts.messages} meddelanden och "
            f"{counts.drafts} utkast. Svaren finns kvar för statistik.",
            round_id=round_.id,
            delregion=round_.delregion,
            details={
                "recipients": counts.recipients,
                "messages": counts.messages,
                "withdrawn": counts.withdrawn,
                "drafts": counts.drafts,
            },
        )
    return purged


def purge_personal_data(
    *, now: datetime, older_than_days: int, dry_run: bool = False, commit: bool = True
) -> PurgeReport:
    """Purge every round due (see the module); each round is committed on its own."""
    report = PurgeReport(cutoff=retention_cutoff(now, older_than_days), dry_run=dry_run)
    for round_id in rounds_due_for_purge(report.cutoff):
        round_ = db.session.get(Round, round_id)
        if round_ is None:
            continue
        report.rounds.append(purge_round(round_, now=now, dry_run=dry_run))
        if commit and not dry_run:
            db.session.commit()
    report.counters = _expired_counters(now, dry_run=dry_run)
    if commit and not dry_run:
        db.session.commit()
    elif dry_run:
        db.session.rollback()
    return report


def _expired_counters(now: datetime, *, dry_run: bool) -> int:
    config = current_app.config
    longest = max(
        int(config["SURVEY_LOGIN_WINDOW_SECONDS"]), int(config["SURVEY_TOKEN_WINDOW_SECONDS"])
    )
    keep_seconds = longest + int(COUNTER_GRACE.total_seconds())
    if dry_run:
        cutoff = now - timedelta(seconds=keep_seconds)
        return (
            db.session.scalar(
                select(func.count())
                .select_from(RateLimitCounter)
                .where(RateLimitCounter.window_started_at <= cutoff)
            )
            or 0
        )
    return ratelimit.purge_expired(keep_seconds, now=now)
