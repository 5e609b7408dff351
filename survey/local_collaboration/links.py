"""A group's personal link: unguessable, stored only as a hash, scoped to the group, revocable.

The same construction as a respondent's link (`survey.rounds.tokens`), with its own HMAC
purpose and its own hash prefix, so a token made for a round never opens a group's plan
and the other way round. The token is derived from the secret key, the group and the
link's generation; the database keeps only SHA-256 of "group:<id>:<token>", and a queued
mail holds a marker that the worker replaces with the link at sending time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Final

from flask import current_app
from sqlalchemy import select

from survey.db import db, utcnow
from survey.rounds.link_keys import link_keys, signing_key
from survey.rounds.tokens import looks_like_token
from survey.schema.local_collaboration import LocalGroup, LocalGroupMail

GROUP_LINK_PURPOSE: Final = b"survey-local-group-link-v1"
# Put in a queued mail where the group's link goes; replaced when the mail is sent.
GROUP_LINK_MARKER: Final = "[[SAMVERKAN-LANK]]"


def derive_group_token(key: str, group_id: int, generation: int) -> str:
    """The token of one generation of one group's link, under one key."""
    digest = hmac.digest(
        key.encode("utf-8") + b"\0" + GROUP_LINK_PURPOSE,
        f"{group_id}:{generation}".encode(),
        "sha256",
    )
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_group_token(group_id: int, token: str) -> str:
    """What the database stores: binds the token to its group."""
    return hashlib.sha256(f"group:{group_id}:{token}".encode()).hexdigest()


def issue_group_link(group: LocalGroup) -> str:
    """Give the group a new link (the previous one stops working) and return its token."""
    group.token_generation += 1
    token = derive_group_token(signing_key(), group.id, group.token_generation)
    group.token_hash = hash_group_token(group.id, token)
    group.token_issued_at = utcnow()
    return token


def revoke_group_link(group: LocalGroup) -> None:
    """Stop the group's link from working (its plan is kept)."""
    group.token_hash = None


def current_group_token(group: LocalGroup, keys: Sequence[str]) -> str | None:
    """The token of the group's live link, regenerated with whichever key made it."""
    if group.token_hash is None:
        return None
    for key in keys:
        token = derive_group_token(key, group.id, group.token_generation)
        if hmac.compare_digest(hash_group_token(group.id, token), group.token_hash):
            return token
    return None


def group_link_url(base_url: str, group_id: int, token: str) -> str:
    """The address the contact opens."""
    return f"{base_url.rstrip('/')}/samverkan/{group_id}/{token}"


def group_by_token(group_id: int, token: str) -> LocalGroup | None:
    """The group whose live link this is, or None (shape checked before any query)."""
    if not looks_like_token(token):
        return None
    return db.session.scalar(
        select(LocalGroup).where(
            LocalGroup.id == group_id, LocalGroup.token_hash == hash_group_token(group_id, token)
        )
    )


def live_group_links(message_ids: Sequence[int]) -> dict[int, str]:
    """The send-time lookup: each outbox message's group link, for groups whose link is live."""
    keys = link_keys()
    base_url = str(current_app.config["SURVEY_BASE_URL"])
    rows = db.session.execute(
        select(LocalGroupMail.outbox_message_id, LocalGroup)
        .join(LocalGroup, LocalGroup.id == LocalGroupMail.group_id)
        .where(LocalGroupMail.outbox_message_id.in_(list(message_ids)))
    ).all()
    links: dict[int, str] = {}
    for message_id, group in rows:
        token = current_group_token(group, keys)
        if token is not None and message_id is not None:
            links[message_id] = group_link_url(base_url, group.id, token)
    return links
