"""The process leader's round pages in a real Chromium: axe-core finds no violations."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import update

from survey.db import db, utcnow
from survey.schema.outbox import MailStatus, OutboxMessage
from tests.browser import LiveServer, axe_report, expect_error_title
from tests.factories import DEFAULT_PASSWORD, make_cast, open_nv_round

pytestmark = pytest.mark.browser

BAD_CSV = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
    "Åsa Öberg;inte-en-adress;Vårdcentralen Ängelholm;Regional primärvård;Ängelholm;NV\r\n"
)


def test_it_passes_axe_on_every_round_page(
    app: Flask, live_server: LiveServer, browser_page: Page, tmp_path: Path
) -> None:
    with app.app_context():
        cast = make_cast()
        now = utcnow()
        round_, recipients = open_nv_round(now)
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient_id == recipients[0].id)
            .values(status=MailStatus.FAILED.value, last_error="550 Mailbox does not exist")
        )
        round_id, recipient_id = round_.id, recipients[0].id
        db.session.commit()
    page = browser_page
    page.goto(live_server("/logga-in"))
    page.fill("#email", cast.leader_nv.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server("/omgangar"))

    def check(what: str) -> None:
        report = axe_report(page)
        assert report is None, f"axe found violations on {what}:\n{report}"

    for path in (
        "/omgangar",
        "/omgangar/ny",
        f"/omgangar/{round_id}",
        f"/omgangar/{round_id}/mottagare/{recipient_id}",
        f"/omgangar/{round_id}/mottagare/ny",
        f"/omgangar/{round_id}/andra",
        f"/omgangar/{round_id}/forlang",
        f"/omgangar/{round_id}/stang",
        f"/omgangar/{round_id}/utskick",
    ):
        page.goto(live_server(path))
        check(path)

    # A new round: the preview, then errors with a bad file (error summary, problem table).
    page.goto(live_server("/omgangar/ny"))
    page.fill("#title", "Årlig enkät 2026")
    page.select_option("#questionnaire_version_id", index=1)
    page.click("button[value=preview]")
    expect(page.locator("#forhandsgranskning")).to_be_visible()
    check("the preview")
    bad = tmp_path / "fel.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    page.set_input_files("#recipients_file", str(bad))
    page.click("button[value=create]")
    expect_error_title(page)
    assert page.locator("#filfel").is_visible()
    check("the new round page with problems")

    page.goto(live_server(f"/omgangar/{round_id}/mottagare/ladda-upp"))
    page.set_input_files("#recipients_file", str(bad))
    page.click("button[type=submit] >> text=Ladda upp")
    expect_error_title(page)
    check("the upload page with problems")
