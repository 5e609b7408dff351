"""A round's results as the results pages show them: filtered, compared, formatted in Swedish.

The computation is `survey.results.attainment` and friends; this module chooses what to
compute for one page (a filter by organisation type and kommun, the previous round and the
trend computed on the same filter) and turns numbers into the Swedish text and the bar
geometry the templates print. Nothing here renders HTML.

Decisions:

* A filter applies to everything on the page: the indicators, the response rates, the value
  in the previous round and the trend are all computed for the same organisation type and
  kommun, so that the figures compare like with like.
* The trend shows every open or closed round of the questionnaire id in the delregion (the
  rounds `survey.results.trends` compares), plus the round shown if it is a draft; of two
  rounds with the same reference date the round shown wins, else the later created.
* Values are shown as `display_value` rounds them (one decimal, half up), with a decimal
  comma: "75,0 %". Shares and percentages are on a 0–100 scale in the bars; other measures
  on a scale up to the largest of value, targets and previous value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from survey.db import db
from survey.organisations import (
    DELREGIONS,
    ORGANISATION_TYPE_LABELS,
    OrganisationType,
    parse_organisation_type,
)
from survey.questionnaires.answers import week_in_words
from survey.questionnaires.model import (
    Indicator,
    Measure,
    Question,
    Questionnaire,
    QuestionType,
)
from survey.questionnaires.storage import questionnaire_of
from survey.results.attainment import IndicatorResult, compute_indicator_results
from survey.results.attainment_rules import display_value
from survey.results.breakdowns import GroupColumn, compute_breakdown, response_rates
from survey.results.cache import cached
from survey.results.formatting import (
    NO_VALUE,
    format_percent,
    format_target_value,
    format_value,
    status_class,
    unit_of,
)
from survey.results.frame import load_recipients_frame, load_responses_frame
from survey.results.freetext import FreeTextAnswer, FreeTextAnswers, collate_free_text
from survey.results.ordering import group_sort_key, organisation_type_sort_key, swedish_sort_key
from survey.results.trends import (
    comparable_previous,
    comparable_rounds,
    comparable_values,
    previous_round,
    with_changes,
)
from survey.schema.rounds import Recipient, Round

BAR_WIDTH = 120
BAR_HEIGHT = 28
SPARK_BAR_WIDTH = 14
SPARK_GAP = 4
SPARK_HEIGHT = 32

# The query parameters of the filter form, and of the breakdown page's grouping.
TYPE_PARAMETER = "organisationstyp"
KOMMUN_PARAMETER = "kommun"
GROUPINGS: dict[str, GroupColumn] = {
    "organisationstyp": "organisation_type",
    "kommun": "kommun",
    "delregion": "delregion",
}
GROUPING_LABELS: dict[str, str] = {
    "organisationstyp": "organisationstyp",
    "kommun": "kommun",
    "delregion": "delregion",
}


# -- the filter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultsFilter:
    """Which respondents the page counts: one organisation type, one kommun, or both."""

    organisation_type: OrganisationType | None = None
    kommun: str | None = None

    @property
    def active(self) -> bool:
        return self.organisation_type is not None or self.kommun is not None

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of a responses or recipients frame that the filter keeps."""
        if not self.active or frame.empty:
            return frame
        keep = np.ones(len(frame), dtype=bool)
        if self.organisation_type is not None:
            kinds = frame["organisation_type"].astype(object).to_numpy()
            keep &= kinds == str(self.organisation_type)
        if self.kommun is not None:
            kommuner = frame["kommun"].astype(object).to_numpy()
            keep &= kommuner == self.kommun
        return frame.loc[keep]

    def description(self) -> str:
        """The filter in Swedish for a heading: "Kommun, Ängelholm" (empty when inactive)."""
        parts = []
        if self.organisation_type is not None:
            parts.append(ORGANISATION_TYPE_LABELS[self.organisation_type])
        if self.kommun is not None:
            parts.append(self.kommun)
        return ", ".join(parts)

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links that keep it)."""
        parameters = {}
        if self.organisation_type is not None:
            parameters[TYPE_PARAMETER] = str(self.organisation_type)
        if self.kommun is not None:
            parameters[KOMMUN_PARAMETER] = self.kommun
        return parameters


def parse_results_filter(
    parameters: Mapping[str, str], kommuner: Sequence[str]
) -> tuple[ResultsFilter, list[str]]:
    """Read the filter from query parameters; unknown values are ignored with a Swedish notice."""
    notices: list[str] = []
    organisation_type: OrganisationType | None = None
    raw_type = (parameters.get(TYPE_PARAMETER) or "").strip()
    if raw_type:
        organisation_type = parse_organisation_type(raw_type)
        if organisation_type is None:
            notices.append(
                f"Organisationstypen ”{raw_type[:60]}” finns inte; filtret på organisationstyp "
                "används inte."
            )
    kommun: str | None = None
    raw_kommun = (parameters.get(KOMMUN_PARAMETER) or "").strip()
    if raw_kommun:
        if raw_kommun in kommuner:
            kommun = raw_kommun
        else:
            notices.append(
                f"Kommunen ”{raw_kommun[:60]}” finns inte bland omgångens mottagare; filtret på "
                "kommun används inte."
            )
    return ResultsFilter(organisation_type, kommun), notices


def round_kommuner(round_id: int) -> list[str]:
    """The kommuner of the round's recipients (removed ones left out), in Swedish order.

    Cached with the round's figures: a recipient's kommun and removal bump its answers
    version. Reading them afresh reads every recipient (a quarter of a second at 117,647).
    """

    def compute() -> tuple[str, ...]:
        names = db.session.scalars(
            select(Recipient.kommun)
            .where(Recipient.round_id == round_id, Recipient.removed_at.is_(None))
            .distinct()
        )
        return tuple(sorted({name for name in names if name}, key=swedish_sort_key))

    return list(cached([round_id], "round_kommuner", None, compute))


# -- one round's report ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrendColumn:
    """A round in the trend: its reference date and whether it is the round shown."""

    round_id: int
    title: str
    reference_date: date
    current: bool


@dataclass(frozen=True)
class ResponseRate:
    """Invited, answered and the rate (percent; None when nobody was invited) of one group."""

    label: str
    invited: int
    answered: int
    rate: float | None

    @property
    def rate_text(self) -> str:
        return NO_VALUE if self.rate is None else format_percent(self.rate)


@dataclass
class RoundReport:
    """Everything the results page of one round shows, for one filter."""

    round: Round
    questionnaire: Questionnaire
    results_filter: ResultsFilter
    responses: pd.DataFrame  # the filtered results frame
    results: list[IndicatorResult]
    previous: Round | None
    response_rate: ResponseRate
    rates_by_type: list[ResponseRate]
    trend_columns: list[TrendColumn] = field(default_factory=list)
    trend_values: dict[str, list[float | None]] = field(default_factory=dict)
    kommuner: list[str] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return len(self.responses)

    def areas(self) -> list[tuple[str, list[IndicatorResult]]]:
        """The indicator results grouped by area, in questionnaire order."""
        grouped: dict[str, list[IndicatorResult]] = {}
        for result in self.results:
            grouped.setdefault(result.indicator.area, []).append(result)
        return list(grouped.items())


def build_round_report(
    round_: Round, results_filter: ResultsFilter, *, min_responses: int
) -> RoundReport:
    """Compute a round's results page: indicators compared with the previous round, rates, trend."""
    questionnaire = questionnaire_of(round_.questionnaire_version)
    all_responses = load_responses_frame(round_.id, questionnaire)
    all_recipients = load_recipients_frame(round_.id)
    responses = results_filter.apply(all_responses)
    recipients = results_filter.apply(all_recipients)
    values_cache: dict[int, dict[str, float | None]] = {}

    def values_of(other: Round) -> dict[str, float | None]:
        if other.id not in values_cache:
            other_questionnaire = questionnaire_of(other.questionnaire_version)
            frame = results_filter.apply(load_responses_frame(other.id, other_questionnaire))
            results = compute_indicator_results(
                other_questionnaire,
                frame,
                reference_date=other.reference_date,
                min_responses=min_responses,
                recipients=results_filter.apply(load_recipients_frame(other.id)),
            )
            values_cache[other.id] = comparable_values(results, min_responses=min_responses)
        return values_cache[other.id]

    before = previous_round(round_)
    results = compute_indicator_results(
        questionnaire,
        responses,
        reference_date=round_.reference_date,
        min_responses=min_responses,
        previous=None
        if before is None
        else comparable_previous(
            values_of(before), questionnaire_of(before.questionnaire_version), questionnaire
        ),
        recipients=recipients,
    )
    if before is not None:
        results = with_changes(
            results, questionnaire_of(before.questionnaire_version), questionnaire
        )
    values_cache[round_.id] = comparable_values(results, min_responses=min_responses)
    report = RoundReport(
        round=round_,
        questionnaire=questionnaire,
        results_filter=results_filter,
        responses=responses,
        results=results,
        previous=before,
        response_rate=_rates(recipients, None)[0],
        rates_by_type=_rates(recipients, "organisation_type"),
        kommuner=round_kommuner(round_.id),
    )
    trend_rounds = _trend_rounds(round_)
    report.trend_columns = [
        TrendColumn(other.id, other.title, other.reference_date, other.id == round_.id)
        for other in trend_rounds
    ]
    for result in results:
        report.trend_values[result.indicator.id] = [
            values_of(other).get(result.indicator.id) for other in trend_rounds
        ]
    return report


