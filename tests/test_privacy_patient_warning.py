"""Respondents are told not to write patient data, beside every free-text question.

Free text is read by many and kept for years after the names are purged; it must not hold
data about patients. The warning stands above the form, in the hint of each free-text
question (read out by screen readers with the field, through aria-describedby), and in
the default invitation.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from flask import Flask

from survey.answering.hints import PATIENT_DATA_HINT
from survey.questionnaires.model import QuestionType
from survey.rounds.messages import DEFAULT_INVITATION_BODY
from tests.respondent_helpers import invite, nv_questionnaire
from tests.sample import sample_questionnaire

FREE_TEXT = (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT)


def form_of(app: Flask, **fields: Any) -> BeautifulSoup:
    invited = invite(app, **fields)
    client = app.test_client()
    assert client.get(invited.link).status_code == 303
    response = client.get(invited.form_url)
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_it_warns_beside_every_free_text_question_and_only_there(app: Flask) -> None:
    questionnaire = sample_questionnaire()
    soup = form_of(app)
    free_text = [q for q in questionnaire.questions if q.type in FREE_TEXT]
    assert len(free_text) == 2
    for question in questionnaire.questions:
        field = soup.find(id=question.id)
        if field is None:  # option groups: the fieldset carries the description
            continue
        hint = soup.find(id=f"{question.id}-hint")
        described = str(field.get("aria-describedby") or "").split()
        warned = hint is not None and PATIENT_DATA_HINT in hint.get_text()
        assert warned is (question.type in FREE_TEXT), question.id
        if warned:
            assert f"{question.id}-hint" in described, question.id
    # And once above the form, before any question.
    notice = soup.find(id="patientuppgifter")
    assert notice is not None and "enskilda patienter" in notice.get_text()
    assert notice.find_next("form", class_="questionnaire-form") is not None


def test_it_warns_in_the_shipped_questionnaire_and_the_invitation(app: Flask) -> None:
    soup = form_of(app, questionnaire=nv_questionnaire(), organisation_type="kommun")
    long_texts = [q for q in nv_questionnaire().questions if q.type in FREE_TEXT]
    shown = [q for q in long_texts if soup.find(id=q.id) is not None]
    assert shown, "the NV questionnaire has free-text questions"
    for question in shown:
        hint = soup.find(id=f"{question.id}-hint")
        assert hint is not None and PATIENT_DATA_HINT in hint.get_text()
    assert "Skriv inte uppgifter om enskilda patienter" in DEFAULT_INVITATION_BODY
