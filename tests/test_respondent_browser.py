"""The respondent's whole way in real Chromium: link, draft, new browser, submit, amend.

Runs on the live server (same test database) with the shipped NV questionnaire read
through the parser; also without JavaScript and with the keyboard only, and checks the
pages with axe-core.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from survey.db import db, utcnow
from survey.questionnaires.model import QuestionType
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import RoundState
from tests.browser import LiveServer, axe_report, expect_error_title
from tests.respondent_helpers import Invited, invite, nv_questionnaire

pytestmark = pytest.mark.browser

Answers = dict[str, str | list[str]]

FIRST_PART: Answers = {"q1a_1a": "45", "q1a_1b": "ja", "q1a_1c": "nej", "q1a_4": "ja"}
REST: Answers = {
    "q1a_6a": "ja",
    "q1a_6b": "12,5",
    "q1a_7": "nej",
    "q1b_2a": "ganska_nojd",
    "q1b_2b": "Vi har startat ett gemensamt team – åäö.",
    "q1b_2c": "ja",
    "q2a_1a": "ja",
    "q2a_1a_vilka": ["fallrisk", "undernaring"],
    "q2a_2": "ja",
    "q2b_1a": "nej",
    "q3_1a": "ej_aktuellt",
    "q3_1b": "nej",
    "q3_2b": "ja",
    "q3_2c": "nej",
    "q4_2": "ja",
}
EXPECTED: dict[str, Any] = {
    "q1a_1a": 45,
    "q1a_1b": "ja",
    "q1a_1c": "nej",
    "q1a_4": "ja",
    "q1a_6a": "ja",
    "q1a_6b": 12.5,
    "q1a_7": "nej",
    "q1b_2a": "ganska_nojd",
    "q1b_2b": "Vi har startat ett gemensamt team – åäö.",
    "q1b_2c": "ja",
    "q2a_1a": "ja",
    "q2a_1a_vilka": ["fallrisk", "undernaring"],
    "q2a_2": "ja",
    "q2b_1a": "nej",
    "q3_1a": "ej_aktuellt",
    "q3_1b": "nej",
    "q3_2b": "ja",
    "q3_2c": "nej",
    "q4_2": "ja",
}
SAVE = "#formular-knappar button[value=save]"
SUBMIT = "#formular-knappar button[value=submit]"


@pytest.fixture
def invited(app: Flask) -> Invited:
    return invite(
        app,
        questionnaire=nv_questionnaire(),
        organisation="Vårdcentralen Ängelholm",
        organisation_type="regional_pv",
    )


def choice_index(question_id: str, value: str) -> int:
    return nv_questionnaire().question(question_id).choice_values.index(value)


def fill(page: Page, answers: Answers) -> None:
    """Answer with ordinary browser actions (clicks and typing)."""
    for question_id, value in answers.items():
        question = nv_questionnaire().question(question_id)
        if question.type.has_choices:
            for item in value if isinstance(value, list) else [value]:
                page.locator(f"#{question_id}-{choice_index(question_id, item)}").check()
        else:
            assert isinstance(value, str)
            page.locator(f"#{question_id}").fill(value)


def assert_accessible(page: Page, what: str) -> None:
    report = axe_report(page)
    assert report is None, f"axe found violations on {what}:\n{report}"


def stored(app: Flask, invited: Invited) -> tuple[dict[str, Any] | None, list[int]]:
    """The response's answers and its submission numbers."""
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.recipient_id == invited.recipient_id)
        )
        if response is None:
            return None, []
        numbers = list(
            db.session.scalars(
                select(ResponseSubmission.number)
                .where(ResponseSubmission.response_id == response.id)
                .order_by(ResponseSubmission.number)
            )
        )
        return response.answers, numbers


def draft_of(app: Flask, invited: Invited) -> dict[str, Any] | None:
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.recipient_id == invited.recipient_id)
        )
        return None if response is None else response.draft


def test_it_takes_a_respondent_from_the_link_through_a_draft_to_an_amended_submission(
    app: Flask, live_server: LiveServer, browser: Browser, invited: Invited
) -> None:
    # Open the link: the address bar ends up without the token.
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(live_server(invited.link))
    assert page.url == live_server(invited.form_url)
    expect(page.locator("h1")).to_have_text(nv_questionnaire().title)
    expect(page.locator("#svarar-for")).to_contain_text("Vårdcentralen Ängelholm")
    assert_accessible(page, "the form")

    # Answer a part and save a draft.
    fill(page, FIRST_PART)
    page.locator(SAVE).click()
    page.wait_for_url(live_server(invited.form_url))
    expect(page.locator(".flash-messages")).to_contain_text("Utkastet är sparat.")
    expect(page.locator("#status")).to_contain_text("Utkast sparat")
    assert_accessible(page, "the form with a saved draft")
    assert draft_of(app, invited) == FIRST_PART
    context.close()

    # Another browser session: the link again, and the draft is there.
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(live_server(invited.link))
    expect(page.locator("#q1a_1a")).to_have_value("45")
    expect(page.locator(f"#q1a_1b-{choice_index('q1a_1b', 'ja')}")).to_be_checked()
    expect(page.locator(f"#q1a_1c-{choice_index('q1a_1c', 'nej')}")).to_be_checked()

    # A submission with questions left: the error summary gets focus.
    page.locator(SUBMIT).click()
    page.wait_for_load_state()
    expect_error_title(page)
    assert page.evaluate("document.activeElement.id") == "felsammanfattning"
    expect(page.locator("#felsammanfattning")).to_contain_text("innan du kan skicka in")
    expect(page.locator("#q1a_1a")).to_have_value("45")
    assert_accessible(page, "the form with errors")
    assert stored(app, invited) == (None, [])

    # Finish and submit: the confirmation shows the answers.
    fill(page, REST)
    page.locator(SUBMIT).click()
    page.wait_for_url(live_server(invited.confirmation_url))
    expect(page.locator("h1")).to_have_text("Tack! Dina svar är inskickade")
    answers = page.locator(".answer-list")
    expect(answers).to_contain_text("12,5\u00a0%")
    expect(answers).to_contain_text("Ganska nöjd")
    expect(answers).to_contain_text("Fallrisk, Undernäring")
    expect(answers).to_contain_text("Vi har startat ett gemensamt team – åäö.")
    assert_accessible(page, "the confirmation")
    assert stored(app, invited) == (EXPECTED, [1])

    # Amend one answer and submit again.
    page.get_by_role("link", name="Gå tillbaka till enkäten").click()
    page.wait_for_url(live_server(invited.form_url))
    expect(page.locator("#status")).to_contain_text("Inskickat")
    expect(page.locator("#q1a_6b")).to_have_value("12,5")
    fill(page, {"q1b_2a": "mycket_nojd"})
    page.locator(SUBMIT).click()
    page.wait_for_url(live_server(invited.confirmation_url))
    expect(page.locator(".answer-list")).to_contain_text("Mycket nöjd")
    context.close()
    assert stored(app, invited) == ({**EXPECTED, "q1b_2a": "mycket_nojd"}, [1, 2])


