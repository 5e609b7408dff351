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

from survey.organisations import OrganisationType
from survey.questionnaires.model import Indicator, Measure, Questionnaire
from survey.results.attainment_rules import Trend, trend_between
from survey.results.judging import (
    Bounds,
    Status,
    Target,
    final_target,
    judge,
    next_target,
    target_in_force,
)
from survey.results.population import (
    Disagreement,
    Population,
    invited_units,
    population_of,
    share_bounds,
)
from survey.results.response_arrays import ResponseArrays


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator's figures for a round.

    With ``per_organisation`` the counts are organisations, otherwise responses.
    ``n_population == n + n_not_applicable + n_blank`` counts the units that responded
    and were asked; ``population`` counts the invited ones (see `survey.results.population`).
    """

    indicator: Indicator
    value: float | None  # percent (0–100) for shares; None without answers or for measure none
    n: int  # units answered and counted
    n_population: int  # units that responded, of the population's type and asked the question
    n_not_applicable: int  # answered Ej aktuellt
    n_blank: int  # responded and asked, without an answer
    target: Target | None  # the target in force at the reference date
    final_target: Target | None  # the last target of the plan
    status: Status
    previous: float | None = None  # the value in the previous round
    change: float | None = None  # value − previous (percentage points for shares)
    trend: Trend | None = None
    next_target: Target | None = None  # the next dated target after the reference date
    population: Population | None = None
    bounds: Bounds | None = None  # per-organisation shares: missing counted as Nej / as Ja
    minimum: int = 1  # the least n for a status
    disagreements: tuple[Disagreement, ...] = ()
    changes: tuple[str, ...] = ()  # wording or target changes since the previous round

    @property
    def id(self) -> str:
        return self.indicator.id

    @property
    def missing_text(self) -> str | None:
        """ "8 av 11 kommuner har svarat" while some of the population is missing."""
        population = self.population
        if population is None or population.missing == 0:
            return None
        eligible = population.invited - population.not_applicable
        return f"{population.answered} av {eligible} {self.population_noun} har svarat"

    @property
    def population_noun(self) -> str:
        """What the population counts, in the plural: "kommuner", "sjukhus", "inbjudna"."""
        if self.population is None:
            return "svarande"
        return _unit_noun(self.indicator, self.population)


def _unit_noun(indicator: Indicator, population: Population) -> str:
    if population.unit == "response":
        return "inbjudna"
    if indicator.population is None:
        return "organisationer"
    return ORGANISATION_PLURALS.get(indicator.population, "organisationer")


ORGANISATION_PLURALS: dict[OrganisationType, str] = {
    OrganisationType.KOMMUN: "kommuner",
    OrganisationType.REGIONAL_PV: "vårdcentraler",
    OrganisationType.SLUTENVARD: "sjukhus",
    OrganisationType.PSYKIATRI: "psykiatriska verksamheter",
}


def judging_targets(indicator: Indicator) -> tuple[Target, ...]:
    """The indicator's targets in the form the judging rules take (with the direction).

    An increase or decrease goal is one undated target without a value.
    """
    direction = str(indicator.direction)
    if indicator.direction.comparative:
        return (Target(None, None, direction),)  # type: ignore[arg-type]
    return tuple(
        Target(float(target.value), target.date, direction)  # type: ignore[arg-type]
        for target in indicator.targets
    )


def minimum_of(indicator: Indicator, questionnaire: Questionnaire, default: int) -> int:
    """The least number of counted units for a status (below it: *för få svar*).

    The indicator's own ``min_responses``; else, for a figure per organisation, `default`
    (the ``SURVEY_MIN_RESPONSES`` setting: its population already says who is missing, and a
    census of three sjukhus is complete at three); else the questionnaire's
    ``min_responses`` (a share of many managers is not meaningful at two); else `default`.
    """
    if indicator.min_responses is not None:
        return indicator.min_responses
    if indicator.per_organisation or questionnaire.min_responses is None:
        return max(default, 1)
    return questionnaire.min_responses


# -- the computation ----------------------------------------------------------------


def compute_indicator_results(
    questionnaire: Questionnaire,
    responses: pd.DataFrame,
    *,
    reference_date: date,
    min_responses: int = 1,
    previous: Mapping[str, float | None] | None = None,
    indicators: Iterable[Indicator] | None = None,
    recipients: pd.DataFrame | None = None,
) -> list[IndicatorResult]:
    """Compute every indicator of the questionnaire (or those given) over the results frame.

    `responses` is the frame of `survey.results.frame` for a round of this questionnaire
    version; `reference_date` chooses the targets in force; `min_responses` is the default
    minimum (see `minimum_of`); `previous` maps indicator ids to their values in the
    previous round (see `survey.results.trends`); `recipients` is the round's recipients
    frame (the invited population; without it only those who responded are known).
    """
    arrays = ResponseArrays(questionnaire, responses)
    previous = previous or {}
    results: list[IndicatorResult] = []
    # Most indicators share their population: count each population's invited units once
    # (per organisation, that keys every recipient of a national round).
    invited: dict[tuple[tuple[OrganisationType, ...] | None, bool], int] = {}
    for indicator in questionnaire.indicators if indicators is None else indicators:
        results.append(
            _result(arrays, indicator, reference_date, min_responses, previous, recipients, invited)
        )
    return results


def _result(
    arrays: ResponseArrays,
    indicator: Indicator,
    reference_date: date,
    min_responses: int,
    previous: Mapping[str, float | None],
    recipients: pd.DataFrame | None,
    invited_by_population: dict[tuple[tuple[OrganisationType, ...] | None, bool], int],
) -> IndicatorResult:
    tally = arrays.tally(indicator)
    value = tally.value(0)
    n = int(tally.n[0])
    responded = arrays.responded(indicator)
    if recipients is None:
        invited = responded
    else:
        key = (arrays.population_types(indicator), indicator.per_organisation)
        if key not in invited_by_population:
            invited_by_population[key] = invited_units(
                recipients, key[0], per_organisation=indicator.per_organisation
            )
        invited = invited_by_population[key]
    population = population_of(
        per_organisation=indicator.per_organisation,
        invited=invited,
        responded=responded,
        answered=n,
        not_applicable=int(tally.n_not_applicable[0]),
        in_population=int(tally.n_population[0]),
    )
    bounds = None
    if indicator.per_organisation and indicator.measure.is_share and n > 0:
        bounds = share_bounds(float(tally.numerator[0]), population)
    targets = judging_targets(indicator)
    target = target_in_force(targets, reference_date)
    before = previous.get(indicator.id)
    minimum = minimum_of(indicator, arrays.questionnaire, min_responses)
    status = (
        Status.INGET_MAL
        if indicator.measure is Measure.NONE
        else judge(value, bounds, target, before, n, minimum)
    )
    return IndicatorResult(
        indicator=indicator,
        value=value,
        n=n,
        n_population=int(tally.n_population[0]),
        n_not_applicable=int(tally.n_not_applicable[0]),
        n_blank=int(tally.n_blank[0]),
        target=target,
        final_target=final_target(targets),
        status=status,
        previous=before,
        change=None if value is None or before is None else value - before,
        trend=trend_between(value, before),
        next_target=next_target(targets, reference_date),
        population=population,
        bounds=bounds,
        minimum=minimum,
        disagreements=tuple(
            Disagreement(name, counted, answered)
            for name, counted, answered in arrays.disagreements(indicator)
        ),
    )


def _target_json(target: Target | None) -> dict[str, Any] | None:
    if target is None or target.value is None:
        return None
    return {
        "value": float(target.value),
        "date": None if target.date is None else target.date.isoformat(),
    }


def results_as_json(results: Iterable[IndicatorResult]) -> list[dict[str, Any]]:
    """The results as plain JSON-ready dicts, one per indicator: the operator's contract.

    See docs/results-json.md. Numbers keep full precision (round for display with
    `display_value`); shares and their targets are in percent; dates are ISO; ``status``
    is the Swedish label.
    """
    return [
        {
            "id": result.indicator.id,
            "title": result.indicator.title,
            "value": result.value,
            "n": result.n,
            "status": result.status.value,
            "direction": str(result.indicator.direction),
            "target": _target_json(result.target),
            "next_target": _target_json(result.next_target),
            "final_target": _target_json(result.final_target),
            "previous": result.previous,
            "change": result.change,
            "population": None if result.population is None else result.population.as_json(),
            "bounds": None
            if result.bounds is None
            else {"low": result.bounds.low, "high": result.bounds.high},
            "min_responses": result.minimum,
            "disagreements": [
                {
                    "organisation": item.organisation,
                    "counted": item.counted,
                    "answered": item.answered,
                }
                for item in result.disagreements
            ],
            "changes": list(result.changes),
        }
        for result in results
    ]


__all__ = [
    "IndicatorResult",
    "compute_indicator_results",
    "judging_targets",
    "minimum_of",
    "results_as_json",
]
