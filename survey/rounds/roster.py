"""A round's recipients: adding, correcting and removing them, and looking them up.

Decisions made here:

* Recipients added to an open round are invited at once; a closed round takes no changes
  to its recipients until it is extended.
* Removing a recipient is soft (`removed_at`): the link stops working, the recipient is
  left out of status, reminders and results; the row keeps the email address taken.
* Correcting a recipient's email address in an open round sends a new link to the new
  address (the old link, which went to the wrong address, stops working).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from survey.db import db
from survey.errors import ErrorCode
from survey.rounds.actions import audit_round, chunks, lock_for_change
from survey.rounds.mailing import invite, invite_with_new_link, withdraw_queued
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.settings import RoundError
from survey.rounds.tokens import revoke_link
from survey.schema.rounds import Recipient, Round, RoundState

if TYPE_CHECKING:
    from survey.schema.accounts import User


def recipient_emails(round_id: int) -> set[str]:
    """Every email address the round's recipients hold (removed ones too: they stay taken)."""
    return {
        email
        for email in db.session.scalars(
            select(Recipient.email).where(Recipient.round_id == round_id)
        )
        if email is not None
    }


def active_recipients(round_id: int) -> list[Recipient]:
    """The round's recipients that are not removed, in the order they were added."""
    return list(
        db.session.scalars(
            select(Recipient)
            .where(Recipient.round_id == round_id, Recipient.removed_at.is_(None))
            .order_by(Recipient.id)
        )
    )


def get_recipient(round_: Round, recipient_id: int) -> Recipient | None:
    """The round's recipient with this id, unless removed (None otherwise)."""
    recipient = db.session.get(Recipient, recipient_id)
    if recipient is None or recipient.round_id != round_.id or recipient.removed_at is not None:
        return None
    return recipient


def require_active(round_: Round, recipient: Recipient) -> None:
    """Refuse an action on a recipient who is not (or no longer) in the round."""
    if recipient.round_id != round_.id or recipient.removed_at is not None:
        raise RoundError(
            "Mottagaren finns inte i omgången.",
            f"recipient {recipient.id} is not an active recipient of round {round_.id}",
            code=ErrorCode.ROUND_RECIPIENT_NOT_ACTIVE,
        )


def _require_not_closed(round_: Round, english_action: str) -> None:
    if round_.state_enum is RoundState.CLOSED:
        raise RoundError(
            "Omgången är stängd. Förläng den först om mottagare ska ändras.",
            f"round {round_.id} is closed — cannot {english_action}",
            code=ErrorCode.ROUND_CLOSED,
        )


def add_recipients(
    round_: Round, rows: Sequence[RecipientRow], *, actor: User | None = None, now: datetime
) -> list[Recipient]:
    """Add checked recipients in one bulk insert; in an open round they are invited at once."""
    round_ = lock_for_change(round_)
    _require_not_closed(round_, "add recipients")
    if not rows:
        return []
    taken = recipient_emails(round_.id)
    clashes = sorted({row.email for row in rows if row.email in taken})
    if clashes:
        raise RoundError(
            f"{clashes[0]} finns redan bland omgångens mottagare.",
            f"already recipients of round {round_.id}: {', '.join(clashes)}",
            code=ErrorCode.ROUND_RECIPIENT_EXISTS,
        )
    values = [
        {
            "round_id": round_.id,
            "name": row.name,
            "email": row.email,
            "organisation": row.organisation,
            "organisation_type": str(row.organisation_type),
            "kommun": row.kommun,
            "delregion": row.delregion,
            "token_generation": 0,
            "reminders_sent": 0,
            "opted_out": False,
            "created_at": now,
        }
        for row in rows
    ]
    added: list[Recipient] = []
    for chunk in chunks(values):
        added.extend(db.session.scalars(insert(Recipient).returning(Recipient), chunk))
    added.sort(key=lambda recipient: recipient.id)
    invited = 0
    if round_.state_enum is RoundState.OPEN:
        invited = invite(round_, added, now)
    audit_round(
        round_,
        "recipient.add",
        f"Lade till {len(added)} mottagare"
        + (f" och köade {invited} inbjudningar." if invited else "."),
        actor=actor,
        details={"recipient_ids": [recipient.id for recipient in added][:1000], "invited": invited},
    )
    return added


def add_recipient(
    round_: Round, row: RecipientRow, *, actor: User | None = None, now: datetime
) -> Recipient:
    """Add one recipient typed in by hand (invited at once in an open round)."""
    [added] = add_recipients(round_, [row], actor=actor, now=now)
    return added


def correct_recipient(
    round_: Round,
    recipient: Recipient,
    row: RecipientRow,
    *,
    actor: User | None = None,
    now: datetime,
) -> list[str]:
    """Correct a recipient's details; a new address in an open round gets a new link.

    Returns the names of the changed fields.
    """
    round_ = lock_for_change(round_)
    _require_not_closed(round_, "correct recipients")
    require_active(round_, recipient)
    if row.email != recipient.email and row.email in recipient_emails(round_.id):
        raise RoundError(
            f"{row.email} finns redan bland omgångens mottagare.",
            f"{row.email} is already a recipient of round {round_.id}",
            code=ErrorCode.ROUND_RECIPIENT_EXISTS,
        )
    values = {
        "name": row.name,
        "email": row.email,
        "organisation": row.organisation,
        "organisation_type": str(row.organisation_type),
        "kommun": row.kommun,
        "delregion": row.delregion,
    }
    changed = [name for name, value in values.items() if getattr(recipient, name) != value]
    for name in changed:
        setattr(recipient, name, values[name])
    reissued = False
    if "email" in changed and recipient.invited_at is not None:
        if round_.state_enum is RoundState.OPEN:
            invite_with_new_link(round_, recipient, now)
            reissued = True
        else:
            revoke_link(recipient)
    if changed:
        audit_round(
            round_,
            "recipient.correct",
            f"Rättade mottagare {recipient.id} ({recipient.organisation}): {', '.join(changed)}"
            + ("; ny länk skickad till den nya adressen." if reissued else "."),
            actor=actor,
            details={"recipient_id": recipient.id, "changed": changed, "reissued": reissued},
        )
    return changed


def remove_recipient(
    round_: Round, recipient: Recipient, *, actor: User | None = None, now: datetime
) -> None:
    """Remove a recipient: the link stops working and they are left out everywhere."""
    round_ = lock_for_change(round_)
    _require_not_closed(round_, "remove recipients")
    require_active(round_, recipient)
    recipient.removed_at = now
    revoke_link(recipient)
    withdraw_queued(recipient_ids=[recipient.id])
    audit_round(
        round_,
        "recipient.remove",
        f"Tog bort mottagare {recipient.id} ({recipient.organisation}) från omgången.",
        actor=actor,
        details={"recipient_id": recipient.id},
    )
