"""A round's status: where each recipient is, counts per organisation type, response rates.

A recipient's state is decided by one set of rules (`recipient_state`), applied to one
row in Python and, as a CASE expression (`recipient_state_sql`), by the database. The
counts are computed by the database (GROUP BY over that CASE) and the recipients are read
a page at a time (`survey/rounds/recipient_list.py`), so a round of a hundred thousand
recipients costs a fixed, small number of queries and never a Python object per recipient.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, case, func, null, or_, select, text

from survey.db import db
from survey.organisations import ORGANISATION_TYPE_LABELS, OrganisationType
from survey.rounds.actions import chunks
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


def organisation_type_label(code: str) -> str:
    """The Swedish name of an organisation type code (the code itself when unknown)."""
    try:
        return ORGANISATION_TYPE_LABELS[OrganisationType(code)]
    except ValueError:
        return code


def response_rate(invited: int, submitted: int) -> float | None:
    """Submitted per invited in percent, to one decimal; None when nobody is invited."""
    return round(100.0 * submitted / invited, 1) if invited else None


# --- The rules: one recipient's state ---------------------------------------------------

_DELIVERY_STATES = {
    MailStatus.QUEUED.value: RecipientState.QUEUED,
    MailStatus.SENDING.value: RecipientState.QUEUED,
    MailStatus.SENT.value: RecipientState.SENT,
    # Development: kept in the outbox, as good as sent for trying the flow.
    MailStatus.HELD.value: RecipientState.SENT,
    MailStatus.FAILED.value: RecipientState.DELIVERY_FAILED,
    MailStatus.UNCERTAIN.value: RecipientState.UNCERTAIN,
}
# What the recipient did, latest step first: the first of these times that is set decides
# the state; without any, the delivery of the latest invitation decides (none: not sent).
_STEPS = (
    ("submitted_at", RecipientState.SUBMITTED),
    ("draft_saved_at", RecipientState.DRAFT),
    ("first_opened_at", RecipientState.OPENED),
)
# Counted as invited: the invitation was queued, or answers exist (an imported response).
_INVITED_BY = ("invited_at", "submitted_at")
# Counted as opened: the link was opened, or a response exists.
_OPENED_BY = ("first_opened_at", "submitted_at", "draft_saved_at")
_PROBLEM_STATUSES = (MailStatus.FAILED.value, MailStatus.UNCERTAIN.value)


class StateFacts(Protocol):
    """What a recipient's state is decided from: a row, or the SQL columns of one."""

    @property
    def submitted_at(self) -> Any: ...
    @property
    def draft_saved_at(self) -> Any: ...
    @property
    def first_opened_at(self) -> Any: ...
    @property
    def invited_at(self) -> Any: ...
    @property
    def invitation_status(self) -> Any: ...


def recipient_state(facts: StateFacts) -> RecipientState:
    """The state of one recipient (the single definition; `recipient_state_sql` mirrors it)."""
    for name, state in _STEPS:
        if getattr(facts, name) is not None:
            return state
    return _DELIVERY_STATES.get(facts.invitation_status or "", RecipientState.NOT_SENT)


def recipient_state_sql(facts: StateFacts) -> ColumnElement[str]:
    """`recipient_state` as a CASE over the columns of `facts` (the state's value).

    The invitation's status is the inner CASE's operand, computed once and only for a
    recipient who has neither answered nor opened the link (it is a subquery).
    """
    delivery = case(
        {status: state.value for status, state in _DELIVERY_STATES.items()},
        value=facts.invitation_status,
        else_=RecipientState.NOT_SENT.value,
    )
    return case(
        *((getattr(facts, name).is_not(None), state.value) for name, state in _STEPS),
        else_=delivery,
    )


def _any_set(facts: Any, names: Iterable[str]) -> bool:
    return any(getattr(facts, name) is not None for name in names)


def _any_set_sql(facts: Any, names: Iterable[str]) -> ColumnElement[int]:
    return case((or_(*(getattr(facts, name).is_not(None) for name in names)), 1), else_=0)


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

    def add(self, state: RecipientState, *, invited: bool, opened: bool, number: int = 1) -> None:
        """Count `number` recipients in `state`, invited and opened or not."""
        self.recipients += number
        if invited:
            self.invited += number
        if state in (RecipientState.NOT_SENT, RecipientState.QUEUED):
            self.not_sent += number
        elif state is RecipientState.DELIVERY_FAILED:
            self.delivery_failed += number
        elif state is RecipientState.UNCERTAIN:
            self.uncertain += number
        if opened:
            self.opened += number
        if state is RecipientState.DRAFT:
            self.draft += number
        if state is RecipientState.SUBMITTED:
            self.submitted += number

    def count(self, row: RecipientStatus) -> None:
        """Count one recipient's row (the per-row rule the database's counts follow)."""
        self.add(row.state, invited=_any_set(row, _INVITED_BY), opened=_any_set(row, _OPENED_BY))