def test_it_works_without_javascript(
    app: Flask, live_server: LiveServer, browser: Browser, invited: Invited
) -> None:
    context = browser.new_context(locale="sv-SE", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server(invited.link))
        assert page.url == live_server(invited.form_url)
        # Without app.js every conditional question is on the page.
        expect(page.locator("#fraga-q2a_1a_vilka")).to_be_visible()
        fill(page, FIRST_PART)
        page.locator(SAVE).click()
        page.wait_for_url(live_server(invited.form_url))
        expect(page.locator(".flash-messages")).to_contain_text("Utkastet är sparat.")
        page.locator(SUBMIT).click()
        page.wait_for_load_state()
        expect_error_title(page)
        expect(page.locator("#felsammanfattning")).to_be_visible()
        fill(page, REST)
        page.locator(SUBMIT).click()
        page.wait_for_url(live_server(invited.confirmation_url))
        expect(page.locator(".answer-list")).to_contain_text("Fallrisk, Undernäring")
        page.get_by_role("link", name="Gå tillbaka till enkäten").click()
        fill(page, {"q4_2": "nej"})
        page.locator(SUBMIT).click()
        page.wait_for_url(live_server(invited.confirmation_url))
    finally:
        context.close()
    assert stored(app, invited) == ({**EXPECTED, "q4_2": "nej"}, [1, 2])


FOCUSED = """() => {
  const e = document.activeElement;
  return {tag: e.tagName, type: e.type || "", name: e.name || "", value: e.value || "",
          checked: !!e.checked};
}"""


def answer_with_the_keyboard(page: Page, answers: Answers, button: str) -> None:
    """Tab through the page answering with Space, arrow keys and typing; press `button`."""
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        name, kind = focused["name"], focused["type"]
        if focused["tag"] == "BUTTON" and name == "action" and focused["value"] == button:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
        if name not in answers:
            continue
        wanted = answers[name]
        if kind == "radio":
            # Tab enters a group on its first (or checked) option; arrows move and choose.
            page.keyboard.press("Space")
            for _ in range(10):
                if page.evaluate("document.activeElement.value") == wanted:
                    break
                page.keyboard.press("ArrowDown")
            assert page.evaluate("document.activeElement.checked"), name
        elif kind == "checkbox":
            if (focused["value"] in wanted) != focused["checked"]:
                page.keyboard.press("Space")
        else:
            assert isinstance(wanted, str)
            page.keyboard.press("ControlOrMeta+a")
            page.keyboard.type(wanted)
    raise AssertionError(f"the {button!r} button was never reached with Tab")


def test_it_can_be_answered_and_submitted_with_the_keyboard_only(
    app: Flask, live_server: LiveServer, browser_page: Page, invited: Invited
) -> None:
    page = browser_page
    page.goto(live_server(invited.link))
    questionnaire = nv_questionnaire()
    text_questions = {q.id for q in questionnaire.questions if q.type is QuestionType.LONG_TEXT}
    assert "q1b_2b" in text_questions
    # A failed submission first: Enter on "Skicka in" with nothing answered.
    answer_with_the_keyboard(page, {}, "submit")
    expect_error_title(page)
    assert page.evaluate("document.activeElement.id") == "felsammanfattning"
    answer_with_the_keyboard(page, {**FIRST_PART, **REST}, "submit")
    page.wait_for_url(live_server(invited.confirmation_url))
    expect(page.locator("h1")).to_have_text("Tack! Dina svar är inskickade")
    assert stored(app, invited) == (EXPECTED, [1])


def test_it_passes_axe_on_the_wrong_link_and_closed_round_pages(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    page = browser_page
    closed = invite(
        app,
        questionnaire=nv_questionnaire(),
        round_fields={"state": RoundState.CLOSED, "closed_at": utcnow()},
    )
    page.goto(live_server(f"/svara/{closed.round_id}/{'W' * 43}"))
    expect(page.locator("h1")).to_have_text("Länken fungerar inte")
    assert_accessible(page, "the wrong link page")
    page.goto(live_server(closed.link))
    expect(page.locator("h1")).to_have_text("Enkäten är stängd")
    assert page.url == live_server(closed.form_url)
    assert_accessible(page, "the closed round page")
    page.goto(live_server(f"/svara/{closed.round_id + 1000}"))
    expect(page.locator("h1")).to_have_text("Öppna enkäten via länken i ditt e-postmeddelande")
    assert_accessible(page, "the page asking for the link")
