"""Per-indicator attainment (*måluppfyllelse*): answers → one value per indicator → status.

The rules are those of docs/questionnaire-format.md ("Measures", "Each organisation once",
"How the applicable target is chosen"). The counting over the results frame is
`survey.results.response_arrays`; the applicable target, the rounding for display, the
status and the trend are the plain functions of `survey.results.attainment_rules`. This
module puts them together into one `IndicatorResult` per indicator, and gives the results'
JSON form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from survey.questionnaires.model import Indicator, Questionnaire, Target
from survey.results.attainment_rules import (
    Status,
    Trend,
    applicable_target,
    attainment_status,
    trend_between,
)
from survey.results.response_arrays import ResponseArrays


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator's figures for a round.

    With ``per_organisation`` the counts are organisations, otherwise responses.
    ``n_population == n + n_not_applicable + n_blank``.
    """

    indicator: Indicator
    value: float | None  # percent (0–100) for shares; None without answers or for measure none
    n: int  # units answered and counted
    n_population: int  # units in the population: of its organisation type and asked the question
    n_not_applicable: int  # answered Ej aktuellt
    n_blank: int  # in the population without an answer
    target: Target | None  # the target applicable at the reference date
    final_target: Target | None  # the last target of the plan
    status: Status
    previous: float | None = None  # the value in the previous round
    change: float | None = None  # value − previous (percentage points for shares)
    trend: Trend | None = None

    @property
    def id(self) -> str:
        return self.indicator.id


# -- the computation ----------------------------------------------------------------


def compute_indicator_results(
    questionnaire: Questionnaire,
    responses: pd.DataFrame,
    *,
    reference_date: date,
    min_responses: int = 1,
    previous: Mapping[str, float | None] | None = None,
    indicators: Iterable[Indicator] | None = None,
) -> list[IndicatorResult]:
    """Compute every indicator of the questionnaire (or those given) over the results frame.

    `responses` is the frame of `survey.results.frame` for a round of this questionnaire
    version; `reference_date` chooses the applicable targets; fewer than `min_responses`
    counted units give the status *för få svar*; `previous` maps indicator ids to their
    values in the previous round (see `survey.results.trends`).
    """
    arrays = ResponseArrays(questionnaire, responses)
    previous = previous or {}
    results: list[IndicatorResult] = []
    for indicator in questionnaire.indicators if indicators is None else indicators:
        tally = arrays.tally(indicator)
        value = tally.value(0)
        n = int(tally.n[0])
        target = applicable_target(indicator.targets, reference_date)
        before = previous.get(indicator.id)
        results.append(
            IndicatorResult(
                indicator=indicator,
                value=value,
                n=n,
                n_population=int(tally.n_population[0]),
                n_not_applicable=int(tally.n_not_applicable[0]),
                n_blank=int(tally.n_blank[0]),
                target=target,
                final_target=indicator.final_target,
                status=attainment_status(indicator, value, n, target, min_responses),
                previous=before,
                change=None if value is None or before is None else value - before,
                trend=trend_between(value, before),
            )
        )
    return results


def results_as_json(results: Iterable[IndicatorResult]) -> list[dict[str, Any]]:
    """The results as plain JSON-ready dicts, one per indicator.

    Keys: ``id, value, n, target, target_date, status, final_target, previous, change``.
    Numbers keep full precision (round for display with `display_value`); shares and their
    targets are in percent; ``target_date`` is ISO (``null`` for an undated target);
    ``status`` is the Swedish label.
    """
    return [
        {
            "id": result.indicator.id,
            "value": result.value,
            "n": result.n,
            "target": None if result.target is None else float(result.target.value),
            "target_date": None
            if result.target is None or result.target.date is None
            else result.target.date.isoformat(),
            "status": result.status.value,
            "final_target": None
            if result.final_target is None
            else float(result.final_target.value),
            "previous": result.previous,
            "change": result.change,
        }
        for result in results
    ]


__all__ = ["IndicatorResult", "compute_indicator_results", "results_as_json"]