def _trend_rounds(round_: Round) -> list[Round]:
    """The rounds of the trend, oldest first: one per reference date, the round shown included."""
    by_date: dict[date, Round] = {}
    for other in comparable_rounds(round_.questionnaire_version.questionnaire_id, round_.delregion):
        by_date[other.reference_date] = other  # ordered by id within a date: the last wins
    by_date[round_.reference_date] = round_
    return [by_date[reference_date] for reference_date in sorted(by_date)]


def _rates(recipients: pd.DataFrame, by: GroupColumn | None) -> list[ResponseRate]:
    frame = response_rates(recipients, by)
    rates = []
    for label, row in frame.iterrows():
        rate = float(row["rate"])
        rates.append(
            ResponseRate(
                label=group_label(by, str(label)) if by else "Alla",
                invited=int(row["invited"]),
                answered=int(row["answered"]),
                rate=None if np.isnan(rate) else rate,
            )
        )
    return rates


def group_label(by: str | None, code: str) -> str:
    """A group's Swedish name: organisation types and delregioner by name, kommuner as written."""
    if by == "organisation_type":
        kind = parse_organisation_type(code)
        return ORGANISATION_TYPE_LABELS[kind] if kind is not None else code
    if by == "delregion":
        return f"{DELREGIONS[code]} ({code})" if code in DELREGIONS else code
    return code


