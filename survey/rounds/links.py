"""Recipients' personal links: reissuing and revoking them, and which links work at sending.

A link is issued with the recipient's invitation (`survey.rounds.mailing.invite`); the
keys it is made with are in `survey.rounds.link_keys`. A reissued or revoked link stops
working at once; the recipient's draft and submitted answers are kept: they belong to
the recipient, not the link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Select, select

from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.rounds.actions import audit_round, chunks, lock_for_change
from survey.rounds.link_keys import link_keys
from survey.rounds.mailing import invite_with_new_link, withdraw_queued
from survey.rounds.roster import require_active
from survey.rounds.settings import RoundError
from survey.rounds.tokens import current_token, personal_link, revoke_link
from survey.schema.outbox import OutboxMessage
from survey.schema.rounds import Recipient, Round, RoundState

if TYPE_CHECKING:
    from survey.schema.accounts import User


def reissue_link(
    round_: Round, recipient: Recipient, *, actor: User | None = None, now: datetime
) -> OutboxMessage:
    """Revoke the recipient's link, issue a new one and queue a new invitation with it.

    The draft and any submitted answers are kept: they belong to the recipient, not the link.
    """
    round_ = lock_for_change(round_)
    require_active(round_, recipient)
    if round_.state_enum is not RoundState.OPEN:
        raise RoundError(
            "En ny länk kan bara skickas medan omgången är öppen.",
            f"round {round_.id} is {round_.state}; links are issued only while it is open",
            code=ErrorCode.ROUND_NOT_OPEN,
        )
    message = invite_with_new_link(round_, recipient, now)
    audit_round(
        round_,
        "link.reissue",
        f"Återkallade länken för mottagare {recipient.id} ({recipient.organisation}) och "
        "köade en ny inbjudan med ny länk.",
        actor=actor,
        details={"recipient_id": recipient.id, "generation": recipient.token_generation},
    )
    return message


def revoke_link_only(
    round_: Round, recipient: Recipient, *, actor: User | None = None, now: datetime
) -> None:
    """Stop the recipient's link from working, without sending a new one."""
    round_ = lock_for_change(round_)
    require_active(round_, recipient)
    if recipient.token_hash is None:
        raise RoundError(
            "Mottagaren har ingen giltig länk att återkalla.",
            f"recipient {recipient.id} has no live link",
            code=ErrorCode.ROUND_NO_LIVE_LINK,
        )
    revoke_link(recipient)
    withdraw_queued(recipient_ids=[recipient.id])
    audit_round(
        round_,
        "link.revoke",
        f"Återkallade länken för mottagare {recipient.id} ({recipient.organisation}).",
        actor=actor,
        details={"recipient_id": recipient.id},
    )


def live_links(recipient_ids: Sequence[int], *, now: datetime | None = None) -> dict[int, str]:
    """Each recipient's personal link, for those who may use it now (the send-time lookup).

    Left out (so the worker does not send their message): removed recipients, revoked
    links, links made with a key no longer configured, and rounds not open or past closing.
    """
    keys = link_keys()
    base_url = str(current_app.config["SURVEY_BASE_URL"])
    now = now or utcnow()
    links: dict[int, str] = {}
    for chunk in chunks(list(recipient_ids)):
        recipients = db.session.execute(live_links_statement(chunk, now))
        for recipient in recipients:
            token = current_token(recipient, keys)
            if token is not None:
                links[recipient.id] = personal_link(base_url, recipient.round_id, token)
    return links


def live_links_statement(
    recipient_ids: Sequence[int], now: datetime
) -> Select[int, int, int, str | None]:
    """The query of `live_links`: the columns a link needs, of recipients who may use it now.

    Plain rows, not Recipient objects: the worker asks for a batch's links before sending
    it, and loading whole objects cost more than the rest of the lookup.
    """
    return (
        select(Recipient.id, Recipient.round_id, Recipient.token_generation, Recipient.token_hash)
        .join(Round, Round.id == Recipient.round_id)
        .where(
            Recipient.id.in_(recipient_ids),
            Recipient.removed_at.is_(None),
            Recipient.token_hash.is_not(None),
            Round.state == RoundState.OPEN.value,
            Round.closes_at > now,
        )
    )
