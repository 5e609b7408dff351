"""Each indicator's latest value, its source and its status at a date, by the judging rules.

The value comes from the indicator's method: for an enkät indicator, the latest closed
round of the plan's questionnaire in the plan's delregion with a reference date on or
before the date; for every other one, the latest measurement dated on or before it. A
value older than `PERIOD_DAYS` before the date does not describe the period: the status is
then *ingen mätning*, as it is when nothing was recorded. The target in force, the next
target, and the status are those of `survey.results.judging`, with the plan version in
force at the value's date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from survey.db import db
from survey.plans.measurements import current_measurements, format_measurement
from survey.plans.model import (
    AnswerKind,
    Direction,
    Plan,
    PlanIndicator,
    PlanTarget,
    describe_target,
    format_number,
)
from survey.plans.storage import plan_of, version_in_force, versions_of
from survey.results import judging
from survey.results.attainment import IndicatorResult
from survey.results.trends import round_indicator_results
from survey.schema.plans import PlanMeasurement, PlanRecord, PlanVersion
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.rounds import Round, RoundState

PERIOD_DAYS = 366
INGEN_MATNING = "ingen mätning"

# Status → (colour, the word for the colour) as Swedish annual reports mark them.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    judging.Status.UPPNATT.value: ("green", "grön"),
    judging.Status.EJ_UPPNATT.value: ("red", "röd"),
    judging.Status.KAN_INTE_AVGORAS.value: ("yellow", "gul"),
}
GREY = ("grey", "grå")
STATUS_ORDER = (
    judging.Status.UPPNATT.value,
    judging.Status.EJ_UPPNATT.value,
    judging.Status.KAN_INTE_AVGORAS.value,
    INGEN_MATNING,
)
ALL_STATUSES = (*STATUS_ORDER, *(s.value for s in judging.Status if s.value not in STATUS_ORDER))


def status_colour(status: str) -> tuple[str, str]:
    return STATUS_COLOURS.get(status, GREY)


def assessment(status: str) -> str:
    """The annual report's word: uppnått, ej uppnått, delvis/osäkert, kan ej bedömas."""
    if status in (judging.Status.UPPNATT, judging.Status.EJ_UPPNATT, judging.Status.INGET_MAL):
        return status
    return "kan ej bedömas"


def rule_target(target: PlanTarget) -> judging.Target:
    return judging.Target(value=target.value, date=target.date, direction=target.direction.value)


@dataclass(frozen=True, slots=True)
class Observation:
    """One value of an indicator: what it is, when, and where it comes from."""

    value: float | None
    shown: str
    on: date
    source: str
    n: int = 1
    bounds: judging.Bounds | None = None
    measurement_id: int | None = None
    comment: str = ""


@dataclass(frozen=True, slots=True)
class IndicatorStatus:
    indicator: PlanIndicator
    version: str
    observation: Observation | None
    previous: Observation | None
    status: str
    target: PlanTarget | None
    next_target: PlanTarget | None
    trend: tuple[tuple[int, float | None, str], ...] = ()
    changes: tuple[str, ...] = field(default=())

    @property
    def colour(self) -> tuple[str, str]:
        return status_colour(self.status)

    @property
    def assessment(self) -> str:
        return assessment(self.status)

    def target_text(self, target: PlanTarget | None) -> str:
        if target is None:
            return "–"
        unit = (
            "%"
            if self.indicator.answer is AnswerKind.YES_NO and target.value is not None
            else self.indicator.unit
        )
        return describe_target(target, unit)

    def as_json(self) -> dict[str, Any]:
        observation = self.observation
        return {
            "id": self.indicator.id,
            "area": self.indicator.area_id,
            "method": str(self.indicator.method),
            "version": self.version,
            "value": None if observation is None else observation.value,
            "shown": None if observation is None else observation.shown,
            "date": None if observation is None else observation.on.isoformat(),
            "source": None if observation is None else observation.source,
            "status": self.status,
            # As in `survey round results --json`: the target's value, its date apart.
            "target": None if self.target is None else self.target.value,
            "target_date": _iso(None if self.target is None else self.target.date),
            "target_direction": None if self.target is None else str(self.target.direction),
            "next_target": None if self.next_target is None else self.next_target.value,
            "next_target_date": _iso(None if self.next_target is None else self.next_target.date),
            "changes": list(self.changes),
        }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


