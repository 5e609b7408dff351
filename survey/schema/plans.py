"""The plans (*Aktivitets- och tidplan*), their versions, measurements and analyses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Model, utcnow


class PlanRecord(Model):
    """A plan of one delregion, e.g. nv-aktivitetsplan; its versions carry the content."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64), unique=True)
    delregion: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanVersion(Model):
    """One loaded version of a plan; the version in force at a date judges that date."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    in_force_from: Mapped[date]
    revised: Mapped[date]
    definition: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(300))
    source_text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanMeasurement(Model):
    """A recorded value of one indicator for a date or period.

    ``value`` is the number in ``unit`` (Ja = 100, Nej = 0 for a Ja/Nej; the share of Ja for
    one Ja/Nej per organisation, whose answers are ``organisation_values``). A correction
    adds a new row and marks the earlier one ``superseded_at`` with ``superseded_by_id``.
    """

    __tablename__ = "plan_measurements"
    __table_args__ = (Index("ix_plan_measurements_indicator", "plan_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None]
    text_value: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16), default="")
    organisation_values: Mapped[dict[str, Any] | None]
    period_start: Mapped[date | None]
    measured_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(300))
    comment: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("plan_measurements.id"))


class PlanAnalysis(Model):
    """The analysis and planned actions for one indicator and year; every save is a new row."""

    __tablename__ = "plan_analyses"
    __table_args__ = (Index("ix_plan_analyses_indicator", "plan_id", "indicator_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(32))
    year: Mapped[int]
    analysis: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    written_by: Mapped[str] = mapped_column(String(254))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
