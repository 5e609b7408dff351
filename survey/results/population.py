"""Whom a figure counts: the invited population of an indicator, and the bounds it leaves.

For an indicator counted per organisation the population is the organisations of its
type invited in the round: the distinct organisations among the round's recipients
(`survey.results.frame.organisation_keys`: a kommun is one organisation however many
managers it has). For an indicator counted per response it is the invited recipients of
its type. Of that population each unit is *answered* (counted in the value), *not
applicable* (answered Ej aktuellt, or not asked because a condition was not met) or
*missing* (did not submit, or left the question blank): ``missing = invited − answered −
not_applicable``.

The value stays the share among answering units. A missing organisation is not known to
meet the goal, so a per-organisation share has **bounds**: missing counted as Nej (low) and
as Ja (high), both over ``invited − not_applicable``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from survey.organisations import OrganisationType
from survey.results.frame import organisation_keys
from survey.results.judging import Bounds

Unit = Literal["organisation", "response"]


@dataclass(frozen=True, slots=True)
class Population:
    """Who the figure counts: ``invited == answered + not_applicable + missing``."""

    unit: Unit
    invited: int
    answered: int
    not_applicable: int
    missing: int

    def as_json(self) -> dict[str, int | str]:
        return {
            "unit": self.unit,
            "invited": self.invited,
            "answered": self.answered,
            "not_applicable": self.not_applicable,
            "missing": self.missing,
        }


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Managers of one organisation answered a per-organisation yes/no differently."""

    organisation: str
    counted: int  # answered Ja (or chose one of the indicator's options)
    answered: int

    def text(self, label: str = "Ja") -> str:
        """ "2 av 3 svarande i Helsingborg svarade Ja"."""
        return f"{self.counted} av {self.answered} svarande i {self.organisation} svarade {label}"


def invited_units(
    recipients: pd.DataFrame,
    types: Sequence[OrganisationType] | None,
    *,
    per_organisation: bool,
) -> int:
    """Invited recipients of `types` (None: every type), or their distinct organisations."""
    if recipients.empty:
        return 0
    keep = np.ones(len(recipients), dtype=bool)
    if types is not None:
        kinds = recipients["organisation_type"].astype(object).to_numpy()
        keep = np.isin(kinds, [str(kind) for kind in types])
    if not per_organisation:
        return int(np.count_nonzero(keep))
    keys, _ = organisation_keys(recipients.loc[keep])
    return int(np.unique(keys).size)


def population_of(
    *,
    per_organisation: bool,
    invited: int,
    responded: int,
    answered: int,
    not_applicable: int,
    in_population: int,
) -> Population:
    """The population from the counts of one indicator.

    `responded` units of the indicator's types submitted a response; `in_population` of
    them were asked the question (its condition met); of those `answered` were counted
    and `not_applicable` answered Ej aktuellt. Units that responded but were not asked are
    not applicable too. `invited` is never below `responded` (a recipient without an
    invitation who submitted, e.g. imported, is invited).
    """
    invited = max(invited, responded)
    not_asked = max(responded - in_population, 0)
    not_applicable_total = not_applicable + not_asked
    return Population(
        unit="organisation" if per_organisation else "response",
        invited=invited,
        answered=answered,
        not_applicable=not_applicable_total,
        missing=max(invited - answered - not_applicable_total, 0),
    )


def share_bounds(counted: float, population: Population) -> Bounds | None:
    """Low and high share (percent) with the missing units counted as Nej resp. Ja."""
    eligible = population.invited - population.not_applicable
    if eligible <= 0:
        return None
    low = 100.0 * counted / eligible
    high = 100.0 * (counted + population.missing) / eligible
    return Bounds(low=min(low, 100.0), high=min(high, 100.0))


__all__ = [
    "Disagreement",
    "Population",
    "Unit",
    "invited_units",
    "population_of",
    "share_bounds",
]
