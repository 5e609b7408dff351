"""Removing the personal data of recipients while keeping their answers for statistics.

Pseudonymising a recipient clears what identifies the person and keeps what results are
broken down by:

* the recipient row: name, email and the personal link's hash become NULL and
  ``pseudonymised_at`` is set; organisation, organisation type, kommun and delregion stay;
* every outbox message to the recipient: the address and name become NULL, and the
  subject, text and HTML (which hold the name and the greeting) are replaced by a
  note; the server's last answer (which often repeats the address) is removed. Messages
  still waiting in the queue are withdrawn;
* the recipient's draft (answers typed but never submitted, not part of any result) is
  removed. Submitted answers and their history stay: they are the statistics.

Answers in free text may still hold what a respondent wrote about themselves; the form
asks them not to write personal data, and docs/privacy.md says how to handle the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from sqlalchemy import ColumnElement, delete, or_, select, update

from survey.db import db
from survey.rounds.answers_version import bump_answers_version
from survey.schema.outbox import MailStatus, OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient

PURGED_SUBJECT: Final = "(rensat)"
PURGED_BODY: Final = (
    "(Meddelandets innehåll är rensat eftersom det innehöll personuppgifter om mottagaren.)\n"
)
# Rows per IN (...) list: well below every database's limit on bound parameters.
CHUNK: Final = 500

T = TypeVar("T")


@dataclass(frozen=True)
class PseudonymisedCounts:
    """What pseudonymising some recipients changed (or, in a dry run, would change)."""

    recipients: int = 0
    messages: int = 0
    withdrawn: int = 0
    drafts: int = 0

    def __add__(self, other: PseudonymisedCounts) -> PseudonymisedCounts:
        return PseudonymisedCounts(
            self.recipients + other.recipients,
            self.messages + other.messages,
            self.withdrawn + other.withdrawn,
            self.drafts + other.drafts,
        )

    @property
    def changed_anything(self) -> bool:
        return bool(self.recipients or self.messages or self.withdrawn or self.drafts)


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def recipient_still_identifying() -> ColumnElement[bool]:
    """The condition on Recipient for a row that still holds personal data."""
    return or_(
        Recipient.pseudonymised_at.is_(None),
        Recipient.name.is_not(None),
        Recipient.email.is_not(None),
        Recipient.token_hash.is_not(None),
    )


def message_still_identifying() -> ColumnElement[bool]:
    """The condition on OutboxMessage for a row that still holds personal data."""
    return or_(
        OutboxMessage.to_address.is_not(None),
        OutboxMessage.to_name.is_not(None),
        OutboxMessage.body_text != PURGED_BODY,
    )


@dataclass(frozen=True)
class _Found:
    """The rows pseudonymising would change, by id."""

    recipients: list[int]
    drafts: list[int]  # response ids
    queued: list[int]  # message ids, to withdraw
    messages: list[int]  # message ids, to purge

    @property
    def counts(self) -> PseudonymisedCounts:
        return PseudonymisedCounts(
            len(self.recipients), len(self.messages), len(self.queued), len(self.drafts)
        )


def _find(recipient_ids: Sequence[int], message_filter: ColumnElement[bool] | None) -> _Found:
    recipients: list[int] = []
    drafts: list[int] = []
    for chunk in _chunks(list(recipient_ids)):
        recipients.extend(
            db.session.scalars(
                select(Recipient.id).where(Recipient.id.in_(chunk), recipient_still_identifying())
            )
        )
        drafts.extend(
            db.session.scalars(
                select(Response.id).where(
                    Response.recipient_id.in_(chunk), Response.draft.is_not(None)
                )
            )
        )
    # A message may meet several conditions (its recipient, and the filter): count it once.
    queued: set[int] = set()
    messages: set[int] = set()
    waiting = OutboxMessage.status == MailStatus.QUEUED.value
    for condition in _message_conditions(recipient_ids, message_filter):
        rows = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.status).where(
                condition, or_(waiting, message_still_identifying())
            )
        )
        for message_id, status in rows:
            (queued if status == MailStatus.QUEUED.value else messages).add(message_id)
    return _Found(recipients, drafts, sorted(queued), sorted(messages))


def count_personal_data(
    *, recipient_ids: Sequence[int] = (), message_filter: ColumnElement[bool] | None = None
) -> PseudonymisedCounts:
    """Count what `pseudonymise` would change for these recipients (and these messages)."""
    return _find(recipient_ids, message_filter).counts


def _message_conditions(
    recipient_ids: Sequence[int], message_filter: ColumnElement[bool] | None
) -> Iterator[ColumnElement[bool]]:
    for chunk in _chunks(list(recipient_ids)):
        yield OutboxMessage.recipient_id.in_(chunk)
    if message_filter is not None:
        yield message_filter


def pseudonymise(
    *,
    recipient_ids: Sequence[int],
    now: datetime,
    message_filter: ColumnElement[bool] | None = None,
) -> PseudonymisedCounts:
    """Remove the recipients' personal data (see the module) in the current transaction.

    `message_filter` adds outbox messages to purge besides those of the recipients (e.g.
    every message of a round, or every message to an address). Rows already purged are
    left alone, so running it again changes nothing; the caller commits.
    """
    found = _find(recipient_ids, message_filter)
    changed_rounds: set[int] = set()
    for chunk in _chunks(found.recipients):
        changed_rounds.update(
            db.session.scalars(select(Recipient.round_id).where(Recipient.id.in_(chunk)))
        )
        db.session.execute(
            update(Recipient)
            .where(Recipient.id.in_(chunk))
            .values(name=None, email=None, token_hash=None, pseudonymised_at=now)
            .execution_options(synchronize_session=False)
        )
    # Cached results and exports of these rounds name the people: they are stale now.
    bump_answers_version(changed_rounds)
    for chunk in _chunks(found.drafts):
        db.session.execute(
            update(Response)
            .where(Response.id.in_(chunk))
            .values(draft=None, draft_saved_at=None, version_id=Response.version_id + 1)
            .execution_options(synchronize_session=False)
        )
    for chunk in _chunks(found.queued):
        # Waiting messages were never sent: withdraw them, as closing a round does. One a
        # worker is handing over meanwhile is no longer QUEUED and is purged next time.
        db.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_(chunk), OutboxMessage.status == MailStatus.QUEUED.value)
            .execution_options(synchronize_session=False)
        )
    for chunk in _chunks(found.messages):
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(chunk))
            .values(
                to_address=None,
                to_name=None,
                subject=PURGED_SUBJECT,
                body_text=PURGED_BODY,
                body_html=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
    # The session may hold the rows as they were: read them afresh from now on.
    db.session.expire_all()
    return found.counts
