"""`not_before`: a week or date question whose answer may not lie before an earlier one's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey.db import db
from survey.errors import ErrorCode
from survey.questionnaires.answers import EVERYONE, check_answers, check_not_before
from survey.questionnaires.errors import AnswerError
from survey.questionnaires.model import Questionnaire
from survey.questionnaires.parsing import (
    QuestionnaireInvalid,
    parse_questionnaire,
    read_questionnaire_file,
)
from survey.responses.importing import import_responses
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Round, RoundState
from tests.factories import make_questionnaire_version, make_recipient, make_round
from tests.import_helpers import row_counts, stored_answers, xlsx_file
from tests.respondent_helpers import invite

BILAGA1 = Path(__file__).resolve().parent.parent / "questionnaires" / "no-bilaga1-stodfragor.yaml"
MESSAGE = (
    "Veckan kan inte ligga före svaret på frågan "
    "”Tid – vilken vecka börjar inventeringen?” (vecka 12 år 2026)."
)

# Line numbers matter: the tests assert the line of each error.
BASE = """\
id: prov-enkat
version: 1
title: Provenkät
sections:
  - id: allmant
    title: Allmänt
    questions:
      - id: forsta
        type: week
        text: Första veckan?
      - id: sista
        type: week
        text: Sista veckan?
        required: false
        not_before: forsta
      - id: start
        type: date
        text: Startdatum?
        required: false
      - id: slut
        type: date
        text: Slutdatum?
        required: false
        not_before: start
      - id: kommentar
        type: short_text
        text: Kommentar
        required: false
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(QuestionnaireInvalid) as caught:
        parse_questionnaire(text, "prov.yaml")
    return [str(error) for error in caught.value.errors]


def test_it_reads_not_before_and_keeps_it_in_the_json() -> None:
    questionnaire = parse_questionnaire(BASE, "prov.yaml")
    assert questionnaire.question("sista").not_before == "forsta"
    assert questionnaire.question("slut").not_before == "start"
    assert questionnaire.question("forsta").not_before is None
    data = questionnaire.to_json()
    first, last = data["sections"][0]["questions"][:2]
    assert last["not_before"] == "forsta" and "not_before" not in first
    assert Questionnaire.from_json(data) == questionnaire


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "not_before: forsta",
            "not_before: forst",
            "prov.yaml:15: not_before of question 'sista' refers to question 'forst', "
            "which does not exist — did you mean 'forsta'?",
        ),
        (
            "not_before: forsta",
            "not_before: start",
            "prov.yaml:15: not_before of question 'sista' refers to question 'start', "
            "which comes later — it can only name an earlier question: "
            "move this question below it",
        ),
        (
            "not_before: start",
            "not_before: forsta",
            "prov.yaml:24: not_before of question 'slut' refers to question 'forsta' "
            "of type week — name an earlier question of type date, as this one is",
        ),
        (
            "not_before: forsta",
            "not_before: sista",
            "prov.yaml:15: not_before of question 'sista' refers to the question itself — "
            "name an earlier week question whose answer this one may not lie before",
        ),
        (
            "        text: Kommentar\n",
            "        text: Kommentar\n        not_before: start\n",
            "prov.yaml:28: question 'kommentar' of type short_text cannot have 'not_before' — "
            "remove it (only week and date questions take it)",
        ),
    ],
)
def test_it_reports_a_wrong_not_before_with_its_line(old: str, new: str, expected: str) -> None:
    assert BASE.count(old) == 1
    assert errors_of(BASE.replace(old, new)) == [expected]


def test_it_refuses_a_later_week_or_date_before_the_earlier_in_check_answers() -> None:
    questionnaire = parse_questionnaire(BASE, "prov.yaml")
    raw = {"forsta": "2026-W12", "sista": "2026 v 11", "start": "2026-03-16", "slut": "2026-3-15"}
    check = check_answers(questionnaire, raw, EVERYONE, require_complete=True)
    assert check.errors == {
        "sista": "Veckan kan inte ligga före svaret på frågan ”Första veckan?” (vecka 12 år 2026).",
        "slut": "Datumet kan inte ligga före svaret på frågan ”Startdatum?” (2026-03-16).",
    }
    assert check.answers == {"forsta": "2026-W12", "start": "2026-03-16"}
    with pytest.raises(AnswerError) as caught:
        check_not_before(questionnaire, questionnaire.question("sista"), "2026-W11", check.answers)
    assert caught.value.code is ErrorCode.ANSWERS_BEFORE_EARLIER


@pytest.mark.parametrize(
    ("last_week", "last_day"),
    [("2026-W12", "2026-03-16"), ("2026-W13", "2026-03-17"), ("2027-W01", "2027-01-01")],
)
def test_it_accepts_an_equal_or_later_week_or_date(last_week: str, last_day: str) -> None:
    questionnaire = parse_questionnaire(BASE, "prov.yaml")
    raw = {"forsta": "2026-W12", "sista": last_week, "start": "2026-03-16", "slut": last_day}
    check = check_answers(questionnaire, raw, EVERYONE, require_complete=True)
    assert check.ok, check.errors
    assert check.answers["sista"] == last_week and check.answers["slut"] == last_day


