"""The per-question summary ("Per fråga"): counts and shares with bars, numbers, free text,
filterable like the results; the same in the export's `Frågor` sheet; accessible."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from openpyxl import load_workbook
from playwright.sync_api import Page

from survey.db import db
from survey.export.workbook import build_workbook
from survey.results.frame import responses_frame_from_records
from survey.results.summary import summarise_questions
from tests.browser import LiveServer, axe_report
from tests.export_helpers import INVITED
from tests.factories import (
    DEFAULT_PASSWORD,
    logged_in_client,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
    make_user,
)
from tests.sample import sample_questionnaire

NBSP = "\u00a0"
SCREENSHOTS = Path(os.environ.get("SURVEY_SCREENSHOTS", "/tmp/i12-screenshots"))


def make_summary_round(app: Flask) -> int:
    """Four respondents and one invited non-respondent (a vårdcentral).

    nojdhet: mycket nöjd, ganska nöjd, ganska nöjd (kommun), one blank → 3 answered.
    omraden (after sip_okning ja): fallrisk+undernäring, fallrisk → fallrisk 2 of 2 = 100 %.
    utbildning: 40, 60, 80, 100 → mean 70, median 70, range 40–100.
    """
    with app.app_context():
        round_ = make_round(make_questionnaire_version(sample_questionnaire()),
                            reference_date=date(2025, 12, 31))  # fmt: skip
        rows = [
            ("VC Ängelholm", "regional_pv", "Ängelholm",
             {"sip_okning": "ja", "omraden": ["fallrisk", "undernaring"], "nojdhet": "mycket_nojd",
              "utbildning": 40, "beskrivning": "Vi har <b>gemensamma</b> möten."}),
            ("VC Höganäs", "regional_pv", "Höganäs",
             {"sip_okning": "ja", "omraden": ["fallrisk"], "nojdhet": "ganska_nojd",
              "utbildning": 60}),
            ("Ängelholms kommun", "kommun", "Ängelholm",
             {"sip_okning": "nej", "nojdhet": "ganska_nojd", "utbildning": 80, "npo": "ja"}),
            ("Höganäs kommun", "kommun", "Höganäs",
             {"sip_okning": "ej_aktuellt", "utbildning": 100, "npo": "nej"}),
        ]  # fmt: skip
        for organisation, kind, kommun, answers in rows:
            recipient = make_recipient(
                round_, organisation=organisation, organisation_type=kind, kommun=kommun
            )
            make_submitted_response(round_, recipient, answers)
        make_recipient(round_, organisation="VC Väla", kommun="Helsingborg", invited_at=INVITED)
        db.session.commit()
        return int(round_.id)


def test_it_summarises_every_kind_of_question() -> None:
    questionnaire = sample_questionnaire()
    records = [
        {"organisation_type": "regional_pv", "sip_okning": "ja", "omraden": ["fallrisk"],
         "nojdhet": "mycket_nojd", "utbildning": 40},
        {"organisation_type": "regional_pv", "sip_okning": "ej_aktuellt", "utbildning": 60},
        {"organisation_type": "kommun", "sip_okning": "nej", "utbildning": 100},
    ]  # fmt: skip
    frame = responses_frame_from_records(questionnaire, records)
    by_id = {item.question.id: item for item in summarise_questions(questionnaire, frame)}
    yes_no = by_id["sip_okning"]
    assert [(o.label, o.count) for o in yes_no.options] == [
        ("Ja", 1), ("Nej", 1), ("Ej aktuellt", 1),
    ]  # fmt: skip
    assert (yes_no.asked, yes_no.answered, yes_no.blank) == (3, 3, 0)
    # omraden is asked only after Ja: one asked, one answered
    assert (by_id["omraden"].asked, by_id["omraden"].answered) == (1, 1)
    satisfaction = by_id["nojdhet"]
    assert satisfaction.answered == 1 and satisfaction.blank == 2
    assert satisfaction.options[0].share == pytest.approx(100.0)
    numbers = by_id["utbildning"].numbers
    assert numbers is not None
    assert numbers.mean == pytest.approx(200 / 3)
    assert (numbers.count, numbers.median, numbers.low, numbers.high) == (3, 60.0, 40.0, 100.0)
    assert by_id["beskrivning"].kind == "text"
    assert by_id["sip_okning"].number == 1


def test_the_page_shows_counts_shares_numbers_and_text(app: Flask) -> None:
    round_id = make_summary_round(app)
    client = logged_in_client(app, "lasare")
    response = client.get(f"/omgangar/{round_id}/resultat/fragor")
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "4 av 5 inbjudna har svarat" in soup.get_text(" ")
    section = soup.select_one('section[aria-labelledby="fraga-nojdhet"]')
    assert section is not None
    rows = [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])][:3]
        for row in section.select("tbody tr")
    ]
    assert rows[:2] == [["Mycket nöjd", "1", f"33,3{NBSP}%"], ["Ganska nöjd", "2", f"66,7{NBSP}%"]]
    svg = section.select_one("svg[role=img]")
    assert svg is not None and svg["aria-label"] == f"Mycket nöjd: 1 svar, 33,3{NBSP}%"
    assert "lämnade tomt: 1" in section.get_text(" ")
    numbers = soup.select_one('section[aria-labelledby="fraga-utbildning"] dl')
    assert numbers is not None
    assert [dd.get_text(strip=True) for dd in numbers.find_all("dd")] == [
        "4", f"70,0{NBSP}%", f"70,0{NBSP}%", f"40,0{NBSP}% – 100,0{NBSP}%",
    ]  # fmt: skip
    text = soup.select_one('section[aria-labelledby="fraga-beskrivning"]')
    assert text is not None
    assert "Vi har <b>gemensamma</b> möten." in text.get_text()  # escaped, shown as typed
    assert text.find("b") is None
    # the results navigation links to it
    current = soup.select_one('nav.results-nav a[aria-current="page"]')
    assert current is not None and current.get_text() == "Per fråga"


def test_the_page_is_filtered_like_the_results(app: Flask) -> None:
    round_id = make_summary_round(app)
    client = logged_in_client(app, "lasare")
    html = client.get(f"/omgangar/{round_id}/resultat/fragor?organisationstyp=kommun")
    soup = BeautifulSoup(html.get_data(as_text=True), "html.parser")
    assert "2 av 2 inbjudna har svarat i urvalet" in soup.get_text(" ")
    numbers = soup.select_one('section[aria-labelledby="fraga-utbildning"] dl dd')
    assert numbers is not None and numbers.get_text(strip=True) == "2"
    bad = client.get(f"/omgangar/{round_id}/resultat/fragor?organisationstyp=nagot")
    assert bad.status_code == 200
    assert "Organisationstypen ”nagot” finns inte" in bad.get_data(as_text=True)


def test_the_page_keeps_the_delregion_scope(app: Flask) -> None:
    round_id = make_summary_round(app)
    other = logged_in_client(app, "lasare", delregion="NO")
    assert other.get(f"/omgangar/{round_id}/resultat/fragor").status_code in (403, 404)
    anonymous = app.test_client().get(f"/omgangar/{round_id}/resultat/fragor")
    assert anonymous.status_code == 302


def test_the_export_has_the_same_summary(app: Flask) -> None:
    round_id = make_summary_round(app)
    out = io.BytesIO()
    with app.app_context():
        build_workbook(round_id, identifying=False, out=out)
    sheet = load_workbook(io.BytesIO(out.getvalue()))["Frågor"]
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
    satisfaction = {row[3]: (row[4], row[5]) for row in rows if row[1] == "nojdhet"}
    assert satisfaction["Ganska nöjd"] == (2, pytest.approx(0.66667))
    assert satisfaction["Lämnade tomt"] == (1, None)
    # the one invited vårdcentral that has not answered is there too (nojdhet: kommun + PV)
    assert satisfaction["Inbjudna som inte har svarat på enkäten"] == (1, None)
    training = {row[3]: row[4] for row in rows if row[1] == "utbildning"}
    assert (training["Medelvärde"], training["Median"], training["Lägsta"]) == (70, 70, 40)
    yes_no = {row[3]: row[4] for row in rows if row[1] == "sip_okning"}
    assert yes_no["Ej aktuellt"] == 1


@pytest.mark.browser
def test_the_summary_page_is_accessible_at_1280_and_390(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    round_id = make_summary_round(app)
    with app.app_context():
        email = make_user("lasare", "NV").email
        db.session.commit()
    page_ = browser_page
    page_.goto(live_server("/logga-in"))
    page_.fill("#email", email)
    page_.fill("#password", DEFAULT_PASSWORD)
    page_.click("button[type=submit]")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page_.set_viewport_size({"width": width, "height": 900})
        page_.goto(live_server(f"/omgangar/{round_id}/resultat/fragor"))
        assert page_.locator("h1").inner_text().startswith("Per fråga")
        report = axe_report(page_)
        assert report is None, f"axe found violations at {width} px:\n{report}"
        assert page_.evaluate("document.documentElement.scrollWidth") <= width
        page_.screenshot(path=str(SCREENSHOTS / f"summary-{width}.png"), full_page=True)
        satisfaction = page_.locator('section[aria-labelledby="fraga-nojdhet"]')
        satisfaction.screenshot(path=str(SCREENSHOTS / f"summary-nojdhet-{width}.png"))
        page_.goto(live_server(f"/omgangar/{round_id}/resultat"))
        report = axe_report(page_)
        assert report is None, f"axe found violations on the results at {width} px:\n{report}"
        page_.screenshot(path=str(SCREENSHOTS / f"results-{width}.png"), full_page=True)
        first_table = page_.locator("table.indicator-table").first
        first_table.screenshot(path=str(SCREENSHOTS / f"results-indicators-{width}.png"))
    # the filter works by keyboard and without JavaScript
    page_.goto(live_server(f"/omgangar/{round_id}/resultat/fragor"))
    page_.select_option("#filter-organisationstyp", "kommun")
    page_.locator("form.filter-form button[type=submit]").press("Enter")
    page_.wait_for_url("**organisationstyp=kommun**")
    assert "– Kommun" in page_.locator("h1").inner_text()
