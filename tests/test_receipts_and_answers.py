"""A respondent's receipt (page and e-mail, no link) and one recipient's answers for the leader."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from survey.db import db
from survey.schema.audit import AuditEvent
from survey.schema.outbox import MailKind, OutboxMessage
from tests.browser import LiveServer, axe_report
from tests.factories import DEFAULT_PASSWORD, login, make_cast
from tests.respondent_helpers import Invited, invite, nv_questionnaire

ANSWERS: dict[str, str | list[str]] = {
    "q1a_1a": "45", "q1a_1b": "ja", "q1a_1c": "nej", "q1a_4": "ja", "q1a_6a": "ja",
    "q1a_6b": "12,5", "q1a_7": "nej", "q1b_2a": "ganska_nojd",
    "q1b_2b": "Vi har startat ett gemensamt team – åäö.", "q1b_2c": "ja", "q2a_1a": "ja",
    "q2a_1a_vilka": ["fallrisk", "undernaring"], "q2a_2": "ja", "q2b_1a": "nej",
    "q3_1a": "ej_aktuellt", "q3_1b": "nej", "q3_2b": "ja", "q3_2c": "nej", "q4_2": "ja",
}  # fmt: skip


@pytest.fixture
def invited(app: Flask) -> Invited:
    return invite(
        app,
        questionnaire=nv_questionnaire(),
        organisation="Vårdcentralen Ängelholm",
        organisation_type="regional_pv",
        email="asa.oberg@example.se",
    )


def submit(app: Flask, invited: Invited) -> str:
    client = app.test_client()
    client.get(invited.link)
    response = client.post(invited.form_url, data={**ANSWERS, "action": "submit"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return client.get(invited.confirmation_url).get_data(as_text=True)


def test_it_mails_a_copy_of_the_answers_without_a_link(app: Flask, invited: Invited) -> None:
    html = submit(app, invited)
    assert "En kopia av svaren skickas till asa.oberg@example.se" in html
    with app.app_context():
        [receipt] = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MailKind.RECEIPT.value)
        )
        assert receipt.to_address == "asa.oberg@example.se" and receipt.sequence == 1
        assert receipt.subject.startswith("Kvitto: dina svar i")
        assert "Vi har startat ett gemensamt team – åäö." in receipt.body_text
        assert "Fallrisk, Undernäring" in receipt.body_text
        assert "/svara/" not in receipt.body_text and "[[PERSONLIG-LANK]]" not in receipt.body_text


def test_it_shows_one_recipients_answers_to_the_process_leader_only(
    app: Flask, invited: Invited
) -> None:
    submit(app, invited)
    with app.app_context():
        cast = make_cast()
        db.session.commit()
    path = f"/omgangar/{invited.round_id}/mottagare/{invited.recipient_id}/svar"
    reader = app.test_client()
    login(reader, cast.reader_nv.email)
    assert reader.get(path).status_code == 403
    other = app.test_client()
    login(other, cast.leader_no.email)
    assert other.get(path).status_code == 404
    leader = app.test_client()
    login(leader, cast.leader_nv.email)
    recipient_page = leader.get(f"/omgangar/{invited.round_id}/mottagare/{invited.recipient_id}")
    assert "visa och skriv ut svaren" in recipient_page.get_data(as_text=True)
    html = leader.get(path).get_data(as_text=True)
    assert "Svar från Vårdcentralen Ängelholm" in html and "Fallrisk, Undernäring" in html
    with app.app_context():
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "response.view")
        ).one()


@pytest.mark.browser
def test_the_answers_and_receipt_pages_pass_axe_and_print_without_buttons(
    app: Flask, live_server: LiveServer, browser_page: Page, invited: Invited
) -> None:
    import os

    shots = os.environ.get("SURVEY_SCREENSHOTS")
    with app.app_context():
        cast = make_cast()
        db.session.commit()
    page = browser_page
    page.goto(live_server(invited.link))
    for key, value in ANSWERS.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            choice = page.locator(f'[name="{key}"][value="{item}"]')
            if choice.count():
                choice.check()
            else:
                page.locator(f"#{key}").fill(item)
    page.locator("#formular-knappar button[value=submit]").click()
    page.wait_for_url(live_server(invited.confirmation_url))
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_report(page) is None
        if shots:
            page.screenshot(path=f"{shots}/receipt-{width}.png")
    page.goto(live_server("/logga-in"))
    page.fill("#email", cast.leader_nv.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server("/omgangar"))
    page.goto(live_server(f"/omgangar/{invited.round_id}/mottagare/{invited.recipient_id}/svar"))
    expect(page.locator("h1")).to_have_text("Svar från Vårdcentralen Ängelholm")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_report(page) is None
        if shots:
            page.screenshot(path=f"{shots}/recipient-answers-{width}.png")
    page.emulate_media(media="print")
    expect(page.locator(".site-header nav")).to_be_hidden()
    expect(page.locator(".no-print").first).to_be_hidden()
    page.goto(live_server(f"/omgangar/{invited.round_id}/resultat"))
    expect(page.locator(".filter-form").first).to_be_hidden()
    if shots:
        page.pdf(path=f"{shots}/results-print.pdf")
        page.screenshot(path=f"{shots}/results-print.png")
