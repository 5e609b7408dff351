"""Survey rounds and their recipients."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.db import Model, utcnow
from survey.schema.questionnaires import QuestionnaireVersion


class RoundState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"draft": "Utkast", "open": "Öppen", "closed": "Stängd"}[self.value]


class Round(Model):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    title: Mapped[str] = mapped_column(String(200))
    delregion: Mapped[str] = mapped_column(String(8), index=True)
    reference_date: Mapped[date]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    reminder_days: Mapped[list[Any]]  # days after the invitation, e.g. [7, 14]
    max_reminders: Mapped[int] = mapped_column(default=2)
    sender_name: Mapped[str] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    invitation_subject: Mapped[str] = mapped_column(String(300))
    invitation_body: Mapped[str] = mapped_column(Text)
    reminder_subject: Mapped[str] = mapped_column(String(300))
    reminder_body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default=RoundState.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # A historical round records an earlier year's answers: imported, never mailed.
    historical: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Bumped on every change of state or dates: concurrent changes fail instead of mixing.
    version_id: Mapped[int] = mapped_column(default=1)

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012

    @property
    def state_enum(self) -> RoundState:
        return RoundState(self.state)


class Recipient(Model):
    """A person invited to answer a round, on behalf of one organisation."""

    __tablename__ = "recipients"
    __table_args__ = (
        UniqueConstraint("round_id", "email"),
        # The round page lists a round's recipients by organisation a page at a time, and
        # counts them by state: with the order and the columns of both in the index the
        # database reads just the page, and counts without reading a row (migration 0017).
        # removed_at comes after the order: PostgreSQL orders by an index only past
        # columns compared with "=", never "IS NULL".
        Index(
            "ix_recipients_round_id_organisation",
            "round_id",
            "organisation",
            "id",
            "removed_at",
            "organisation_type",
            "invited_at",
            "first_opened_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    # Name and email become NULL when the round's personal data is purged.
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200))
    organisation_type: Mapped[str] = mapped_column(String(20))
    kommun: Mapped[str] = mapped_column(String(100))
    delregion: Mapped[str] = mapped_column(String(8))
    # Only a hash of the personal link's token is stored (see survey.rounds.tokens).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_generation: Mapped[int] = mapped_column(default=0)
    token_issued_at: Mapped[datetime | None]
    invited_at: Mapped[datetime | None]
    first_opened_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_contacted_at: Mapped[datetime | None]
    opted_out: Mapped[bool] = mapped_column(default=False)
    removed_at: Mapped[datetime | None]
    pseudonymised_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[Round] = relationship()
