"""The plan as a typed, immutable model: areas, activities, indicators and dated targets.

A plan is declared in YAML (`plans/*.yaml`, see docs/plan-format.md) and read by
`survey.plans.document`. Nothing here knows about the database or about measurements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Method(StrEnum):
    """How an indicator is measured; only `ENKAT` is asked in the annual questionnaire."""

    ENKAT = "enkat"
    QV = "qv"
    PUNKTPREVALENS = "punktprevalens"
    ARBETSGRUPP = "arbetsgrupp"
    BEREDNINGSGRUPP = "beredningsgrupp"
    PROCESSLEDARE = "processledare"
    LAROSATEN = "larosaten"
    KOMMUN_OCH_PV = "kommun_och_pv"
    KOMMUNER = "kommuner"
    EJ_ANGIVEN = "ej_angiven"

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]


METHOD_LABELS = {
    Method.ENKAT: "Årlig enkät till verksamhetsansvariga",
    Method.QV: "Uttag QV-system",
    Method.PUNKTPREVALENS: "Punktprevalensmätning",
    Method.ARBETSGRUPP: "Fråga till arbetsgrupp",
    Method.BEREDNINGSGRUPP: "Uppföljning i beredningsgrupp och tjänstemannaberedning",
    Method.PROCESSLEDARE: "Processledare följer upp kommunerna",
    Method.LAROSATEN: "Fråga till lärosätena",
    Method.KOMMUN_OCH_PV: "Fråga till kommun och regional PV",
    Method.KOMMUNER: "Fråga till kommunerna",
    Method.EJ_ANGIVEN: "Metod ej angiven i planen",
}


class AnswerKind(StrEnum):
    """What a measurement of the indicator is."""

    YES_NO = "yes_no"
    SHARE = "share"
    RATE = "rate"
    DAYS = "days"
    COUNT = "count"
    TEXT = "text"

    @property
    def label(self) -> str:
        return ANSWER_LABELS[self]

    @property
    def unit(self) -> str:
        return ANSWER_UNITS[self]

    @property
    def numeric(self) -> bool:
        return self in (AnswerKind.SHARE, AnswerKind.RATE, AnswerKind.DAYS, AnswerKind.COUNT)


ANSWER_LABELS = {
    AnswerKind.YES_NO: "Ja/Nej",
    AnswerKind.SHARE: "Andel",
    AnswerKind.RATE: "Andel (kvot)",
    AnswerKind.DAYS: "Dygn",
    AnswerKind.COUNT: "Antal",
    AnswerKind.TEXT: "Text",
}
ANSWER_UNITS = {
    AnswerKind.YES_NO: "",
    AnswerKind.SHARE: "%",
    AnswerKind.RATE: "%",
    AnswerKind.DAYS: "dygn",
    AnswerKind.COUNT: "st",
    AnswerKind.TEXT: "",
}


class Population(StrEnum):
    """Whom an indicator counts: organisations of one kind, units, or the delregion as a whole."""

    KOMMUNER = "kommuner"
    SJUKHUS = "sjukhus"
    VARDCENTRALER = "vardcentraler"
    ENHETER = "enheter"
    DELREGION = "delregion"

    @property
    def label(self) -> str:
        return POPULATION_LABELS[self]

    @property
    def per_organisation(self) -> bool:
        """A Ja/Nej of this population is recorded once per organisation."""
        return self in (Population.KOMMUNER, Population.SJUKHUS, Population.VARDCENTRALER)


POPULATION_LABELS = {
    Population.KOMMUNER: "Kommuner",
    Population.SJUKHUS: "Sjukhus",
    Population.VARDCENTRALER: "Vårdcentraler",
    Population.ENHETER: "Verksamheter",
    Population.DELREGION: "Delregionen som helhet",
}


class Direction(StrEnum):
    """How a value meets a target."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    INCREASE = "increase"
    DECREASE = "decrease"
    DONE = "done"

    @property
    def label(self) -> str:
        return DIRECTION_LABELS[self]


DIRECTION_LABELS = {
    Direction.AT_LEAST: "minst",
    Direction.AT_MOST: "högst",
    Direction.INCREASE: "ökning",
    Direction.DECREASE: "minskning",
    Direction.DONE: "genomfört",
}


@dataclass(frozen=True, slots=True)
class PlanTarget:
    """A target: a value (none for increase, decrease, done) by a date (none: always)."""

    date: date | None
    value: float | None
    direction: Direction

    def describe(self) -> str:
        """Swedish wording, e.g. 'minst 75 % senast 2025-12-31'."""
        return describe_target(self, "")

    def as_json(self) -> dict[str, object]:
        return {
            "date": None if self.date is None else self.date.isoformat(),
            "value": self.value,
            "direction": str(self.direction),
        }


def format_number(value: float) -> str:
    """A number the Swedish way: 1,7; 75."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def describe_target(target: PlanTarget, unit: str) -> str:
    """'minst 75 % senast 2025-12-31', 'ökning mellan åren', 'genomfört senast 2024-12-31'."""
    if target.direction in (Direction.INCREASE, Direction.DECREASE):
        what = f"{target.direction.label} mellan åren"
    elif target.direction is Direction.DONE or target.value is None:
        what = "genomfört"
    else:
        spaced = f" {unit}" if unit else ""
        what = f"{target.direction.label} {format_number(target.value)}{spaced}"
    return what if target.date is None else f"{what} senast {target.date.isoformat()}"


@dataclass(frozen=True, slots=True)
class PlanIndicator:
    id: str
    text: str
    method: Method
    method_text: str
    answer: AnswerKind
    population: Population
    goal: str
    targets: tuple[PlanTarget, ...]
    question_indicator: str | None
    area_id: str
    activity: str
    responsible: str
    line: int

    @property
    def unit(self) -> str:
        return self.answer.unit

    @property
    def measured_by_enkat(self) -> bool:
        return self.question_indicator is not None


@dataclass(frozen=True, slots=True)
class Activity:
    number: str | None
    text: str
    timeplan: str
    responsible: str
    indicator_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    title: str
    group: str
    intro: str
    activities: tuple[Activity, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    version: str
    title: str
    delregion: str
    revised: date
    in_force_from: date
    questionnaire: str | None
    organisations: dict[str, tuple[str, ...]]
    areas: tuple[Area, ...]
    indicators: tuple[PlanIndicator, ...]

    def indicator(self, indicator_id: str) -> PlanIndicator | None:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        return None

    def area(self, area_id: str) -> Area | None:
        return next((area for area in self.areas if area.id == area_id), None)

    def organisations_of(self, population: Population) -> tuple[str, ...]:
        """The organisations a per-organisation indicator counts (empty when not declared)."""
        return self.organisations.get(str(population), ())

    def activities_without_indicator(self) -> list[tuple[Area, Activity]]:
        return [
            (area, activity)
            for area in self.areas
            for activity in area.activities
            if not activity.indicator_ids
        ]