class PlanFigures:
    """The observations of one plan's indicators, fetched once and judged at any date."""

    def __init__(self, record: PlanRecord, min_responses: int | None = None) -> None:
        self.record = record
        self.versions = versions_of(record)
        if not self.versions:
            raise ValueError(f"plan {record.plan_key} has no version")
        self.min_responses = (
            int(current_app.config["SURVEY_MIN_RESPONSES"])
            if min_responses is None
            else min_responses
        )
        self._measurements: dict[str, list[PlanMeasurement]] = {}
        for row in current_measurements(record):
            self._measurements.setdefault(row.indicator_id, []).append(row)
        self._rounds: list[tuple[Round, dict[str, IndicatorResult]]] | None = None

    def plan_at(self, as_of: date) -> tuple[PlanVersion, Plan]:
        version = version_in_force(self.versions, as_of)
        return version, plan_of(version)

    def _closed_rounds(
        self, questionnaire_id: str
    ) -> list[tuple[Round, dict[str, IndicatorResult]]]:
        if self._rounds is None:
            statement = (
                select(Round)
                .join(Round.questionnaire_version)
                .where(
                    QuestionnaireVersion.questionnaire_id == questionnaire_id,
                    Round.delregion == self.record.delregion,
                    Round.state == str(RoundState.CLOSED),
                )
                .order_by(Round.reference_date, Round.id)
            )
            self._rounds = [
                (
                    round_,
                    {
                        r.id: r
                        for r in round_indicator_results(round_, min_responses=self.min_responses)
                    },
                )
                for round_ in db.session.scalars(statement).unique()
            ]
        return self._rounds

    def observations(self, plan: Plan, indicator: PlanIndicator) -> list[Observation]:
        """Every observation of the indicator, oldest first."""
        if indicator.question_indicator is not None and plan.questionnaire is not None:
            found: list[Observation] = []
            for round_, results in self._closed_rounds(plan.questionnaire):
                result = results.get(indicator.question_indicator)
                if result is None:
                    continue
                found.append(_round_observation(round_, result))
            return found
        return [_measured(row) for row in self._measurements.get(indicator.id, [])]

    def indicator_status(self, indicator_id: str, as_of: date) -> IndicatorStatus | None:
        version, plan = self.plan_at(as_of)
        indicator = plan.indicator(indicator_id)
        if indicator is None:
            return None
        return self._judge(version, plan, indicator, as_of)

    def statuses(self, as_of: date) -> list[IndicatorStatus]:
        version, plan = self.plan_at(as_of)
        return [self._judge(version, plan, indicator, as_of) for indicator in plan.indicators]

    def _judge(
        self, version: PlanVersion, plan: Plan, indicator: PlanIndicator, as_of: date
    ) -> IndicatorStatus:
        seen = [obs for obs in self.observations(plan, indicator) if obs.on <= as_of]
        latest = seen[-1] if seen else None
        previous = next(
            (obs for obs in reversed(seen) if latest and obs.on.year < latest.on.year), None
        )
        stale = latest is None or latest.on < as_of - timedelta(days=PERIOD_DAYS)
        # A value is judged by the plan version, and the target, in force at its own date.
        reference = as_of if stale or latest is None else latest.on
        version, judged_plan = self.plan_at(reference)
        indicator = judged_plan.indicator(indicator.id) or indicator
        rules = [rule_target(target) for target in indicator.targets]
        in_force = judging.target_in_force(rules, reference)
        upcoming = judging.next_target(rules, reference)
        target = _plan_target(indicator.targets, rules, in_force)
        next_one = _plan_target(indicator.targets, rules, upcoming)
        trend = self._trend(plan, indicator, as_of)
        changes = tuple(self._changes(indicator, as_of))
        if stale or latest is None:
            # Nothing describes the period: the stale value is still shown, not judged.
            return IndicatorStatus(
                indicator,
                version.version,
                latest,
                previous,
                INGEN_MATNING,
                target,
                next_one,
                trend,
                changes,
            )
        if indicator.answer is AnswerKind.TEXT:
            status = judging.Status.INGET_MAL.value
        else:
            status = judging.judge(
                latest.value,
                latest.bounds,
                in_force,
                None if previous is None else previous.value,
                latest.n,
                self.min_responses if indicator.measured_by_enkat else 1,
            ).value
        return IndicatorStatus(
            indicator, version.version, latest, previous, status, target, next_one, trend, changes
        )

    def _trend(
        self, plan: Plan, indicator: PlanIndicator, as_of: date
    ) -> tuple[tuple[int, float | None, str], ...]:
        by_year: dict[int, Observation] = {}
        for obs in self.observations(plan, indicator):
            if obs.on <= as_of:
                by_year[obs.on.year] = obs
        return tuple((year, obs.value, obs.shown) for year, obs in sorted(by_year.items()))

    def _changes(self, indicator: PlanIndicator, as_of: date) -> list[str]:
        """What changed in the indicator between the version in force a year earlier and now."""
        earlier_version = version_in_force(self.versions, as_of - timedelta(days=365))
        now_version = version_in_force(self.versions, as_of)
        if earlier_version.id == now_version.id:
            return []
        before = plan_of(earlier_version).indicator(indicator.id)
        if before is None:
            return [f"Ny indikator i version {now_version.version}."]
        notes = []
        if before.targets != indicator.targets:
            old = (
                "; ".join(describe_target(t, indicator.unit) for t in before.targets) or "inget mål"
            )
            notes.append(f"Målet ändrades i version {now_version.version} (tidigare: {old}).")
        if before.text != indicator.text:
            notes.append(
                f"Formuleringen ändrades i version {now_version.version} (tidigare: {before.text})."
            )
        return notes


