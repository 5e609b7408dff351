"""The analysis and planned actions per indicator and year, every save kept as history."""

from __future__ import annotations

from sqlalchemy import select

from survey.audit.recording import record_audit
from survey.db import db
from survey.errors import ErrorCode
from survey.plans.measurements import MeasurementRefused
from survey.plans.model import Plan
from survey.schema.accounts import User
from survey.schema.plans import PlanAnalysis, PlanRecord

MAX_ANALYSIS = 10_000


def save_analysis(
    record: PlanRecord,
    plan: Plan,
    indicator_id: str,
    year: int,
    analysis: str,
    actions: str,
    user: User | None,
) -> PlanAnalysis:
    """Store a new analysis for the indicator and year (earlier ones stay); the caller commits."""
    if plan.indicator(indicator_id) is None:
        raise MeasurementRefused(
            f"Indikatorn ”{indicator_id[:32]}” finns inte i planen.",
            code=ErrorCode.MEASUREMENT_UNKNOWN_INDICATOR,
        )
    if not 2000 <= year <= 2100:
        raise MeasurementRefused(
            "Året ska vara ett årtal, t.ex. 2025.", code=ErrorCode.MEASUREMENT_BAD_YEAR
        )
    analysis, actions = analysis.strip(), actions.strip()
    if not analysis and not actions:
        raise MeasurementRefused(
            "Skriv en analys eller planerade åtgärder.", code=ErrorCode.MEASUREMENT_EMPTY
        )
    if len(analysis) > MAX_ANALYSIS or len(actions) > MAX_ANALYSIS:
        raise MeasurementRefused(
            f"Texten är för lång (högst {MAX_ANALYSIS} tecken per fält).",
            code=ErrorCode.MEASUREMENT_TOO_LONG,
        )
    row = PlanAnalysis(
        plan_id=record.id,
        indicator_id=indicator_id,
        year=year,
        analysis=analysis,
        actions=actions,
        written_by_id=None if user is None else user.id,
        written_by="kommandorad" if user is None else user.email,
    )
    db.session.add(row)
    record_audit(
        "plan.analysis.saved",
        f"Sparade analys och åtgärder för {indicator_id} {year} i {record.plan_key}",
        user=user,
        delregion=record.delregion,
        details={"indicator": indicator_id, "year": year, "analysis": analysis, "actions": actions},
    )
    return row


def analysis_history(record: PlanRecord, indicator_id: str, year: int) -> list[PlanAnalysis]:
    """The saves for the indicator and year, newest first."""
    statement = (
        select(PlanAnalysis)
        .where(
            PlanAnalysis.plan_id == record.id,
            PlanAnalysis.indicator_id == indicator_id,
            PlanAnalysis.year == year,
        )
        .order_by(PlanAnalysis.written_at.desc(), PlanAnalysis.id.desc())
    )
    return list(db.session.scalars(statement))


def latest_analyses(record: PlanRecord, year: int) -> dict[str, tuple[str, str]]:
    """indicator id → (analysis, actions) of the latest save for the year."""
    statement = (
        select(PlanAnalysis)
        .where(PlanAnalysis.plan_id == record.id, PlanAnalysis.year == year)
        .order_by(PlanAnalysis.written_at, PlanAnalysis.id)
    )
    return {row.indicator_id: (row.analysis, row.actions) for row in db.session.scalars(statement)}
