"""Running a survey round: settings, recipients, opening, reminders, links, closing, status.

Every function here is one action of a process leader (or of `survey tick`). Each
changes the current session only — the caller commits, so one user action is one
transaction — and writes its outbox rows and its audit event in that same transaction.
A refused action raises `RoundError` (or `RoundSettingsInvalid`) before anything is
changed, with a Swedish message for the web and an English one for the command line.

Decisions made here:

* A round's questionnaire version, delregion and opening time are fixed once it has
  opened; title, reference date, reminder schedule, sender and texts stay editable (new
  texts apply to messages queued afterwards). The closing time changes by `extend_round`.
* `extend_round` on a closed round opens it again (by time or by hand): extending is an
  explicit decision to take answers until the new date. Reminders then resume on the
  schedule; nobody gets more than the maximum.
* Opening by hand before `opens_at` moves `opens_at` to the moment of opening, so the
  settings say when the round really opened. A round opens only with recipients.
* `survey tick` opens every draft round whose opening time has come (a draft is a round
  that is ready to go at its opening time; create it with a later opening time to keep
  preparing it).
* Removing a recipient is soft (`removed_at`): the link stops working, the recipient is
  left out of status, reminders and results; the row keeps the email address taken.
* A reminder by hand goes to invited non-responders whatever the schedule, but not to
  anyone contacted less than `HAND_REMINDER_MIN_GAP` ago (a double click sends nothing
  twice); it counts towards the maximum of scheduled reminders.
* Correcting a recipient's email address in an open round sends a new link to the new
  address (the old link, which went to the wrong address, stops working).
* Messages still queued (not yet handed to the mail server) when a link is revoked or
  reissued, a recipient removed or a round closed are withdrawn: deleted, never sent —
  nobody received them, and a reissued link's new invitation replaces them. A worker
  that had claimed one finds it gone and skips it; one already being handed over to the
  mail server finishes. A message queued earlier never goes out with a dead or missing
  link: the send-time lookup (`live_links`) gives no link for a revoked link, a removed
  recipient or a round not open, and the worker then marks the message failed.
* A live link that no configured key can make again (SECRET_KEY rotated and the old key
  dropped from SECRET_KEY_FALLBACKS while the link was in use) is renewed when the next
  invitation, reminder or re-sent message to its recipient is queued (audited), so that
  message goes out with a working link instead of failing at sending; see docs/security.md.
* Reminders, and hand reminders, skip recipients whose link is revoked: they could not
  answer. A failed invitation counts as failed delivery until a new one is queued
  (reissuing the link) or it is re-queued by a person.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app
from sqlalchemy import Select, delete, insert, select

from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.localtime import format_local
from survey.mail.compose import MAX_SUBJECT_LENGTH
from survey.mail.outbox import (
    NewMessage,
    NotRequeueable,
    queue_messages,
    queue_new_message,
    requeue_failed,
    requeue_uncertain,
)
from survey.rounds.messages import render_template
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.reminders import ReminderCandidate, ReminderSchedule, due_reminders
from survey.rounds.settings import (
    FIXED_WHEN_OPEN,
    SettingProblem,
    clean_settings,
    message_values,
    round_settings_problems,
    settings_of,
)

# The settings and the status belong to the service's API: re-exported for its callers.
from survey.rounds.settings import RoundError as RoundError
from survey.rounds.settings import RoundSettings as RoundSettings
from survey.rounds.settings import RoundSettingsInvalid as RoundSettingsInvalid
from survey.rounds.settings import check_round_settings as check_round_settings
from survey.rounds.status import RoundStatus as RoundStatus
from survey.rounds.status import latest_invitations
from survey.rounds.status import round_status as round_status
from survey.rounds.status import summarise_rounds as summarise_rounds
from survey.rounds.tokens import current_token, issue_link, personal_link, revoke_link
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState

if TYPE_CHECKING:
    from survey.schema.accounts import User

HAND_REMINDER_MIN_GAP = timedelta(hours=24)
# Rows per IN (...) list: well below every database's limit on bound parameters.
CHUNK = 500

T = TypeVar("T")


def create_round(settings: RoundSettings, *, actor: User | None = None, now: datetime) -> Round:
    """Create a draft round; raise RoundSettingsInvalid listing every broken rule."""
    problems = round_settings_problems(settings, now=now)
    if problems:
        raise RoundSettingsInvalid(problems)
    round_ = Round(
        **clean_settings(settings),
        state=RoundState.DRAFT.value,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    db.session.add(round_)
    db.session.flush()
    audit_round(
        round_,
        "round.create",
        f"Skapade omgången ”{round_.title}” (utkast).",
        actor=actor,
        details={"questionnaire_version_id": round_.questionnaire_version_id},
    )
    return round_


def update_round(
    round_: Round, settings: RoundSettings, *, actor: User | None = None, now: datetime
) -> list[str]:
    """Change a draft or open round's settings; return the names of the changed settings.

    An open round keeps its questionnaire version, delregion and opening time; its
    closing time changes only through `extend_round`.
    """
    _lock(round_)
    state = round_.state_enum
    if state is RoundState.CLOSED:
        raise RoundError(
            "En stängd omgång kan inte ändras. Förläng den om den ska ta emot svar igen.",
            f"round {round_.id} is closed and cannot be changed — extend it to reopen it",
        )
    current = settings_of(round_)
    problems = round_settings_problems(settings, now=now, check_dates=state is RoundState.DRAFT)
    if state is RoundState.OPEN:
        for name in (*FIXED_WHEN_OPEN, "closes_at"):
            if getattr(settings, name) != getattr(current, name):
                english = f"{name} cannot be changed once the round has opened"
                swedish = "Kan inte ändras när omgången har öppnats."
                if name == "closes_at":
                    english = "change the closing time with `survey round extend`"
                    swedish = "Ändra sista svarsdag med ”Förläng”."
                problems.append(SettingProblem(name, swedish, english))
    if problems:
        raise RoundSettingsInvalid(problems)
    values = clean_settings(settings)
    changed = [name for name, value in values.items() if getattr(round_, name) != value]
    for name in changed:
        setattr(round_, name, values[name])
    if changed:
        db.session.flush()
        audit_round(
            round_,
            "round.update",
            f"Ändrade omgången ”{round_.title}”: {', '.join(changed)}.",
            actor=actor,
            details={"changed": changed},
        )
    return changed


def _subject(text: str) -> str:
    if len(text) <= MAX_SUBJECT_LENGTH:
        return text
    return text[: MAX_SUBJECT_LENGTH - 1] + "…"


def _queue(round_: Round, recipient: Recipient, kind: MailKind, sequence: int) -> OutboxMessage:
    return queue_new_message(_new_message(round_, recipient, kind, sequence))


def _queue_all(
    round_: Round, recipients: Sequence[Recipient], kind: MailKind, sequences: Mapping[int, int]
) -> None:
    """Queue one message of `kind` per recipient (numbered by `sequences`) in one statement."""
    queue_messages(
        _new_message(round_, recipient, kind, sequences[recipient.id]) for recipient in recipients
    )


def _new_message(round_: Round, recipient: Recipient, kind: MailKind, sequence: int) -> NewMessage:
    if kind is MailKind.INVITATION:
        subject, body = round_.invitation_subject, round_.invitation_body
    else:
        subject, body = round_.reminder_subject, round_.reminder_body
    values = message_values(round_, name=recipient.name or "", organisation=recipient.organisation)
    if recipient.email is None:
        raise RoundError(
            "Mottagarens personuppgifter är rensade; inget meddelande kan skickas.",
            f"recipient {recipient.id} has been pseudonymised; no message can be sent",
        )
    return NewMessage(
        kind=kind,
        sequence=sequence,
        to_address=recipient.email,
        to_name=recipient.name,
        subject=_subject(render_template(subject, values)),
        body_text=render_template(body, values),
        sender_name=round_.sender_name,
        reply_to=round_.reply_to,
        round_id=round_.id,
        recipient_id=recipient.id,
    )


def _signing_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def _link_keys() -> list[str]:
    """Every key a live link may have been made with: the current one, then the old ones."""
    config = current_app.config
    return [str(config["SECRET_KEY"]), *config.get("SECRET_KEY_FALLBACKS", [])]


def _renew_links_of_dropped_keys(round_: Round, recipients: Sequence[Recipient]) -> list[int]:
    """Give a new link to recipients whose live link no configured key can make again.

    That happens when SECRET_KEY was rotated and the old key removed from
    SECRET_KEY_FALLBACKS while the link was still in use: the link still opens the form
    (only its hash is checked), but the mail worker could not put it into a new message,
    which would then fail. A new link (the old one stops working; answers are kept) lets
    the message go out with a link that works. Returns the ids of the renewed recipients.
    """
    keys = _link_keys()
    renewed = [
        recipient
        for recipient in recipients
        if recipient.token_hash is not None and current_token(recipient, keys) is None
    ]
    for recipient in renewed:
        issue_link(recipient, _signing_key())
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


def _invite(round_: Round, recipients: Sequence[Recipient], now: datetime) -> int:
    """Give each not yet invited recipient a link and queue their invitation; count them."""
    chosen = [r for r in recipients if r.removed_at is None and r.invited_at is None]
    # Recipients whose answers were imported (an earlier year, a paper form) have
    # already answered: inviting them would only ask again.
    answered = _submitted_recipient_ids(round_.id)
    chosen = [r for r in chosen if r.id not in answered]
    key = _signing_key()
    _renew_links_of_dropped_keys(round_, chosen)
    # Change every row first and flush once: each queued message below would otherwise
    # autoflush one recipient at a time.
    for recipient in chosen:
        if recipient.token_hash is None:
            issue_link(recipient, key)
        recipient.invited_at = now
        recipient.last_contacted_at = now
    db.session.flush()
    _queue_all(round_, chosen, MailKind.INVITATION, {r.id: r.token_generation for r in chosen})
    return len(chosen)


def _submitted_recipient_ids(round_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Response.recipient_id).where(
                Response.round_id == round_id, Response.submitted_at.is_not(None)
            )
        )
    )


def _withdraw_queued(*, round_id: int | None = None, recipient_ids: Sequence[int] = ()) -> int:
    """Delete messages still waiting in the queue, so they are never sent; count them.

    Only QUEUED rows go: nothing of them has left, so nobody misses anything. A worker
    that claimed one a moment ago finds it gone and skips it (it only sends QUEUED rows);
    a message already being handed over (SENDING) is left to finish.
    """
    if round_id is None and not recipient_ids:
        return 0
    db.session.flush()
    condition = (
        OutboxMessage.round_id == round_id
        if round_id is not None
        else OutboxMessage.recipient_id.in_(list(recipient_ids))
    )
    result = db.session.execute(
        delete(OutboxMessage)
        .where(condition, OutboxMessage.status == MailStatus.QUEUED.value)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def audit_round(
    round_: Round,
    action: str,
    summary: str,
    *,
    actor: User | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record an action on the round in the audit log (the caller commits)."""
    record_audit(
        action,
        summary,
        user=actor,
        round_id=round_.id,
        delregion=round_.delregion,
        details=details,
    )