# --- The queries ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvitationState:
    """The delivery state of a recipient's latest invitation (highest sequence)."""

    sequence: int
    status: str
    error: str | None


def latest_invitations(
    round_id: int, recipient_ids: Sequence[int] | None = None
) -> dict[int, InvitationState]:
    """Each recipient's latest invitation (a reissued link's invitation replaces the old).

    Of every recipient of the round, or of those in `recipient_ids` (a few).
    """
    latest: dict[int, InvitationState] = {}
    statement = select(
        OutboxMessage.recipient_id,
        OutboxMessage.sequence,
        OutboxMessage.status,
        OutboxMessage.last_error,
    ).where(
        OutboxMessage.round_id == round_id,
        OutboxMessage.kind == MailKind.INVITATION.value,
        OutboxMessage.recipient_id.is_not(None),
    )
    if recipient_ids is not None:
        statement = statement.where(OutboxMessage.recipient_id.in_(recipient_ids))
    for recipient_id, sequence, status, error in db.session.execute(statement):
        if recipient_id is None:
            continue
        if recipient_id not in latest or sequence > latest[recipient_id].sequence:
            latest[recipient_id] = InvitationState(sequence, status, error)
    return latest


class RecipientColumns:
    """The round's recipients (not removed) with their response and latest invitation.

    `select(...)` reads any of its columns; `state` is the recipient's state as SQL. The
    latest invitation's status and error are subqueries per recipient (the message of the
    highest sequence, the one `latest_invitations` picks), read through the outbox's index
    on (recipient_id, kind, ...). With `responses=False` the response's columns are NULL:
    for recipients known to have none, without joining the responses.
    """

    def __init__(self, round_id: int, *, responses: bool = True) -> None:
        self.round_id = round_id
        self.submitted_at: Any = Response.submitted_at if responses else null()
        self.draft_saved_at: Any = Response.draft_saved_at if responses else null()
        self.first_opened_at = Recipient.first_opened_at
        self.invited_at = Recipient.invited_at
        self.invitation_status = self._latest_invitation(OutboxMessage.status)
        self.invitation_error = self._latest_invitation(OutboxMessage.last_error)
        self.state = recipient_state_sql(self)

    def _latest_invitation(self, column: Any) -> Any:
        return (
            select(column)
            .where(
                OutboxMessage.recipient_id == Recipient.id,
                OutboxMessage.kind == MailKind.INVITATION.value,
                OutboxMessage.round_id == self.round_id,
            )
            .order_by(OutboxMessage.sequence.desc())
            .limit(1)
            .correlate(Recipient)
            .scalar_subquery()
        )

    def select(self, *columns: Any) -> Select[Any]:
        """`columns` of the round's recipients, each with its response (if any).

        The response is joined on its round too (always the recipient's): then SQLite
        reads it from the responses' index on (round_id, recipient_id, submitted_at,
        draft_saved_at) instead of reading the row of answers (several pages each).
        """
        return self.recipients(*columns).outerjoin(
            Response,
            and_(Response.recipient_id == Recipient.id, Response.round_id == self.round_id),
        )

    def recipients(self, *columns: Any) -> Select[Any]:
        """`columns` of the round's recipients alone (no response's column, no `state`)."""
        return (
            select(*columns)
            .select_from(Recipient)
            .where(Recipient.round_id == self.round_id, Recipient.removed_at.is_(None))
        )

    def rows(self) -> Select[Any]:
        """Every column a `RecipientStatus` needs, in the round page's order."""
        return self.select(
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
            self.invitation_status.label("invitation_status"),
            self.invitation_error.label("invitation_error"),
        ).order_by(Recipient.organisation, Recipient.id)

    def per_recipient(self) -> list[Any]:
        """What the counts are grouped by (`_GROUPED_BY`), for each recipient."""
        return [
            Recipient.organisation_type.label("organisation_type"),
            self.state.label("state"),
            _any_set_sql(self, _INVITED_BY).label("invited"),
            _any_set_sql(self, _OPENED_BY).label("opened"),
        ]


_GROUPED_BY = ("organisation_type", "state", "invited", "opened")


def _grouped_counts(round_id: int) -> list[Any]:
    """(organisation type, state, invited, opened, number) of the round's recipients.

    Two aggregate queries, so that each reads an index in its order: the recipients with
    a response, from the responses' index on (round_id, recipient_id, submitted_at,
    draft_saved_at); those without, from the recipients' index, their response's absence
    checked in the responses' index on recipient_id. No row of answers is read.
    """
    answered = RecipientColumns(round_id)
    with_response = (
        select(*answered.per_recipient())
        .select_from(Response)
        .join(Recipient, Recipient.id == Response.recipient_id)
        .where(
            Response.round_id == round_id,
            Recipient.round_id == round_id,
            Recipient.removed_at.is_(None),
        )
        .subquery("with_response")
    )
    unanswered = RecipientColumns(round_id, responses=False)
    without_response = (
        select(*unanswered.per_recipient())
        .where(
            Recipient.round_id == round_id,
            Recipient.removed_at.is_(None),
            ~select(Response.id).where(Response.recipient_id == Recipient.id).exists(),
        )
        .subquery("without_response")
    )
    rows: list[Any] = []
    for part in (with_response, without_response):
        keys = [part.c[name] for name in _GROUPED_BY]
        rows.extend(db.session.execute(select(*keys, func.count().label("number")).group_by(*keys)))
    return rows


