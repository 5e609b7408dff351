"""A whole round as people run it: a process leader in a browser, mail through a real SMTP
server, respondents following the emailed links in a browser, reminders, results, export.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page

from survey.db import db, utcnow
from survey.jobs.runner import run_due_jobs
from survey.questionnaires.parsing import read_questionnaire_file
from survey.questionnaires.storage import store_questionnaire
from survey.ticks import run_tick
from tests.browser import LiveServer
from tests.factories import DEFAULT_PASSWORD, MakeApp, make_user
from tests.smtp_server import SmtpServer

NV_FILE = Path(__file__).resolve().parent.parent / "questionnaires" / "nv-arlig-enkat.yaml"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/svara/\d+/[A-Za-z0-9_-]{43})")
RECIPIENTS = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\n"
    "Åsa Öberg;asa.oberg@example.se;Ängelholms kommun;Kommun;Ängelholm;NV\n"
    "Per Ek;per.ek@example.se;Vårdcentralen Väla;Regional primärvård;Helsingborg;NV\n"
    "Lena Al;lena.al@example.se;Helsingborgs lasarett;Sjukhus;Helsingborg;NV\n"
)


@pytest.fixture
def app(make_app: MakeApp, smtp_server: SmtpServer) -> Flask:
    """The test app sending mail to the real SMTP server on loopback."""
    return make_app(**smtp_server.settings)


def log_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/logga-in"))
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Lösenord").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(live_server("/omgangar"))


def link_in(body: str) -> str:
    match = LINK.search(body)
    assert match is not None, body
    return match.group(1)


def answer_every_question(page: Page) -> None:
    """Pick the first option of every option group and 80 in every number field."""
    for name in page.eval_on_selector_all(
        "form.questionnaire-form input[type=radio]",
        "inputs => [...new Set(inputs.map(input => input.name))]",
    ):
        page.locator(f"input[type=radio][name='{name}']").first.check()
    for field in page.locator("form.questionnaire-form input[inputmode=decimal]").all():
        field.fill("80")
    for name in page.eval_on_selector_all(
        "form.questionnaire-form input[type=checkbox]",
        "inputs => [...new Set(inputs.map(input => input.name))]",
    ):
        page.locator(f"input[type=checkbox][name='{name}']").first.check()


@pytest.mark.browser
def test_it_runs_a_round_from_launch_to_results(
    app: Flask, live_server: LiveServer, browser: Browser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    app.config["SURVEY_BASE_URL"] = live_server.url
    with app.app_context():
        store_questionnaire(read_questionnaire_file(NV_FILE), NV_FILE.read_text(), NV_FILE.name)
        leader = make_user("processledare", "NV").email
        db.session.commit()
    recipients_file = tmp_path / "mottagare.csv"
    recipients_file.write_bytes(RECIPIENTS.encode("cp1252"))  # as Swedish Excel saves CSV

    # The process leader creates the round with its recipients and opens it.
    leader_page = browser.new_page()
    log_in(leader_page, live_server, leader)
    leader_page.goto(live_server("/omgangar/ny"))
    leader_page.get_by_label("Enkät", exact=True).select_option(
        label="Årlig enkät till verksamhetsansvariga – god och nära vård, Nordvästra Skåne "
        "(version 1)"
    )
    leader_page.get_by_label("Titel").fill("Årlig enkät 2025")
    leader_page.get_by_label("Referensdatum").fill("2025-12-31")
    leader_page.get_by_label("Mottagare (Excel eller CSV)").set_input_files(recipients_file)
    leader_page.get_by_role("button", name="Skapa omgången").click()
    summary = leader_page.locator(".error-summary")
    assert summary.count() == 0, summary.inner_text()
    leader_page.wait_for_selector("text=är skapad som utkast med 3 mottagare")
    round_url = leader_page.url
    leader_page.get_by_role("link", name="Öppna och skicka inbjudningar nu").click()
    leader_page.get_by_role("button", name="Skicka 3 inbjudningar").click()
    leader_page.wait_for_selector("text=inbjudningar är köade")

    with app.app_context():
        run_tick()
    assert smtp_server.wait_for(3)
    invitations = {mail.envelope_recipients[0]: mail for mail in smtp_server.received}
    assert set(invitations) == {"asa.oberg@example.se", "per.ek@example.se", "lena.al@example.se"}
    asa_mail = invitations["asa.oberg@example.se"].message
    assert asa_mail["Subject"] == "Inbjudan: Årlig enkät 2025"
    asa_body = asa_mail.get_content()
    assert "Hej Åsa Öberg!" in asa_body and "Ängelholms kommun" in asa_body

    # Åsa answers everything from her emailed link and submits.
    asa = browser.new_context().new_page()
    asa.goto(link_in(asa_body))
    assert "/svara/" in asa.url and not LINK.search(asa.url)  # the token left the address
    answer_every_question(asa)
    asa.get_by_role("button", name="Skicka in").click()
    asa.wait_for_selector("text=Tack! Dina svar är inskickade")

    # Per only saves a draft; Lena does nothing.
    per = browser.new_context().new_page()
    per.goto(link_in(invitations["per.ek@example.se"].message.get_content()))
    per.locator("input[type=radio]").first.check()
    per.get_by_role("button", name="Spara utkast").click()
    per.wait_for_selector("text=Utkastet är sparat")

    # A week later reminders go to Per and Lena only, once, however often the tick runs.
    with app.app_context():
        later = utcnow() + timedelta(days=7, hours=1)
        run_tick(now=later)
        run_tick(now=later)
    # Åsa also got a receipt: a copy of her answers, without a link.
    assert smtp_server.wait_for(6)
    later_mail = [mail for mail in smtp_server.received if mail not in invitations.values()]
    [receipt] = [mail for mail in later_mail if mail.message["Subject"].startswith("Kvitto")]
    assert list(receipt.envelope_recipients) == ["asa.oberg@example.se"]
    assert not LINK.search(receipt.message.get_content())
    reminders = [mail for mail in later_mail if mail is not receipt]
    assert sorted(mail.envelope_recipients[0] for mail in reminders) == [
        "lena.al@example.se",
        "per.ek@example.se",
    ]
    assert all(count == 1 for count in smtp_server.message_id_counts().values())
    assert len(smtp_server.received) == 6

    # The process leader sees who answered, the results and the export.
    leader_page.goto(round_url)
    assert "1 av 3 inbjudna har svarat" in leader_page.content()
    leader_page.get_by_role("link", name=re.compile("^Resultat")).click()
    results = leader_page.locator("main").inner_text()
    # Åsa answered Ja everywhere: 1a.1b (share answering Ja) is 100 % for the round.
    assert re.search(r"1a\.1b[^\n]*\n(.*\n){0,6}.*100,0\xa0%", results), results[:3000]
    # The export is a job: ordered on its page, built by the worker, then downloaded.
    leader_page.get_by_role("link", name="Excel-export").click()
    leader_page.get_by_role("button", name="Skapa Excel-export").click()
    with app.app_context():
        assert len(run_due_jobs("end-to-end").done) == 1
    leader_page.reload()
    with leader_page.expect_download() as download:
        leader_page.get_by_role("link", name="Ladda ner Excel-filen").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    assert workbook.sheetnames[:2] == ["Sammanfattning", "Indikatorer"]
    answers = list(workbook["Svar"].iter_rows(values_only=True))
    assert any("Ängelholms kommun" in row for row in answers)
    assert not any("asa.oberg@example.se" in str(cell) for row in answers for cell in row)
