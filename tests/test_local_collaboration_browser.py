"""The lokal samverkan pages in Chromium: axe at 0 violations, without JavaScript, 1280 and 390 px.

Screenshots go to $SURVEY_SCREENSHOTS (when set), to be looked at by a person.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page

from survey.db import db
from survey.local_collaboration.groups import create_group
from survey.local_collaboration.links import issue_group_link
from survey.questionnaires.parsing import read_questionnaire_file
from tests.browser import LiveServer, axe_report
from tests.factories import (
    DEFAULT_PASSWORD,
    MakeApp,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
    make_user,
)

pytestmark = pytest.mark.browser

BILAGA1 = Path(__file__).resolve().parent.parent / "questionnaires" / "no-bilaga1-stodfragor.yaml"
SHOTS = os.environ.get("SURVEY_SCREENSHOTS")
LEADER = "processledare.no@example.se"


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    """With CSRF protection, as in production."""
    return make_app(WTF_CSRF_ENABLED=True)


def seed(app: Flask) -> tuple[str, int, int, int]:
    """A group with a live link and an inventory of its kommun; the link path and ids."""
    with app.app_context():
        make_user("processledare", "NO", email=LEADER)
        group = create_group(
            kommun="Hässleholm",
            delregion="NO",
            contact_name="Kim Kontakt",
            contact_email="kontakt@hassleholm.se",
        )
        token = issue_group_link(group)
        version = make_questionnaire_version(read_questionnaire_file(BILAGA1))
        round_ = make_round(version, delregion="NO", title="Nulägesinventering 2026")
        recipient = make_recipient(
            round_,
            organisation=group.name,
            organisation_type="lokal_samverkan",
            kommun="Hässleholm",
        )
        response = make_submitted_response(
            round_,
            recipient,
            {
                "deltagande_organisationer": [
                    "kommunal_halso_och_sjukvard",
                    "vardcentral_regional_primarvard",
                ],
                "deltagare": "Enhetschef hemsjukvård\nVårdcentralschef, Vårdcentralen Hässleholm",
                "vecka": "2026-W10",
                "vecka_sista": "2026-W12",
                "inventera_halsoframjande": "Vi gör hälsosamtal med 75-åringar.",
            },
        )
        db.session.commit()
        return f"/samverkan/{group.id}/{token}", group.id, round_.id, response.id


def check(page: Page, what: str) -> None:
    report = axe_report(page)
    assert report is None, f"axe found violations on {what}:\n{report}"


def shoot(browser: Browser, page: Page, name: str) -> None:
    """Screenshots at 1280 and 390 px wide of the page's current address and cookies."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        page.screenshot(path=f"{SHOTS}/{name}-{width}-top.png")
    page.set_viewport_size({"width": 1280, "height": 900})


def submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def test_the_plans_forms_work_without_javascript(
    app: Flask, live_server: LiveServer, browser: Browser
) -> None:
    link, _group_id, _round_id, _response_id = seed(app)
    context = browser.new_context(locale="sv-SE", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server(link))
        page.fill("#fynd-nuvarande", "Äldre med fallrisk")
        submit(page, "#fraga-nuvarande ~ form button[type=submit]")
        assert "Det ni har upptäckt är sparat." in page.content()
        page.locator("summary", has_text="Lägg till en åtgärd").first.click()
        page.fill("#atgard-ny-nuvarande-vad", "Gemensamma hälsosamtal")
        page.fill("#atgard-ny-nuvarande-vem", "Enhetschef hemsjukvård")
        page.fill("#atgard-ny-nuvarande-klart", "2026-06-30")
        submit(page, "#atgard-ny-nuvarande-klart >> xpath=ancestor::form//button[@type='submit']")
        assert "Åtgärden är tillagd." in page.content()
        page.check("#mognad-niva-3")
        submit(page, "#mognad-niva-3 >> xpath=ancestor::form//button[@type='submit']")
        assert "Mognaden är sparad." in page.content()
    finally:
        context.close()


