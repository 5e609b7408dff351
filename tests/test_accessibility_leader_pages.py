"""The process leader's and administrator's pages pass axe-core in Chromium (WCAG 2.1 AA).

The round pages' own browser test (test_rounds_browser.py) and the results pages' test
cover the round forms, the preview, uploads with problems, results and the import; this
one covers the rest: the login page (empty and with an error), a round page with a
recipient in every state, the outbox, the log pages, a new round with every field
wrong, the user administration pages with and without errors, one's own password, and
the error pages.
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select, update

from survey.db import db, utcnow
from survey.organisations import OrganisationType
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.roster import add_recipients
from survey.rounds.status import RecipientState
from survey.schema.outbox import MailStatus, OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round
from tests.browser import LiveServer, axe_report, expect_error_title
from tests.factories import DEFAULT_PASSWORD, MakeApp, make_submitted_response
from tests.security_helpers import World, seed_world

pytestmark = pytest.mark.browser


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    """The app as in production: with CSRF protection (the live server serves this one)."""
    made: Flask = make_app(WTF_CSRF_ENABLED=True)
    return made


def recipients_in_every_state(app: Flask, world: World) -> None:
    """Add recipients so that the round shows every state, a revoked link and an opt-out."""
    with app.app_context():
        round_ = db.session.get(Round, world.round_id)
        assert round_ is not None
        now = utcnow()
        labels = ("opened", "draft", "submitted", "uncertain", "revoked", "queued")
        added = add_recipients(
            round_,
            [
                RecipientRow(f"Mottagare {label}", f"{label}@example.se", f"Vårdcentralen {label}",
                             OrganisationType.REGIONAL_PV, "Lund", "NV")
                for label in labels
            ],
            now=now,
        )  # fmt: skip
        by_label = dict(zip(labels, added, strict=True))
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient_id.in_([r.id for r in added[:-1]]))
            .values(status=MailStatus.SENT.value, sent_at=now)
        )
        for label in ("opened", "draft", "submitted"):
            by_label[label].first_opened_at = now
        db.session.add(
            Response(round_id=round_.id, recipient_id=by_label["draft"].id,
                     draft={"kommentar": "Påbörjat"}, draft_saved_at=now)
        )  # fmt: skip
        make_submitted_response(round_, by_label["submitted"], {"sip_okning": "ja"})
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient_id == by_label["uncertain"].id)
            .values(status=MailStatus.UNCERTAIN.value, last_error="Anslutningen bröts")
        )
        by_label["revoked"].token_hash = None
        by_label["opened"].opted_out = True
        db.session.commit()


def log_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/logga-in"))
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server("/omgangar"))


def submit(page: Page, selector: str) -> None:
    """Click the (first) button or link and wait until the next page has loaded."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def check(page: Page, what: str) -> None:
    report = axe_report(page)
    assert report is None, f"axe found violations on {what}:\n{report}"


def test_it_passes_axe_on_the_login_page_and_the_error_pages(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    page = browser_page
    page.goto(live_server("/logga-in"))
    check(page, "the login page")
    page.fill("#email", "ingen@example.se")
    page.fill("#password", "fel-lösenord-här")
    submit(page, "main button[type=submit]")
    expect_error_title(page)
    check(page, "the login page with an error")
    submit(page, "main button[type=submit]")  # the fields emptied: each is required
    check(page, "the login page with empty fields")
    for path in ("/finns-inte", "/", "/tillganglighet"):
        page.goto(live_server(path))
        check(page, path)


def test_it_passes_axe_on_the_round_outbox_and_log_pages(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    world = seed_world(app)
    recipients_in_every_state(app, world)
    page = browser_page
    log_in(page, live_server, world.cast.leader_nv.email)
    page.goto(live_server(f"/omgangar/{world.round_id}"))
    shown = set(page.locator("main td .status").all_inner_texts())
    assert shown == {state.label for state in RecipientState}, shown
    check(page, "the round page with every recipient state")
    with app.app_context():
        ids = db.session.scalars(
            select(Recipient.id).where(Recipient.round_id == world.round_id)
        ).all()
    for recipient_id in ids:
        page.goto(live_server(f"/omgangar/{world.round_id}/mottagare/{recipient_id}"))
        check(page, f"the page of recipient {recipient_id}")
    for path in (
        f"/omgangar/{world.round_id}/utskick",
        f"/omgangar/{world.round_id}/logg",
        "/logg",
        f"/omgangar/{world.round_id}/mottagare/{world.recipient_id}/ta-bort",
    ):
        page.goto(live_server(path))
        check(page, path)


def test_it_passes_axe_on_a_long_log_with_pages(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    from survey.audit.recording import record_audit

    world = seed_world(app)
    with app.app_context():
        for number in range(120):
            record_audit("round.update", f"Ändring {number}.", round_id=world.round_id,
                         delregion="NV")  # fmt: skip
        db.session.commit()
    page = browser_page
    log_in(page, live_server, world.cast.admin.email)
    page.goto(live_server("/logg?sida=2"))
    assert page.locator("nav.pagination").is_visible()
    check(page, "the second page of the log")
    submit(page, "text=Nästa sida")
    assert "sida=3" in page.url
    check(page, "the last page of the log")


def test_it_passes_axe_on_a_new_round_with_every_field_wrong(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    world = seed_world(app)
    page = browser_page
    log_in(page, live_server, world.cast.leader_nv.email)
    page.goto(live_server("/omgangar/ny"))
    check(page, "the empty new round page")
    for field in ("#title", "#reference_date", "#opens_date", "#closes_date", "#sender_name",
                  "#invitation_subject", "#invitation_body"):  # fmt: skip
        page.fill(field, "")
    page.fill("#reminder_days", "sju, fjorton")
    page.fill("#max_reminders", "många")
    page.fill("#reply_to", "inte en adress")
    submit(page, "button[value=create]")
    expect_error_title(page)
    assert page.locator(".error-summary li").count() >= 6
    check(page, "the new round page with every field wrong")


def test_it_passes_axe_on_the_user_administration_pages(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    world = seed_world(app)
    page = browser_page
    log_in(page, live_server, world.cast.admin.email)
    page.goto(live_server("/admin/anvandare"))
    check(page, "the user list")
    for path in (
        "/admin/anvandare/ny",
        f"/admin/anvandare/{world.user_id}/andra",
        f"/admin/anvandare/{world.user_id}/losenord",
        "/konto/losenord",
    ):
        page.goto(live_server(path))
        check(page, path)
        if page.locator("#name").count():
            page.fill("#name", "")
        submit(page, "main form button[type=submit]")
        expect_error_title(page)  # posted empty: errors on the fields
        check(page, f"{path} with errors")
    # A deactivated account in the list (its own labels and buttons).
    page.goto(live_server("/admin/anvandare"))
    submit(page, f"form[action='/admin/anvandare/{world.user_id}/inaktivera'] button")
    check(page, "the user list with a deactivated account")


def test_it_passes_axe_on_a_refused_form(
    app: Flask, live_server: LiveServer, browser_page: Page
) -> None:
    world = seed_world(app)
    page = browser_page
    log_in(page, live_server, world.cast.leader_nv.email)
    page.goto(live_server(f"/omgangar/{world.round_id}/mottagare/ny"))
    # As if the page had been open across a restart with a new key.
    page.eval_on_selector("main input[name=csrf_token]", "field => { field.value = 'gammal'; }")
    submit(page, "main form button[type=submit]")
    assert "säkerhetskod" in page.locator("main").inner_text()
    check(page, "the page of a refused CSRF token")
