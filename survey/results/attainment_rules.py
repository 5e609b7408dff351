"""The trend between rounds, and the judging rules re-exported where the results use them.

The target rules (the target in force, the status, the rounding for display) are the pure
functions of `survey.results.judging` (docs/questionnaire-format.md, "How a result is
judged"). Values are full precision (shares and percentages in percent, 0–100) and
compared as shown, rounded half up to `DISPLAY_DECIMALS` decimals.
"""

from __future__ import annotations

from enum import StrEnum

from survey.results.judging import DISPLAY_DECIMALS, Status, display_value


class Trend(StrEnum):
    """How the value moved since the previous round (compared as displayed, rounded)."""

    OKNING = "ökning"
    MINSKNING = "minskning"
    OFORANDRAD = "oförändrad"

    @property
    def label(self) -> str:
        return self.value


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


__all__ = ["DISPLAY_DECIMALS", "Status", "Trend", "display_value", "trend_between"]
