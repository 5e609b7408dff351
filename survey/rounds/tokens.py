"""Personal links: unguessable, stored only as a hash, scoped to one round.

A link's token is derived with HMAC-SHA-256 from the app's secret key, the round, the
recipient and the link's generation (256 bits, base64url). The database keeps only
SHA-256 of "round id:token", so a copy of the database reveals no working link, and the
mail worker can still put the link into a message at the moment it sends it (the outbox
never holds a token either).

Rotating SECRET_KEY does not break live links: verification needs only the stored hash.
To keep *regenerating* the same link for reminders, keep the old key in
SECRET_KEY_FALLBACKS until the rounds it issued links for have closed; `current_token`
tries every key and picks the one whose hash matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Protocol

from survey.db import utcnow
from survey.schema.rounds import Recipient

TOKEN_PURPOSE = b"survey-personal-link-v1"
# A token is base64url of 32 bytes without padding: 43 characters of [A-Za-z0-9_-].
TOKEN_LENGTH = 43
# Put in a queued message where the personal link goes; replaced when the mail is sent.
LINK_MARKER = "[[PERSONLIG-LANK]]"


def derive_token(key: str, round_id: int, recipient_id: int, generation: int) -> str:
    """The token of one generation of one recipient's link, under one key."""
    message = f"{round_id}:{recipient_id}:{generation}".encode()
    # The one-shot digest runs in OpenSSL: the mail worker derives a token per message.
    digest = hmac.digest(key.encode("utf-8") + b"\0" + TOKEN_PURPOSE, message, "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_token(round_id: int, token: str) -> str:
    """What the database stores: binds the token to its round."""
    return hashlib.sha256(f"{round_id}:{token}".encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    """Cheap shape check before touching the database."""
    return len(token) == TOKEN_LENGTH and all(
        ch.isascii() and (ch.isalnum() or ch in "-_") for ch in token
    )


def issue_link(recipient: Recipient, key: str) -> str:
    """Give the recipient a new link (the previous one stops working) and return its token."""
    recipient.token_generation += 1
    token = derive_token(key, recipient.round_id, recipient.id, recipient.token_generation)
    recipient.token_hash = hash_token(recipient.round_id, token)
    recipient.token_issued_at = utcnow()
    return token


def revoke_link(recipient: Recipient) -> None:
    """Stop the recipient's link from working; the draft and answers are kept."""
    recipient.token_hash = None


class LinkHolder(Protocol):
    """What regenerating a link needs: a `Recipient`, or a row of these columns."""

    @property
    def id(self) -> int: ...
    @property
    def round_id(self) -> int: ...
    @property
    def token_generation(self) -> int: ...
    @property
    def token_hash(self) -> str | None: ...


def current_token(recipient: LinkHolder, keys: Sequence[str]) -> str | None:
    """The token of the recipient's live link, regenerated with whichever key made it."""
    if recipient.token_hash is None:
        return None
    for key in keys:
        token = derive_token(key, recipient.round_id, recipient.id, recipient.token_generation)
        if hmac.compare_digest(hash_token(recipient.round_id, token), recipient.token_hash):
            return token
    return None


def personal_link(base_url: str, round_id: int, token: str) -> str:
    """The URL a respondent clicks."""
    return f"{base_url.rstrip('/')}/svara/{round_id}/{token}"