# -- breakdowns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreakdownCell:
    value: float | None
    n: int
    status: str


@dataclass(frozen=True)
class BreakdownTable:
    """Indicators × groups (organisation types, kommuner or delregioner) of one round."""

    by: GroupColumn
    groups: list[str]  # group codes, in reading order
    labels: list[str]  # their Swedish names
    rows: list[tuple[Indicator, list[BreakdownCell | None]]]
    rates: list[ResponseRate]


def build_breakdown(
    round_: Round, results_filter: ResultsFilter, by: GroupColumn, *, min_responses: int
) -> BreakdownTable:
    """Every scored indicator of the round per group of `by`, with the response rate per group."""
    questionnaire = questionnaire_of(round_.questionnaire_version)
    responses = results_filter.apply(load_responses_frame(round_.id, questionnaire))
    recipients = results_filter.apply(load_recipients_frame(round_.id))
    breakdown = compute_breakdown(
        questionnaire, responses, by, round_.reference_date, min_responses=min_responses
    )
    indicator_ids = [str(item) for item in breakdown.index.get_level_values(0)]
    group_codes = [str(item) for item in breakdown.index.get_level_values(1)]
    groups = sorted(set(group_codes), key=group_sort_key(by))
    cells: dict[tuple[str, str], BreakdownCell] = {}
    for indicator_id, group, value, n, status in zip(
        indicator_ids,
        group_codes,
        breakdown["value"].to_numpy(dtype=np.float64),
        breakdown["n"].to_numpy(),
        breakdown["status"].astype(object).to_numpy(),
        strict=True,
    ):
        cells[(indicator_id, group)] = BreakdownCell(
            value=None if np.isnan(value) else float(value), n=int(n), status=str(status)
        )
    rows = [
        (indicator, [cells.get((indicator.id, group)) for group in groups])
        for indicator in questionnaire.indicators
        if indicator.measure is not Measure.NONE
    ]
    return BreakdownTable(
        by=by,
        groups=groups,
        labels=[group_label(by, group) for group in groups],
        rows=rows,
        rates=_rates(recipients, by),
    )


# -- free text and other unscored answers ---------------------------------------------------


def collate_answers(questionnaire: Questionnaire, responses: pd.DataFrame) -> list[FreeTextAnswers]:
    """Every text answer per question (`collate_free_text`), and the week and date answers.

    Weeks and dates are not scored either (Bilaga 1 asks which week the inventory was
    made), so they are collated the same way, written as a reader reads them.
    """
    collated = {item.question.id: item for item in collate_free_text(questionnaire, responses)}
    ordered: list[FreeTextAnswers] = []
    for question in questionnaire.questions:
        if question.id in collated:
            ordered.append(collated[question.id])
        elif question.type in (QuestionType.WEEK, QuestionType.DATE):
            ordered.append(_collate_dates(question, responses))
    return ordered


