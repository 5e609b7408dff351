"""Questionnaire versions stored in the database: the definition a round pins."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey.audit.recording import record_audit
from survey.db import db
from survey.errors import ErrorCode, OperatorError
from survey.questionnaires.model import Questionnaire
from survey.schema.questionnaires import SOURCE_NAME_LENGTH, QuestionnaireVersion

# Typed models of stored versions, by (id, content hash): see `questionnaire_of`.
MODELS_KEPT = 64
_models: dict[tuple[int, str], Questionnaire] = {}


def questionnaire_of(stored: QuestionnaireVersion) -> Questionnaire:
    """The typed model of a stored version, built once per process and version.

    A stored version never changes, so its model is kept by id and content hash and
    shared by every request that reads it.
    """
    key = (stored.id, stored.content_hash)
    model = _models.get(key)
    if model is None:
        model = Questionnaire.from_json(stored.definition)
        if len(_models) >= MODELS_KEPT:
            _models.pop(next(iter(_models)))
        _models[key] = model
    return model


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


class QuestionnaireVersionConflict(OperatorError):
    """A different questionnaire is already stored under this id and version."""

    code = ErrorCode.QUESTIONNAIRE_VERSION_CONFLICT

    def __init__(
        self,
        questionnaire_id: str,
        version: str,
        highest_version: str,
        *,
        code: ErrorCode | None = None,
    ) -> None:
        self.questionnaire_id = questionnaire_id
        self.version = version
        self.highest_version = highest_version
        super().__init__(
            f"questionnaire '{questionnaire_id}' version {version} is already loaded "
            "with different content",
            code=code,
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
        code=ErrorCode.QUESTIONNAIRE_VERSION_CONFLICT,
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
