"""Results across rounds: the previous round, comparison with it, and trends over three years."""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from typing import Any

import pytest
from flask import Flask

from survey.db import db
from survey.results.attainment_rules import Status, Trend
from survey.results.trends import (
    comparable_rounds,
    compute_round_results,
    indicator_trend,
    previous_round,
)
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.rounds import Round, RoundState
from tests.factories import (
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.sample import sample_questionnaire


def version_without_training() -> QuestionnaireVersion:
    """Version 1 of the sample, before indicator 1a.1a was added."""
    full = sample_questionnaire(version="1")
    older = dataclasses.replace(
        full, indicators=tuple(item for item in full.indicators if item.id != "1a.1a")
    )
    return make_questionnaire_version(older)


def answer_round(round_: Round, answers: list[dict[str, Any]]) -> None:
    for number, answer in enumerate(answers):
        recipient = make_recipient(round_, organisation=f"Vårdcentralen {number}")
        make_submitted_response(round_, recipient, answer)


@dataclasses.dataclass(frozen=True)
class ThreeYears:
    first: int
    second: int
    third: int


def three_years() -> ThreeYears:
    """Rounds of 2023 (version 1), 2024 and 2025 (version 2) in NV, and rounds not to compare."""
    version_1 = version_without_training()
    version_2 = make_questionnaire_version(sample_questionnaire(version="2"))
    first = make_round(version_1, reference_date=date(2023, 12, 31), state=RoundState.CLOSED)
    # 1a.1b: 1 ja of 2 = 50 %.
    answer_round(first, [{"sip_okning": "ja", "utbildning": 10}, {"sip_okning": "nej"}])
    second = make_round(version_2, reference_date=date(2024, 12, 31), state=RoundState.CLOSED)
    # 1a.1b: 2 of 3 = 66.67 %; 1a.1a: (40 + 60) / 2 = 50.
    answer_round(
        second,
        [
            {"sip_okning": "ja", "utbildning": 40},
            {"sip_okning": "ja", "utbildning": 60},
            {"sip_okning": "nej"},
        ],
    )
    third = make_round(version_2, reference_date=date(2025, 12, 31), state=RoundState.OPEN)
    # 1a.1b: 3 of 4 = 75 %; 1a.1a: (70 + 90) / 2 = 80.
    answer_round(
        third,
        [
            {"sip_okning": "ja", "utbildning": 70},
            {"sip_okning": "ja", "utbildning": 90},
            {"sip_okning": "ja"},
            {"sip_okning": "nej"},
        ],
    )
    # Not compared: another delregion, a draft, another questionnaire.
    answer_round(
        make_round(version_2, delregion="NO", reference_date=date(2024, 12, 31)),
        [{"sip_okning": "nej"}],
    )
    make_round(version_2, reference_date=date(2025, 6, 30), state=RoundState.DRAFT)
    other = make_questionnaire_version(sample_questionnaire(questionnaire_id="annan"))
    answer_round(
        make_round(other, reference_date=date(2025, 6, 30), state=RoundState.CLOSED),
        [{"sip_okning": "nej"}],
    )
    db.session.commit()
    return ThreeYears(first.id, second.id, third.id)


def test_it_finds_the_latest_earlier_round_of_the_same_questionnaire_and_delregion(
    app: Flask,
) -> None:
    with app.app_context():
        years = three_years()
        third = db.session.get(Round, years.third)
        second = db.session.get(Round, years.second)
        first = db.session.get(Round, years.first)
        assert third is not None and second is not None and first is not None
        assert previous_round(third) is second
        assert previous_round(second) is first  # another version of the same questionnaire
        assert previous_round(first) is None
        assert [round_.id for round_ in comparable_rounds("prov", "NV")] == [
            years.first,
            years.second,
            years.third,
        ]


def test_it_compares_a_rounds_results_with_the_previous_round(app: Flask) -> None:
    with app.app_context():
        years = three_years()
        third = db.session.get(Round, years.third)
        assert third is not None
        results = {result.id: result for result in compute_round_results(third)}
        sip = results["1a.1b"]
        assert (sip.value, sip.n, sip.status) == (75.0, 4, Status.UPPNATT)  # 75 % at 2025-12-31
        assert sip.previous == pytest.approx(200 / 3)
        assert sip.change == pytest.approx(75 - 200 / 3)
        assert sip.trend is Trend.OKNING
        training = results["1a.1a"]
        assert (training.value, training.previous, training.change) == (80.0, 50.0, 30.0)


def test_it_leaves_the_comparison_empty_for_an_indicator_the_previous_version_lacked(
    app: Flask,
) -> None:
    with app.app_context():
        years = three_years()
        second = db.session.get(Round, years.second)
        first = db.session.get(Round, years.first)
        assert second is not None and first is not None
        results = {result.id: result for result in compute_round_results(second)}
        assert results["1a.1b"].previous == 50.0
        assert (results["1a.1a"].value, results["1a.1a"].previous) == (50.0, None)
        assert all(result.previous is None for result in compute_round_results(first))


def test_it_does_not_compare_with_a_value_from_too_few_answers(app: Flask) -> None:
    with app.app_context():
        years = three_years()
        second = db.session.get(Round, years.second)
        assert second is not None
        # 2023 had 2 answers to 1a.1b: not compared when 3 are required.
        results = {result.id: result for result in compute_round_results(second, min_responses=3)}
        assert results["1a.1b"].previous is None
        # 66.7 % of 3 answers against the milestone in force, 50 % (2023-12-31)
        assert results["1a.1b"].status is Status.UPPNATT


def test_it_takes_the_minimum_from_the_settings(make_app: Any) -> None:
    app = make_app(SURVEY_MIN_RESPONSES=4)
    with app.app_context():
        years = three_years()
        second = db.session.get(Round, years.second)
        assert second is not None
        results = {result.id: result for result in compute_round_results(second)}
        assert results["1a.1b"].status is Status.FOR_FA_SVAR


def test_it_tabulates_the_trend_over_three_rounds(app: Flask) -> None:
    with app.app_context():
        three_years()
        trend = indicator_trend("prov", "NV", ["1a.1b", "1a.1a"])
        assert trend.index.name == "indicator"
        assert trend.columns.name == "reference_date"
        assert list(trend.index) == ["1a.1b", "1a.1a"]
        assert list(trend.columns) == [date(2023, 12, 31), date(2024, 12, 31), date(2025, 12, 31)]
        assert list(trend.loc["1a.1b"]) == pytest.approx([50.0, 200 / 3, 75.0])
        training = list(trend.loc["1a.1a"])
        assert math.isnan(training[0])  # not in version 1
        assert training[1:] == [50.0, 80.0]


def test_it_tabulates_every_indicator_when_none_are_named(app: Flask) -> None:
    with app.app_context():
        three_years()
        trend = indicator_trend("prov", "NV")
        assert list(trend.index) == ["1a.1b", "1a.1a", "1b.2a", "1a.5", "1b.2b"]
        assert trend.loc["1b.2b"].isna().all()  # free text has no value
        assert indicator_trend("prov", "SV").shape == (0, 0)  # no rounds there
        assert indicator_trend("prov", "SV", ["1a.1b"]).shape == (1, 0)


def test_it_shows_the_later_round_when_two_share_a_reference_date(app: Flask) -> None:
    with app.app_context():
        version = make_questionnaire_version()
        answer_round(
            make_round(version, reference_date=date(2024, 12, 31)), [{"sip_okning": "nej"}]
        )
        answer_round(make_round(version, reference_date=date(2024, 12, 31)), [{"sip_okning": "ja"}])
        db.session.commit()
        trend = indicator_trend("prov", "NV", ["1a.1b"])
        assert trend.to_dict() == {date(2024, 12, 31): {"1a.1b": 100.0}}
