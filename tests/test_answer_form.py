"""The WTForms answer form: fields built from the model, validation delegated to check_answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.ctx import RequestContext
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, StringField, TextAreaField

from survey.answering.form import (
    BUTTONS_ID,
    CSRF_MESSAGE,
    MultiCheckboxField,
    answer_form_class,
    build_answer_form,
)
from survey.organisations import OrganisationType
from survey.questionnaires.answers import EVERYONE
from survey.questionnaires.model import Question, Questionnaire, QuestionType, Section
from tests.sample import YES_NO, sample_questionnaire

KOMMUN = OrganisationType.KOMMUN
REGIONAL_PV = OrganisationType.REGIONAL_PV
SAMPLE = sample_questionnaire()


@pytest.fixture
def get_request(app: Flask) -> Iterator[None]:
    with app.test_request_context("/"):
        yield


def post(app: Flask, pairs: list[tuple[str, str]]) -> RequestContext:
    """A POST request context with these form pairs."""
    return app.test_request_context("/", method="POST", data=MultiDict(pairs))


def test_it_caches_one_form_class_per_questionnaire_version_and_type(get_request: None) -> None:
    first = answer_form_class(SAMPLE, KOMMUN)
    assert answer_form_class(sample_questionnaire(), "kommun") is first
    assert answer_form_class(SAMPLE, REGIONAL_PV) is not first
    assert answer_form_class(SAMPLE, EVERYONE) is not first
    assert answer_form_class(sample_questionnaire(version="2"), KOMMUN) is not first


FIELD_CLASSES = [
    ("sip_okning", RadioField),
    ("forum", RadioField),
    ("nojdhet", RadioField),
    ("omraden", MultiCheckboxField),
    ("utbildning", StringField),
    ("dygn", StringField),
    ("kommentar", StringField),
    ("beskrivning", TextAreaField),
    ("startdatum", StringField),
    ("vecka", StringField),
    ("npo", RadioField),
]


@pytest.mark.parametrize(("question_id", "field_class"), FIELD_CLASSES)
def test_it_makes_one_field_per_question_named_by_its_id(
    get_request: None, question_id: str, field_class: Any
) -> None:
    form = build_answer_form(SAMPLE, EVERYONE)
    field = form.answer_field(question_id)
    assert isinstance(field, field_class)
    assert field.name == question_id
    assert field.id == question_id


RENDERED = [
    ("utbildning", ['type="text"', 'inputmode="decimal"', 'name="utbildning"']),
    ("dygn", ['type="text"', 'inputmode="decimal"']),
    ("kommentar", ['type="text"', 'maxlength="200"']),
    ("beskrivning", ["<textarea", 'name="beskrivning"']),
    ("startdatum", ['type="date"']),
    ("vecka", ['type="week"']),
    ("sip_okning", ['type="radio"', 'value="ej_aktuellt"', 'id="sip_okning-2"']),
    ("omraden", ['type="checkbox"', 'value="undernaring"', 'id="omraden-3"']),
]


@pytest.mark.parametrize(("question_id", "fragments"), RENDERED)
def test_it_renders_the_input_each_type_needs(
    get_request: None, question_id: str, fragments: list[str]
) -> None:
    html = str(build_answer_form(SAMPLE, EVERYONE).answer_field(question_id)())
    for fragment in fragments:
        assert fragment in html
    assert 'type="number"' not in html


def test_it_leaves_the_minus_sign_on_the_keypad_where_negative_numbers_are_allowed(
    app: Flask,
) -> None:
    questionnaire = Questionnaire(
        id="negativ",
        version="1",
        title="Negativ",
        sections=(Section("s", "S", (Question("saldo", QuestionType.NUMBER, "Saldo", "s"),)),),
    )
    with app.test_request_context("/"):
        html = str(build_answer_form(questionnaire, EVERYONE).answer_field("saldo")())
    assert "inputmode" not in html


def test_it_leaves_out_questions_not_asked_of_the_organisation_type(get_request: None) -> None:
    assert "npo" not in [q.id for q in answer_form_class(SAMPLE, REGIONAL_PV).questions]
    assert "npo" in [q.id for q in answer_form_class(SAMPLE, KOMMUN).questions]
    with pytest.raises(KeyError):
        build_answer_form(SAMPLE, REGIONAL_PV).answer_field("npo")


def test_it_allows_question_ids_that_are_names_of_form_attributes(app: Flask) -> None:
    names = ["data", "errors", "meta", "validate", "process", "answers", "csrf"]
    questionnaire = Questionnaire(
        id="namn",
        version="1",
        title="Namn",
        sections=(
            Section(
                "s",
                "S",
                tuple(
                    Question(name, QuestionType.YES_NO, f"Fråga {name}", "s", choices=YES_NO)
                    for name in names
                ),
            ),
        ),
    )
    with post(app, [(name, "ja") for name in names]):
        form = build_answer_form(questionnaire, EVERYONE)
        assert form.validate_answers(require_complete=True)
        assert form.answers == dict.fromkeys(names, "ja")
        assert isinstance(form.errors, dict)


def test_it_validates_through_check_answers_and_attaches_swedish_messages(app: Flask) -> None:
    pairs = [
        ("sip_okning", "ja"),
        ("utbildning", "101"),
        ("nojdhet", "hackat"),
        ("kommentar", "Hej 😀"),
        ("npo", "ja"),
    ]
    with post(app, pairs):
        form = build_answer_form(SAMPLE, EVERYONE)
        assert not form.validate_answers(require_complete=True)
        assert form.answer_field("utbildning").errors == ["Ange ett tal mellan 0 och 100."]
        assert form.answer_field("nojdhet").errors == [
            "Det valda alternativet finns inte. Välj ett alternativ på skalan."
        ]
        assert form.answer_field("omraden").errors == ["Välj minst ett alternativ."]
        assert form.answer_field("kommentar").errors == []
        assert form.answers == {"sip_okning": "ja", "kommentar": "Hej 😀", "npo": "ja"}


def test_it_validates_a_complete_submission_on_submit(app: Flask) -> None:
    pairs = [
        ("sip_okning", "nej"),
        ("nojdhet", "ganska_nojd"),
        ("utbildning", "45,5"),
        ("dygn", "1 2,5"),
        ("action", "submit"),
    ]
    with post(app, pairs):
        form = build_answer_form(SAMPLE, REGIONAL_PV)
        assert not form.validate_on_submit()
        assert form.answer_field("dygn").errors == [
            "Ange ett tal med siffror, till exempel 12 eller 12,5."
        ]
    pairs[3] = ("dygn", "12,5")
    with post(app, pairs):
        form = build_answer_form(SAMPLE, REGIONAL_PV)
        assert form.validate_on_submit()
        assert form.answers == {
            "sip_okning": "nej",
            "nojdhet": "ganska_nojd",
            "utbildning": 45.5,
            "dygn": 12.5,
        }


def test_it_checks_a_draft_for_formats_only(app: Flask) -> None:
    with post(app, [("kommentar", "Bra"), ("action", "save")]):
        form = build_answer_form(SAMPLE, EVERYONE)
        assert form.validate_answers(require_complete=False)
        assert form.answers == {"kommentar": "Bra"}
    with post(app, [("startdatum", "2025-02-30")]):
        form = build_answer_form(SAMPLE, EVERYONE)
        assert not form.validate_answers(require_complete=False)
        assert form.answer_check is not None
        assert list(form.answer_check.errors) == ["startdatum"]


def test_it_keeps_the_cleaned_values_in_the_fields(app: Flask) -> None:
    pairs = [
        ("kommentar", "  Hej\x00 då 😀 "),
        ("omraden", "fallrisk"),
        ("omraden", "hackat"),
        ("sip_okning", "ja"),
        ("beskrivning", "rad 1\r\nrad 2"),
    ]
    with post(app, pairs):
        form = build_answer_form(SAMPLE, EVERYONE)
        form.validate_answers(require_complete=True)
        assert form.answer_field("kommentar").data == "Hej då 😀"
        assert form.answer_field("omraden").data == ["fallrisk", "hackat"]
        assert form.answer_field("beskrivning").data == "rad 1\nrad 2"
        assert form.raw_answers["sip_okning"] == "ja"
        html = str(form.answer_field("kommentar")())
        assert 'value="Hej då 😀"' in html
        options = {option.data: option.checked for option in form.answer_field("omraden")}
        assert options["fallrisk"] is True
        assert options["suicidprevention"] is False


def test_it_ignores_posted_answers_of_questions_not_asked(app: Flask) -> None:
    pairs = [
        ("sip_okning", "nej"),
        ("nojdhet", "ganska_nojd"),
        ("utbildning", "5"),
        ("npo", "hackat"),
        ("okand", "x"),
    ]
    with post(app, pairs):
        form = build_answer_form(SAMPLE, REGIONAL_PV)
        assert form.validate_answers(require_complete=True)
        assert "npo" not in form.raw_answers
        assert "npo" not in form.answers


def test_it_fills_the_fields_from_saved_answers(get_request: None) -> None:
    form = build_answer_form(
        SAMPLE,
        KOMMUN,
        answers={
            "sip_okning": "ja",
            "omraden": ["fallrisk"],
            "kommentar": "Sparat 😀",
            "okand": "x",
        },
    )
    assert form.answer_field("sip_okning").data == "ja"
    assert form.answer_field("omraden").data == ["fallrisk"]
    assert 'value="Sparat 😀"' in str(form.answer_field("kommentar")())
    assert "okand" not in form.raw_answers
    assert form.answer_check is None
    assert form.error_summary() == []


def test_it_ignores_saved_answers_when_a_form_is_posted(app: Flask) -> None:
    with post(app, [("kommentar", "Nytt")]):
        form = build_answer_form(SAMPLE, KOMMUN, answers={"kommentar": "Gammalt"})
        assert form.raw_answers == {"kommentar": "Nytt"}


def test_it_lists_errors_for_the_summary_with_the_anchor_of_each_field(app: Flask) -> None:
    with post(app, [("sip_okning", "ja"), ("dygn", "x")]):
        form = build_answer_form(SAMPLE, KOMMUN)
        form.validate_answers(require_complete=True)
        summary = form.error_summary()
    assert [anchor for anchor, _ in summary] == [
        "omraden-0",
        "nojdhet-0",
        "utbildning",
        "dygn",
        "npo-0",
    ]
    assert summary[0][1] == "2. Om ja, ange vilka områden. – Välj minst ett alternativ."


def test_it_refuses_a_post_without_a_valid_csrf_token(csrf_app: Flask) -> None:
    answers = [("sip_okning", "nej"), ("nojdhet", "ganska_nojd"), ("utbildning", "5")]
    with post(csrf_app, [*answers, ("csrf_token", "förfalskad")]):
        form = build_answer_form(SAMPLE, REGIONAL_PV)
        assert not form.validate_answers(require_complete=True)
        assert form.form_error == CSRF_MESSAGE
        assert form.error_summary() == [(BUTTONS_ID, CSRF_MESSAGE)]
        assert form.answers == {"sip_okning": "nej", "nojdhet": "ganska_nojd", "utbildning": 5}
    with csrf_app.test_request_context("/", method="POST"):
        token = generate_csrf()  # kept in this request's session, as a GET would
        formdata = MultiDict([*answers, ("csrf_token", token)])
        form = build_answer_form(SAMPLE, REGIONAL_PV, formdata=formdata)
        assert form.validate_answers(require_complete=True)
        assert form.form_error is None


def test_it_numbers_questions_and_notes_conditions(get_request: None) -> None:
    layout = build_answer_form(SAMPLE, KOMMUN).layout()
    views = [view for section in layout.sections for view in section.questions]
    assert [view.number for view in views] == list(range(1, 12))
    by_id = {view.id: view for view in views}
    assert by_id["omraden"].condition_note == "Besvaras om du har svarat Ja på fråga 1."
    assert by_id["omraden"].show_if_answers == ["ja"]
    assert "conditional" in by_id["omraden"].css_classes
    assert by_id["nojdhet"].css_classes == "question scale"
    assert by_id["sip_okning"].describedby == "sip_okning-hint"
    assert by_id["utbildning"].describedby == "utbildning-hint utbildning-unit"
    assert by_id["dygn"].hints == ["Ange ett tal mellan 0 och 365, med högst 1 decimal."]
    assert all(view.audience_note is None for view in views)
    assert all(section.audience_note is None for section in layout.sections)


def test_it_notes_audiences_only_in_the_preview(get_request: None) -> None:
    layout = build_answer_form(SAMPLE, EVERYONE).layout(preview_notes=True)
    assert [section.audience_note for section in layout.sections] == [None, "Endast för: Kommun"]
    # The question's audience is its section's: said once, at the section.
    assert layout.sections[1].questions[0].audience_note is None


def test_it_shows_the_error_in_the_layout(app: Flask) -> None:
    with post(app, [("utbildning", "abc")]):
        form = build_answer_form(SAMPLE, REGIONAL_PV)
        form.validate_answers(require_complete=False)
        view = next(v for s in form.layout().sections for v in s.questions if v.id == "utbildning")
    assert view.error == "Ange andelen med siffror, till exempel 45 eller 12,5."
    assert view.describedby == "utbildning-hint utbildning-error utbildning-unit"
    attributes = view.input_attributes()
    assert attributes["aria-invalid"] == "true"
    assert attributes["class"] == "input-short field-error"


def test_it_counts_progress_from_valid_answers(app: Flask) -> None:
    with post(app, [("sip_okning", "ja"), ("utbildning", "abc"), ("kommentar", "Bra")]):
        form = build_answer_form(SAMPLE, REGIONAL_PV)
        progress = form.progress()
    assert [(item.answered, item.total) for item in progress] == [(2, 10)]


def test_it_shows_saved_dates_and_weeks_as_the_browser_inputs_need(get_request: None) -> None:
    form = build_answer_form(
        SAMPLE,
        EVERYONE,
        answers={
            "vecka": "v. 9 2025",
            "startdatum": "2025-3-1",
            "utbildning": 45,
            "kommentar": None,
        },
    )
    assert 'value="2025-W09"' in str(form.answer_field("vecka")())
    assert 'value="2025-03-01"' in str(form.answer_field("startdatum")())
    assert form.raw_answers == {"vecka": "v. 9 2025", "startdatum": "2025-3-1", "utbildning": "45"}
    form = build_answer_form(SAMPLE, EVERYONE, answers={"vecka": "vecka nio"})
    assert 'value="vecka nio"' in str(form.answer_field("vecka")())
