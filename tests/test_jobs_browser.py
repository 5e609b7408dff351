"""The export job pages and the paged free-text page in Chromium: axe at 1280 and 390 px."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page

from survey.db import db, utcnow
from survey.jobs.runner import run_due_jobs
from tests.browser import LiveServer, axe_report
from tests.factories import (
    DEFAULT_PASSWORD,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
    make_user,
)
from tests.sample import sample_questionnaire

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("SURVEY_SCREENSHOTS")


def test_export_and_free_text_pages_pass_axe(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    with app.app_context():
        round_ = make_round(make_questionnaire_version(sample_questionnaire()))
        for number in range(60):
            recipient = make_recipient(round_, organisation=f"VC {number}", invited_at=utcnow())
            make_submitted_response(
                round_, recipient, {"sip_okning": "ja", "beskrivning": f"Vi samverkar {number}."}
            )
        email = make_user("processledare", "NV").email
        db.session.commit()
        round_id = round_.id
    page = browser_page
    page.goto(live_server("/logga-in"))
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")

    def check(name: str) -> None:
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            report = axe_report(page)
            assert report is None, f"axe on {name} at {width} px:\n{report}"
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            if SCREENSHOTS:
                page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}-{width}.png"), full_page=True)

    page.goto(live_server(f"/omgangar/{round_id}/export"))
    check("export")
    page.click("text=Skapa Excel-export")
    assert page.locator("h1").inner_text().startswith("Excel-export")
    assert "Väntar" in page.inner_text("main")
    check("export-job-waiting")
    with app.app_context():
        assert len(run_due_jobs("browser-test").done) == 1
    # The page's script notices the change and reloads; the link does the same without it.
    page.wait_for_selector("text=Ladda ner Excel-filen", timeout=10_000)
    check("export-job-done")
    with page.expect_download() as download:
        page.click("text=Ladda ner Excel-filen")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.goto(live_server(f"/omgangar/{round_id}/resultat/fritext?fraga=beskrivning"))
    assert page.locator("ul.answer-list > li").count() == 50
    check("free-text")
    page.fill("#sok", "samverkar 42")
    page.click("button:text('Sök')")
    assert page.locator("ul.answer-list > li").count() == 1
