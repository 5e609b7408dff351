"""Autosave of the respondent's draft: the JSON endpoint, and the form with and without JS."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from survey.db import db, utcnow
from survey.schema.responses import Response
from tests.browser import LiveServer, axe_report
from tests.respondent_helpers import Invited, invite, nv_questionnaire, update_round

BUTTONS = "#formular-knappar"


@pytest.fixture
def invited(app: Flask) -> Invited:
    return invite(
        app,
        questionnaire=nv_questionnaire(),
        organisation="Vårdcentralen Ängelholm",
        organisation_type="regional_pv",
    )


def draft_of(app: Flask, invited: Invited) -> dict[str, object] | None:
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.recipient_id == invited.recipient_id)
        )
        return None if response is None else response.draft


def test_it_saves_a_draft_and_answers_the_progress_of_each_section(
    app: Flask, invited: Invited
) -> None:
    client = app.test_client()
    client.get(invited.link)
    response = client.post(f"{invited.form_url}/autospara", data={"q1a_1a": "45", "q1a_1b": "ja"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["saved"] is True
    assert re.fullmatch(r"Utkastet sparades automatiskt kl\. \d\d\.\d\d\.", body["message"])
    first = body["sections"][0]
    assert first["answered"] == 2 and first["text"].startswith("2 av ")
    assert draft_of(app, invited) == {"q1a_1a": "45", "q1a_1b": "ja"}
    with app.app_context():
        stored = db.session.scalar(
            select(Response).where(Response.recipient_id == invited.recipient_id)
        )
        assert stored is not None and stored.submitted_at is None  # a draft, never submitted


def test_it_refuses_without_the_link_session_or_when_closed(app: Flask, invited: Invited) -> None:
    stranger = app.test_client()
    refused = stranger.post(f"{invited.form_url}/autospara", data={"q1a_1a": "45"})
    assert refused.status_code == 403 and refused.get_json()["saved"] is False
    client = app.test_client()
    client.get(invited.link)
    update_round(app, invited.round_id, closes_at=utcnow() - timedelta(minutes=1))
    closed = client.post(f"{invited.form_url}/autospara", data={"q1a_1a": "45"})
    assert closed.status_code == 409 and "tar inte emot svar" in closed.get_json()["message"]
    assert draft_of(app, invited) is None


def test_it_refuses_a_missing_csrf_token_with_a_swedish_message(
    csrf_app: Flask,
) -> None:
    invited = invite(csrf_app, questionnaire=nv_questionnaire(), organisation_type="regional_pv")
    client = csrf_app.test_client()
    client.get(invited.link)
    response = client.post(f"{invited.form_url}/autospara", data={"q1a_1a": "45"})
    assert response.status_code == 400
    assert "Spara utkast" in response.get_json()["message"]


@pytest.mark.browser
def test_it_autosaves_warns_before_leaving_and_keeps_the_buttons_in_reach(
    app: Flask, live_server: LiveServer, browser_page: Page, invited: Invited
) -> None:
    page = browser_page
    page.goto(live_server(invited.link))
    expect(page.locator("main")).to_contain_text("Svaren sparas som utkast av sig själva")
    page.locator("#q1a_1a").click()
    page.keyboard.type("45")
    # Changes not yet saved: leaving asks first.
    with page.expect_event("dialog") as dialog_info:
        page.close(run_before_unload=True)
    dialog = dialog_info.value
    assert dialog.type == "beforeunload"
    dialog.dismiss()
    expect(page.locator("[data-autosave-status]")).to_contain_text(
        "Utkastet sparades automatiskt", timeout=15_000
    )
    expect(page.locator("[data-progress-of]").first).to_contain_text("1 av")
    assert draft_of(app, invited) == {"q1a_1a": "45"}
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.locator(BUTTONS).evaluate("e => getComputedStyle(e).position") == "sticky"
    report = axe_report(page)
    assert report is None, report
    shots = os.environ.get("SURVEY_SCREENSHOTS")
    if shots:
        page.screenshot(path=f"{shots}/respondent-autosave-390.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert axe_report(page) is None
    if shots:
        page.locator(BUTTONS).screenshot(path=f"{shots}/respondent-autosave-1280.png")
        page.locator(".section").nth(1).screenshot(path=f"{shots}/respondent-section-1280.png")


@pytest.mark.browser
def test_it_saves_nothing_by_itself_without_javascript(
    app: Flask, live_server: LiveServer, browser: Browser, invited: Invited
) -> None:
    context = browser.new_context(locale="sv-SE", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server(invited.link))
        expect(page.locator("main")).to_contain_text("Svaren sparas inte av sig själva")
        page.locator("#q1a_1a").fill("45")
        page.locator(f"{BUTTONS} button[value=save]").click()
        expect(page.locator(".flash-messages")).to_contain_text("Utkastet är sparat.")
    finally:
        context.close()
    assert draft_of(app, invited) == {"q1a_1a": "45"}
