"""The results in Swedish: numbers with a decimal comma, targets as the plan writes them.

Values are shown as `display_value` rounds them (one decimal, half up): "75,0 %". A target
in force is shown with its date beside the next one: "Delmål minst 50 % (2023-12-31)
uppnått · nästa mål 100 % 2026-12-31". Nothing here renders HTML.
"""

from __future__ import annotations

from decimal import Decimal

from survey.questionnaires.answers import format_number
from survey.questionnaires.model import Direction, Indicator, Measure
from survey.results.judging import Status, Target, display_value

NO_VALUE = "–"


def decimal_comma(value: float, decimals: int = 1) -> str:
    """A number with a fixed number of decimals, decimal comma and grouped thousands."""
    text = f"{value:.{decimals}f}"
    sign = ""
    if text.startswith("-"):
        sign, text = "\u2212", text[1:]
    whole, _, fraction = text.partition(".")
    grouped = format_number(Decimal(whole)) if len(whole) > 4 else whole
    return sign + grouped + ("," + fraction if fraction else "")


def format_percent(value: float) -> str:
    """A percentage as shown: "75,0 %"."""
    return f"{decimal_comma(display_value(value))}\u00a0%"


def unit_of(indicator: Indicator) -> str:
    return indicator.unit or ""


def format_share(share: float | None) -> str:
    """A share of answers: "72,7 %"; "–" when nobody answered."""
    return NO_VALUE if share is None else format_percent(share)


def format_number_value(value: float | None, unit: str | None = None) -> str:
    """A reported number as shown: "12,5 dygn", "40,0 %"; "–" without a value."""
    if value is None:
        return NO_VALUE
    number = decimal_comma(display_value(value))
    return f"{number}\u00a0{unit}" if unit else number


def format_value(value: float | None, indicator: Indicator) -> str:
    """An indicator's value as shown: "75,0 %", "12,5 dygn", "3 st"; "–" without a value."""
    if value is None:
        return NO_VALUE
    shown = display_value(value)
    if indicator.measure is Measure.COUNT and float(shown).is_integer():
        number = format_number(int(shown))
    else:
        number = decimal_comma(shown)
    unit = unit_of(indicator)
    return f"{number}\u00a0{unit}" if unit else number


COMPARATIVE_GOALS: dict[Direction, str] = {
    Direction.INCREASE: "ökning från föregående omgång",
    Direction.DECREASE: "minskning från föregående omgång",
}


def format_target_value(target: Target, indicator: Indicator) -> str:
    """A target as the plan writes it: "minst 75 %", "högst 10 dygn", "ökning från …"."""
    if target.value is None:
        return COMPARATIVE_GOALS.get(indicator.direction, "genomfört")
    word = "högst" if indicator.direction is Direction.AT_MOST else "minst"
    unit = unit_of(indicator)
    number = format_number(Decimal(str(target.value)))
    return f"{word} {number}\u00a0{unit}" if unit else f"{word} {number}"


def format_target_date(target: Target) -> str:
    return "gäller alltid" if target.date is None else target.date.isoformat()


def goal_text(target: Target, indicator: Indicator) -> str:
    """A target in a sentence: "50 %", "högst 12 %", "ökning från föregående omgång"."""
    if target.value is None:
        return COMPARATIVE_GOALS.get(indicator.direction, "genomfört")
    unit = unit_of(indicator)
    number = format_number(Decimal(str(target.value)))
    text = f"{number}\u00a0{unit}" if unit else number
    return f"högst {text}" if indicator.direction is Direction.AT_MOST else text


def target_sentence(
    status: Status, target: Target | None, next_: Target | None, indicator: Indicator
) -> str:
    """The target in force, its status and the next target in one line.

    "Delmål 50 % (2023-12-31) uppnått · nästa mål 100 % 2026-12-31"; a target with no
    target after it is "Mål …"; without a target "Inget mål".
    """
    if target is None:
        return "Inget mål"
    word = "Mål" if next_ is None else "Delmål"
    text = f"{word} {goal_text(target, indicator)}"
    if target.date is not None:
        text += f" ({target.date.isoformat()})"
    text += f" {status.label}"
    if next_ is not None:
        text += f" · nästa mål {goal_text(next_, indicator)}"
        if next_.date is not None:
            text += f" {next_.date.isoformat()}"
    return text


def bounds_text(low: float, high: float, indicator: Indicator) -> str:
    """ "mellan 72,7 % och 100,0 % om alla hade svarat"."""
    return (
        f"mellan {format_value(low, indicator)} och {format_value(high, indicator)} "
        "om alla hade svarat"
    )


def format_change(change: float | None, indicator: Indicator) -> str:
    """The change since the previous round: "+8,3 procentenheter", "−2,0 dygn", "±0,0 st"."""
    if change is None:
        return NO_VALUE
    shown = display_value(change)
    if shown > 0:
        number = "+" + decimal_comma(shown)
    elif shown < 0:
        number = decimal_comma(shown)
    else:
        number = "±" + decimal_comma(0.0)
    if unit_of(indicator) == "%":
        return f"{number} procentenheter"  # a normal space: may wrap in a narrow column
    return f"{number}\u00a0{unit_of(indicator)}" if unit_of(indicator) else number


STATUS_CLASSES: dict[str, str] = {
    Status.UPPNATT.value: "uppnatt",
    Status.EJ_UPPNATT.value: "ej-uppnatt",
    Status.KAN_INTE_AVGORAS.value: "kan-inte-avgoras",
    Status.INGET_MAL.value: "inget-mal",
    Status.FOR_FA_SVAR.value: "for-fa-svar",
    Status.INGET_JAMFORELSEVARDE.value: "inget-mal",
}


def status_class(status: str | Status) -> str:
    """The CSS class suffix of a status: "uppnatt", "ej-uppnatt", "kan-inte-avgoras", …"""
    return STATUS_CLASSES.get(str(status), "inget-mal")
