"""The attainment rules as plain functions: the applicable target, the shown value, status, trend.

The rules are those of docs/questionnaire-format.md ("How the applicable target is chosen").
Values are full precision (shares and percentages in percent, 0–100). A value is shown, and
compared with its target, rounded half up to `DISPLAY_DECIMALS` decimals, so that the status
always agrees with the figure the reader sees (74.96 % is shown as 75,0 % and reaches a
target of 75 %). Nothing here knows about responses: see `survey.results.attainment`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from survey.questionnaires.model import Direction, Indicator, Measure, Target

DISPLAY_DECIMALS = 1


class Status(StrEnum):
    """An indicator's attainment at the round's reference date; the value is the Swedish label."""

    UPPNATT = "uppnått"
    EJ_UPPNATT = "ej uppnått"
    INGET_MAL = "inget mål"
    FOR_FA_SVAR = "för få svar"

    @property
    def label(self) -> str:
        return self.value


class Trend(StrEnum):
    """How the value moved since the previous round (compared as displayed, rounded)."""

    OKNING = "ökning"
    MINSKNING = "minskning"
    OFORANDRAD = "oförändrad"

    @property
    def label(self) -> str:
        return self.value


def applicable_target(targets: Sequence[Target], reference_date: date) -> Target | None:
    """The target that applies at `reference_date`.

    The first target dated on or after the date; once all dated targets have passed, the
    undated target if there is one, else the last dated one. An undated target alone
    always applies.
    """
    dated = sorted((target for target in targets if target.date is not None), key=_target_date)
    for target in dated:
        if _target_date(target) >= reference_date:
            return target
    undated = [target for target in targets if target.date is None]
    if undated:
        return undated[-1]
    return dated[-1] if dated else None


def _target_date(target: Target) -> date:
    assert target.date is not None
    return target.date


def display_value(value: float, decimals: int = DISPLAY_DECIMALS) -> float:
    """Round half up (74.95 → 75.0) as the value is shown; status and trend compare these."""
    return float(_decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _decimal(value: float) -> Decimal:
    # Nine decimals first drop binary noise such as 74.94999999999999 for 74.95.
    return Decimal(f"{value:.9f}")


def reaches_target(value: float, target: Target, direction: Direction) -> bool:
    """Whether `value`, rounded as displayed, reaches `target` in the indicator's direction."""
    shown = Decimal(str(display_value(value)))
    goal = _decimal(target.value)
    return shown >= goal if direction is Direction.AT_LEAST else shown <= goal


def attainment_status(
    indicator: Indicator,
    value: float | None,
    n: int,
    target: Target | None,
    min_responses: int,
) -> Status:
    """The status: för få svar below the minimum n, inget mål without target, else (ej) uppnått."""
    if indicator.measure is Measure.NONE:
        return Status.INGET_MAL
    if n < min_responses or value is None:
        return Status.FOR_FA_SVAR
    if target is None:
        return Status.INGET_MAL
    if reaches_target(value, target, indicator.direction):
        return Status.UPPNATT
    return Status.EJ_UPPNATT


def trend_between(value: float | None, previous: float | None) -> Trend | None:
    """ökning, minskning or oförändrad between two values as displayed; None if one is missing."""
    if value is None or previous is None:
        return None
    now, before = display_value(value), display_value(previous)
    if now > before:
        return Trend.OKNING
    if now < before:
        return Trend.MINSKNING
    return Trend.OFORANDRAD


__all__ = [
    "DISPLAY_DECIMALS",
    "Status",
    "Trend",
    "applicable_target",
    "attainment_status",
    "display_value",
    "reaches_target",
    "trend_between",
]
