"""The plan pages in Chromium: axe finds nothing, keyboard-only forms, screenshots 1280/390 px."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page

from survey.db import db
from survey.plans.storage import load_plan_text
from tests.browser import LiveServer, axe_report, expect_error_title
from tests.factories import DEFAULT_PASSWORD, MakeApp, make_cast
from tests.plan_helpers import PLAN_KEY, load_nv_plan, other_delregion_plan

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/plan-screenshots")
BASE = f"/planer/{PLAN_KEY}"


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    return make_app(WTF_CSRF_ENABLED=True)


def log_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/logga-in"))
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def check(page: Page, what: str) -> None:
    report = axe_report(page)
    assert report is None, f"axe found violations on {what}:\n{report}"


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(
            path=str(SHOTS / f"{name}-{width}.png"), full_page=width == 390 and name != "plan"
        )
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_plan_pages_pass_axe_and_work_by_keyboard(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    with app.app_context():
        cast = make_cast()
        load_nv_plan()
        load_plan_text(other_delregion_plan(), "plans/no.yaml")
        db.session.commit()
    page = browser_page
    log_in(page, live_server, cast.leader_nv.email)

    # Record two years of 1a.3d by keyboard, one with an error first.
    page.goto(live_server(f"{BASE}/indikatorer/1a.3d"))
    check(page, "the indicator page")
    page.fill("#varde", "tolv")
    page.fill("#datum", "2024-12-31")
    page.fill("#kalla", "Uttag QV 2025-01-15")
    with page.expect_navigation():
        page.press("#kalla", "Enter")
    expect_error_title(page)
    check(page, "the measurement form with an error")
    shoot(page, "indicator-error")
    page.fill("#varde", "13")
    with page.expect_navigation():
        page.press("#kalla", "Enter")
    page.fill("#varde", "12,5")
    page.fill("#datum", "2025-12-31")
    page.fill("#kalla", "Uttag QV 2026-01-15")
    with page.expect_navigation():
        page.press("#kalla", "Enter")
    page.fill("#analys", "Återinläggningarna minskar men når inte målet.")
    page.fill("#atgarder", "Uppföljning i SVU-gruppen.")
    with page.expect_navigation():
        page.click("text=Spara analys och åtgärder")
    page.goto(live_server(f"{BASE}/indikatorer/1a.3d?datum=2026-01-31"))
    check(page, "the indicator page with measurements")
    shoot(page, "indicator")

    page.goto(live_server(f"{BASE}/indikatorer/1c.1"))
    check(page, "the per-kommun form")
    page.goto(live_server(f"{BASE}?datum=2026-01-31"))
    check(page, "the plan page")
    assert page.locator(".plan-status", has_text="ej uppnått").first.is_visible()
    shoot(page, "plan")
    page.goto(live_server(f"{BASE}?datum=2026-01-31&omrade=1a&status=ej+uppnått"))
    check(page, "the filtered plan page")
    page.goto(live_server(f"{BASE}/rapport?datum=2026-01-31"))
    check(page, "the report page")
    shoot(page, "report")
    page.goto(live_server(f"{BASE}/import"))
    check(page, "the import page")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    expect_error_title(page)
    check(page, "the import page with an error")
    page.goto(live_server("/planer/"))
    check(page, "the list of plans")


def test_the_side_by_side_page_passes_axe(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    with app.app_context():
        cast = make_cast()
        load_nv_plan()
        load_plan_text(other_delregion_plan(), "plans/no.yaml")
        db.session.commit()
    log_in(browser_page, live_server, cast.admin.email)
    browser_page.goto(live_server("/planer/jamfor/1a.3d?datum=2026-01-31"))
    check(browser_page, "delregions side by side")
    shoot(browser_page, "compare")
