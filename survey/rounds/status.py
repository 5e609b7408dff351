"""A round's status: where each recipient is, counts per organisation type, response rates.

Computed with a fixed number of aggregate queries, whatever the number of recipients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from survey.db import db
from survey.organisations import ORGANISATION_TYPE_LABELS, OrganisationType
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState

# --- Status ---------------------------------------------------------------------------


class RecipientState(StrEnum):
    """Where a recipient is, from the invitation to a submitted response."""

    NOT_SENT = "not_sent"
    QUEUED = "queued"  # the invitation waits in the outbox: invited, not yet delivered
    SENT = "sent"
    DELIVERY_FAILED = "delivery_failed"
    UNCERTAIN = "uncertain"
    OPENED = "opened"
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return RECIPIENT_STATE_LABELS[self]


RECIPIENT_STATE_LABELS = {
    RecipientState.NOT_SENT: "Ej inbjuden",
    RecipientState.QUEUED: "Inbjudan i kö",
    RecipientState.SENT: "Skickad",
    RecipientState.DELIVERY_FAILED: "Leverans misslyckades",
    RecipientState.UNCERTAIN: "Osäker leverans",
    RecipientState.OPENED: "Öppnad",
    RecipientState.DRAFT: "Utkast sparat",
    RecipientState.SUBMITTED: "Inskickad",
}


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient's row in the round's status."""

    recipient_id: int
    name: str | None
    email: str | None
    organisation: str
    organisation_type: str
    kommun: str
    delregion: str
    state: RecipientState
    invited_at: datetime | None
    first_opened_at: datetime | None
    draft_saved_at: datetime | None
    submitted_at: datetime | None
    reminders_sent: int
    last_reminder_at: datetime | None
    link_live: bool
    opted_out: bool
    delivery_problem: str | None

    @property
    def organisation_type_label(self) -> str:
        return organisation_type_label(self.organisation_type)


MAX_SEARCH_LENGTH = 200


def find_recipients(
    rows: Sequence[RecipientStatus], *, state: RecipientState | None, search: str
) -> list[RecipientStatus]:
    """The rows in `state` (any when None) that contain every word of `search`.

    A word is looked for, ignoring case, in the name, email address, organisation, kommun
    and organisation type; "vc ängelholm" finds "VC Ängelholm Norra" in Ängelholm.
    """
    words = search.casefold().split()
    found = []
    for row in rows:
        if state is not None and row.state is not state:
            continue
        if words:
            haystack = " ".join(
                (
                    row.name or "",
                    row.email or "",
                    row.organisation,
                    row.kommun,
                    row.organisation_type_label,
                )
            ).casefold()
            if not all(word in haystack for word in words):
                continue
        found.append(row)
    return found


def organisation_type_label(code: str) -> str:
    """The Swedish name of an organisation type code (the code itself when unknown)."""
    try:
        return ORGANISATION_TYPE_LABELS[OrganisationType(code)]
    except ValueError:
        return code


def response_rate(invited: int, submitted: int) -> float | None:
    """Submitted per invited in percent, to one decimal; None when nobody is invited."""
    return round(100.0 * submitted / invited, 1) if invited else None


@dataclass
class StatusCounts:
    """How far a group of recipients has come.

    `invited`: the invitation was queued (or a response exists); `opened`: the link was
    opened or a response exists; `draft`: a draft is saved but nothing submitted;
    `submitted`: answers submitted. `response_rate` is submitted per invited, in percent
    (None when nobody is invited), as on the results pages.
    """

    recipients: int = 0
    invited: int = 0
    not_sent: int = 0
    delivery_failed: int = 0
    uncertain: int = 0
    opened: int = 0
    draft: int = 0
    submitted: int = 0
    response_rate: float | None = None

    def count(self, row: RecipientStatus) -> None:
        self.recipients += 1
        has_response = row.submitted_at is not None or row.draft_saved_at is not None
        if row.invited_at is not None or row.submitted_at is not None:
            self.invited += 1
        if row.state in (RecipientState.NOT_SENT, RecipientState.QUEUED):
            self.not_sent += 1
        elif row.state is RecipientState.DELIVERY_FAILED:
            self.delivery_failed += 1
        elif row.state is RecipientState.UNCERTAIN:
            self.uncertain += 1
        if row.first_opened_at is not None or has_response:
            self.opened += 1
        if row.state is RecipientState.DRAFT:
            self.draft += 1
        if row.state is RecipientState.SUBMITTED:
            self.submitted += 1


