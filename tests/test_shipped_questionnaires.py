"""The two shipped questionnaires: valid, loadable, and true to the source documents.

Expected values below were read by hand from ../shared/seeds/001_*.txt (the NV plan) and
000_*.txt (Bilaga 1), not derived from the YAML.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from survey.organisations import OrganisationType
from survey.questionnaires.model import Measure, Questionnaire, QuestionType
from survey.questionnaires.parsing import read_questionnaire_file
from tests.factories import logged_in_client

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"
NV_FILE = QUESTIONNAIRES / "nv-arlig-enkat.yaml"
BILAGA1_FILE = QUESTIONNAIRES / "no-bilaga1-stodfragor.yaml"

# Every indicator of 001 whose Metod names "Årlig enkät till verksamhetsansvariga".
NV_ANNUAL_SURVEY_INDICATORS = {
    "1a.1a",
    "1a.1b",
    "1a.1c",
    "1a.4",
    "1a.5",
    "1a.6a",
    "1a.6b",
    "1a.7",
    "1b.2a",
    "1b.2b",
    "1b.2c",
    "1d.1",
    "2a.1a",
    "2a.1b",
    "2a.2",
    "2b.1a",
    "3.1a",
    "3.1b",
    "3.2a",
    "3.2b",
    "3.2c",
    "3.2d",
    "4.2",
}
# Indicators of 001 measured some other way (working group, QV extract, point prevalence,
# universities, questions to the kommuner, no method): they must not be in the enkät.
NV_OTHER_INDICATORS = {
    "1a.2",
    "1a.3a",
    "1a.3b",
    "1a.3c",
    "1a.3d",
    "1a.3e",
    "1b.1a",
    "1b.1b",
    "1b.1c",
    "1c.1",
    "1d.2a",
    "1d.2b",
    "2b.1b",
    "2b.1c",
    "3.3a",
    "3.3b",
    "4.1",
    "5.1a",
    "5.1b",
    "5.1c",
    "5.2",
    "6.1",
    "6.2a",
    "6.2b",
}


@pytest.fixture(scope="module")
def nv() -> Questionnaire:
    return read_questionnaire_file(NV_FILE)


@pytest.fixture(scope="module")
def bilaga1() -> Questionnaire:
    return read_questionnaire_file(BILAGA1_FILE)


def targets_of(questionnaire: Questionnaire, indicator_id: str) -> list[tuple[date | None, float]]:
    return [(target.date, target.value) for target in questionnaire.indicator(indicator_id).targets]


def test_it_holds_exactly_the_annual_survey_indicators(nv: Questionnaire) -> None:
    ids = {indicator.id for indicator in nv.indicators}
    assert ids == NV_ANNUAL_SURVEY_INDICATORS
    assert not ids & NV_OTHER_INDICATORS


@pytest.mark.parametrize(
    ("indicator_id", "targets"),
    [
        # 1b) "Minst 50% uppger en ökning 2023-12-31, minst 75% … 2025-12-31. 100% … 2026-12-31"
        ("1a.1b", [(date(2023, 12, 31), 50), (date(2025, 12, 31), 75), (date(2026, 12, 31), 100)]),
        # 1a) "Mål: 50% 2023-12-31, 100% 2026-12-31"
        ("1a.1a", [(date(2023, 12, 31), 50), (date(2026, 12, 31), 100)]),
        # 4) "Rutin ska vara känd och tillämpas i hela delregionen senast 2024-12-31"
        ("1a.4", [(date(2024, 12, 31), 100)]),
        # 5) "Mål: 50% 2024-06-01, 100% 2026-12-31"
        ("1a.5", [(date(2024, 6, 1), 50), (date(2026, 12, 31), 100)]),
        # 6b) "Mål: 50% 2023-12-31, 75% 2024-12-31, 100% 2026-12-31"
        ("1a.6b", [(date(2023, 12, 31), 50), (date(2024, 12, 31), 75), (date(2026, 12, 31), 100)]),
        # 7) "Mål: 50% 2024-12-31, 75% 2025-12-31, 100% 2026-12-31"
        ("1a.7", [(date(2024, 12, 31), 50), (date(2025, 12, 31), 75), (date(2026, 12, 31), 100)]),
        # 2a) "Mål: 100% ganska eller mycket nöjda med lokal samverkan." (no date)
        ("1b.2a", [(None, 100)]),
        # 2) "Minst 75% uppger "Ja" 2026-12-31."
        ("2a.2", [(date(2026, 12, 31), 75)]),
        # 1a) "Mål: 75% 2024-12-31, 100% 2026-12-31"
        ("2b.1a", [(date(2024, 12, 31), 75), (date(2026, 12, 31), 100)]),
        # 1a) "75% av berörda verksamheter anlitar sårvårdskonsult 2024-12-31, 100% 2026-12-31."
        ("3.1a", [(date(2024, 12, 31), 75), (date(2026, 12, 31), 100)]),
        # 1b) "En ökning av antal deltagare i Rikssår ska ses mellan åren." (no numeric target)
        ("3.1b", []),
        # 2) "100% ska ges möjlighet att delta 2026-12-31"
        ("4.2", [(date(2026, 12, 31), 100)]),
    ],
)
def test_it_carries_the_plans_targets(
    nv: Questionnaire, indicator_id: str, targets: list[tuple[date | None, float]]
) -> None:
    assert targets_of(nv, indicator_id) == targets


@pytest.mark.parametrize(
    ("indicator_id", "population", "per_organisation"),
    [
        ("1a.5", OrganisationType.KOMMUN, True),  # "Andel av kommuner med producentbehörighet"
        ("1d.1", OrganisationType.KOMMUN, True),  # "Samtliga kommuner ska tillämpa beslutsstödet"
        ("2a.1b", OrganisationType.KOMMUN, True),  # Senior Alert "i kommunerna"
        ("3.2a", OrganisationType.SLUTENVARD, True),  # "Samtliga sjukhus i NV"
        ("3.2c", OrganisationType.REGIONAL_PV, True),  # "Samtliga vårdcentraler"
        ("1a.1b", None, False),
    ],
)
def test_it_limits_indicators_about_one_kind_of_organisation(
    nv: Questionnaire,
    indicator_id: str,
    population: OrganisationType | None,
    per_organisation: bool,
) -> None:
    indicator = nv.indicator(indicator_id)
    assert indicator.population == population
    assert indicator.per_organisation is per_organisation
    if population is not None:
        assert nv.question(indicator.question).asked_of(population)


def test_it_measures_each_indicator_the_way_its_question_answers(nv: Questionnaire) -> None:
    assert nv.indicator("1a.1a").measure == Measure.MEAN
    assert nv.question("q1a_1a").type == QuestionType.PERCENT
    satisfaction = nv.indicator("1b.2a")
    assert satisfaction.measure == Measure.SHARE_OF_OPTIONS
    assert set(satisfaction.options) == {"ganska_nojd", "mycket_nojd"}
    assert nv.question("q1b_2a").type == QuestionType.SCALE
    assert nv.indicator("1b.2b").measure == Measure.NONE
    assert nv.question("q1b_2b").type == QuestionType.LONG_TEXT


def test_it_words_questions_as_the_plan_does(nv: Questionnaire) -> None:
    assert (
        nv.question("q1a_1b").text
        == "Kan man se en ökning i antalet genomförda SIP rullande 12 mån?"
    )
    assert nv.question("q4_2").text == "Ges möjlighet att delta i tjänsten ”Digitalt möte”?"


def test_it_asks_which_areas_only_after_a_yes(nv: Questionnaire) -> None:
    which = nv.question("q2a_1a_vilka")
    assert which.type == QuestionType.MULTIPLE_CHOICE
    assert which.show_if is not None
    assert (which.show_if.question, which.show_if.answers) == ("q2a_1a", ("ja",))
    assert [choice.label for choice in which.choices] == [
        "Suicidprevention",
        "Ofrivillig ensamhet",
        "Fallrisk",
        "Undernäring",
    ]


def test_it_holds_every_bilaga1_question_and_no_scores(bilaga1: Questionnaire) -> None:
    texts = [question.text for question in bilaga1.questions]
    assert "Vem är med vid inventeringen? Ange roller och verksamheter." in texts
    assert bilaga1.question("vecka").type == QuestionType.WEEK
    inventory = [q for q in bilaga1.questions if q.section_id == "steg1_inventera"]
    assert len(inventory) == 8  # the eight Inventera questions, "Annat?" included
    assert inventory[-1].text == "Annat?"
    assert "Vilka styrkor och utmaningar har ni uppmärksammat vid er inventering?" in texts
    assert bilaga1.indicators == ()
    assert all(
        q.type in (QuestionType.LONG_TEXT, QuestionType.SHORT_TEXT, QuestionType.WEEK)
        for q in bilaga1.questions
        if q.id != "deltagande_organisationer"
    )


def test_bilaga1_version_2_asks_the_participating_organisations_and_several_weeks(
    bilaga1: Questionnaire,
) -> None:
    # Issue 15: the inventory takes several weeks and names roles and organisations.
    assert bilaga1.version == "2"
    assert bilaga1.question("vecka_sista").type == QuestionType.WEEK
    assert not bilaga1.question("vecka_sista").required
    organisations = bilaga1.question("deltagande_organisationer")
    assert organisations.type == QuestionType.MULTIPLE_CHOICE
    labels = [choice.label for choice in organisations.choices]
    assert "Kommunal hälso- och sjukvård" in labels
    assert "Vårdcentral (regional primärvård)" in labels
    assert "roller" in bilaga1.question("deltagare").text


@pytest.mark.parametrize("path", [NV_FILE, BILAGA1_FILE], ids=lambda p: p.name)
def test_it_checks_loads_and_renders_each_shipped_file(
    app: Flask, runner: FlaskCliRunner, path: Path
) -> None:
    check = runner.invoke(args=["questionnaire", "check", str(path)])
    assert check.exit_code == 0, check.output
    assert "OK" in check.output
    load = runner.invoke(args=["questionnaire", "load", str(path)])
    assert load.exit_code == 0, load.output
    questionnaire = read_questionnaire_file(path)
    page = logged_in_client(app).get(f"/forhandsgranska/{questionnaire.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for question in questionnaire.questions:
        assert f'name="{question.id}"' in html