def _collate_dates(question: Question, responses: pd.DataFrame) -> FreeTextAnswers:
    answers: list[FreeTextAnswer] = []
    column = responses[question.id]
    for position in range(len(responses)):
        value = column.iloc[position]
        if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
            continue
        if question.type is QuestionType.WEEK:
            text = _week_text(str(value))
        else:
            text = pd.Timestamp(value).date().isoformat()
        row = responses.iloc[position]
        answers.append(
            FreeTextAnswer(
                text=text,
                organisation=_text(row["organisation"]),
                organisation_type=_text(row["organisation_type"]),
                kommun=_text(row["kommun"]),
                delregion=_text(row["delregion"]),
                response_id=int(row["response_id"]),
            )
        )
    return FreeTextAnswers(question=question, answers=tuple(_reading_order(answers)))


def _reading_order(answers: list[FreeTextAnswer]) -> list[FreeTextAnswer]:
    """Answers in the collation's reading order (organisation type, kommun, organisation)."""
    return sorted(
        answers,
        key=lambda answer: (
            organisation_type_sort_key(answer.organisation_type),
            swedish_sort_key(answer.kommun),
            swedish_sort_key(answer.organisation),
            answer.response_id,
        ),
    )


def _week_text(value: str) -> str:
    return week_in_words(value)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


# -- bars --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """An indicator's value as a bar against its target, in SVG user units."""

    width: float  # the bar, 0 … BAR_WIDTH
    target_x: float | None  # where the target marker stands, None without a target
    label: str  # the text alternative: "Värde 62,5 %, mål minst 75 %"
    status: str  # the CSS class suffix


def _scale_max(result: IndicatorResult) -> float:
    if unit_of(result.indicator) == "%":
        return 100.0
    candidates = [abs(value) for value in (result.value, result.previous) if value is not None]
    candidates += [abs(target.value) for target in result.indicator.targets]  # declared ones
    return max([*candidates, 1.0]) * 1.1


def bar_for(result: IndicatorResult) -> Bar:
    """The bar of one indicator result, with its text alternative."""
    scale = _scale_max(result)

    def position(value: float) -> float:
        return round(max(0.0, min(value, scale)) / scale * BAR_WIDTH, 1)

    width = 0.0 if result.value is None else position(display_value(result.value))
    target_x = (
        None
        if result.target is None or result.target.value is None
        else position(result.target.value)
    )
    parts = [
        "Inget värde"
        if result.value is None
        else f"Värde {format_value(result.value, result.indicator)}"
    ]
    if result.target is not None:
        parts.append(f"mål {format_target_value(result.target, result.indicator)}")
    else:
        parts.append("inget mål")
    return Bar(
        width=width, target_x=target_x, label=", ".join(parts), status=status_class(result.status)
    )


@dataclass(frozen=True)
class SparkBar:
    x: float
    y: float
    height: float
    current: bool


@dataclass(frozen=True)
class Sparkline:
    """Small bars of an indicator's value in each round of the trend."""

    width: float
    height: float
    bars: list[SparkBar]
    label: str


def sparkline_for(
    indicator: Indicator, columns: Sequence[TrendColumn], values: Sequence[float | None]
) -> Sparkline:
    """The trend of one indicator as small bars, with its text alternative."""
    known = [abs(value) for value in values if value is not None]
    scale = 100.0 if unit_of(indicator) == "%" else max([*known, 1.0])
    bars: list[SparkBar] = []
    words: list[str] = []
    for index, (column, value) in enumerate(zip(columns, values, strict=True)):
        x = index * (SPARK_BAR_WIDTH + SPARK_GAP)
        words.append(f"{column.reference_date.isoformat()}: {format_value(value, indicator)}")
        if value is None:
            continue
        height = round(max(1.0, min(abs(display_value(value)), scale) / scale * SPARK_HEIGHT), 1)
        bars.append(
            SparkBar(x=x, y=round(SPARK_HEIGHT - height, 1), height=height, current=column.current)
        )
    width = max(1, len(columns)) * (SPARK_BAR_WIDTH + SPARK_GAP) - SPARK_GAP
    label = f"Trend för {indicator.id}: " + ("; ".join(words) if words else "inga omgångar")
    return Sparkline(width=width, height=SPARK_HEIGHT, bars=bars, label=label)