@dataclass
class RoundStatus:
    """Counts overall and per organisation type, and one row per (not removed) recipient."""

    round_id: int
    state: RoundState
    total: StatusCounts
    by_organisation_type: dict[str, StatusCounts]
    recipients: list[RecipientStatus]
    outbox: dict[MailStatus, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The status as plain JSON values (times ISO 8601 in UTC)."""

        def plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, StrEnum):
                return value.value
            return value

        def counts(item: StatusCounts) -> dict[str, Any]:
            return {key: plain(value) for key, value in item.__dict__.items()}

        return {
            "round_id": self.round_id,
            "state": self.state.value,
            "total": counts(self.total),
            "by_organisation_type": {
                key: counts(value) for key, value in self.by_organisation_type.items()
            },
            "outbox": {status.value: count for status, count in self.outbox.items()},
            "recipients": [
                {key: plain(value) for key, value in row.__dict__.items()}
                for row in self.recipients
            ],
        }


_DELIVERY_STATES = {
    MailStatus.QUEUED.value: RecipientState.QUEUED,
    MailStatus.SENDING.value: RecipientState.QUEUED,
    MailStatus.SENT.value: RecipientState.SENT,
    # Development: kept in the outbox, as good as sent for trying the flow.
    MailStatus.HELD.value: RecipientState.SENT,
    MailStatus.FAILED.value: RecipientState.DELIVERY_FAILED,
    MailStatus.UNCERTAIN.value: RecipientState.UNCERTAIN,
}


@dataclass(frozen=True, slots=True)
class InvitationState:
    """The delivery state of a recipient's latest invitation (highest sequence)."""

    sequence: int
    status: str
    error: str | None


def latest_invitations(round_id: int) -> dict[int, InvitationState]:
    """Each recipient's latest invitation (a reissued link's invitation replaces the old)."""
    latest: dict[int, InvitationState] = {}
    for recipient_id, sequence, status, error in db.session.execute(
        select(
            OutboxMessage.recipient_id,
            OutboxMessage.sequence,
            OutboxMessage.status,
            OutboxMessage.last_error,
        ).where(
            OutboxMessage.round_id == round_id,
            OutboxMessage.kind == MailKind.INVITATION.value,
            OutboxMessage.recipient_id.is_not(None),
        )
    ):
        if recipient_id is None:
            continue
        if recipient_id not in latest or sequence > latest[recipient_id].sequence:
            latest[recipient_id] = InvitationState(sequence, status, error)
    return latest


def round_status(round_: Round) -> RoundStatus:
    """The round's status in four queries, whatever the number of recipients."""
    # 1. The latest invitation of each recipient, with its delivery state.
    invitations = latest_invitations(round_.id)
    # 2. The last reminder of each recipient.
    last_reminders: dict[int, datetime] = {
        recipient_id: created_at
        for recipient_id, created_at in db.session.execute(
            select(OutboxMessage.recipient_id, func.max(OutboxMessage.created_at))
            .where(
                OutboxMessage.round_id == round_.id,
                OutboxMessage.kind == MailKind.REMINDER.value,
                OutboxMessage.recipient_id.is_not(None),
            )
            .group_by(OutboxMessage.recipient_id)
        )
        if recipient_id is not None
    }
    # 3. Recipients with their response: plain columns, as a national round has tens of
    # thousands of recipients and building an ORM object for each would cost most of the page.
    rows = db.session.execute(
        select(
            Recipient.id,
            Recipient.name,
            Recipient.email,
            Recipient.organisation,
            Recipient.organisation_type,
            Recipient.kommun,
            Recipient.delregion,
            Recipient.invited_at,
            Recipient.first_opened_at,
            Recipient.reminders_sent,
            Recipient.token_hash.is_not(None).label("link_live"),
            Recipient.opted_out,
            Response.draft_saved_at,
            Response.submitted_at,
        )
        .outerjoin(Response, Response.recipient_id == Recipient.id)
        .where(Recipient.round_id == round_.id, Recipient.removed_at.is_(None))
        .order_by(Recipient.organisation, Recipient.id)
    ).all()
    recipients: list[RecipientStatus] = []
    for row in rows:
        invitation = invitations.get(row.id)
        problem = None
        if row.submitted_at is not None:
            state = RecipientState.SUBMITTED
        elif row.draft_saved_at is not None:
            state = RecipientState.DRAFT
        elif row.first_opened_at is not None:
            state = RecipientState.OPENED
        elif invitation is None:
            state = RecipientState.NOT_SENT
        else:
            state = _DELIVERY_STATES.get(invitation.status, RecipientState.NOT_SENT)
        if invitation is not None and invitation.status in (
            MailStatus.FAILED.value,
            MailStatus.UNCERTAIN.value,
        ):
            problem = invitation.error
        recipients.append(
            RecipientStatus(
                recipient_id=row.id,
                name=row.name,
                email=row.email,
                organisation=row.organisation,
                organisation_type=row.organisation_type,
                kommun=row.kommun,
                delregion=row.delregion,
                state=state,
                invited_at=row.invited_at,
                first_opened_at=row.first_opened_at,
                draft_saved_at=row.draft_saved_at,
                submitted_at=row.submitted_at,
                reminders_sent=row.reminders_sent,
                last_reminder_at=last_reminders.get(row.id),
                link_live=bool(row.link_live),
                opted_out=bool(row.opted_out),
                delivery_problem=problem,
            )
        )
    total = StatusCounts()
    groups: dict[str, StatusCounts] = {}
    for recipient_status in recipients:
        total.count(recipient_status)
        groups.setdefault(recipient_status.organisation_type, StatusCounts()).count(
            recipient_status
        )
    order = {str(kind): index for index, kind in enumerate(OrganisationType)}
    by_type = dict(sorted(groups.items(), key=lambda item: (order.get(item[0], 99), item[0])))
    for counts in (total, *by_type.values()):
        counts.response_rate = response_rate(counts.invited, counts.submitted)
    # 4. The outbox by delivery state.
    outbox = dict.fromkeys(MailStatus, 0)
    for status, count in db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.round_id == round_.id)
        .group_by(OutboxMessage.status)
    ):
        outbox[MailStatus(status)] = count
    return RoundStatus(
        round_id=round_.id,
        state=round_.state_enum,
        total=total,
        by_organisation_type=by_type,
        recipients=recipients,
        outbox=outbox,
    )


# --- Listing --------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundSummary:
    """A round in a list: counts without per-recipient rows."""

    round: Round
    recipients: int
    submitted: int


def summarise_rounds(rounds: Sequence[Round]) -> list[RoundSummary]:
    """Count recipients and submitted responses of each round (two queries)."""
    ids = [round_.id for round_ in rounds]
    if not ids:
        return []
    recipients = dict(
        db.session.execute(
            select(Recipient.round_id, func.count())
            .where(Recipient.round_id.in_(ids), Recipient.removed_at.is_(None))
            .group_by(Recipient.round_id)
        ).all()
    )
    submitted = dict(
        db.session.execute(
            select(Response.round_id, func.count())
            .join(Recipient, Recipient.id == Response.recipient_id)
            .where(
                Response.round_id.in_(ids),
                Response.submitted_at.is_not(None),
                Recipient.removed_at.is_(None),
            )
            .group_by(Response.round_id)
        ).all()
    )
    return [
        RoundSummary(round_, recipients.get(round_.id, 0), submitted.get(round_.id, 0))
        for round_ in rounds
    ]
