"""In Chromium: the pages that keep a logged-in user's text (a refused token, an ended
session, the page after logging in again), a reader's round page and nginx's own error
pages pass axe-core, work without JavaScript and keep what was typed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.browser import LiveServer, axe_report
from tests.factories import DEFAULT_PASSWORD, MakeApp
from tests.security_helpers import seed_world

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
# Screenshots for looking at (SURVEY_SCREENSHOTS=/some/folder); none by default.
SHOTS = os.environ.get("SURVEY_SCREENSHOTS")


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    made: Flask = make_app(WTF_CSRF_ENABLED=True)
    return made


def check(page: Page, what: str) -> None:
    report = axe_report(page)
    assert report is None, f"axe found violations on {what}:\n{report}"
    if SHOTS:
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            name = what.replace(" ", "-").replace("/", "_")
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def log_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/logga-in"))
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def type_a_recipient(page: Page, live_server: LiveServer, round_id: int, name: str) -> None:
    page.goto(live_server(f"/omgangar/{round_id}/mottagare/ny"))
    page.fill("#name", name)
    page.fill("#email", "dagny@example.se")
    page.fill("#organisation", "Vårdcentralen Bjuv")
    page.select_option("#organisation_type", "regional_pv")
    page.fill("#kommun", "Bjuv")


def press(page: Page, label: str) -> None:
    with page.expect_navigation():
        page.locator(f"main button:has-text('{label}')").first.click()


def test_it_keeps_the_typed_text_over_an_ended_session_and_a_new_login(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    world = seed_world(app)
    page = browser_page
    log_in(page, live_server, world.cast.leader_nv.email)
    type_a_recipient(page, live_server, world.round_id, "Dagny Dahlström")
    page.context.clear_cookies()  # twelve hours on: the browser dropped the session
    press(page, "Lägg till")
    assert "Det du skrev finns kvar" in page.inner_text("main")
    check(page, "csrf page logged out")
    page.fill("#email", world.cast.leader_nv.email)
    page.fill("#password", DEFAULT_PASSWORD)
    press(page, "Logga in")
    assert "Du är inloggad igen" in page.inner_text("main")
    assert "Dagny Dahlström" in page.inner_text("main")
    check(page, "resubmit page")
    press(page, "Skicka igen")
    assert page.url.startswith(live_server(f"/omgangar/{world.round_id}"))
    assert "Dagny Dahlström" in page.content()


def test_it_keeps_the_typed_text_when_the_token_no_longer_holds(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    world = seed_world(app)
    page = browser_page
    log_in(page, live_server, world.cast.leader_nv.email)
    type_a_recipient(page, live_server, world.round_id, "Egon Ek")
    # A token signed with a key that is no longer used (a restart with a new key).
    page.eval_on_selector("main input[name=csrf_token]", "field => field.value = 'gammal'")
    press(page, "Lägg till")
    assert "Det du skrev finns kvar" in page.inner_text("main")
    check(page, "csrf page logged in")
    press(page, "Skicka igen")
    assert "Egon Ek" in page.content()


def test_it_passes_axe_on_a_readers_round_page(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    world = seed_world(app)
    page = browser_page
    log_in(page, live_server, world.cast.reader_nv.email)
    page.goto(live_server(f"/omgangar/{world.round_id}"))
    assert "avidentifierade exporten" in page.inner_text("main")
    check(page, "reader round page")


@pytest.mark.parametrize("code", [413, 502, 503, 504])
def test_it_passes_axe_on_nginx_s_own_error_pages(browser_page: Page, code: int) -> None:
    page = browser_page
    page.goto((ROOT / "deploy" / "nginx" / "errors" / f"{code}.html").as_uri())
    check(page, f"nginx {code}")