# --- States ---------------------------------------------------------------------------


def lock_round(round_id: int) -> Round | None:
    """Read the round with ``SELECT … FOR UPDATE OF rounds``, refreshed; None if it is gone.

    ``OF rounds``: the round's questionnaire version is joined in, and PostgreSQL cannot
    lock the nullable side of an outer join (a plain ``with_for_update=True`` fails there).
    """
    return db.session.scalars(
        select(Round)
        .where(Round.id == round_id)
        .with_for_update(of=Round)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _lock(round_: Round) -> Round:
    """Lock the round's row for the rest of the transaction and read it afresh.

    Every change of state goes through here, so a close racing a submit, a reminder
    run or another close is serialised (PostgreSQL; SQLite serialises all writers).
    """
    db.session.flush()
    locked = lock_round(round_.id)
    if locked is None:
        raise RoundError("Omgången finns inte längre.", f"round {round_.id} does not exist")
    return locked


def active_recipients(round_id: int) -> list[Recipient]:
    """The round's recipients that are not removed, in the order they were added."""
    return list(
        db.session.scalars(
            select(Recipient)
            .where(Recipient.round_id == round_id, Recipient.removed_at.is_(None))
            .order_by(Recipient.id)
        )
    )


@dataclass(frozen=True)
class OpenOutcome:
    """What opening (or sending the not yet sent invitations of) a round did."""

    opened: bool
    invitations: int


def open_round(round_: Round, *, actor: User | None = None, now: datetime) -> OpenOutcome:
    """Open a draft round now (or, if open, invite the recipients not yet invited)."""
    round_ = _lock(round_)
    state = round_.state_enum
    if state is RoundState.CLOSED:
        raise RoundError(
            "Omgången är stängd. Förläng den för att öppna den igen.",
            f"round {round_.id} is closed — extend it with `survey round extend` to reopen it",
        )
    if round_.closes_at <= now:
        raise RoundError(
            "Sista svarsdag har passerat. Förläng omgången innan den öppnas.",
            f"round {round_.id} closed at {format_local(round_.closes_at)} (Europe/Stockholm) "
            "— extend it first",
        )
    recipients = active_recipients(round_.id)
    if not recipients:
        raise RoundError(
            "Omgången har inga mottagare. Lägg till mottagare innan den öppnas.",
            f"round {round_.id} has no recipients — add them with `survey round recipients`",
        )
    opened = state is RoundState.DRAFT
    if opened:
        round_.state = RoundState.OPEN.value
        round_.opened_at = now
        if round_.opens_at > now:
            round_.opens_at = now
    invitations = _invite(round_, recipients, now)
    if opened:
        audit_round(
            round_,
            "round.open",
            f"Öppnade omgången ”{round_.title}” och köade {invitations} inbjudningar.",
            actor=actor,
            details={"invitations": invitations},
        )
    elif invitations:
        audit_round(
            round_,
            "round.send",
            f"Köade {invitations} inbjudningar som inte skickats.",
            actor=actor,
            details={"invitations": invitations},
        )
    return OpenOutcome(opened=opened, invitations=invitations)


def close_round(round_: Round, *, actor: User | None = None, now: datetime) -> Round:
    """Close a round: it takes no more answers; queued mail is withdrawn.

    A draft round may be closed too, without any mail going out: that is how a round of
    an earlier year, whose answers were imported, is filed for results and trends.
    """
    round_ = _lock(round_)
    if round_.state_enum is RoundState.CLOSED:
        raise RoundError(
            "Omgången är redan stängd.",
            f"round {round_.id} is already closed",
        )
    round_.state = RoundState.CLOSED.value
    round_.closed_at = now
    withdrawn = _withdraw_queued(round_id=round_.id)
    audit_round(
        round_,
        "round.close",
        f"Stängde omgången ”{round_.title}”.",
        actor=actor,
        details={"withdrawn_messages": withdrawn, "by_time": round_.closes_at <= now},
    )
    return round_


def extend_round(
    round_: Round, new_closes_at: datetime, *, actor: User | None = None, now: datetime
) -> bool:
    """Move the closing time; a closed round opens again. Return True if it was reopened."""
    round_ = _lock(round_)
    if new_closes_at.tzinfo is None:
        raise ValueError("new_closes_at must be an aware datetime")
    if new_closes_at <= now:
        raise RoundSettingsInvalid(
            [
                SettingProblem(
                    "closes_at",
                    "Den nya sista svarsdagen måste ligga i framtiden.",
                    f"the new closing time {format_local(new_closes_at)} (Europe/Stockholm) "
                    "has passed — choose a time in the future",
                )
            ]
        )
    if new_closes_at <= round_.opens_at:
        raise RoundSettingsInvalid(
            [
                SettingProblem(
                    "closes_at",
                    "Omgången måste stänga efter att den öppnar.",
                    "the closing time must be after the opening time "
                    f"({format_local(round_.opens_at)} Europe/Stockholm)",
                )
            ]
        )
    old = round_.closes_at
    reopened = round_.state_enum is RoundState.CLOSED
    round_.closes_at = new_closes_at
    if reopened:
        round_.state = RoundState.OPEN.value
        round_.closed_at = None
    audit_round(
        round_,
        "round.extend",
        f"Ändrade sista svarsdag för ”{round_.title}” från {format_local(old)} till "
        f"{format_local(new_closes_at)}" + (" och öppnade omgången igen." if reopened else "."),
        actor=actor,
        details={"old": old.isoformat(), "new": new_closes_at.isoformat(), "reopened": reopened},
    )
    return reopened


def accepts_answers(round_: Round, now: datetime) -> bool:
    """Tell whether the round takes answers now: open, and its closing time not passed."""
    return round_.state_enum is RoundState.OPEN and round_.opens_at <= now < round_.closes_at


# --- Recipients -----------------------------------------------------------------------


def _require_not_closed(round_: Round, english_action: str) -> None:
    if round_.state_enum is RoundState.CLOSED:
        raise RoundError(
            "Omgången är stängd. Förläng den först om mottagare ska ändras.",
            f"round {round_.id} is closed — cannot {english_action}",
        )


def recipient_emails(round_id: int) -> set[str]:
    """Every email address the round's recipients hold (removed ones too: they stay taken)."""
    return {
        email
        for email in db.session.scalars(
            select(Recipient.email).where(Recipient.round_id == round_id)
        )
        if email is not None
    }


def add_recipients(
    round_: Round, rows: Sequence[RecipientRow], *, actor: User | None = None, now: datetime
) -> list[Recipient]:
    """Add checked recipients in one bulk insert; in an open round they are invited at once."""
    round_ = _lock(round_)
    _require_not_closed(round_, "add recipients")
    if not rows:
        return []
    taken = recipient_emails(round_.id)
    clashes = sorted({row.email for row in rows if row.email in taken})
    if clashes:
        raise RoundError(
            f"{clashes[0]} finns redan bland omgångens mottagare.",
            f"already recipients of round {round_.id}: {', '.join(clashes)}",
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
    for chunk in _chunks(values, CHUNK):
        added.extend(db.session.scalars(insert(Recipient).returning(Recipient), chunk))
    added.sort(key=lambda recipient: recipient.id)
    invited = 0
    if round_.state_enum is RoundState.OPEN:
        invited = _invite(round_, added, now)
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


def get_recipient(round_: Round, recipient_id: int) -> Recipient | None:
    """The round's recipient with this id, unless removed (None otherwise)."""
    recipient = db.session.get(Recipient, recipient_id)
    if recipient is None or recipient.round_id != round_.id or recipient.removed_at is not None:
        return None
    return recipient


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
    round_ = _lock(round_)
    _require_not_closed(round_, "correct recipients")
    _require_active(round_, recipient)
    if row.email != recipient.email and row.email in recipient_emails(round_.id):
        raise RoundError(
            f"{row.email} finns redan bland omgångens mottagare.",
            f"{row.email} is already a recipient of round {round_.id}",
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
            _reissue(round_, recipient, now)
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
    round_ = _lock(round_)
    _require_not_closed(round_, "remove recipients")
    _require_active(round_, recipient)
    recipient.removed_at = now
    revoke_link(recipient)
    _withdraw_queued(recipient_ids=[recipient.id])
    audit_round(
        round_,
        "recipient.remove",
        f"Tog bort mottagare {recipient.id} ({recipient.organisation}) från omgången.",
        actor=actor,
        details={"recipient_id": recipient.id},
    )


def _require_active(round_: Round, recipient: Recipient) -> None:
    if recipient.round_id != round_.id or recipient.removed_at is not None:
        raise RoundError(
            "Mottagaren finns inte i omgången.",
            f"recipient {recipient.id} is not an active recipient of round {round_.id}",
        )


# --- Links ----------------------------------------------------------------------------


def _reissue(round_: Round, recipient: Recipient, now: datetime) -> OutboxMessage:
    _withdraw_queued(recipient_ids=[recipient.id])
    issue_link(recipient, _signing_key())  # a new generation: the old token stops matching
    recipient.invited_at = recipient.invited_at or now
    recipient.last_contacted_at = now
    db.session.flush()
    return _queue(round_, recipient, MailKind.INVITATION, recipient.token_generation)


def reissue_link(
    round_: Round, recipient: Recipient, *, actor: User | None = None, now: datetime
) -> OutboxMessage:
    """Revoke the recipient's link, issue a new one and queue a new invitation with it.

    The draft and any submitted answers are kept: they belong to the recipient, not the link.
    """
    round_ = _lock(round_)
    _require_active(round_, recipient)
    if round_.state_enum is not RoundState.OPEN:
        raise RoundError(
            "En ny länk kan bara skickas medan omgången är öppen.",
            f"round {round_.id} is {round_.state}; links are issued only while it is open",
        )
    message = _reissue(round_, recipient, now)
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
    round_ = _lock(round_)
    _require_active(round_, recipient)
    if recipient.token_hash is None:
        raise RoundError(
            "Mottagaren har ingen giltig länk att återkalla.",
            f"recipient {recipient.id} has no live link",
        )
    revoke_link(recipient)
    _withdraw_queued(recipient_ids=[recipient.id])
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
    keys = _link_keys()
    base_url = str(current_app.config["SURVEY_BASE_URL"])
    now = now or utcnow()
    links: dict[int, str] = {}
    for chunk in _chunks(list(recipient_ids), CHUNK):
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


# --- Reminders ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    recipient_id: int
    invited_at: datetime | None
    submitted: bool
    opted_out: bool
    reminders_sent: int
    last_contacted_at: datetime | None
    link_live: bool
    delivery_failed: bool


def _failed_invitations(round_id: int) -> set[int]:
    """Recipients whose latest invitation failed for good (bounced, refused, gave up)."""
    return {
        recipient_id
        for recipient_id, invitation in latest_invitations(round_id).items()
        if invitation.status == MailStatus.FAILED.value
    }


def _candidates(round_id: int) -> list[_Candidate]:
    failed = _failed_invitations(round_id)
    rows = db.session.execute(
        select(
            Recipient.id,
            Recipient.invited_at,
            Response.submitted_at,
            Recipient.opted_out,
            Recipient.reminders_sent,
            Recipient.last_contacted_at,
            Recipient.token_hash,
        )
        .outerjoin(Response, Response.recipient_id == Recipient.id)
        .where(Recipient.round_id == round_id, Recipient.removed_at.is_(None))
        .order_by(Recipient.id)
    )
    return [
        _Candidate(
            recipient_id=rid,
            invited_at=invited_at,
            submitted=submitted_at is not None,
            opted_out=bool(opted_out),
            reminders_sent=reminders_sent or 0,
            last_contacted_at=last_contacted_at,
            link_live=token_hash is not None,
            delivery_failed=rid in failed,
        )
        for (
            rid,
            invited_at,
            submitted_at,
            opted_out,
            reminders_sent,
            last_contacted_at,
            token_hash,
        ) in rows
    ]


def _remind(round_: Round, recipient_ids: Sequence[int], now: datetime) -> int:
    recipients: list[Recipient] = []
    for chunk in _chunks(list(recipient_ids), CHUNK):
        recipients.extend(db.session.scalars(select(Recipient).where(Recipient.id.in_(chunk))))
    recipients.sort(key=lambda recipient: recipient.id)
    _renew_links_of_dropped_keys(round_, recipients)
    sequences = {}
    for recipient in recipients:
        sequences[recipient.id] = recipient.reminders_sent + 1
        recipient.reminders_sent += 1
        recipient.last_contacted_at = now
    db.session.flush()
    # The unique (recipient, kind, sequence) makes a repeated run queue nothing twice.
    _queue_all(round_, recipients, MailKind.REMINDER, sequences)
    return len(recipients)


def queue_due_reminders(round_: Round, *, now: datetime) -> int:
    """Queue the reminders the round's schedule says are due now; return how many."""
    round_ = _lock(round_)
    if round_.state_enum is not RoundState.OPEN or now >= round_.closes_at:
        return 0
    schedule = ReminderSchedule(tuple(round_.reminder_days), round_.max_reminders)
    candidates = [
        ReminderCandidate(
            recipient_id=candidate.recipient_id,
            invited_at=candidate.invited_at,
            submitted=candidate.submitted,
            opted_out=candidate.opted_out,
            delivery_failed=candidate.delivery_failed,
            reminders_sent=candidate.reminders_sent,
            last_contacted_at=candidate.last_contacted_at,
        )
        for candidate in _candidates(round_.id)
        if candidate.link_live
    ]
    due = due_reminders(
        candidates, schedule, now=now, round_is_open=True, closes_at=round_.closes_at
    )
    if not due:
        return 0
    queued = _remind(round_, due, now)
    audit_round(
        round_,
        "round.remind_scheduled",
        f"Köade {queued} schemalagda påminnelser.",
        actor=None,
        details={"reminders": queued},
    )
    return queued


@dataclass(frozen=True)
class RemindOutcome:
    """What a reminder by hand did: queued, and skipped because contacted recently."""

    queued: int
    skipped_recent: int


def remind_now(
    round_: Round,
    recipient_ids: Sequence[int] | None = None,
    *,
    actor: User | None = None,
    now: datetime,
) -> RemindOutcome:
    """Remind every invited non-responder now, or the recipients named, whatever the schedule.

    Naming one recipient who cannot be reminded raises RoundError saying why.
    """
    round_ = _lock(round_)
    if round_.state_enum is not RoundState.OPEN or now >= round_.closes_at:
        raise RoundError(
            "Påminnelser kan bara skickas medan omgången är öppen.",
            f"round {round_.id} is not open; reminders are sent only while it is open",
        )
    candidates = _candidates(round_.id)
    if recipient_ids is not None:
        wanted = set(recipient_ids)
        candidates = [candidate for candidate in candidates if candidate.recipient_id in wanted]
        missing = wanted - {candidate.recipient_id for candidate in candidates}
        if missing:
            raise RoundError(
                "Mottagaren finns inte i omgången.",
                f"recipient(s) {', '.join(map(str, sorted(missing)))} are not active "
                f"recipients of round {round_.id}",
            )
    chosen: list[int] = []
    recent = 0
    for candidate in candidates:
        reason = _not_remindable(candidate)
        recently_contacted = (
            candidate.last_contacted_at is not None
            and now - candidate.last_contacted_at < HAND_REMINDER_MIN_GAP
        )
        if reason is None and recently_contacted:
            recent += 1
            reason = (
                "Mottagaren kontaktades för mindre än ett dygn sedan.",
                "was contacted less than 24 hours ago",
            )
        if reason is None:
            chosen.append(candidate.recipient_id)
        elif recipient_ids is not None and len(candidates) == 1:
            raise RoundError(reason[0], f"recipient {candidate.recipient_id} {reason[1]}")
    queued = _remind(round_, chosen, now) if chosen else 0
    if queued:
        audit_round(
            round_,
            "round.remind",
            f"Skickade påminnelse för hand till {queued} mottagare.",
            actor=actor,
            details={"reminders": queued, "recipient_ids": chosen[:1000]},
        )
    return RemindOutcome(queued=queued, skipped_recent=recent)


def _not_remindable(candidate: _Candidate) -> tuple[str, str] | None:
    """Why a recipient cannot be reminded (Swedish, English), or None."""
    if candidate.submitted:
        return ("Mottagaren har redan skickat in sina svar.", "has already submitted")
    if candidate.invited_at is None:
        return ("Mottagaren har inte fått någon inbjudan ännu.", "has not been invited yet")
    if candidate.opted_out:
        return ("Mottagaren har tackat nej till påminnelser.", "has opted out of reminders")
    if candidate.delivery_failed:
        return (
            "Inbjudan kunde inte levereras. Rätta e-postadressen eller skicka en ny länk.",
            "could not be reached: the invitation failed — correct the address or reissue the link",
        )
    if not candidate.link_live:
        return (
            "Mottagarens länk är återkallad. Skicka en ny länk i stället.",
            "has a revoked link — reissue it instead",
        )
    return None


# --- The outbox of a round ------------------------------------------------------------


def round_message(round_: Round, message_id: int) -> OutboxMessage | None:
    """One of the round's outbox messages, or None."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.round_id != round_.id:
        return None
    return message


def resend_message(
    round_: Round, message_id: int, *, actor: User | None = None, now: datetime
) -> OutboxMessage:
    """Queue a failed or uncertain message again: a person decided it should go out."""
    round_ = _lock(round_)
    message = round_message(round_, message_id)
    if message is None:
        raise RoundError(
            "Meddelandet finns inte.", f"message {message_id} is not in round {round_.id}"
        )
    if round_.state_enum is not RoundState.OPEN or now >= round_.closes_at:
        raise RoundError(
            "Meddelanden kan bara skickas igen medan omgången är öppen.",
            f"round {round_.id} is not open",
        )
    recipient = db.session.get(Recipient, message.recipient_id) if message.recipient_id else None
    if recipient is None or recipient.removed_at is not None:
        raise RoundError(
            "Mottagaren är borttagen från omgången.",
            f"the recipient of message {message_id} has been removed",
        )
    if recipient.token_hash is None:
        raise RoundError(
            "Mottagarens länk är återkallad. Skicka en ny länk i stället.",
            f"the recipient of message {message_id} has a revoked link — reissue it instead",
        )
    previous = message.status
    _renew_links_of_dropped_keys(round_, [recipient])
    try:
        if previous == MailStatus.UNCERTAIN.value:
            message = requeue_uncertain(message_id)
        else:
            message = requeue_failed(message_id)
    except NotRequeueable as error:
        raise RoundError(
            "Meddelandet kan inte skickas igen: det har redan köats eller skickats.", str(error)
        ) from None
    audit_round(
        round_,
        "mail.resend",
        f"Köade meddelande {message_id} ({MailKind(message.kind).label.lower()} till "
        f"mottagare {recipient.id}) igen efter status {previous}.",
        actor=actor,
        details={"message_id": message_id, "previous_status": previous},
    )
    return message


def round_messages(round_id: int, *, limit: int | None = None) -> list[OutboxMessage]:
    """The round's outbox, newest first."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.round_id == round_id)
        .order_by(OutboxMessage.id.desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


# --- Scheduled work -------------------------------------------------------------------


def rounds_due_to_open(now: datetime) -> list[int]:
    """Draft rounds whose opening time has come (and whose closing time has not)."""
    return list(
        db.session.scalars(
            select(Round.id)
            .where(
                Round.state == RoundState.DRAFT.value,
                Round.opens_at <= now,
                Round.closes_at > now,
            )
            .order_by(Round.opens_at, Round.id)
        )
    )


def open_rounds(*, closing_by: datetime | None = None) -> list[int]:
    """Open rounds; with `closing_by`, only those whose closing time has come by then."""
    statement = select(Round.id).where(Round.state == RoundState.OPEN.value)
    if closing_by is not None:
        statement = statement.where(Round.closes_at <= closing_by)
    return list(db.session.scalars(statement.order_by(Round.id)))


# --- Helpers --------------------------------------------------------------------------


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
