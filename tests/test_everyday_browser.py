"""The everyday pages of issue 13 in a real Chromium: axe finds nothing, desktop and phone.

Screenshots go to $SURVEY_SCREENSHOTS (when set) so a person can look at each page.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from survey.db import db, utcnow
from tests.browser import LiveServer, axe_report
from tests.factories import DEFAULT_PASSWORD, make_cast, open_nv_round

pytestmark = pytest.mark.browser

RECIPIENTS_CSV = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
    "Åsa Öberg;Asa.Oberg@Example.se;Vårdcentralen Ängelholm;Vårdcentral;ängelholms kommun;NV\r\n"
    "Björn Ek;bjorn.ek@example.se;Ängelholms kommun, hemsjukvården;Kommunal PV;Ängelholm;\r\n"
)
WIDTHS = (1280, 390)


def look(page: Page, name: str, focus: str | None = None) -> None:
    """Check axe at both widths and keep a screenshot of each (of `focus`, if given)."""
    folder = os.environ.get("SURVEY_SCREENSHOTS")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        report = axe_report(page)
        assert report is None, f"axe found violations on {name} at {width} px:\n{report}"
        if folder:
            path = str(Path(folder) / f"{name}-{width}.png")
            if focus:
                page.locator(focus).first.screenshot(path=path)
            else:
                page.screenshot(path=path, full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def log_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/logga-in"))
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server("/omgangar"))


def test_it_keeps_the_previewed_recipients_file_until_the_round_is_created(
    app: Flask, live_server: LiveServer, browser_page: Page, tmp_path: Path
) -> None:
    with app.app_context():
        cast = make_cast()
        open_nv_round(utcnow())
        db.session.commit()
    page = browser_page
    log_in(page, live_server, cast.leader_nv.email)
    page.goto(live_server("/omgangar/ny"))
    page.fill("#title", "Årlig enkät 2027")
    page.select_option("#questionnaire_version_id", index=1)
    recipients = tmp_path / "mottagare.csv"
    recipients.write_text(RECIPIENTS_CSV, encoding="utf-8")
    page.set_input_files("#recipients_file", str(recipients))
    page.click("button[value=preview]")
    expect(page.locator("#sparad-fil")).to_contain_text("2 mottagare")
    expect(page.locator(".staged-file")).to_contain_text("”Vårdcentral” blir ”Regional primärvård”")
    look(page, "new-round-staged", ".staged-file")
    # The browser has forgotten the chosen file; the server has not.
    page.click("button[value=create]")
    expect(page.locator(".flash-success")).to_contain_text("skapad som utkast med 2 mottagare")
    expect(page.locator("main")).to_contain_text("Åsa Öberg")
    # Sending asks first: how many, to whom, the subject; a preview; a test to oneself.
    page.get_by_role("link", name="Öppna och skicka inbjudningar nu").click()
    expect(page.locator("h1")).to_have_text("Öppna omgången och skicka inbjudningar?")
    expect(page.locator("main")).to_contain_text("Antal inbjudningar")
    look(page, "confirm-open")
    page.get_by_role("link", name="Förhandsgranska inbjudan och påminnelse").click()
    expect(page.locator("#meddelande-reminder")).to_be_visible()
    look(page, "message-preview")
    page.get_by_role("button", name="Skicka ett prov till mig (påminnelse)").click()
    expect(page.locator(".flash-success")).to_contain_text("Ett provutskick av påminnelse")
    page.go_back()
    page.go_back()
    page.get_by_role("button", name="Skicka 2 inbjudningar").click()
    expect(page.locator(".flash-success")).to_contain_text("2 inbjudningar är köade")


def test_it_asks_before_reminding_and_lets_the_leader_override_the_day_rule(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    with app.app_context():
        cast = make_cast()
        round_, recipients = open_nv_round(utcnow())
        round_id, recipient_id = round_.id, recipients[0].id
        db.session.commit()
    page = browser_page
    log_in(page, live_server, cast.leader_nv.email)
    page.goto(live_server(f"/omgangar/{round_id}"))
    page.get_by_role("link", name="Påminn alla som inte svarat").click()
    expect(page.locator("main")).to_contain_text("Kontaktades för mindre än ett dygn sedan (2)")
    look(page, "confirm-remind")
    page.goto(live_server(f"/omgangar/{round_id}/mottagare/{recipient_id}"))
    expect(page.get_by_role("button", name="Skicka påminnelse nu")).to_have_count(0)
    look(page, "recipient-recent", "form.notice-warning")
    page.get_by_label("Ja, skicka en påminnelse ändå").check()
    page.get_by_role("button", name="Skicka påminnelse ändå").click()
    expect(page.locator(".flash-success")).to_contain_text("En påminnelse är köad")


OVERFLOWING = """() => Array.from(document.querySelectorAll('main table')).filter(
  t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1
    || (t.parentElement.classList.contains('table-wrap')
        && t.parentElement.scrollWidth > t.parentElement.clientWidth + 1)
).map(t => (t.querySelector('caption') || t).textContent.trim().slice(0, 60))"""


def test_it_fits_or_stacks_every_table_of_the_round_page_and_the_user_list(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    with app.app_context():
        cast = make_cast()
        round_, recipients = open_nv_round(utcnow())
        round_id = round_.id
        recipients[0].name = "Margareta Lindqvist-Andersson"
        recipients[0].email = "margareta.lindqvist-andersson@vardcentralen-angelholm.example.se"
        db.session.commit()
    page = browser_page
    log_in(page, live_server, cast.admin.email)
    for path, name in ((f"/omgangar/{round_id}", "round"), ("/admin/anvandare", "users")):
        page.goto(live_server(path))
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate(OVERFLOWING) == [], f"{path} at {width} px"
        look(page, f"tables-{name}")
    page.goto(live_server(f"/omgangar/{round_id}"))
    search = page.locator("#sok-mottagare").bounding_box()
    select = page.locator("#visa-status").bounding_box()
    assert search and select and search["height"] >= select["height"] - 2
    assert search["width"] >= 200


def test_it_copies_a_round_and_deletes_an_unsent_draft_in_the_browser(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    with app.app_context():
        cast = make_cast()
        round_, _ = open_nv_round(utcnow())
        round_id = round_.id
        db.session.commit()
    page = browser_page
    log_in(page, live_server, cast.leader_nv.email)
    page.goto(live_server(f"/omgangar/{round_id}"))
    page.get_by_role("link", name="Kopiera till en ny omgång").click()
    look(page, "copy-round")
    next_year = utcnow().year + 1
    page.fill("#title", f"Årlig enkät {next_year}")
    page.fill("#reference_date", f"{next_year}-12-31")
    page.fill("#opens_date", f"{next_year}-11-01")
    page.fill("#closes_date", f"{next_year}-11-30")
    page.get_by_role("button", name="Skapa kopian").click()
    expect(page.locator(".flash-success")).to_contain_text("kopierad från")
    expect(page.locator("main")).to_contain_text("Mottagare (2)")
    page.get_by_role("link", name="Ta bort utkastet").click()
    look(page, "delete-draft")
    page.get_by_role("button", name="Ta bort utkastet").click()
    expect(page.locator(".flash-success")).to_contain_text("är borttaget")
    # A process leader's own view of who has not answered.
    page.goto(live_server(f"/omgangar/{round_id}?status=ej_svarat"))
    expect(page.locator("#tabell-show-2")).to_contain_text("som inte har svarat")
    look(page, "not-answered", "#mottagare ~ .table-wrap")
