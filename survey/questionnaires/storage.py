"""Questionnaire versions stored in the database: the definition a round pins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from survey.audit import record_audit
from survey.db import db, utcnow
from survey.questionnaires.model import Questionnaire

SOURCE_NAME_LENGTH = 300


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
    source_name: Mapped[str] = mapped_column(String(SOURCE_NAME_LENGTH))
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


class StoreStatus(StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class StoreOutcome:
    """What loading a questionnaire did: stored it anew, or found the same content stored."""

    status: StoreStatus
    stored: QuestionnaireVersion

    @property
    def created(self) -> bool:
        return self.status is StoreStatus.CREATED


class QuestionnaireVersionConflict(Exception):
    """A different questionnaire is already stored under this id and version."""

    def __init__(self, questionnaire_id: str, version: str, highest_version: str) -> None:
        self.questionnaire_id = questionnaire_id
        self.version = version
        self.highest_version = highest_version
        super().__init__(
            f"questionnaire '{questionnaire_id}' version {version} is already loaded "
            "with different content"
        )

    @property
    def hint(self) -> str:
        major = version_sort_key(self.highest_version)[0] + 1
        return (
            "a loaded version never changes (rounds pin it): raise 'version' "
            f"(the highest loaded is {self.highest_version}; e.g. {major} or "
            f"{self.highest_version}.1) and load again"
        )


def version_sort_key(version: str) -> tuple[int, ...]:
    """Order versions numerically: 1 < 1.1 < 2 < 10."""
    return tuple(int(part) for part in version.split("."))


def find_questionnaire_version(
    questionnaire_id: str, version: str | None = None
) -> QuestionnaireVersion | None:
    """The stored version asked for, or the highest version of the questionnaire."""
    query = select(QuestionnaireVersion).where(
        QuestionnaireVersion.questionnaire_id == questionnaire_id
    )
    if version is not None:
        return db.session.scalars(query.where(QuestionnaireVersion.version == version)).first()
    candidates = db.session.scalars(query).all()
    if not candidates:
        return None
    return max(candidates, key=lambda candidate: version_sort_key(candidate.version))


def list_questionnaire_versions() -> list[QuestionnaireVersion]:
    """Every stored version, by questionnaire id and then numerically by version."""
    versions = db.session.scalars(select(QuestionnaireVersion)).all()
    return sorted(
        versions, key=lambda stored: (stored.questionnaire_id, version_sort_key(stored.version))
    )


def _same_content(stored: QuestionnaireVersion, questionnaire: Questionnaire) -> bool:
    if stored.content_hash == questionnaire.content_hash:
        return True
    # A row stored before the model gained a key hashes differently; compare what it means now.
    try:
        return Questionnaire.from_json(stored.definition).content_hash == questionnaire.content_hash
    except (KeyError, TypeError, ValueError):
        return False


def _existing_outcome(stored: QuestionnaireVersion, questionnaire: Questionnaire) -> StoreOutcome:
    if _same_content(stored, questionnaire):
        return StoreOutcome(StoreStatus.UNCHANGED, stored)
    highest = find_questionnaire_version(questionnaire.id)
    raise QuestionnaireVersionConflict(
        questionnaire.id,
        questionnaire.version,
        highest.version if highest else questionnaire.version,
    )


def store_questionnaire(
    questionnaire: Questionnaire, source_text: str, source_name: str
) -> StoreOutcome:
    """Store a validated questionnaire version, or find the same content already stored.

    Different content under a stored id and version raises QuestionnaireVersionConflict.
    A new version is recorded in the audit log. The row is flushed, not committed: the
    caller commits (or rolls back) the whole load.
    """
    existing = find_questionnaire_version(questionnaire.id, questionnaire.version)
    if existing is not None:
        return _existing_outcome(existing, questionnaire)
    stored = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=questionnaire.version,
        title=questionnaire.title,
        definition=questionnaire.to_json(),
        content_hash=questionnaire.content_hash,
        source_name=source_name[-SOURCE_NAME_LENGTH:],
        source_text=source_text,
    )
    try:
        # A concurrent load of the same version wins the unique constraint; then compare with it.
        with db.session.begin_nested():
            db.session.add(stored)
    except IntegrityError:
        existing = find_questionnaire_version(questionnaire.id, questionnaire.version)
        if existing is None:
            raise
        return _existing_outcome(existing, questionnaire)
    record_audit(
        "questionnaire.loaded",
        f"Enkäten ”{questionnaire.title}” ({questionnaire.id} version {questionnaire.version}) "
        f"lästes in från {stored.source_name}.",
        details={
            "questionnaire_id": questionnaire.id,
            "version": questionnaire.version,
            "content_hash": questionnaire.content_hash,
            "source_name": stored.source_name,
        },
    )
    return StoreOutcome(StoreStatus.CREATED, stored)
