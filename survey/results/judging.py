"""The target rules as pure functions: which target is due, and how a value is judged.

This module stands on the ground floor: it imports nothing from the rest of the package,
takes plain data and returns plain data, so that any part of the engine (an enkät round,
a recorded measurement, the plan's follow-up) judges a figure the same way.

The rules (docs/questionnaire-format.md, "How a result is judged"):

- The plan's targets are deadlines. The **target in force** at a reference date is the
  latest dated target on or before that date. An undated target always applies: it is in
  force until a dated target has passed. Before any date has passed (and with no undated
  target), the first dated target is in force: it is what the units are working towards.
- The **next target** is the first dated target after the reference date that is not the
  target in force; the **final target** is the one with the latest date (or, without
  dates, the last one given).
- Values are compared as they are shown, rounded half up to `DISPLAY_DECIMALS` decimals, so
  that the status always agrees with the figure the reader sees (74.96 % reaches 75 %).
- With **bounds** (the share if every missing organisation answered Nej, resp. Ja) a
  target is *uppnått* only when even the unfavourable bound meets it, *ej uppnått* only
  when even the favourable bound misses it, otherwise *kan inte avgöras*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal, get_args

DISPLAY_DECIMALS = 1

Direction = Literal["at_least", "at_most", "increase", "decrease", "done"]
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
COMPARATIVE: tuple[Direction, ...] = ("increase", "decrease")


class Status(StrEnum):
    """A figure's attainment at the reference date; the value is the Swedish label."""

    UPPNATT = "uppnått"
    EJ_UPPNATT = "ej uppnått"
    KAN_INTE_AVGORAS = "kan inte avgöras"
    FOR_FA_SVAR = "för få svar"
    INGET_MAL = "inget mål"
    INGET_JAMFORELSEVARDE = "inget jämförelsevärde"

    @property
    def label(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Target:
    """One target of an indicator.

    ``value`` is percent for shares (None for ``increase``/``decrease``, whose reference is
    the previous round, and for ``done``, which means 100 %); no ``date`` means it always
    applies.
    """

    value: float | None
    date: date | None = None
    direction: Direction = "at_least"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown target direction {self.direction!r}")
        if self.value is None and self.direction in ("at_least", "at_most"):
            raise ValueError(f"a target {self.direction!r} needs a value")

    @property
    def comparative(self) -> bool:
        """Whether the target is judged against the previous round (increase, decrease)."""
        return self.direction in COMPARATIVE


@dataclass(frozen=True, slots=True)
class Bounds:
    """The range a share can still take: missing organisations counted as Nej (low) or Ja."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"bounds low {self.low} above high {self.high}")


# -- which target is due -------------------------------------------------------------


def _dated(targets: Sequence[Target]) -> list[tuple[date, Target]]:
    # sorted() is stable: targets of the same date keep their declared order.
    return sorted(
        ((target.date, target) for target in targets if target.date is not None),
        key=lambda pair: pair[0],
    )


def target_in_force(targets: Sequence[Target], as_of: date) -> Target | None:
    """The target in force at `as_of`: the latest dated one on or before it.

    Before any date has passed, the (last) undated target if there is one, else the first
    dated target. None without targets.
    """
    dated = _dated(targets)
    passed = [target for when, target in dated if when <= as_of]
    if passed:
        return passed[-1]
    undated = [target for target in targets if target.date is None]
    if undated:
        return undated[-1]
    return dated[0][1] if dated else None


def next_target(targets: Sequence[Target], as_of: date) -> Target | None:
    """The first dated target after `as_of` other than the one in force; None if none."""
    in_force = target_in_force(targets, as_of)
    for when, target in _dated(targets):
        if when > as_of and target is not in_force:
            return target
    return None


def final_target(targets: Sequence[Target]) -> Target | None:
    """The target with the latest date; without dated targets the last one given."""
    dated = _dated(targets)
    if dated:
        return dated[-1][1]
    return targets[-1] if targets else None


# -- how a value is judged ------------------------------------------------------------


def display_value(value: float, decimals: int = DISPLAY_DECIMALS) -> float:
    """Round half up (74.95 → 75.0) as the value is shown; the status compares these."""
    return float(_decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _decimal(value: float) -> Decimal:
    # Nine decimals first drop binary noise such as 74.94999999999999 for 74.95.
    return Decimal(f"{value:.9f}")


def _shown(value: float) -> Decimal:
    return Decimal(str(display_value(value)))


def _meets(value: float, goal: Decimal, direction: Direction) -> bool:
    """Whether `value` as shown meets `goal` (at or below for at_most, strictly for decrease)."""
    shown = _shown(value)
    if direction == "at_most":
        return shown <= goal
    if direction == "increase":
        return shown > goal
    if direction == "decrease":
        return shown < goal
    return shown >= goal


def judge(
    value: float | None,
    bounds: Bounds | None,
    target: Target | None,
    previous: float | None,
    n: int,
    minimum: int,
) -> Status:
    """The status of `value` (counted over `n` units) against `target`.

    *för få svar* below `minimum` units or without a value (whether or not there is a
    target: the reader learns first that the figure says little); *inget mål* without a
    target;
    for an increase/decrease goal *inget jämförelsevärde* without a `previous` value, else
    whether the value moved that way; for a target value whether it is met. With `bounds`
    the unfavourable bound must meet the goal for *uppnått* and the favourable one must
    miss it for *ej uppnått*; between the two it *kan inte avgöras*.
    """
    if value is None or n < max(minimum, 1):
        return Status.FOR_FA_SVAR
    if target is None:
        return Status.INGET_MAL
    if target.comparative:
        if previous is None:
            return Status.INGET_JAMFORELSEVARDE
        goal = _shown(previous)
    else:
        goal = _decimal(100.0 if target.value is None else target.value)
    if bounds is None:
        return Status.UPPNATT if _meets(value, goal, target.direction) else Status.EJ_UPPNATT
    downwards = target.direction in ("at_most", "decrease")
    unfavourable, favourable = (bounds.high, bounds.low) if downwards else (bounds.low, bounds.high)
    if _meets(unfavourable, goal, target.direction):
        return Status.UPPNATT
    if not _meets(favourable, goal, target.direction):
        return Status.EJ_UPPNATT
    return Status.KAN_INTE_AVGORAS


__all__ = [
    "COMPARATIVE",
    "DIRECTIONS",
    "DISPLAY_DECIMALS",
    "Bounds",
    "Direction",
    "Status",
    "Target",
    "display_value",
    "final_target",
    "judge",
    "next_target",
    "target_in_force",
]
