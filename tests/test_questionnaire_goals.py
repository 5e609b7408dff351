"""The questionnaire format for issue 12: increase goals, minimums, version notes; and the
NV questionnaire's version 2, read against the plan (../shared/seeds/001_*.txt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.organisations import OrganisationType
from survey.questionnaires.errors import QuestionnaireInvalid
from survey.questionnaires.model import Direction, Questionnaire, QuestionType
from survey.questionnaires.parsing import parse_questionnaire, read_questionnaire_file

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"

HEAD = """\
id: prov
version: 1
title: Prov
{top}sections:
  - id: s
    title: S
    questions:
      - id: q
        type: yes_no
        text: Registrerar er verksamhet i Rikssår?
indicators:
  - id: 3.1b
    title: Ökning
    area: 3 Kompetens
    question: q
    measure: share_yes
{indicator}"""


def parse(top: str = "", indicator: str = "") -> Questionnaire:
    return parse_questionnaire(HEAD.format(top=top, indicator=indicator), "prov.yaml")


def errors(top: str = "", indicator: str = "") -> list[str]:
    with pytest.raises(QuestionnaireInvalid) as caught:
        parse(top, indicator)
    return [str(error) for error in caught.value.errors]


def test_an_increase_goal_is_declared_without_targets() -> None:
    questionnaire = parse(indicator="    direction: increase\n")
    assert questionnaire.indicator("3.1b").direction is Direction.INCREASE
    assert parse(indicator="    direction: minskning\n").indicator("3.1b").direction is (
        Direction.DECREASE
    )
    # the JSON form keeps it
    again = Questionnaire.from_json(questionnaire.to_json())
    assert again.indicator("3.1b").direction is Direction.INCREASE


def test_an_increase_goal_with_targets_is_refused_with_a_fix() -> None:
    (message,) = errors(
        indicator="    direction: increase\n    targets:\n      - {date: 2026-12-31, value: 100}\n"
    )
    assert "prov.yaml" in message and "indicator 3.1b" in message
    assert "judged against the previous round" in message
    assert "remove 'targets'" in message


def test_minimums_per_questionnaire_and_indicator() -> None:
    questionnaire = parse(top="min_responses: 5\n", indicator="    min_responses: 3\n")
    assert questionnaire.min_responses == 5
    assert questionnaire.indicator("3.1b").min_responses == 3
    again = Questionnaire.from_json(questionnaire.to_json())
    assert (again.min_responses, again.indicator("3.1b").min_responses) == (5, 3)


@pytest.mark.parametrize(
    ("top", "indicator", "expected"),
    [
        ("min_responses: 0\n", "", "the questionnaire: min_responses 0 is below 1"),
        ("", "    min_responses: -2\n", "indicator 3.1b: min_responses -2 is below 1"),
        ("min_responses: fem\n", "", "'min_responses' must be a whole number"),
    ],
)
def test_a_bad_minimum_is_refused(top: str, indicator: str, expected: str) -> None:
    assert any(expected in message for message in errors(top, indicator))


def test_without_the_new_keys_the_stored_form_and_hash_are_unchanged() -> None:
    questionnaire = parse()
    data = questionnaire.to_json()
    assert "min_responses" not in data and "notes" not in data
    assert "min_responses" not in data["indicators"][0]
    version_1 = read_questionnaire_file(QUESTIONNAIRES / "nv-arlig-enkat.yaml")
    assert "notes" not in version_1.to_json()


def test_version_notes_are_kept() -> None:
    questionnaire = parse(top="notes: Frågan om Rikssår är omformulerad.\n")
    assert questionnaire.notes == "Frågan om Rikssår är omformulerad."
    assert Questionnaire.from_json(questionnaire.to_json()).notes == questionnaire.notes


# -- the NV questionnaire, version 2 ------------------------------------------------------


@pytest.fixture(scope="module")
def nv2() -> Questionnaire:
    return read_questionnaire_file(QUESTIONNAIRES / "nv-arlig-enkat-v2.yaml")


def test_version_2_says_what_changed_and_why(nv2: Questionnaire) -> None:
    first = read_questionnaire_file(QUESTIONNAIRES / "nv-arlig-enkat.yaml")
    assert (nv2.id, nv2.version, first.version) == ("nv-arlig-enkat", "2", "1")
    assert nv2.notes is not None
    for mentioned in ("3.1b", "3.2c", "2b.1c", "1b.2a", "1d.1", "ViSam", "Vet ej"):
        assert mentioned in nv2.notes, mentioned


def test_rikssar_asks_the_unit_and_judges_the_increase(nv2: Questionnaire) -> None:
    # 1b) "Har antalet enheter som registrerar i Rikssår ökat 2023-2026?" is not answerable
    # by one unit; "En ökning av antal deltagare i Rikssår ska ses mellan åren."
    indicator = nv2.indicator("3.1b")
    assert nv2.question(indicator.question).text == "Registrerar er verksamhet i Rikssår?"
    assert indicator.direction is Direction.INCREASE
    assert indicator.targets == ()


def test_lakarmedverkan_counts_only_vardcentraler_with_an_avtal(nv2: Questionnaire) -> None:
    # "Samtliga vårdcentraler med avtal kring läkarmedverkan … ska ha en välfungerande struktur"
    question = nv2.question(nv2.indicator("3.2c").question)
    assert question.show_if is not None
    avtal = nv2.question(question.show_if.question)
    assert "avtal om läkarmedverkan" in avtal.text
    assert question.show_if.answers == ("ja",)
    assert nv2.indicator("3.2c").per_organisation
    assert nv2.indicator("3.2c").population is OrganisationType.REGIONAL_PV


@pytest.mark.parametrize(
    ("indicator_id", "words"),
    [
        ("3.1a", "Anlitar er verksamhet"),
        ("1a.5", "er kommun"),
        ("2a.1b", "i er kommun"),
        ("1d.1", "ViSam"),
        ("1b.2a", "Hur nöjd är du"),
    ],
)
def test_questions_speak_to_the_unit(nv2: Questionnaire, indicator_id: str, words: str) -> None:
    assert words in nv2.question(nv2.indicator(indicator_id).question).text


@pytest.mark.parametrize("indicator_id", ["1a.1a", "1a.6b"])
def test_percent_questions_offer_vet_ej_and_ej_aktuellt(
    nv2: Questionnaire, indicator_id: str
) -> None:
    question = nv2.question(nv2.indicator(indicator_id).question)
    assert question.type is QuestionType.PERCENT
    assert not question.required  # left blank: Vet ej (counted as missing)
    assert "Lämna tomt om du inte vet" in (question.help or "")
    assert question.show_if is not None  # no berörda staff: not asked, Ej aktuellt
    assert "berörs" in nv2.question(question.show_if.question).text


def test_bildstodet_is_asked(nv2: Questionnaire) -> None:
    # 2b.1c "Tillämpas bildstödet som informationsmaterial? Ja/Nej": no QV extract measures it
    indicator = nv2.indicator("2b.1c")
    assert "bildstödet som informationsmaterial" in nv2.question(indicator.question).text


def test_the_census_of_three_sjukhus_needs_three(nv2: Questionnaire) -> None:
    assert nv2.indicator("3.2a").min_responses == 3
    assert nv2.min_responses == 5
