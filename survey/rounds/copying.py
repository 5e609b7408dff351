"""Copy a round into next year's, and delete a draft that was never sent.

A copy takes the questionnaire version, texts, sender, reminder schedule and the
recipients still in the round (not removed, not purged) into a new draft with a new
title and dates; answers, links and mail stay behind. A draft may be deleted only while
nothing has been sent for it and nobody has answered: then it left no trace outside
the engine. Both are recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from survey.db import db
from survey.errors import ErrorCode
from survey.organisations import OrganisationType
from survey.rounds.actions import audit_round, lock_for_change
from survey.rounds.lifecycle import create_round
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.roster import add_recipients
from survey.rounds.settings import RoundError, settings_of
from survey.schema.outbox import OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState

if TYPE_CHECKING:
    from survey.schema.accounts import User


def copyable_recipients(round_: Round) -> list[RecipientRow]:
    """The round's recipients as rows for a new round (removed and purged ones left out)."""
    recipients = db.session.scalars(
        select(Recipient)
        .where(
            Recipient.round_id == round_.id,
            Recipient.removed_at.is_(None),
            Recipient.email.is_not(None),
        )
        .order_by(Recipient.id)
    )
    return [
        RecipientRow(
            name=recipient.name or "",
            email=recipient.email or "",
            organisation=recipient.organisation,
            organisation_type=OrganisationType(recipient.organisation_type),
            kommun=recipient.kommun,
            delregion=recipient.delregion,
        )
        for recipient in recipients
    ]


def copy_round(
    source: Round,
    *,
    title: str,
    reference_date: date | None,
    opens_at: datetime | None,
    closes_at: datetime | None,
    with_recipients: bool = True,
    actor: User | None = None,
    now: datetime,
) -> Round:
    """Create a draft like `source` with new title and dates; raise RoundSettingsInvalid."""
    settings = replace(
        settings_of(source),
        title=title,
        reference_date=reference_date,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    copy = create_round(settings, actor=actor, now=now)
    rows = copyable_recipients(source) if with_recipients else []
    if rows:
        add_recipients(copy, rows, actor=actor, now=now)
    audit_round(
        copy,
        "round.copy",
        f"Kopierade omgången ”{source.title}” (id {source.id}) till ”{copy.title}” med "
        f"{len(rows)} mottagare.",
        actor=actor,
        details={"source_round_id": source.id, "recipients": len(rows)},
    )
    return copy


def deletion_refusal(round_: Round) -> str | None:
    """Why the round may not be deleted (Swedish), or None for a draft never sent."""
    if round_.state_enum is not RoundState.DRAFT or round_.opened_at is not None:
        return "Bara ett utkast som aldrig har öppnats kan tas bort. Stäng omgången i stället."
    mails = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.round_id == round_.id)
    )
    if mails:
        return "Omgången har meddelanden i utskickskön och kan inte tas bort."
    answers = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.round_id == round_.id)
    )
    if answers:
        return "Omgången har svar och kan inte tas bort."
    return None


def delete_draft_round(round_: Round, *, actor: User | None = None) -> None:
    """Delete a draft that was never sent, with its recipients. The caller commits."""
    round_ = lock_for_change(round_)
    refusal = deletion_refusal(round_)
    if refusal:
        raise RoundError(
            refusal,
            f"round {round_.id} cannot be deleted: it is not an unsent draft",
            code=ErrorCode.ROUND_NOT_DELETABLE,
        )
    recipients = db.session.scalar(
        select(func.count()).select_from(Recipient).where(Recipient.round_id == round_.id)
    )
    # The audit event outlives the round: its round id becomes NULL, the summary keeps it.
    audit_round(
        round_,
        "round.delete",
        f"Tog bort utkastet ”{round_.title}” (id {round_.id}) med {recipients} mottagare.",
        actor=actor,
        details={"deleted_round_id": round_.id, "recipients": recipients},
    )
    db.session.flush()
    db.session.execute(
        Recipient.__table__.delete().where(Recipient.round_id == round_.id)  # type: ignore[attr-defined]
    )
    db.session.delete(round_)
    db.session.flush()
