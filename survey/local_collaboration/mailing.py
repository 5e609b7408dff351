"""Mail to a group's contact through the durable outbox: the link, and the due reminders.

Every mail is recorded in `local_group_mails` with its reason and key (unique), in the
same transaction as the outbox row, so a repeated tick or a crash between ticks never
queues one twice. The link itself is never stored: the mail holds `GROUP_LINK_MARKER`,
which the worker fills at sending time (`live_group_links`); a revoked link makes the
message fail instead of sending a dead link.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from survey.db import db
from survey.local_collaboration.links import GROUP_LINK_MARKER
from survey.local_collaboration.reminders import FOLLOW_UP, ActionFacts, DueReminder, due_reminders
from survey.localtime import date_text, to_local
from survey.mail.outbox import NewMessage, queue_new_message
from survey.organisations import delregion_label
from survey.schema.local_collaboration import ActionStatus, LocalAction, LocalGroup, LocalGroupMail
from survey.schema.outbox import MailKind, OutboxMessage

LINK = "link"


def _sender(group: LocalGroup) -> str:
    return f"Processledare nära vård, {delregion_label(group.delregion)}"


def _queue(
    group: LocalGroup, kind: MailKind, reason: str, key: str, subject: str, body: str, now: datetime
) -> OutboxMessage | None:
    if not group.contact_email:  # the contact was erased on request; a new one is needed
        return None
    if (
        db.session.scalar(
            select(LocalGroupMail.id).where(
                LocalGroupMail.group_id == group.id,
                LocalGroupMail.reason == reason,
                LocalGroupMail.key == key,
            )
        )
        is not None
    ):
        return None
    message = queue_new_message(
        NewMessage(
            kind=kind,
            sequence=1,
            to_address=group.contact_email,
            to_name=group.contact_name,
            subject=subject,
            body_text=body,
            sender_name=_sender(group),
            reply_to=None,
            round_id=None,
            recipient_id=None,
            send_after=now,
        )
    )
    db.session.add(
        LocalGroupMail(
            group_id=group.id, reason=reason, key=key, outbox_message_id=message.id, queued_at=now
        )
    )
    db.session.flush()
    return message


def queue_link(group: LocalGroup, now: datetime) -> OutboxMessage | None:
    """Queue the mail with the group's current link (once per link generation)."""
    body = (
        f"Hej {group.contact_name}!\n\n"
        f"Här är länken till handlingsplanen för {group.name} (bilaga 2 i den delregionala "
        "handlingsplanen för förebyggande och hälsofrämjande insatser). Med den kan ni skriva "
        "in vad ni har upptäckt, era åtgärder, uppföljningen och era indikatorer. Ni behöver "
        "inget konto.\n\n"
        f"{GROUP_LINK_MARKER}\n\n"
        "Länken är personlig: dela den bara inom er lokala samverkan. Har den kommit i fel "
        "händer, be processledaren om en ny.\n"
    )
    return _queue(
        group,
        MailKind.GROUP_LINK,
        LINK,
        f"generation:{group.token_generation}",
        f"Er handlingsplan: {group.name}",
        body,
        now,
    )


def _reminder_text(group: LocalGroup, reminder: DueReminder) -> tuple[str, str]:
    if reminder.reason == FOLLOW_UP and reminder.action is not None:
        action = reminder.action
        when = action.follow_up_on or action.due_on
        return (
            f"Dags att följa upp: {group.name}",
            f"Hej {group.contact_name}!\n\n"
            f"Åtgärden ”{action.what}” i handlingsplanen för {group.name} ska följas upp "
            f"{date_text(when)}. Skriv in hur det har gått och ändra status eller datum:\n\n"
            f"{GROUP_LINK_MARKER}\n",
        )
    return (
        f"Handlingsplanen har inte uppdaterats: {group.name}",
        f"Hej {group.contact_name}!\n\n"
        f"Handlingsplanen för {group.name} har inte ändrats på länge. Aktuella "
        "handlingsplaner behöver vara levande över tid och revideras allt eftersom: se "
        "över åtgärderna, uppföljningen och era indikatorer.\n\n"
        f"{GROUP_LINK_MARKER}\n",
    )


def queue_due_group_reminders(now: datetime) -> int:
    """Queue every group's due reminders (never twice); return how many were queued."""
    today = to_local(now).date()
    quiet_days = int(current_app.config["SURVEY_GROUP_QUIET_DAYS"])
    queued = 0
    for group in db.session.scalars(
        select(LocalGroup).where(LocalGroup.token_hash.is_not(None)).order_by(LocalGroup.id)
    ):
        already = {
            (reason, key)
            for reason, key in db.session.execute(
                select(LocalGroupMail.reason, LocalGroupMail.key).where(
                    LocalGroupMail.group_id == group.id
                )
            )
        }
        actions = [
            ActionFacts(a.id, a.what, ActionStatus(a.status).is_open, a.due_on, a.follow_up_on)
            for a in db.session.scalars(select(LocalAction).where(LocalAction.group_id == group.id))
        ]
        last_change: date = to_local(group.plan_updated_at or group.created_at).date()
        for reminder in due_reminders(
            link_live=True,
            last_change=last_change,
            actions=actions,
            today=today,
            quiet_days=quiet_days,
            already=already,
        ):
            subject, body = _reminder_text(group, reminder)
            if (
                _queue(
                    group,
                    MailKind.GROUP_REMINDER,
                    reminder.reason,
                    reminder.key,
                    subject,
                    body,
                    now,
                )
                is not None
            ):
                queued += 1
    return queued