def test_the_contacts_pages_pass_axe(app: Flask, live_server: LiveServer, browser: Browser) -> None:
    link, _group_id, _round_id, _response_id = seed(app)
    context = browser.new_context(locale="sv-SE")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(live_server(link))
        assert page.url.endswith("/samverkan/plan")
        check(page, "the empty plan")
        shoot(browser, page, "plan-tom")
        page.fill("#fynd-nuvarande", "Äldre med fallrisk i ordinärt boende")
        submit(page, "#fraga-nuvarande ~ form button[type=submit]")
        assert "Det ni har upptäckt är sparat." in page.content()
        page.locator("summary", has_text="Lägg till en åtgärd").first.click()
        page.fill("#atgard-ny-nuvarande-vad", "Gemensamma hälsosamtal")
        page.fill("#atgard-ny-nuvarande-vem", "Enhetschef hemsjukvård")
        page.fill("#atgard-ny-nuvarande-klart", "2026-06-30")
        submit(page, "#atgard-ny-nuvarande-klart >> xpath=ancestor::form//button[@type='submit']")
        assert "Åtgärden är tillagd." in page.content()
        # A wrong date: the error summary, the field marked, the typed text kept.
        page.locator("summary", has_text="Lägg till en åtgärd").first.click()
        page.fill("#atgard-ny-nuvarande-vad", "Något mer")
        page.fill("#atgard-ny-nuvarande-vem", "Någon")
        page.locator("#atgard-ny-nuvarande-klart").evaluate("e => e.type = 'text'")
        page.fill("#atgard-ny-nuvarande-klart", "snart")
        submit(page, "#atgard-ny-nuvarande-klart >> xpath=ancestor::form//button[@type='submit']")
        check(page, "the plan with an error")
        shoot(browser, page, "plan-fel")
        # Indicators, results, maturity, steps.
        page.goto(live_server("/samverkan/plan"))
        page.select_option("#indikator-katalog", "Riskförebyggande åtgärder i särskilt boende")
        submit(page, "#indikator-katalog >> xpath=ancestor::form//button[@type='submit']")
        for value, day in (("40", "2025-06-30"), ("52,5", "2025-12-31")):
            page.fill("[id$='-resultat'][name=resultat]", value)
            page.fill("[id$='-datum'][name=datum]", day)
            submit(page, "[name=resultat] >> xpath=ancestor::form//button[@type='submit']")
        page.check("#mognad-niva-2")
        submit(page, "#mognad-niva-2 >> xpath=ancestor::form//button[@type='submit']")
        page.fill("#steg-dot_anchored_on", date.today().isoformat())
        submit(page, "#steg-dot_anchored_on >> xpath=ancestor::form//button[@type='submit']")
        content = page.content()
        assert "Steg 3 Förankra i DOT och DST" in content and "trend-chart" in content
        check(page, "the filled plan")
        shoot(browser, page, "plan-ifylld")
        page.goto(live_server("/samverkan/plan/historik"))
        check(page, "the history")
        shoot(browser, page, "historik")
        page.goto(live_server("/samverkan/1/" + "x" * 43))
        check(page, "a link that does not work")
        other = context.new_page()
        other.context.clear_cookies()
        other.goto(live_server("/samverkan/plan"))
        check(other, "the plan without a session")
    finally:
        context.close()


def test_the_leaders_pages_pass_axe(
    app: Flask, live_server: LiveServer, browser_page: Page, browser: Browser
) -> None:
    _link, group_id, round_id, response_id = seed(app)
    page = browser_page
    page.goto(live_server("/logga-in"))
    page.fill("#email", LEADER)
    page.fill("#password", DEFAULT_PASSWORD)
    submit(page, "main button[type=submit]")
    page.goto(live_server("/samverkan"))
    assert "Lokal samverkan Hässleholm" in page.content()
    check(page, "the overview")
    shoot(browser, page, "oversikt")
    page.goto(live_server(f"/samverkan/grupper/{group_id}/plan"))
    check(page, "the leader's plan page")
    shoot(browser, page, "plan-processledare")
    page.goto(live_server(f"/samverkan/grupper/{group_id}/kontakt"))
    page.fill("#kontakt_epost", "inte en adress")
    page.locator("#kontakt_epost").evaluate("e => e.type = 'text'")
    submit(page, "main form button[type=submit]")
    assert "Ange en giltig e-postadress" in page.content()
    check(page, "the contact form with an error")
    page.goto(live_server(f"/samverkan/grupper/{group_id}/historik"))
    check(page, "the leader's history page")
    page.goto(live_server(f"/omgangar/{round_id}/resultat/inventeringar"))
    check(page, "the list of inventories")
    page.goto(live_server(f"/omgangar/{round_id}/resultat/inventeringar/{response_id}"))
    assert "Vi gör hälsosamtal med 75-åringar." in page.content()
    check(page, "one group's inventory")
    shoot(browser, page, "inventering")


def test_the_new_group_form_and_its_errors_pass_axe(
    app: Flask, live_server: LiveServer, browser_page: Page, browser: Browser
) -> None:
    seed(app)  # Hässleholm already has its group
    page = browser_page
    page.goto(live_server("/logga-in"))
    page.fill("#email", LEADER)
    page.fill("#password", DEFAULT_PASSWORD)
    submit(page, "main button[type=submit]")
    page.goto(live_server("/samverkan"))
    submit(page, "a[href='/samverkan/ny']")
    check(page, "the new group form")
    shoot(browser, page, "ny-grupp")
    page.select_option("#kommun", "Hässleholm")
    page.fill("#kontakt_namn", "Kim Kontakt")
    page.locator("#kontakt_epost").evaluate("e => e.type = 'text'")
    page.fill("#kontakt_epost", "inte-en-adress")
    submit(page, "main form button[type=submit]")
    assert "Ange en giltig e-postadress" in page.content()
    check(page, "the new group form with an error")
    shoot(browser, page, "ny-grupp-fel")
    page.fill("#kontakt_epost", "kim@osby.se")
    page.select_option("#kommun", "Osby")
    page.check("#skicka_lank")
    submit(page, "main form button[type=submit]")
    assert "Lokal samverkan Osby är skapad." in page.content()
    assert page.url.endswith("/plan")
