"""Questionnaire versions stored in the database: the definition a round pins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Model, utcnow

SOURCE_NAME_LENGTH = 300


class QuestionnaireVersion(Model):
    """One loaded version of a questionnaire; never changed once a round may use it.

    `definition` is the normalised questionnaire as JSON; the typed model is
    `survey.questionnaires.storage.questionnaire_of(version)`.
    """

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    definition: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(SOURCE_NAME_LENGTH))
    source_text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
