"""The durable outbox: every email is a row written before it is sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Model, utcnow


class MailKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    GROUP_LINK = "group_link"  # a lokal samverkan's personal link to its action plan
    GROUP_REMINDER = "group_reminder"  # a follow-up due, or the plan not updated for long
    TEST = "test"  # a process leader's test copy of a round's message, to themselves
    RECEIPT = "receipt"  # a respondent's copy of their submitted answers

    @property
    def label(self) -> str:
        return {
            "invitation": "Inbjudan",
            "reminder": "Påminnelse",
            "group_link": "Länk till handlingsplan",
            "group_reminder": "Påminnelse om handlingsplan",
            "test": "Provutskick",
            "receipt": "Kvitto på svar",
        }[self.value]


class MailStatus(StrEnum):
    QUEUED = "queued"  # waiting; may be claimed by a worker (claimed_by / lease_until)
    SENDING = "sending"  # handed to the SMTP server; the outcome is being recorded
    SENT = "sent"
    FAILED = "failed"  # permanent failure (5xx, refused recipient, attempts exhausted)
    UNCERTAIN = "uncertain"  # a worker died mid-send: not resent unless a person says so
    HELD = "held"  # development: kept in the outbox, never sent

    @property
    def label(self) -> str:
        return MAIL_STATUS_LABELS[self]


MAIL_STATUS_LABELS = {
    MailStatus.QUEUED: "I kö",
    MailStatus.SENDING: "Skickas",
    MailStatus.SENT: "Skickat",
    MailStatus.FAILED: "Misslyckades",
    MailStatus.UNCERTAIN: "Osäkert om det kom fram",
    MailStatus.HELD: "Sparat (skickas inte i utvecklingsläge)",
}


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("recipient_id", "kind", "sequence"),
        # The worker claims the oldest due messages: ORDER BY next_attempt_at, id LIMIT n.
        # With id in the index PostgreSQL reads the claimed rows in that order instead of
        # sorting every queued row for each batch (docs/performance.md has the plans).
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at", "id"),
        # A round's status: each recipient's latest invitation and its delivery state, and
        # the round's messages by state, read from the index, never from a message's body.
        Index(
            "ix_outbox_messages_recipient_id_kind_status",
            "recipient_id",
            "kind",
            "round_id",
            "sequence",
            "status",
        ),
        Index("ix_outbox_messages_round_id_status", "round_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("recipients.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(default=1)
    to_address: Mapped[str | None] = mapped_column(String(254))
    to_name: Mapped[str | None] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(400))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