def _plan_target(
    targets: Sequence[PlanTarget], rules: Sequence[judging.Target], chosen: judging.Target | None
) -> PlanTarget | None:
    if chosen is None:
        return None
    for target, rule in zip(targets, rules, strict=True):
        if rule is chosen:
            return target
    return None


def _measured(row: PlanMeasurement) -> Observation:
    bounds = None
    n = 1
    value = row.value
    if row.organisation_values:
        answers = list(row.organisation_values.values())
        total = len(answers)
        yes = sum(1 for a in answers if a is True)
        missing = sum(1 for a in answers if a is None)
        n = total - missing
        if missing and total:
            bounds = judging.Bounds(100.0 * yes / total, 100.0 * (yes + missing) / total)
    return Observation(
        value=value,
        shown=format_measurement(row),
        on=row.measured_on,
        source=row.source,
        n=n,
        bounds=bounds,
        measurement_id=row.id,
        comment=row.comment,
    )


def _round_observation(round_: Round, result: IndicatorResult) -> Observation:
    # The round's own bounds: the invited organisations that did not answer (issue 12).
    bounds = result.bounds if result.indicator.per_organisation else None
    shown = (
        "–"
        if result.value is None
        else f"{format_number(judging.display_value(result.value))} % (n={result.n})"
    )
    return Observation(
        value=result.value,
        shown=shown,
        on=round_.reference_date,
        source=f"Enkätomgång ”{round_.title}” (referensdatum {round_.reference_date.isoformat()})",
        n=result.n,
        bounds=bounds,
    )


def summary_by_area(statuses: Sequence[IndicatorStatus]) -> dict[str, dict[str, int]]:
    """Per area: how many indicators met, not met, undecidable, unmeasured, other."""
    summary: dict[str, dict[str, int]] = {}
    for item in statuses:
        counts = summary.setdefault(
            item.indicator.area_id, {key: 0 for key in (*STATUS_ORDER, "övriga")}
        )
        counts[item.status if item.status in STATUS_ORDER else "övriga"] += 1
    return summary


__all__ = [
    "INGEN_MATNING",
    "Direction",
    "IndicatorStatus",
    "Observation",
    "PlanFigures",
    "summary_by_area",
]
