"""The respondent's form: built once per questionnaire version and organisation type, reused.

Per request only what depends on the respondent is done: the fields' values, the errors and
the progress. The numbering and the condition and audience notes come from the class.
"""

from __future__ import annotations

import pytest
from flask import Flask

import survey.answering.form as form_module
from survey.answering.form import answer_form_class, build_answer_form
from survey.organisations import OrganisationType
from tests.sample import sample_questionnaire


def test_the_form_class_is_built_once_and_reused(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    questionnaire = sample_questionnaire(version="reuse-1")
    first = answer_form_class(questionnaire, OrganisationType.KOMMUN)
    expected = first.plan

    def not_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("rebuilt per request")

    # From now on nothing that depends only on the questionnaire may be worked out again.
    monkeypatch.setattr(form_module, "form_plan", not_again)
    monkeypatch.setattr(form_module, "condition_note", not_again)
    monkeypatch.setattr(form_module, "reachable_questions", not_again)
    with app.test_request_context("/svara/1/x"):
        for draft in ({}, {"sip_okning": "ja"}):
            form = build_answer_form(questionnaire, OrganisationType.KOMMUN, answers=draft)
            assert type(form) is first
            layout = form.layout(preview_notes=True)
            assert [s.section.id for s in layout.sections] == [p.section.id for p in expected]
            numbers = [view.number for s in layout.sections for view in s.questions]
            assert numbers == list(range(1, len(numbers) + 1))
    assert answer_form_class(questionnaire, OrganisationType.KOMMUN) is first


def test_other_types_get_their_own_class(app: Flask) -> None:
    questionnaire = sample_questionnaire(version="reuse-2")
    kommun = answer_form_class(questionnaire, OrganisationType.KOMMUN)
    regional = answer_form_class(questionnaire, OrganisationType.REGIONAL_PV)
    assert kommun is not regional
    assert answer_form_class(questionnaire, OrganisationType.REGIONAL_PV) is regional