_IDS_PER_QUERY = 5000  # below every database's limit of bound parameters


def recipient_statuses(statement: Select[Any]) -> list[RecipientStatus]:
    """The rows of `statement` (`RecipientColumns.rows()`, narrowed) as `RecipientStatus`.

    Two queries: the rows, and the last reminder of just these recipients.
    """
    rows = db.session.execute(statement).all()
    ids = [row.id for row in rows]
    last_reminders: dict[int, datetime] = {}
    for chunk in chunks(ids, _IDS_PER_QUERY):
        last_reminders.update(
            (recipient_id, created_at)
            for recipient_id, created_at in db.session.execute(
                select(OutboxMessage.recipient_id, func.max(OutboxMessage.created_at))
                .where(
                    OutboxMessage.recipient_id.in_(chunk),
                    OutboxMessage.kind == MailKind.REMINDER.value,
                )
                .group_by(OutboxMessage.recipient_id)
            )
            if recipient_id is not None
        )
    return [
        RecipientStatus(
            recipient_id=row.id,
            name=row.name,
            email=row.email,
            organisation=row.organisation,
            organisation_type=row.organisation_type,
            kommun=row.kommun,
            delregion=row.delregion,
            state=recipient_state(row),
            invited_at=row.invited_at,
            first_opened_at=row.first_opened_at,
            draft_saved_at=row.draft_saved_at,
            submitted_at=row.submitted_at,
            reminders_sent=row.reminders_sent,
            last_reminder_at=last_reminders.get(row.id),
            link_live=bool(row.link_live),
            opted_out=bool(row.opted_out),
            delivery_problem=(
                row.invitation_error if row.invitation_status in _PROBLEM_STATUSES else None
            ),
        )
        for row in rows
    ]


def recipient_status(round_: Round, recipient_id: int) -> RecipientStatus | None:
    """One recipient's status (None when not in the round or removed), in two queries."""
    columns = RecipientColumns(round_.id)
    found = recipient_statuses(columns.rows().where(Recipient.id == recipient_id))
    return found[0] if found else None


@dataclass
class RoundCounts:
    """Counts overall, per organisation type and per state, and the outbox by delivery state."""

    round_id: int
    state: RoundState
    total: StatusCounts
    by_organisation_type: dict[str, StatusCounts]
    by_state: dict[RecipientState, int]
    outbox: dict[MailStatus, int] = field(default_factory=dict)

    def in_states(self, states: Collection[RecipientState] | None) -> int:
        """How many recipients are in one of `states` (None: every recipient)."""
        if states is None:
            return self.total.recipients
        return sum(self.by_state[state] for state in states)


def round_counts(round_: Round) -> RoundCounts:
    """The round's counts in three aggregate queries, whatever the number of recipients."""
    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL prices the invitation's subquery as if it ran for every recipient and
        # compiles the counts (JIT) for longer than they take to count. For this
        # transaction only: a page's queries are all short.
        db.session.execute(text("SET LOCAL jit = off"))
    total = StatusCounts()
    groups: dict[str, StatusCounts] = {}
    by_state = dict.fromkeys(RecipientState, 0)
    for row in _grouped_counts(round_.id):
        state = RecipientState(row.state)
        by_state[state] += row.number
        for counts in (total, groups.setdefault(row.organisation_type, StatusCounts())):
            counts.add(state, invited=bool(row.invited), opened=bool(row.opened), number=row.number)
    order = {str(kind): index for index, kind in enumerate(OrganisationType)}
    by_type = dict(sorted(groups.items(), key=lambda item: (order.get(item[0], 99), item[0])))
    for counts in (total, *by_type.values()):
        counts.response_rate = response_rate(counts.invited, counts.submitted)
    outbox = dict.fromkeys(MailStatus, 0)
    for status, number in db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.round_id == round_.id)
        .group_by(OutboxMessage.status)
    ):
        outbox[MailStatus(status)] = number
    return RoundCounts(
        round_id=round_.id,
        state=round_.state_enum,
        total=total,
        by_organisation_type=by_type,
        by_state=by_state,
        outbox=outbox,
    )


@dataclass
class RoundStatus(RoundCounts):
    """The counts and one row per (not removed) recipient: the operator's full export."""

    recipients: list[RecipientStatus] = field(default_factory=list)

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


def round_status(round_: Round) -> RoundStatus:
    """The counts and every recipient's row, in a fixed number of queries (the CLI's status)."""
    counts = round_counts(round_)
    rows = recipient_statuses(RecipientColumns(round_.id).rows())
    return RoundStatus(**counts.__dict__, recipients=rows)


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
