"""Requests from one person: everything stored about an email address, and its erasure.

`person_record` gathers what the engine holds about an email address, for a request of
access (*registerutdrag*, GDPR art. 15): accounts, recipient rows in every round with
their answers, drafts and submission history, the outbox messages sent to the address,
the audit events about or by the person, and the throttling counters of the address.

`erase_person` answers a request of erasure (art. 17) for a respondent: every recipient
row with the address, in every round, is pseudonymised as the retention purge does
(the answers stay for statistics, without name or address), and every message to the
address is purged. The person's link stops working. Accounts of process leaders,
readers and administrators are not erased here: they are deactivated with
`survey user deactivate` and kept with the audit trail (see docs/privacy.md).

Neither the audit events of these requests nor their output to the terminal store the
address again beyond what the operator asked for: the events name recipient and account
ids only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import func, or_, select

from survey import ratelimit
from survey.accounts.users import normalise_email
from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.errors import ErrorCode, OperatorError
from survey.privacy.local_contacts import contact_record, erase_contact, groups_with_contact
from survey.privacy.pseudonymise import PseudonymisedCounts, pseudonymise
from survey.schema.accounts import User
from survey.schema.audit import AuditEvent
from survey.schema.outbox import OutboxMessage
from survey.schema.ratelimit import RateLimitCounter
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round

EXPORT_ACTION: Final = "privacy.export_person"
ERASE_ACTION: Final = "privacy.erase_person"
# The kinds of throttling counter keyed by an email address (see survey.accounts.authentication).
EMAIL_COUNTER_KINDS: Final = ("login-email", "login-email-last")
PASSWORD_NOTE: Final = "Lösenordet lagras bara som en Argon2-hash och kan inte läsas ut."


class NotAnEmailAddress(OperatorError, ValueError):
    """The text given cannot be an email address; nothing was looked up."""

    code = ErrorCode.PRIVACY_NOT_AN_EMAIL_ADDRESS


def checked_email(text: str) -> str:
    """The address trimmed and in lower case, as stored; NotAnEmailAddress if it cannot be one."""
    email = normalise_email(text)
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or any(ch.isspace() or not ch.isprintable() for ch in email)
    ):
        raise NotAnEmailAddress(
            f"{text!r} is not an email address — give the address exactly as the person wrote it, "
            "e.g. anna.andersson@example.se",
            code=ErrorCode.PRIVACY_NOT_AN_EMAIL_ADDRESS,
        )
    return email


def _recipients_with(email: str) -> list[Recipient]:
    return list(
        db.session.scalars(
            select(Recipient).where(func.lower(Recipient.email) == email).order_by(Recipient.id)
        )
    )


def _messages_to(email: str, recipient_ids: Iterable[int]) -> list[OutboxMessage]:
    ids = list(recipient_ids)
    condition = func.lower(OutboxMessage.to_address) == email
    if ids:
        condition = or_(condition, OutboxMessage.recipient_id.in_(ids))
    return list(
        db.session.scalars(select(OutboxMessage).where(condition).order_by(OutboxMessage.id))
    )


def _time(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _mentions(
    details: Mapping[str, Any] | None, recipient_ids: set[int], user_ids: set[int]
) -> bool:
    if not details:
        return False
    if details.get("recipient_id") in recipient_ids or details.get("user_id") in user_ids:
        return True
    listed = details.get("recipient_ids")
    return isinstance(listed, list) and any(item in recipient_ids for item in listed)


def _audit_events(email: str, recipients: list[Recipient], users: list[User]) -> list[AuditEvent]:
    recipient_ids = {recipient.id for recipient in recipients}
    user_ids = {user.id for user in users}
    conditions = [AuditEvent.actor == email, func.lower(AuditEvent.summary).contains(email)]
    if user_ids:
        conditions.append(AuditEvent.user_id.in_(user_ids))
    found = {
        event.id: event for event in db.session.scalars(select(AuditEvent).where(or_(*conditions)))
    }
    round_ids = {recipient.round_id for recipient in recipients}
    if round_ids or user_ids:
        # Events about a recipient or an account name its id in their details.
        nearby = select(AuditEvent)
        if round_ids:
            nearby = nearby.where(
                or_(AuditEvent.round_id.in_(round_ids), AuditEvent.action.startswith("user."))
            )
        else:
            nearby = nearby.where(AuditEvent.action.startswith("user."))
        for event in db.session.scalars(nearby):
            if _mentions(event.details, recipient_ids, user_ids):
                found[event.id] = event
    return sorted(found.values(), key=lambda event: (event.occurred_at, event.id))


def _response_record(recipient: Recipient) -> dict[str, Any] | None:
    response = db.session.scalar(select(Response).where(Response.recipient_id == recipient.id))
    if response is None:
        return None
    submissions = db.session.scalars(
        select(ResponseSubmission)
        .where(ResponseSubmission.response_id == response.id)
        .order_by(ResponseSubmission.number)
    )
    return {
        "draft": response.draft,
        "draft_saved_at": _time(response.draft_saved_at),
        "answers": response.answers,
        "submitted_at": _time(response.submitted_at),
        "first_submitted_at": _time(response.first_submitted_at),
        "imported": response.imported,
        "submissions": [
            {
                "number": submission.number,
                "submitted_at": _time(submission.submitted_at),
                "imported": submission.imported,
                "answers": submission.answers,
            }
            for submission in submissions
        ],
    }


def _recipient_record(recipient: Recipient) -> dict[str, Any]:
    round_ = db.session.get(Round, recipient.round_id)
    return {
        "recipient_id": recipient.id,
        "round": None
        if round_ is None
        else {
            "id": round_.id,
            "title": round_.title,
            "delregion": round_.delregion,
            "state": round_.state,
            "questionnaire": round_.questionnaire_version.title,
            "reference_date": _time(round_.reference_date),
        },
        "name": recipient.name,
        "email": recipient.email,
        "organisation": recipient.organisation,
        "organisation_type": recipient.organisation_type,
        "kommun": recipient.kommun,
        "delregion": recipient.delregion,
        "personal_link": "giltig" if recipient.token_hash is not None else "ingen giltig länk",
        "invited_at": _time(recipient.invited_at),
        "first_opened_at": _time(recipient.first_opened_at),
        "reminders_sent": recipient.reminders_sent,
        "last_contacted_at": _time(recipient.last_contacted_at),
        "opted_out_of_reminders": recipient.opted_out,
        "removed_at": _time(recipient.removed_at),
        "pseudonymised_at": _time(recipient.pseudonymised_at),
        "created_at": _time(recipient.created_at),
        "response": _response_record(recipient),
    }


def _account_record(user: User) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "delregion": user.delregion,
        "active": user.active,
        "created_at": _time(user.created_at),
        "last_login_at": _time(user.last_login_at),
        "password": PASSWORD_NOTE,
    }


def _counters(email: str) -> list[dict[str, Any]]:
    records = []
    for kind in EMAIL_COUNTER_KINDS:
        counter = db.session.get(RateLimitCounter, ratelimit.counter_key(kind, email))
        if counter is not None:
            records.append(
                {
                    "kind": kind,
                    "failures": counter.count,
                    "window_started_at": _time(counter.window_started_at),
                }
            )
    return records


@dataclass(frozen=True)
class PersonRecord:
    """Everything stored about one email address, ready to be written as JSON."""

    email: str
    document: dict[str, Any]
    recipient_ids: list[int]
    user_ids: list[int]

    @property
    def found_anything(self) -> bool:
        return any(
            self.document[key]
            for key in (
                "accounts",
                "recipients",
                "local_group_contacts",
                "messages",
                "audit_events",
                "throttling_counters",
            )
        )


def person_record(text: str, *, now: datetime | None = None) -> PersonRecord:
    """Gather everything stored about the email address (read only)."""
    email = checked_email(text)
    users = list(db.session.scalars(select(User).where(func.lower(User.email) == email)))
    recipients = _recipients_with(email)
    messages = _messages_to(email, (recipient.id for recipient in recipients))
    events = _audit_events(email, recipients, users)
    document: dict[str, Any] = {
        "email": email,
        "generated_at": _time(now or utcnow()),
        "about": (
            "Registerutdrag: allt som enkätmotorn lagrar om e-postadressen. Tider är UTC. "
            "Svar finns under recipients[].response."
        ),
        "accounts": [_account_record(user) for user in users],
        "recipients": [_recipient_record(recipient) for recipient in recipients],
        "local_group_contacts": [contact_record(group) for group in groups_with_contact(email)],
        "messages": [
            {
                "message_id": message.id,
                "round_id": message.round_id,
                "recipient_id": message.recipient_id,
                "kind": message.kind,
                "sequence": message.sequence,
                "to_address": message.to_address,
                "to_name": message.to_name,
                "sender": message.sender,
                "reply_to": message.reply_to,
                "subject": message.subject,
                "body_text": message.body_text,
                "status": message.status,
                "created_at": _time(message.created_at),
                "sent_at": _time(message.sent_at),
            }
            for message in messages
        ],
        "audit_events": [
            {
                "occurred_at": _time(event.occurred_at),
                "actor": event.actor,
                "action": event.action,
                "round_id": event.round_id,
                "summary": event.summary,
            }
            for event in events
        ],
        "throttling_counters": _counters(email),
    }
    return PersonRecord(
        email=email,
        document=document,
        recipient_ids=[recipient.id for recipient in recipients],
        user_ids=[user.id for user in users],
    )


def record_person_export(record: PersonRecord) -> None:
    """Add the audit event of a delivered register extract (the caller commits)."""
    record_audit(
        EXPORT_ACTION,
        f"Registerutdrag för en person: {len(record.recipient_ids)} mottagarposter och "
        f"{len(record.user_ids)} konton.",
        details={"recipient_ids": record.recipient_ids, "user_ids": record.user_ids},
    )


@dataclass(frozen=True)
class ErasureReport:
    """What erasing one person's data changed."""

    rounds: list[int]
    counts: PseudonymisedCounts
    accounts: list[int]  # accounts with the address, left for `survey user deactivate`
    local_groups: list[int]  # lokal samverkan groups whose contact was erased (plans kept)
    open_rounds: list[int]  # rounds still open, where the person's link stopped working


