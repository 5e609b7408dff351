"""The keys personal links are made with, and renewing links that no configured key can make.

A live link that no configured key can make again (SECRET_KEY rotated and the old key
dropped from SECRET_KEY_FALLBACKS while the link was in use) is renewed when the next
invitation, reminder or re-sent message to its recipient is queued (audited), so that
message goes out with a working link instead of failing at sending; see docs/security.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app

from survey.rounds.actions import audit_round
from survey.rounds.tokens import current_token, issue_link
from survey.schema.rounds import Recipient, Round


def signing_key() -> str:
    """The key new links are made with: the current SECRET_KEY."""
    return str(current_app.config["SECRET_KEY"])


def link_keys() -> list[str]:
    """Every key a live link may have been made with: the current one, then the old ones."""
    config = current_app.config
    return [str(config["SECRET_KEY"]), *config.get("SECRET_KEY_FALLBACKS", [])]


def renew_links_of_dropped_keys(round_: Round, recipients: Sequence[Recipient]) -> list[int]:
    """Give a new link to recipients whose live link no configured key can make again.

    That happens when SECRET_KEY was rotated and the old key removed from
    SECRET_KEY_FALLBACKS while the link was still in use: the link still opens the form
    (only its hash is checked), but the mail worker could not put it into a new message,
    which would then fail. A new link (the old one stops working; answers are kept) lets
    the message go out with a link that works. Returns the ids of the renewed recipients.
    """
    keys = link_keys()
    renewed = [
        recipient
        for recipient in recipients
        if recipient.token_hash is not None and current_token(recipient, keys) is None
    ]
    for recipient in renewed:
        issue_link(recipient, signing_key())
    if renewed:
        ids = [recipient.id for recipient in renewed]
        audit_round(
            round_,
            "link.reissue",
            f"Gav {len(ids)} mottagare en ny länk i nästa meddelande: nyckeln som skapade "
            "deras länk finns inte längre i SECRET_KEY_FALLBACKS.",
            actor=None,
            details={"recipient_ids": ids[:1000], "reason": "key_rotation"},
        )
    return [recipient.id for recipient in renewed]