def test_it_compares_nothing_when_the_earlier_question_is_unanswered_or_wrong() -> None:
    questionnaire = parse_questionnaire(BASE, "prov.yaml")
    check = check_answers(
        questionnaire, {"sista": "2020-W01", "slut": "2020-01-01"}, EVERYONE, require_complete=False
    )
    assert check.ok and check.answers == {"sista": "2020-W01", "slut": "2020-01-01"}
    check = check_answers(
        questionnaire, {"forsta": "vecka 60", "sista": "2020-W01"}, EVERYONE, require_complete=False
    )
    assert list(check.errors) == ["forsta"]


def test_bilaga1_version_2_says_the_last_week_is_not_before_the_first() -> None:
    questionnaire = read_questionnaire_file(BILAGA1)
    assert questionnaire.version == "2"
    assert questionnaire.question("vecka_sista").not_before == "vecka"


# -- the respondent's form and the answers import (both databases) -------------------------

BILAGA1_ANSWERS = {
    "deltagande_organisationer": "socialtjanst",
    "deltagare": "Enhetschef hemsjukvård",
    "vecka": "2026-W12",
}


def bilaga1_respondent(app: Flask, client: FlaskClient) -> tuple[str, int]:
    invited = invite(
        app,
        questionnaire=read_questionnaire_file(BILAGA1),
        organisation="Lokal samverkan Hässleholm",
        organisation_type="lokal_samverkan",
        kommun="Hässleholm",
    )
    assert client.get(invited.link).status_code == 303
    return invited.form_url, invited.recipient_id


def stored_count(app: Flask) -> tuple[int, int]:
    with app.app_context():
        responses = db.session.scalar(select(func.count()).select_from(Response)) or 0
        submissions = db.session.scalar(select(func.count()).select_from(ResponseSubmission)) or 0
        return int(responses), int(submissions)


def soup_of(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_form_refuses_a_last_week_before_the_first_and_keeps_the_answers(
    app: Flask, client: FlaskClient
) -> None:
    form_url, _ = bilaga1_respondent(app, client)
    response = client.post(
        form_url, data={**BILAGA1_ANSWERS, "vecka_sista": "2026-W11", "action": "submit"}
    )
    assert response.status_code == 422
    soup = soup_of(response)
    summary = soup.select_one(".error-summary")
    assert summary is not None
    assert [a["href"] for a in summary.select("a")] == ["#vecka_sista"]
    assert MESSAGE in " ".join(summary.get_text(" ").split())
    for question_id, value in (("vecka", "2026-W12"), ("vecka_sista", "2026-W11")):
        field = soup.select_one(f"#{question_id}")
        assert field is not None and field["value"] == value
    assert stored_count(app) == (0, 0)


@pytest.mark.parametrize("last_week", ["2026-W12", "2026-W14"])
def test_the_form_accepts_an_equal_or_later_last_week(
    app: Flask, client: FlaskClient, last_week: str
) -> None:
    form_url, recipient_id = bilaga1_respondent(app, client)
    response = client.post(
        form_url, data={**BILAGA1_ANSWERS, "vecka_sista": last_week, "action": "submit"}
    )
    assert response.status_code == 303
    answers, _, submissions = stored_answers(app, recipient_id)
    assert answers is not None and answers["vecka_sista"] == last_week
    assert len(submissions) == 1


HEADERS = ["e-post", "deltagande_organisationer", "deltagare", "vecka", "vecka_sista"]
EMAIL = "hassleholm@example.se"


def bilaga1_round(app: Flask) -> tuple[int, int]:
    with app.app_context():
        version = make_questionnaire_version(read_questionnaire_file(BILAGA1))
        round_ = make_round(version, delregion="NO", state=RoundState.CLOSED)
        recipient = make_recipient(
            round_,
            email=EMAIL,
            organisation="Lokal samverkan Hässleholm",
            organisation_type="lokal_samverkan",
            kommun="Hässleholm",
        )
        db.session.commit()
        return round_.id, recipient.id


def run_import(app: Flask, round_id: int, last_week: str) -> Any:
    data = xlsx_file(
        [HEADERS, [EMAIL, "Socialtjänst", "Enhetschef hemsjukvård", "2026-W12", last_week]]
    )
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_ is not None
        outcome = import_responses(round_, data, "svar.xlsx", add_recipients=False, dry_run=False)
        if outcome.imported:
            db.session.commit()
        else:
            db.session.rollback()
        return outcome


def test_the_import_refuses_a_row_whose_last_week_is_before_the_first(app: Flask) -> None:
    round_id, recipient_id = bilaga1_round(app)
    before = row_counts(app)
    outcome = run_import(app, round_id, "2026-W11")
    assert not outcome.imported
    assert [
        (problem.row, problem.column, problem.message) for problem in outcome.check.problems
    ] == [(2, "vecka_sista", MESSAGE)]
    assert row_counts(app) == before
    assert stored_answers(app, recipient_id)[0] is None


@pytest.mark.parametrize("last_week", ["2026-W12", "2026 v 13"])
def test_the_import_accepts_an_equal_or_later_last_week(app: Flask, last_week: str) -> None:
    round_id, recipient_id = bilaga1_round(app)
    outcome = run_import(app, round_id, last_week)
    assert outcome.imported, outcome.check.problems
    answers = stored_answers(app, recipient_id)[0]
    assert answers is not None and answers["vecka"] == "2026-W12"
    assert answers["vecka_sista"] in ("2026-W12", "2026-W13")
