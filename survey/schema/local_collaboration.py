"""Lokal samverkan: the groups, their personal link, and their living Bilaga 2 action plan.

One group per kommun (the kommun and its vårdcentraler). Its contact reaches the plan
through a personal link (only a hash is stored, like a respondent's); the process leader
of its delregion through the app. The plan holds, per Bilaga 2 question, what was found
and the PDSA actions; the dates of steps 3–5; locally chosen indicators with results
over time; a yearly maturity. Every edit is kept in `local_plan_edits`; the mails sent
to the contact are recorded in `local_group_mails`, unique per reason, so none goes twice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Model, utcnow


class ActionStatus(StrEnum):
    PLANNED = "planned"
    ONGOING = "ongoing"
    DONE = "done"
    STOPPED = "stopped"

    @property
    def label(self) -> str:
        return ACTION_STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in (ActionStatus.PLANNED, ActionStatus.ONGOING)


ACTION_STATUS_LABELS: dict[ActionStatus, str] = {
    ActionStatus.PLANNED: "Planerad",
    ActionStatus.ONGOING: "Pågår",
    ActionStatus.DONE: "Genomförd",
    ActionStatus.STOPPED: "Avbruten",
}


class LocalGroup(Model):
    """A lokal samverkan: one per kommun, in one delregion, with one contact."""

    __tablename__ = "local_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    delregion: Mapped[str] = mapped_column(String(8), index=True)
    kommun: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    # The personal link: SHA-256 of "group:<id>:<token>"; None when revoked.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_generation: Mapped[int] = mapped_column(default=0)
    token_issued_at: Mapped[datetime | None]
    # Steps 3–5 of the handlingsplan (000, Bilaga 2).
    dot_anchored_on: Mapped[date | None]
    dst_taken_on: Mapped[date | None]
    implemented_on: Mapped[date | None]
    followed_up_on: Mapped[date | None]
    revised_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last change to the plan (findings, actions, steps, indicators, maturity).
    plan_updated_at: Mapped[datetime | None]


class LocalFinding(Model):
    """What the group found for one of the four Bilaga 2 questions ("Vad har upptäckts?")."""

    __tablename__ = "local_findings"
    __table_args__ = (UniqueConstraint("group_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("local_groups.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LocalAction(Model):
    """A next step as a PDSA action: what, who, when, how, the value for the invånare, follow-up."""

    __tablename__ = "local_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("local_groups.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(40))
    what: Mapped[str] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(200))
    how: Mapped[str] = mapped_column(Text, default="")
    citizen_value: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=ActionStatus.PLANNED)
    due_on: Mapped[date]
    follow_up_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LocalIndicator(Model):
    """An indicator the group chose to follow (from the Socialstyrelsen list, or its own)."""

    __tablename__ = "local_indicators"
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("local_groups.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LocalIndicatorResult(Model):
    """One *Resultat* with its *Datum*."""

    __tablename__ = "local_indicator_results"
    __table_args__ = (UniqueConstraint("indicator_id", "measured_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("local_indicators.id", ondelete="CASCADE"))
    value: Mapped[float]
    measured_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LocalMaturity(Model):
    """The group's yearly place on the four-step scale of seed 002 (1 … 4)."""

    __tablename__ = "local_maturity"
    __table_args__ = (
        UniqueConstraint("group_id", "year"),
        CheckConstraint("level BETWEEN 1 AND 4", name="ck_local_maturity_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("local_groups.id", ondelete="CASCADE"))
    year: Mapped[int]
    level: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LocalPlanEdit(Model):
    """One edit of a group's plan: what it was before and after, and who made it."""

    __tablename__ = "local_plan_edits"
    __table_args__ = (Index("ix_local_plan_edits_group_at", "group_id", "edited_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("local_groups.id", ondelete="CASCADE"))
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(30))  # finding, action, steps, indicator …
    subject_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class LocalGroupMail(Model):
    """A mail to a group's contact: the link, or a reminder; unique per (group, reason, key)."""

    __tablename__ = "local_group_mails"
    __table_args__ = (UniqueConstraint("group_id", "reason", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("local_groups.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))  # link, follow_up, stale
    key: Mapped[str] = mapped_column(String(80))
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"), unique=True
    )
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
