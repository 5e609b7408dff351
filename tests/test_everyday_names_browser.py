"""The pages changed for issue 13's names and dates, in Chromium at 1280 and 390 px.

Results (overview with a trend table, per question, free text) of the shipped NV
questionnaire, the Bilaga 1 free text with a week, the answers import page and the NV plan's
pages (a measurement's dates): axe finds
nothing, no raw question id is shown, every date stays on one line and nothing is wider
than the page (every table fits or stacks). Screenshots go to
/tmp/everyday-names-screenshots (as the plan pages' do).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page

from survey.db import db
from survey.schema.rounds import RoundState
from tests.browser import LiveServer, axe_report
from tests.factories import (
    DEFAULT_PASSWORD,
    MakeApp,
    make_cast,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.plan_helpers import PLAN_KEY, load_nv_plan
from tests.respondent_helpers import nv_questionnaire
from tests.test_everyday_names import LONG_TEXT, RAW_ID, bilaga1

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/everyday-names-screenshots")
# Texts in a table holding a date outside a .date span (which keeps it on one line).
UNWRAPPED_DATES = """() => {
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (/\\d{4}-\\d\\d-\\d\\d/.test(node.textContent) && node.parentElement.closest('table')
        && !node.parentElement.closest('.date, svg, .visually-hidden')) {
      found.push(node.textContent.trim());
    }
  }
  return found;
}"""


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    return make_app(WTF_CSRF_ENABLED=True)


def log_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/logga-in"))
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def make_rounds() -> tuple[int, int]:
    """Two NV rounds of one version (a trend), and a Bilaga 1 round with a week answered."""
    version = make_questionnaire_version(nv_questionnaire())
    current = 0
    for year in (2024, 2025):
        round_ = make_round(
            version, reference_date=date(year, 12, 31), state=RoundState.CLOSED, title=f"NV {year}"
        )
        for number, kind in enumerate(("kommun", "regional_pv", "kommun")):
            make_submitted_response(
                round_,
                make_recipient(round_, organisation=f"Org {number}", organisation_type=kind),
                {"q1a_1a": 40 + 10 * number, "q1a_1b": "ja", "q1a_5": "ja", "q1b_2b": LONG_TEXT,
                 "q_ovrigt": "Inga"},
            )  # fmt: skip
        current = round_.id
    inventory = make_round(make_questionnaire_version(bilaga1()), state=RoundState.CLOSED)
    make_submitted_response(
        inventory,
        make_recipient(inventory, organisation="Lokal samverkan Bjuv", organisation_type="kommun"),
        {"deltagare": "Enhetschef hemsjukvård", "vecka": "2026-W12"},
    )
    return current, inventory.id


def check_page(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        report = axe_report(page)
        assert report is None, f"axe found violations on {name} at {width} px:\n{report}"
        text = page.locator("main").inner_text()
        assert not RAW_ID.search(text), (name, RAW_ID.search(text))
        broken = page.evaluate(
            "Array.from(document.querySelectorAll('.date'))"
            ".filter(el => el.getClientRects().length > 1 || el.getBoundingClientRect().height > "
            "1.6 * parseFloat(getComputedStyle(el).lineHeight || 20)).map(el => el.textContent)"
        )
        assert broken == [], f"dates broken across lines on {name} at {width} px: {broken}"
        loose = page.evaluate(UNWRAPPED_DATES)
        assert loose == [], f"dates in tables that may break on {name}: {loose}"
        too_wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not too_wide, f"{name} is wider than the window at {width} px"
        cut = page.evaluate(
            "Array.from(document.querySelectorAll('.table-wrap'))"
            ".filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.id || el.className)"
        )
        assert cut == [], f"tables that neither fit nor stack on {name} at {width} px: {cut}"
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_renamed_pages_read_well_in_a_browser(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    with app.app_context():
        cast = make_cast()
        current, inventory = make_rounds()
        load_nv_plan()
        db.session.commit()
    page = browser_page
    log_in(page, live_server, cast.leader_nv.email)
    page.goto(live_server(f"/omgangar/{current}/resultat"))
    assert page.locator(".trend-table th .date").count() == 2
    check_page(page, "results")
    page.goto(live_server(f"/omgangar/{current}/resultat/fragor"))
    assert page.get_by_role("heading", name=re.compile(r"^10\. Vilka steg har tagits")).count()
    check_page(page, "summary")
    page.goto(live_server(f"/omgangar/{current}/resultat/fritext?fraga=q1b_2b"))
    check_page(page, "free-text")
    page.goto(live_server(f"/omgangar/{inventory}/resultat/fritext?fraga=vecka"))
    assert page.get_by_text("vecka 12 år 2026").count() == 1
    check_page(page, "free-text-week")
    page.goto(live_server(f"/omgangar/{current}/importera-svar"))
    check_page(page, "import")
    plan = f"/planer/{PLAN_KEY}"
    page.goto(live_server(f"{plan}/indikatorer/1a.3d"))
    page.fill("#varde", "12,5")
    page.fill("#datum", "2025-12-31")
    page.fill("#kalla", "Uttag QV 2026-01-15")
    with page.expect_navigation():
        page.press("#kalla", "Enter")
    page.goto(live_server(f"{plan}/indikatorer/1a.3d?datum=2026-01-31"))
    assert page.locator("td .date", has_text="2025-12-31").count() == 1
    check_page(page, "plan-indicator")
    page.goto(live_server(f"{plan}?datum=2026-01-31"))
    check_page(page, "plan")
