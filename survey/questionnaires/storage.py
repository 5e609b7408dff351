"""Questionnaire versions stored in the database: the definition a round pins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import db, utcnow
from survey.questionnaires.model import Questionnaire


class QuestionnaireVersion(db.Model):  # type: ignore[name-defined,misc]
    """One loaded version of a questionnaire; never changed once a round may use it."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    definition: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(300))
    source_text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def questionnaire(self) -> Questionnaire:
        """The typed model (rebuilt from the stored normalised definition)."""
        cached: Questionnaire | None = self.__dict__.get("_questionnaire")
        if cached is None:
            cached = Questionnaire.from_json(self.definition)
            self.__dict__["_questionnaire"] = cached
        return cached


def version_sort_key(version: str) -> tuple[int, ...]:
    """Order versions numerically: 1 < 1.1 < 2 < 10."""
    return tuple(int(part) for part in version.split("."))


def find_questionnaire_version(
    questionnaire_id: str, version: str | None = None
) -> QuestionnaireVersion | None:
    """The stored version asked for, or the highest version of the questionnaire."""
    from sqlalchemy import select

    query = select(QuestionnaireVersion).where(
        QuestionnaireVersion.questionnaire_id == questionnaire_id
    )
    if version is not None:
        return db.session.scalars(query.where(QuestionnaireVersion.version == version)).first()
    candidates = db.session.scalars(query).all()
    if not candidates:
        return None
    return max(candidates, key=lambda candidate: version_sort_key(candidate.version))
