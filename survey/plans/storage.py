"""Plans in the database: loading a version, the version in force at a date, who sees which."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, false, select

from survey.accounts.permissions import active_account, can_manage_delregion, can_read_delregion
from survey.audit.recording import record_audit
from survey.db import db
from survey.errors import ErrorCode, OperatorError
from survey.plans.document import check_question_indicators, parse_plan
from survey.plans.model import Plan
from survey.questionnaires.errors import QuestionnaireInvalid
from survey.questionnaires.storage import questionnaire_of
from survey.schema.plans import PlanRecord, PlanVersion
from survey.schema.questionnaires import QuestionnaireVersion


class PlanRefused(OperatorError):
    """A plan file that is valid but cannot be loaded; the message says why and what to do."""

    code = ErrorCode.PLAN_REFUSED


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    plan_key: str
    version: str
    created: bool  # False: the same version with the same content was already loaded


def load_plan_text(text: str, source: str) -> LoadOutcome:
    """Check and store one plan file as a plan version (the caller commits).

    Raises QuestionnaireInvalid for errors in the file, PlanRefused when the version is
    already loaded with other content or the plan id belongs to another delregion.
    """
    plan = parse_plan(text, source)
    known = questionnaire_indicator_ids(plan.questionnaire)
    if known is not None:
        errors = check_question_indicators(plan, known, source)
        if errors:
            raise QuestionnaireInvalid(errors, code=ErrorCode.PLAN_UNKNOWN_QUESTION_INDICATOR)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    record = db.session.scalar(select(PlanRecord).where(PlanRecord.plan_key == plan.id))
    if record is None:
        record = PlanRecord(plan_key=plan.id, delregion=plan.delregion, title=plan.title)
        db.session.add(record)
        db.session.flush()
    elif record.delregion != plan.delregion:
        raise PlanRefused(
            f"{source}: plan {plan.id} belongs to delregion {record.delregion}, not "
            f"{plan.delregion} — give this delregion's plan its own id",
            code=ErrorCode.PLAN_OTHER_DELREGION,
        )
    existing = db.session.scalar(
        select(PlanVersion).where(
            PlanVersion.plan_id == record.id, PlanVersion.version == plan.version
        )
    )
    if existing is not None:
        if existing.content_hash == digest:
            return LoadOutcome(plan.id, plan.version, created=False)
        raise PlanRefused(
            f"{source}: version {plan.version} of plan {plan.id} is already loaded with other "
            "content — give the revision a new 'version:'",
            code=ErrorCode.PLAN_VERSION_CONFLICT,
        )
    record.title = plan.title
    record_audit(
        "plan.version.loaded",
        f"Läste in {plan.id} version {plan.version}",
        delregion=plan.delregion,
        details={"plan": plan.id, "version": plan.version, "source": source[-300:]},
    )
    db.session.add(
        PlanVersion(
            plan_id=record.id,
            version=plan.version,
            title=plan.title,
            in_force_from=plan.in_force_from,
            revised=plan.revised,
            definition=plan_summary(plan),
            content_hash=digest,
            source_name=source[-300:],
            source_text=text,
        )
    )
    return LoadOutcome(plan.id, plan.version, created=True)


def questionnaire_indicator_ids(questionnaire_id: str | None) -> set[str] | None:
    """The indicator ids of the latest loaded version of the questionnaire; None if not loaded."""
    if questionnaire_id is None:
        return None
    version = db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(QuestionnaireVersion.loaded_at.desc(), QuestionnaireVersion.id.desc())
        .limit(1)
    )
    if version is None:
        return None
    return {indicator.id for indicator in questionnaire_of(version).indicators}


def plan_summary(plan: Plan) -> dict[str, Any]:
    """The plan as JSON (`survey plan show --json`)."""
    return {
        "id": plan.id,
        "version": plan.version,
        "title": plan.title,
        "delregion": plan.delregion,
        "in_force_from": plan.in_force_from.isoformat(),
        "revised": plan.revised.isoformat(),
        "questionnaire": plan.questionnaire,
        "indicators": [
            {
                "id": indicator.id,
                "area": indicator.area_id,
                "text": indicator.text,
                "method": str(indicator.method),
                "answer": str(indicator.answer),
                "unit": indicator.unit,
                "population": str(indicator.population),
                "responsible": indicator.responsible,
                "goal": indicator.goal,
                "targets": [target.as_json() for target in indicator.targets],
                "question_indicator": indicator.question_indicator,
            }
            for indicator in plan.indicators
        ],
        "activities_without_indicator": [
            {"area": area.id, "number": activity.number, "text": activity.text}
            for area, activity in plan.activities_without_indicator()
        ],
    }


@lru_cache(maxsize=64)
def _parsed(content_hash: str, text: str, source: str) -> Plan:
    return parse_plan(text, source)


def plan_of(version: PlanVersion) -> Plan:
    """The typed plan of a stored version (parsed once per content)."""
    return _parsed(version.content_hash, version.source_text, version.source_name)


def versions_of(record: PlanRecord) -> list[PlanVersion]:
    """The plan's versions, oldest in force first."""
    statement = (
        select(PlanVersion)
        .where(PlanVersion.plan_id == record.id)
        .order_by(PlanVersion.in_force_from, PlanVersion.id)
    )
    return list(db.session.scalars(statement))


def version_in_force(versions: list[PlanVersion], as_of: date) -> PlanVersion:
    """The latest version in force on `as_of`; before the first, the first one."""
    passed = [version for version in versions if version.in_force_from <= as_of]
    return passed[-1] if passed else versions[0]


def plan_by_key(key: str) -> PlanRecord | None:
    return db.session.scalar(select(PlanRecord).where(PlanRecord.plan_key == key.strip()))


# -- who may see and change a plan ------------------------------------------------------


def can_read_plan(user: Any, record: PlanRecord) -> bool:
    return can_read_delregion(user, record.delregion)


def can_record_plan(user: Any, record: PlanRecord) -> bool:
    return can_manage_delregion(user, record.delregion)


def visible_plans(user: Any) -> Select[PlanRecord]:
    statement = select(PlanRecord).order_by(PlanRecord.delregion, PlanRecord.plan_key)
    account = active_account(user)
    if account is None or (not account.is_admin and account.delregion is None):
        return statement.where(false())
    if account.is_admin:
        return statement
    return statement.where(PlanRecord.delregion == account.delregion)
