"""Who is answering: a personal link traded for a session entry, and the recipient it names.

The session (Flask's signed cookie) holds, per round, the recipient's id and the link's
generation; a reissued or revoked link, or a recipient removed from the round, ends it.

These run on every page a respondent opens, so each is one prepared statement (built once
here, with bound parameters: no statement is built or keyed anew per request), and the
recipient comes with its round and what names the questionnaire's cached model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from flask import session
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from survey.db import db
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round

SESSION_KEY: Final = "respondents"
MAX_SESSION_ROUNDS: Final = 5

# The recipient's round in the same query, and of its questionnaire version only what names
# the cached model (`questionnaire_of`): the definition is read only when it is not cached.
WITH_ROUND: Final = (
    joinedload(Recipient.round, innerjoin=True)
    .joinedload(Round.questionnaire_version, innerjoin=True)
    .load_only(QuestionnaireVersion.id, QuestionnaireVersion.content_hash),
)
_RECIPIENT: Final = (
    select(Recipient).where(Recipient.id == bindparam("recipient_id")).options(*WITH_ROUND)
)
# The form's page also shows the response (draft, submitted answers): one query for both.
_RECIPIENT_AND_RESPONSE: Final = (
    select(Recipient, Response)
    .outerjoin(Response, Response.recipient_id == Recipient.id)
    .where(Recipient.id == bindparam("recipient_id"))
    .options(*WITH_ROUND)
)
_LIVE_LINK: Final = (
    # Not named as columns: an UPDATE keeps those names for its SET clause.
    Recipient.round_id == bindparam("link_round_id"),
    Recipient.token_hash == bindparam("link_token_hash"),
    Recipient.removed_at.is_(None),
)
_FIRST_OPENING: Final = (
    update(Recipient)
    .where(*_LIVE_LINK, Recipient.first_opened_at.is_(None))
    .values(first_opened_at=bindparam("opened_at"))
    .returning(Recipient.id, Recipient.token_generation)
    .execution_options(synchronize_session=False)
)
_OPENED_BEFORE: Final = select(Recipient.id, Recipient.token_generation).where(*_LIVE_LINK)


def open_personal_link(round_id: int, token_hash: str, now: datetime) -> tuple[int, int] | None:
    """The recipient id and link generation of a live link, its first opening recorded.

    The first opening is one statement (an UPDATE that returns the recipient); a link
    opened before is one more, a read. The caller commits.
    """
    parameters = {"link_round_id": round_id, "link_token_hash": token_hash}
    row = db.session.execute(_FIRST_OPENING, {**parameters, "opened_at": now}).first()
    if row is None:
        row = db.session.execute(_OPENED_BEFORE, parameters).first()
    return None if row is None else (row[0], row[1])


def remember_respondent(recipient_id: int, round_id: int, generation: int) -> None:
    """Put the recipient of this round in the session (with the link's generation)."""
    entries = _session_entries()
    entries.pop(str(round_id), None)
    entries[str(round_id)] = {
        "recipient_id": recipient_id,
        "round_id": round_id,
        "generation": generation,
    }
    while len(entries) > MAX_SESSION_ROUNDS:
        entries.pop(next(iter(entries)))
    session[SESSION_KEY] = entries
    session.permanent = True


def forget_respondent(round_id: int) -> None:
    entries = _session_entries()
    if entries.pop(str(round_id), None) is not None:
        session[SESSION_KEY] = entries


def _session_entries() -> dict[str, Any]:
    entries = session.get(SESSION_KEY)
    return dict(entries) if isinstance(entries, dict) else {}


def _session_entry(round_id: int | None) -> tuple[int, int] | None:
    """The recipient id and link generation the session holds for the round."""
    if round_id is None:
        return None
    entry = _session_entries().get(str(round_id))
    if not isinstance(entry, dict):
        return None
    recipient_id, generation = entry.get("recipient_id"), entry.get("generation")
    if not isinstance(recipient_id, int) or not isinstance(generation, int):
        forget_respondent(round_id)
        return None
    return recipient_id, generation


def _still_valid(recipient: Recipient | None, round_id: int, generation: int) -> bool:
    """Whether the link the session was opened with still names this recipient."""
    valid = (
        recipient is not None
        and recipient.round_id == round_id
        and recipient.removed_at is None
        and recipient.token_hash is not None
        and recipient.token_generation == generation
    )
    if not valid:
        forget_respondent(round_id)
    return valid


def current_recipient(round_id: int | None) -> Recipient | None:
    """The recipient this session answers for in the round, while the link is still valid."""
    entry = _session_entry(round_id)
    if entry is None or round_id is None:
        return None
    recipient_id, generation = entry
    recipient = db.session.scalar(_RECIPIENT, {"recipient_id": recipient_id})
    return recipient if _still_valid(recipient, round_id, generation) else None


def current_recipient_and_response(
    round_id: int | None,
) -> tuple[Recipient, Response | None] | None:
    """`current_recipient` with the recipient's response (None before any answer), to show.

    For pages that only read: a POST reads the response under its lock (responses/service.py).
    """
    entry = _session_entry(round_id)
    if entry is None or round_id is None:
        return None
    recipient_id, generation = entry
    row = db.session.execute(_RECIPIENT_AND_RESPONSE, {"recipient_id": recipient_id}).first()
    recipient, response = (None, None) if row is None else (row[0], row[1])
    if recipient is None or not _still_valid(recipient, round_id, generation):
        return None
    return recipient, response