def erase_person(text: str, *, now: datetime) -> ErasureReport:
    """Pseudonymise every recipient with the address and purge its mail (the caller commits)."""
    email = checked_email(text)
    recipients = _recipients_with(email)
    by_round: dict[int, list[int]] = {}
    for recipient in recipients:
        by_round.setdefault(recipient.round_id, []).append(recipient.id)
    rounds = {
        round_.id: round_
        for round_ in db.session.scalars(select(Round).where(Round.id.in_(by_round)))
    }
    open_rounds = [round_id for round_id, round_ in rounds.items() if round_.state == "open"]
    total = PseudonymisedCounts()
    for round_id, ids in sorted(by_round.items()):
        round_ = rounds[round_id]
        counts = pseudonymise(recipient_ids=ids, now=now)
        total = total + counts
        if counts.changed_anything:
            record_audit(
                ERASE_ACTION,
                f"Raderade på begäran personuppgifterna för mottagare "
                f"{', '.join(map(str, ids))} i omgången ”{round_.title}”: namn, e-postadress, "
                f"länk, {counts.messages} meddelanden och {counts.drafts} utkast. "
                "Inskickade svar finns kvar för statistik.",
                round_id=round_id,
                delregion=round_.delregion,
                details={
                    "recipient_ids": ids,
                    "messages": counts.messages,
                    "drafts": counts.drafts,
                },
            )
    # Messages to the address without a recipient row (e.g. the row was deleted).
    stray = pseudonymise(
        recipient_ids=[],
        now=now,
        message_filter=func.lower(OutboxMessage.to_address) == email,
    )
    total = total + stray
    if stray.changed_anything:
        record_audit(
            ERASE_ACTION,
            f"Raderade på begäran {stray.messages + stray.withdrawn} meddelanden till en "
            "adress utan mottagarpost.",
            details={"messages": stray.messages, "withdrawn": stray.withdrawn},
        )
    groups = groups_with_contact(email)
    for group in groups:
        erase_contact(group)
    accounts = list(db.session.scalars(select(User.id).where(func.lower(User.email) == email)))
    return ErasureReport(
        rounds=sorted(by_round),
        counts=total,
        accounts=accounts,
        open_rounds=sorted(open_rounds),
        local_groups=[group.id for group in groups],
    )
