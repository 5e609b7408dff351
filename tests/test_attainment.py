"""Per-indicator attainment: measures, populations, each organisation once, targets, status, JSON.

Every expected figure is worked out by hand in the test (in a comment where it is not
obvious), never by the code under test.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date
from typing import Any

import pytest

from survey.organisations import OrganisationType
from survey.questionnaires.model import (
    Direction,
    Indicator,
    Measure,
    Question,
    Questionnaire,
    QuestionType,
    Section,
    Target,
)
from survey.results import judging
from survey.results.attainment import IndicatorResult, compute_indicator_results, results_as_json
from survey.results.attainment_rules import Status, Trend, display_value
from survey.results.frame import responses_frame_from_records
from survey.results.judging import judge, target_in_force
from tests.sample import AREAS, SATISFACTION, YES_NO, YES_NO_NA, sample_questionnaire

REFERENCE = date(2025, 12, 31)


def small_questionnaire(*indicators: Indicator) -> Questionnaire:
    """One question of each scored kind, asked of everyone except `npo` (kommuner only)."""
    section = Section(
        id="allt",
        title="Allt",
        questions=(
            Question("okning", QuestionType.YES_NO, "Ökning?", "allt", choices=YES_NO_NA),
            Question("nojdhet", QuestionType.SCALE, "Nöjdhet?", "allt", choices=SATISFACTION),
            Question("omraden", QuestionType.MULTIPLE_CHOICE, "Områden?", "allt", choices=AREAS),
            Question("andel", QuestionType.PERCENT, "Andel?", "allt", minimum=0, maximum=100),
            Question("dygn", QuestionType.NUMBER, "Dygn?", "allt", decimals=1, unit="dygn"),
            Question("fritext", QuestionType.LONG_TEXT, "Beskriv", "allt", required=False),
            Question(
                "npo",
                QuestionType.YES_NO,
                "NPÖ?",
                "allt",
                choices=YES_NO,
                audience=(OrganisationType.KOMMUN,),
            ),
        ),
    )
    return Questionnaire(
        id="liten", version="1", title="Liten", sections=(section,), indicators=indicators
    )


def indicator(question: str, measure: Measure, **fields: Any) -> Indicator:
    return Indicator(fields.pop("id", "9.9"), "Indikator", "9 Test", question, measure, **fields)


def result_of(
    questionnaire: Questionnaire, rows: list[dict[str, Any]], **kwargs: Any
) -> IndicatorResult:
    frame = responses_frame_from_records(questionnaire, rows)
    kwargs.setdefault("reference_date", REFERENCE)
    (result,) = compute_indicator_results(questionnaire, frame, **kwargs)
    return result


def pv(
    organisation: str = "Vårdcentralen Norr", kommun: str = "Ängelholm", **answers: Any
) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "organisation_type": "regional_pv",
        "kommun": kommun,
        "delregion": "NV",
        **answers,
    }


def kommun(
    kommun_name: str = "Ängelholm", organisation: str | None = None, **answers: Any
) -> dict[str, Any]:
    return {
        "organisation": organisation or f"{kommun_name}s kommun",
        "organisation_type": "kommun",
        "kommun": kommun_name,
        "delregion": "NV",
        **answers,
    }


def counts(result: IndicatorResult) -> tuple[int, int, int, int]:
    return result.n, result.n_population, result.n_not_applicable, result.n_blank


# -- measures ---------------------------------------------------------------------------


def test_it_counts_share_yes_among_yes_and_no_leaving_out_not_applicable_and_blanks() -> None:
    questionnaire = small_questionnaire(indicator("okning", Measure.SHARE_YES))
    rows = [pv(okning="ja"), pv(okning="ja"), pv(okning="nej"), pv(okning="ej_aktuellt"), pv()]
    result = result_of(questionnaire, rows)
    # 2 ja of 3 answering ja or nej; 1 Ej aktuellt and 1 blank counted apart.
    assert result.value == pytest.approx(200 / 3)
    assert counts(result) == (3, 5, 1, 1)


def test_it_takes_the_mean_of_percentages_and_of_numbers() -> None:
    questionnaire = small_questionnaire(
        indicator("andel", Measure.MEAN, id="1.1"),
        indicator("dygn", Measure.MEAN, id="1.2", unit="dygn"),
    )
    rows = [pv(andel=50, dygn=1.5), pv(andel=80, dygn=2.0), pv(andel=20), pv()]
    frame = responses_frame_from_records(questionnaire, rows)
    percent, days = compute_indicator_results(questionnaire, frame, reference_date=REFERENCE)
    assert percent.value == pytest.approx(50.0)  # (50 + 80 + 20) / 3
    assert counts(percent) == (3, 4, 0, 1)
    assert days.value == pytest.approx(1.75)  # (1.5 + 2.0) / 2
    assert counts(days) == (2, 4, 0, 2)


def test_it_counts_share_of_options_on_a_scale_among_those_answering() -> None:
    questionnaire = small_questionnaire(
        indicator("nojdhet", Measure.SHARE_OF_OPTIONS, options=("ganska_nojd", "mycket_nojd"))
    )
    rows = [
        pv(nojdhet="mycket_nojd"),
        pv(nojdhet="ganska_nojd"),
        pv(nojdhet="varken_eller"),
        pv(nojdhet="mycket_missnojd"),
        pv(),
    ]
    result = result_of(questionnaire, rows)
    assert result.value == pytest.approx(50.0)  # 2 of 4
    assert counts(result) == (4, 5, 0, 1)


def test_it_counts_a_multiple_choice_answer_when_any_chosen_value_is_an_option() -> None:
    questionnaire = small_questionnaire(
        indicator("omraden", Measure.SHARE_OF_OPTIONS, options=("fallrisk", "undernaring"))
    )
    rows = [
        pv(omraden=["fallrisk"]),
        pv(omraden=["suicidprevention", "undernaring"]),
        pv(omraden=["suicidprevention"]),
        pv(omraden=["ofrivillig_ensamhet"]),
        pv(omraden=[]),  # nothing ticked: no answer
        pv(),
    ]
    result = result_of(questionnaire, rows)
    assert result.value == pytest.approx(50.0)  # 2 of 4 answering
    assert counts(result) == (4, 6, 0, 2)


@pytest.mark.parametrize(
    ("question", "options", "answers", "expected", "n"),
    [
        # yes/no: the number answering ja; Ej aktuellt is not an answer counted.
        ("okning", (), ["ja", "nej", "ja", "ej_aktuellt", None], 2.0, 3),
        # a scale: the number choosing one of the options.
        ("nojdhet", ("mycket_nojd",), ["mycket_nojd", "ganska_nojd", "mycket_nojd", None], 2.0, 3),
        # multiple choice: the number choosing any option.
        (
            "omraden",
            ("fallrisk",),
            [["fallrisk", "undernaring"], ["undernaring"], ["fallrisk"]],
            2.0,
            3,
        ),
        # a number: the sum, 1.5 + 2 + 4.
        ("dygn", (), [1.5, 2, 4, None], 7.5, 3),
    ],
)
def test_it_counts(
    question: str, options: tuple[str, ...], answers: list[Any], expected: float, n: int
) -> None:
    questionnaire = small_questionnaire(
        indicator(question, Measure.COUNT, options=options, unit="st")
    )
    result = result_of(questionnaire, [pv(**{question: answer}) for answer in answers])
    assert result.value == pytest.approx(expected)
    assert result.n == n


def test_it_gives_no_value_and_no_target_status_for_measure_none() -> None:
    questionnaire = small_questionnaire(indicator("fritext", Measure.NONE))
    result = result_of(questionnaire, [pv(fritext="Vi har börjat."), pv(fritext="   "), pv()])
    assert result.value is None
    assert result.status is Status.INGET_MAL
    assert counts(result) == (1, 3, 0, 2)


def test_it_has_no_value_without_answers() -> None:
    questionnaire = small_questionnaire(
        indicator("okning", Measure.SHARE_YES, id="1"),
        indicator("andel", Measure.MEAN, id="2"),
        indicator("dygn", Measure.COUNT, id="3"),
    )
    frame = responses_frame_from_records(questionnaire, [pv(okning="ej_aktuellt")])
    results = compute_indicator_results(questionnaire, frame, reference_date=REFERENCE)
    assert [result.value for result in results] == [None, None, None]
    assert [result.status for result in results] == [Status.FOR_FA_SVAR] * 3


def test_it_computes_an_empty_frame() -> None:
    questionnaire = sample_questionnaire()
    frame = responses_frame_from_records(questionnaire, [])
    results = compute_indicator_results(questionnaire, frame, reference_date=REFERENCE)
    assert [(result.id, result.value, result.n, result.n_population) for result in results] == [
        ("1a.1b", None, 0, 0),
        ("1a.1a", None, 0, 0),
        ("1b.2a", None, 0, 0),
        ("1a.5", None, 0, 0),
        ("1b.2b", None, 0, 0),
    ]


# -- population -------------------------------------------------------------------------


def test_it_counts_only_the_population_type() -> None:
    questionnaire = small_questionnaire(
        indicator("okning", Measure.SHARE_YES, population=OrganisationType.KOMMUN)
    )
    rows = [
        kommun("Bjuv", okning="ja"),
        kommun("Klippan", okning="nej"),
        kommun("Åstorp"),
        pv(okning="nej"),
        pv(okning="nej"),
    ]
    result = result_of(questionnaire, rows)
    assert result.value == pytest.approx(50.0)  # the two kommuner answering: 1 ja of 2
    assert counts(result) == (2, 3, 0, 1)


def test_it_leaves_out_respondents_not_asked_the_question() -> None:
    # npo is asked of kommuner only: a vårdcentral is neither counted nor blank.
    questionnaire = small_questionnaire(indicator("npo", Measure.SHARE_YES))
    rows = [kommun("Bjuv", npo="ja"), kommun("Klippan"), pv(), pv()]
    result = result_of(questionnaire, rows)
    assert result.value == pytest.approx(100.0)
    assert counts(result) == (1, 2, 0, 1)


def test_it_leaves_out_respondents_whose_condition_did_not_show_the_question() -> None:
    # In the sample, omraden is asked only when sip_okning is ja.
    questionnaire = sample_questionnaire()
    areas = Indicator(
        "2a.1a", "Områden", "2a", "omraden", Measure.SHARE_OF_OPTIONS, options=("fallrisk",)
    )
    questionnaire = dataclasses.replace(questionnaire, indicators=(areas,))
    rows = [
        pv(sip_okning="ja", omraden=["fallrisk"]),
        pv(sip_okning="ja", omraden=["undernaring"]),
        pv(sip_okning="ja"),  # asked, not answered: blank
        pv(sip_okning="nej"),  # not asked
        pv(),  # not asked: the condition's question is unanswered
    ]
    result = result_of(questionnaire, rows)
    assert result.value == pytest.approx(50.0)
    assert counts(result) == (2, 3, 0, 1)


# -- each organisation once -------------------------------------------------------------


def test_it_counts_a_kommun_once_as_yes_when_one_manager_says_yes_and_another_no() -> None:
    questionnaire = small_questionnaire(
        indicator(
            "npo", Measure.SHARE_YES, population=OrganisationType.KOMMUN, per_organisation=True
        )
    )
    rows = [
        kommun("Ängelholm", organisation="Ängelholms kommun, hemsjukvård", npo="ja"),
        kommun("Ängelholm", organisation="Ängelholms kommun, SÄBO", npo="nej"),
        kommun("Bjuv", npo="nej"),
    ]
    result = result_of(questionnaire, rows)
    # Ängelholm counts once, as ja; Bjuv nej: 1 of 2 kommuner.
    assert result.value == pytest.approx(50.0)
    assert counts(result) == (2, 2, 0, 0)


def test_it_counts_each_response_without_per_organisation() -> None:
    questionnaire = small_questionnaire(indicator("npo", Measure.SHARE_YES))
    rows = [
        kommun("Ängelholm", npo="ja"),
        kommun("Ängelholm", npo="nej"),
        kommun("Bjuv", npo="nej"),
    ]
    result = result_of(questionnaire, rows)
    assert result.value == pytest.approx(100 / 3)
    assert result.n == 3


def test_it_combines_an_organisations_yes_no_and_not_applicable() -> None:
    questionnaire = small_questionnaire(
        indicator("okning", Measure.SHARE_YES, per_organisation=True)
    )
    rows = [
        pv("VC Norr", okning="ej_aktuellt"),
        pv("VC Norr", okning="ja"),  # ja wins
        pv("VC Syd", okning="nej"),
        pv("VC Syd", okning="ej_aktuellt"),  # nej
        pv("VC Öst", okning="ej_aktuellt"),
        pv("VC Öst"),  # only Ej aktuellt: left out
        pv("VC Väst"),
        pv("VC Väst"),  # blank
    ]
    result = result_of(questionnaire, rows)
    assert result.value == pytest.approx(50.0)
    assert counts(result) == (2, 4, 1, 1)


def test_it_recognises_one_organisation_whatever_the_case_accents_and_spaces() -> None:
    questionnaire = small_questionnaire(
        indicator("okning", Measure.SHARE_YES, per_organisation=True)
    )
    rows = [
        pv("Vårdcentralen Ängelholm", okning="nej"),
        pv("vårdcentralen  ängelholm ", okning="ja"),
        pv("Vardcentralen Angelholm", okning="nej"),
        # Same name in another kommun is another organisation.
        pv("Vårdcentralen Ängelholm", kommun="Höganäs", okning="nej"),
    ]
    result = result_of(questionnaire, rows)
    assert result.value == pytest.approx(50.0)
    assert result.n == 2


def test_it_combines_an_organisations_numbers_by_their_mean() -> None:
    questionnaire = small_questionnaire(
        indicator("andel", Measure.MEAN, id="1", per_organisation=True),
        indicator("dygn", Measure.COUNT, id="2", per_organisation=True, unit="dygn"),
    )
    rows = [
        pv("VC Norr", andel=40, dygn=1),
        pv("VC Norr", andel=60, dygn=3),
        pv("VC Norr"),
        pv("VC Syd", andel=80, dygn=10),
    ]
    frame = responses_frame_from_records(questionnaire, rows)
    mean, total = compute_indicator_results(questionnaire, frame, reference_date=REFERENCE)
    # VC Norr (40 + 60) / 2 = 50, VC Syd 80: mean (50 + 80) / 2 = 65 (per response it would be 60).
    assert mean.value == pytest.approx(65.0)
    assert mean.n == 2
    # Sum of the organisations' means: (1 + 3) / 2 + 10 = 12.
    assert total.value == pytest.approx(12.0)


def test_it_counts_an_organisation_choosing_an_option_when_any_manager_did() -> None:
    questionnaire = small_questionnaire(
        indicator(
            "nojdhet",
            Measure.SHARE_OF_OPTIONS,
            id="1",
            options=("mycket_nojd",),
            per_organisation=True,
        ),
        indicator(
            "omraden",
            Measure.COUNT,
            id="2",
            options=("fallrisk",),
            per_organisation=True,
            unit="st",
        ),
    )
    rows = [
        pv("VC Norr", nojdhet="varken_eller", omraden=["undernaring"]),
        pv("VC Norr", nojdhet="mycket_nojd", omraden=["fallrisk"]),
        pv("VC Syd", nojdhet="ganska_nojd", omraden=["undernaring"]),
    ]
    frame = responses_frame_from_records(questionnaire, rows)
    share, count = compute_indicator_results(questionnaire, frame, reference_date=REFERENCE)
    assert share.value == pytest.approx(50.0)  # VC Norr yes, VC Syd no
    assert count.value == pytest.approx(1.0)  # only VC Norr chose fallrisk


def test_it_keeps_organisations_of_other_types_apart() -> None:
    questionnaire = small_questionnaire(
        indicator("okning", Measure.SHARE_YES, per_organisation=True)
    )
    rows = [
        kommun("Bjuv", organisation="Bjuv", okning="ja"),
        pv("Bjuv", kommun="Bjuv", okning="nej"),  # a vårdcentral called Bjuv is not the kommun
    ]
    result = result_of(questionnaire, rows)
    assert result.value == pytest.approx(50.0)
    assert result.n == 2


# -- targets ----------------------------------------------------------------------------

DATED = (
    Target(50, date(2023, 12, 31)),
    Target(75, date(2025, 12, 31)),
    Target(100, date(2026, 12, 31)),
)


@pytest.mark.parametrize(
    ("reference_date", "expected"),
    [
        (date(2023, 12, 30), 50),  # before any date has passed: the first target
        (date(2023, 12, 31), 50),  # the day of the first target
        (date(2024, 1, 1), 50),  # the passed milestone stays in force
        (date(2025, 12, 30), 50),
        (date(2025, 12, 31), 75),
        (date(2026, 1, 1), 75),
        (date(2026, 12, 31), 100),
        (date(2030, 6, 30), 100),  # after the last target: the last
    ],
)
def test_it_judges_against_the_latest_target_on_or_before_the_reference_date(
    reference_date: date, expected: float
) -> None:
    questionnaire = small_questionnaire(indicator("okning", Measure.SHARE_YES, targets=DATED))
    result = result_of(questionnaire, [pv(okning="ja")], reference_date=reference_date)
    assert result.target is not None
    assert result.target.value == expected


def test_it_applies_an_undated_target_alone_always() -> None:
    for reference_date in (date(2000, 1, 1), date(2025, 12, 31), date(2099, 1, 1)):
        target = target_in_force((judging.Target(100),), reference_date)
        assert target == judging.Target(100)


def test_it_has_no_target_without_targets() -> None:
    assert target_in_force((), REFERENCE) is None


def test_it_reports_the_target_in_force_the_next_and_the_final_target() -> None:
    questionnaire = small_questionnaire(indicator("okning", Measure.SHARE_YES, targets=DATED))
    result = result_of(questionnaire, [pv(okning="ja")], reference_date=date(2024, 12, 31))
    assert result.target == judging.Target(50, date(2023, 12, 31))
    assert result.next_target == judging.Target(75, date(2025, 12, 31))
    assert result.final_target == judging.Target(100, date(2026, 12, 31))


def test_a_passed_milestone_met_reads_uppnatt_before_the_next_is_due() -> None:
    # The issue: 1a.1a at 60 % in 2025 meets its 2023 milestone (50 %); 100 % is due 2026.
    targets = (Target(50, date(2023, 12, 31)), Target(100, date(2026, 12, 31)))
    questionnaire = small_questionnaire(indicator("andel", Measure.MEAN, targets=targets))
    result = result_of(questionnaire, [pv(andel=60.0)], reference_date=date(2025, 12, 31))
    assert result.status is Status.UPPNATT
    assert result.target == judging.Target(50, date(2023, 12, 31))
    assert result.next_target == judging.Target(100, date(2026, 12, 31))


# -- status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["ja", "ja", "ja", "nej"], Status.UPPNATT),  # 3/4 = 75 % reaches 75 %
        (["ja", "ja", "nej", "nej"], Status.EJ_UPPNATT),  # 50 %
        (["ja"] * 4, Status.UPPNATT),  # 100 %
    ],
)
def test_it_decides_attainment_at_least(answers: list[str], expected: Status) -> None:
    questionnaire = small_questionnaire(indicator("okning", Measure.SHARE_YES, targets=DATED))
    assert result_of(questionnaire, [pv(okning=answer) for answer in answers]).status is expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([10.0, 14.0], Status.UPPNATT),
        ([12.0, 12.0], Status.UPPNATT),
        ([12.0, 12.5], Status.EJ_UPPNATT),
    ],
)
def test_it_decides_attainment_at_most(answers: list[float], expected: Status) -> None:
    # Mean of 10 and 14 = 12 reaches "at most 12"; 12.25 does not.
    questionnaire = small_questionnaire(
        indicator("andel", Measure.MEAN, direction=Direction.AT_MOST, targets=(Target(12),))
    )
    assert result_of(questionnaire, [pv(andel=answer) for answer in answers]).status is expected


@pytest.mark.parametrize(
    ("value", "target", "direction", "reached"),
    [
        (75.0, 75, Direction.AT_LEAST, True),
        (100 * 2 / 3, 66.7, Direction.AT_LEAST, True),  # shown as 66.7 %
        (74.95, 75, Direction.AT_LEAST, True),  # shown as 75.0 %
        (74.94, 75, Direction.AT_LEAST, False),  # shown as 74.9 %
        (74.9499, 75, Direction.AT_LEAST, False),  # shown as 74.9 %
        (74.94999999999999, 75, Direction.AT_LEAST, True),  # binary noise for 74.95
        (12.04, 12, Direction.AT_MOST, True),  # shown as 12.0
        (12.05, 12, Direction.AT_MOST, False),  # shown as 12.1
        (11.0, 12, Direction.AT_MOST, True),
        (13.0, 12, Direction.AT_MOST, False),
    ],
)
def test_it_compares_the_value_as_shown_with_one_decimal(
    value: float, target: float, direction: Direction, reached: bool
) -> None:
    goal = judging.Target(target, None, str(direction))  # type: ignore[arg-type]
    status = judge(value, None, goal, None, n=1, minimum=1)
    assert (status is Status.UPPNATT) is reached


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (74.95, 75.0),
        (74.94, 74.9),
        (66.66666666666667, 66.7),
        (0.05, 0.1),
        (12.25, 12.3),
        (100.0, 100.0),
    ],
)
def test_it_rounds_half_up_for_display(value: float, shown: float) -> None:
    assert display_value(value) == shown


def test_it_reports_too_few_answers_below_the_minimum() -> None:
    questionnaire = small_questionnaire(indicator("okning", Measure.SHARE_YES, targets=DATED))
    rows = [pv(okning="ja"), pv(okning="ja"), pv(okning="ej_aktuellt"), pv()]
    assert result_of(questionnaire, rows, min_responses=3).status is Status.FOR_FA_SVAR
    result = result_of(questionnaire, rows, min_responses=2)
    assert result.status is Status.UPPNATT
    assert result.value == pytest.approx(100.0)


def test_it_reports_too_few_answers_before_no_target() -> None:
    questionnaire = small_questionnaire(indicator("okning", Measure.SHARE_YES))
    assert result_of(questionnaire, [pv(okning="ja")], min_responses=2).status is Status.FOR_FA_SVAR
    assert result_of(questionnaire, [pv(okning="ja")], min_responses=1).status is Status.INGET_MAL


def test_it_counts_the_minimum_in_organisations_when_each_counts_once() -> None:
    questionnaire = small_questionnaire(
        indicator("okning", Measure.SHARE_YES, per_organisation=True, targets=(Target(50),))
    )
    rows = [pv("VC Norr", okning="ja"), pv("VC Norr", okning="ja"), pv("VC Syd", okning="nej")]
    assert result_of(questionnaire, rows, min_responses=3).status is Status.FOR_FA_SVAR
    assert result_of(questionnaire, rows, min_responses=2).status is Status.UPPNATT


# -- comparison with the previous round -------------------------------------------------


def test_it_compares_an_indicator_without_target_with_the_previous_round() -> None:
    questionnaire = small_questionnaire(
        indicator("okning", Measure.SHARE_YES, goal="En ökning ska ses mellan åren.")
    )
    rows = [pv(okning="ja"), pv(okning="ja"), pv(okning="ja"), pv(okning="nej")]
    result = result_of(questionnaire, rows, previous={"9.9": 60.0})
    assert result.status is Status.INGET_MAL
    assert result.value == pytest.approx(75.0)
    assert result.previous == pytest.approx(60.0)
    assert result.change == pytest.approx(15.0)  # percentage points
    assert result.trend is Trend.OKNING


@pytest.mark.parametrize(
    ("previous", "trend"),
    [
        (80.0, Trend.MINSKNING),
        (75.0, Trend.OFORANDRAD),
        (75.04, Trend.OFORANDRAD),
        (74.9, Trend.OKNING),
    ],
)
def test_it_tells_the_trend_as_shown(previous: float, trend: Trend) -> None:
    questionnaire = small_questionnaire(indicator("okning", Measure.SHARE_YES, targets=DATED))
    rows = [pv(okning="ja"), pv(okning="ja"), pv(okning="ja"), pv(okning="nej")]
    result = result_of(questionnaire, rows, previous={"9.9": previous})
    assert result.status is Status.UPPNATT
    assert result.trend is trend


def test_it_leaves_the_comparison_empty_without_a_previous_value() -> None:
    questionnaire = small_questionnaire(indicator("okning", Measure.SHARE_YES))
    for previous in (None, {}, {"9.9": None}, {"annan": 50.0}):
        result = result_of(questionnaire, [pv(okning="ja")], previous=previous)
        assert (result.previous, result.change, result.trend) == (None, None, None)


# -- the sample questionnaire, every indicator at once ----------------------------------


def test_it_computes_every_indicator_of_the_sample() -> None:
    questionnaire = sample_questionnaire()
    rows = [
        pv(
            "VC Norr",
            sip_okning="ja",
            omraden=["fallrisk"],
            nojdhet="mycket_nojd",
            utbildning=80,
            beskrivning="Vi har utbildat alla.",
        ),
        pv("VC Syd", sip_okning="nej", nojdhet="varken_eller", utbildning=40),
        kommun("Ängelholm", sip_okning="ja", nojdhet="ganska_nojd", utbildning=60, npo="ja"),
        kommun(
            "Ängelholm", organisation="Ängelholms kommun, SÄBO", sip_okning="ej_aktuellt", npo="nej"
        ),
        kommun("Bjuv", sip_okning="nej", nojdhet="ganska_missnojd", npo="nej"),
    ]
    frame = responses_frame_from_records(questionnaire, rows)
    results = compute_indicator_results(
        questionnaire, frame, reference_date=REFERENCE, previous={"1a.1b": 50.0}
    )
    by_id = {result.id: result for result in results}
    assert list(by_id) == ["1a.1b", "1a.1a", "1b.2a", "1a.5", "1b.2b"]
    # 1a.1b: ja, nej, ja, nej (+ 1 Ej aktuellt): 50 % against 75 % at 2025-12-31.
    assert (by_id["1a.1b"].value, by_id["1a.1b"].n, by_id["1a.1b"].status) == (
        50.0,
        4,
        Status.EJ_UPPNATT,
    )
    assert by_id["1a.1b"].change == 0.0
    # 1a.1a: mean of 80, 40, 60 = 60 meets the milestone in force, 50 % at 2023-12-31
    # (100 % is due only 2026-12-31).
    assert (by_id["1a.1a"].value, by_id["1a.1a"].status) == (60.0, Status.UPPNATT)
    assert by_id["1a.1a"].target == judging.Target(50, date(2023, 12, 31))
    assert by_id["1a.1a"].next_target == judging.Target(100, date(2026, 12, 31))
    # 1b.2a: mycket/ganska nöjd: 2 of 4 answering, against the undated 100 %.
    assert (by_id["1b.2a"].value, by_id["1b.2a"].n, by_id["1b.2a"].n_blank) == (50.0, 4, 1)
    # 1a.5: kommuner once each: Ängelholm ja (one of two managers), Bjuv nej.
    assert (by_id["1a.5"].value, by_id["1a.5"].n, by_id["1a.5"].n_population) == (50.0, 2, 2)
    assert by_id["1a.5"].target == judging.Target(50, date(2024, 6, 1))
    # 1b.2b: free text, collated not scored.
    assert (by_id["1b.2b"].value, by_id["1b.2b"].n, by_id["1b.2b"].status) == (
        None,
        1,
        Status.INGET_MAL,
    )


def test_it_refuses_a_measure_that_does_not_fit_the_question() -> None:
    questionnaire = small_questionnaire(indicator("fritext", Measure.MEAN))
    frame = responses_frame_from_records(questionnaire, [pv(fritext="x")])
    with pytest.raises(ValueError, match="measure mean does not fit question fritext"):
        compute_indicator_results(questionnaire, frame, reference_date=REFERENCE)


def test_it_refuses_a_frame_of_another_questionnaire() -> None:
    questionnaire = small_questionnaire(indicator("okning", Measure.SHARE_YES))
    frame = responses_frame_from_records(sample_questionnaire(), [pv(sip_okning="ja")])
    with pytest.raises(ValueError, match="no column 'okning'"):
        compute_indicator_results(questionnaire, frame, reference_date=REFERENCE)


# -- JSON -------------------------------------------------------------------------------


def test_it_gives_results_as_json_with_the_agreed_keys() -> None:
    questionnaire = small_questionnaire(
        indicator("okning", Measure.SHARE_YES, id="1a.1b", targets=DATED),
        indicator(
            "nojdhet",
            Measure.SHARE_OF_OPTIONS,
            id="1b.2a",
            options=("mycket_nojd",),
            targets=(Target(100),),
        ),
        indicator("fritext", Measure.NONE, id="1b.2b"),
    )
    rows = [
        pv(okning="ja", nojdhet="mycket_nojd"),
        pv(okning="ja"),
        pv(okning="nej", nojdhet="varken_eller"),
    ]
    frame = responses_frame_from_records(questionnaire, rows)
    results = compute_indicator_results(
        questionnaire, frame, reference_date=REFERENCE, previous={"1a.1b": 50.0}
    )
    data = json.loads(json.dumps(results_as_json(results)))
    assert [list(item) for item in data] == [list(CONTRACT_KEYS)] * 3
    share_yes, options, free_text = data
    assert share_yes["id"] == "1a.1b"
    assert math.isclose(share_yes["value"], 200 / 3)  # full precision, in percent
    assert share_yes["change"] == pytest.approx(200 / 3 - 50)
    # 2025-12-31 is the day of the 75 % milestone; 100 % is next and final.
    assert {key: share_yes[key] for key in CONTRACT_KEYS if key not in ("value", "change")} == {
        "id": "1a.1b",
        "title": "Indikator",
        "n": 3,
        "status": "ej uppnått",
        "direction": "at_least",
        "target": {"value": 75.0, "date": "2025-12-31"},
        "next_target": {"value": 100.0, "date": "2026-12-31"},
        "final_target": {"value": 100.0, "date": "2026-12-31"},
        "previous": 50.0,
        "population": {
            "unit": "response",
            "invited": 3,
            "answered": 3,
            "not_applicable": 0,
            "missing": 0,
        },
        "bounds": None,
        "min_responses": 1,
        "disagreements": [],
        "changes": [],
    }
    assert options["target"] == {"value": 100.0, "date": None}
    assert options["next_target"] is None
    assert (options["value"], options["n"], options["status"]) == (50.0, 2, "ej uppnått")
    # one of three responded without answering nojdhet: missing
    assert options["population"]["missing"] == 1
    assert free_text["status"] == "inget mål"
    assert (free_text["target"], free_text["final_target"], free_text["value"]) == (None,) * 3


CONTRACT_KEYS = (
    "id",
    "title",
    "value",
    "n",
    "status",
    "direction",
    "target",
    "next_target",
    "final_target",
    "previous",
    "change",
    "population",
    "bounds",
    "min_responses",
    "disagreements",
    "changes",
)


def test_it_labels_every_status_in_swedish() -> None:
    assert [status.value for status in Status] == [
        "uppnått",
        "ej uppnått",
        "kan inte avgöras",
        "för få svar",
        "inget mål",
        "inget jämförelsevärde",
    ]
    assert [trend.label for trend in Trend] == ["ökning", "minskning", "oförändrad"]
