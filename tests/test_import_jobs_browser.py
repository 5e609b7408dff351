"""The answers import and the plan report as jobs in Chromium: axe at 1280 and 390 px.

With SURVEY_SCREENSHOTS=<folder> the pages are saved there as images to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page

from survey.db import db
from survey.jobs.runner import run_due_jobs
from tests.browser import LiveServer, axe_report
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.import_helpers import GOOD_ROWS, csv_file, make_import_round
from tests.plan_helpers import PLAN_KEY, load_nv_plan

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("SURVEY_SCREENSHOTS")


def check(page: Page, name: str, fits: str | None = None) -> None:
    """axe finds nothing at either width; the page (or only the element `fits`) fits it."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        report = axe_report(page)
        assert report is None, f"axe on {name} at {width} px:\n{report}"
        if fits is None:
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        else:
            right = page.evaluate(f"document.querySelector({fits!r}).getBoundingClientRect().right")
            assert right <= width, name
        if SCREENSHOTS:
            page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}-{width}.png"), full_page=True)


def log_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/logga-in"))
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")


def test_the_import_job_pages_pass_axe(
    app: Flask, live_server: LiveServer, browser_page: Page, tmp_path: Path
) -> None:
    target = make_import_round(app)
    with app.app_context():
        email = make_user("processledare", "NV").email
        db.session.commit()
    good = tmp_path / "svar.csv"
    good.write_bytes(csv_file(GOOD_ROWS))
    bad = tmp_path / "fel.csv"
    bad.write_bytes(csv_file([["e-post", "sip_okning"], ["anna@example.se", "kanske"]]))
    wrong = tmp_path / "rubrik.csv"
    wrong.write_bytes(csv_file([["e-post", "Hur nöjd är du?"], ["anna@example.se", "ja"]]))
    page = browser_page
    log_in(page, live_server, email)
    upload_page = live_server(f"/omgangar/{target.round_id}/importera-svar")

    page.goto(upload_page)
    page.set_input_files("#fil", str(wrong))
    page.click("button:text('Importera svar')")
    assert "Kolumnen känns inte igen" in page.inner_text(".error-summary")
    check(page, "import-header-refused")

    page.set_input_files("#fil", str(good))
    page.click("button:text('Kontrollera filen utan att importera')")
    assert page.locator("h1").inner_text().startswith("Kontroll av svar")
    assert "Väntar" in page.inner_text("main")
    check(page, "import-job-waiting")
    with app.app_context():
        assert len(run_due_jobs("browser-test").done) == 1
    # The page's script notices the change and reloads.
    page.wait_for_selector("text=Filen är korrekt", timeout=10_000)
    check(page, "import-job-checked")
    page.click("button:text('Importera svaren')")
    with app.app_context():
        assert len(run_due_jobs("browser-test").done) == 1
    page.wait_for_selector("text=Svaren är importerade", timeout=10_000)
    assert "2 svar importerades (2 nya, 0 ändrade)." in page.inner_text("main")
    check(page, "import-job-done")

    page.goto(upload_page)
    page.set_input_files("#fil", str(bad))
    page.click("button:text('Importera svar')")
    with app.app_context():
        assert len(run_due_jobs("browser-test").done) == 1
    page.wait_for_selector("table.problem-table", timeout=10_000)
    assert "Filen har 1 fel." in page.inner_text("main")
    check(page, "import-job-refused")
    page.goto(upload_page)
    assert "Dina senaste importer" in page.inner_text("main")
    check(page, "import-page-with-jobs")


def test_the_report_job_pages_pass_axe(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    with app.app_context():
        load_nv_plan()
        email = make_user("lasare", "NV").email
        db.session.commit()
    page = browser_page
    log_in(page, live_server, email)
    page.goto(live_server(f"/planer/{PLAN_KEY}/rapport?datum=2026-01-31"))
    # The report's summary table was wider than a phone before the job came: only the
    # order form is measured here.
    check(page, "report-page", fits=".report-order")
    page.check("#format-xlsx")
    page.click("button:text('Skapa rapporten')")
    assert page.locator("h1").inner_text().startswith("DST-rapport")
    check(page, "report-job-waiting")
    with app.app_context():
        assert len(run_due_jobs("browser-test").done) == 1
    page.wait_for_selector("text=Ladda ner rapporten (Excel)", timeout=10_000)
    check(page, "report-job-done")
    with page.expect_download() as download:
        page.click("text=Ladda ner rapporten (Excel)")
    assert download.value.suggested_filename == f"{PLAN_KEY}-rapport-2026-01-31.xlsx"
