"""Script and template syntax typed by people is shown as text everywhere.

One world holds the payloads in every place a person can put text: the questionnaire
(title, section, question, choice, help, indicator), the round's title, a recipient's
name and organisation, free-text answers, a file uploaded with problems, an import with
problems. Each page that shows them is read as HTML; each email is read off a real SMTP
server; the Excel export is read back with openpyxl.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from survey.db import db, utcnow
from survey.export.workbook import build_workbook
from survey.jobs.runner import run_due_jobs
from survey.mail.worker import deliver_outbox
from survey.organisations import OrganisationType
from survey.questionnaires.model import Choice, Indicator, Questionnaire
from survey.rounds.lifecycle import create_round, open_round
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.roster import add_recipients
from survey.rounds.settings import RoundSettings
from survey.rounds.tokens import issue_link
from tests.export_helpers import all_cells, read_workbook
from tests.factories import MakeApp, login, make_cast, make_questionnaire_version
from tests.sample import sample_questionnaire
from tests.smtp_server import SmtpServer

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
JINJA = "{{7*7}} {% raw %}"
SCRIPT_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"

NAME = f"Anna {SCRIPT} {JINJA}"
ORGANISATION = f"VC {IMAGE}"
TITLE = f"Enkät {JINJA} {SCRIPT}"
ANSWER = f"Svar {SCRIPT} {IMAGE} {JINJA}"
SENDER = f"Processledare {JINJA}"


def hostile_questionnaire() -> Questionnaire:
    """The sample questionnaire with the payloads in its texts."""
    sample = sample_questionnaire(questionnaire_id="fientlig")
    general = sample.sections[0]
    questions = []
    for question in general.questions:
        if question.id == "kommentar":
            question = dataclasses.replace(question, text=f"Kommentar {SCRIPT}", help=IMAGE)
        if question.id == "nojdhet":
            choices = (Choice(question.choices[0].value, f"Mycket nöjd {SCRIPT}"),
                       *question.choices[1:])  # fmt: skip
            question = dataclasses.replace(question, choices=choices)
        questions.append(question)
    section = dataclasses.replace(general, title=f"Allmänt {IMAGE}", questions=tuple(questions))
    indicators: list[Indicator] = [
        dataclasses.replace(indicator, title=f"{indicator.title} {SCRIPT}")
        for indicator in sample.indicators
    ]
    return dataclasses.replace(
        sample,
        title=f"Provenkät {JINJA}",
        intro=f"Inledning {SCRIPT}",
        sections=(section, *sample.sections[1:]),
        indicators=tuple(indicators),
    )


@dataclass(frozen=True)
class Hostile:
    round_id: int
    recipient_id: int
    token: str
    leader_email: str
    questionnaire_id: str


def make_hostile_world(app: Flask) -> Hostile:
    with app.app_context():
        cast = make_cast()
        now = utcnow()
        version = make_questionnaire_version(hostile_questionnaire())
        round_ = create_round(
            RoundSettings(
                questionnaire_version_id=version.id,
                title=TITLE,
                delregion="NV",
                reference_date=now.date(),
                opens_at=now,
                closes_at=now + timedelta(days=30),
                sender_name=SENDER,
                invitation_subject="Inbjudan: {omgang} till {namn}",
                reminder_subject="Påminnelse: {omgang}",
            ),
            now=now,
        )
        [recipient] = add_recipients(
            round_,
            [RecipientRow(NAME, "anna@example.se", ORGANISATION, OrganisationType.REGIONAL_PV,
                          "Ängelholm", "NV")],
            now=now,
        )  # fmt: skip
        open_round(round_, now=now)
        # The test plays the respondent: give the link a token it knows.
        token = issue_link(recipient, app.config["SECRET_KEY"])
        db.session.commit()
        return Hostile(
            round_.id, recipient.id, token, cast.leader_nv.email, version.questionnaire_id
        )


def answered(app: Flask, world: Hostile) -> FlaskClient:
    """The respondent submits answers with the payloads in free text."""
    respondent = app.test_client()
    assert respondent.get(f"/svara/{world.round_id}/{world.token}").status_code == 303
    response = respondent.post(
        f"/svara/{world.round_id}",
        data={
            "action": "submit",
            "sip_okning": "ja",
            "omraden": "fallrisk",
            "nojdhet": "mycket_nojd",
            "utbildning": "50",
            "kommentar": ANSWER[:200],
            "beskrivning": ANSWER,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return respondent


def assert_shown_as_text(html: str, where: str, *payloads: str) -> None:
    """No payload became markup; each appears as text (escaped in the HTML source)."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src") and not script.string, f"{where}: a script element {script}"
    handlers = [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
    assert not handlers, f"{where}: an event handler attribute {handlers}"
    assert not [tag for tag in soup.find_all("img") if tag.get("src") == "x"], where
    assert SCRIPT not in html, f"{where}: {SCRIPT} unescaped"
    # Text, or the value of a form field (which the browser shows as text too).
    text = soup.get_text() + "\n".join(
        str(field.get("value")) for field in soup.find_all("input") if field.get("value")
    )
    for payload in payloads:
        assert payload in text, f"{where}: {payload!r} is not shown as text"
    if SCRIPT in payloads or any(SCRIPT in payload for payload in payloads):
        assert SCRIPT_SHOWN in html, where


@pytest.fixture
def world(app: Flask) -> Hostile:
    return make_hostile_world(app)


@pytest.fixture
def leader(app: Flask, world: Hostile) -> FlaskClient:
    client = app.test_client()
    assert login(client, world.leader_email).status_code == 302
    return client


@pytest.mark.parametrize(
    ("page", "payloads"),
    [
        ("/omgangar", (TITLE,)),
        ("/omgangar/{round}", (TITLE, NAME, ORGANISATION, SENDER)),
        ("/omgangar/{round}/mottagare/{recipient}", (NAME, ORGANISATION)),
        ("/omgangar/{round}/mottagare/{recipient}/andra", (ORGANISATION,)),
        ("/omgangar/{round}/andra", (SENDER,)),
        ("/omgangar/{round}/utskick", (NAME, f"Inbjudan: {TITLE} till {NAME}")),
        ("/omgangar/{round}/stang", (TITLE,)),
        ("/omgangar/{round}/resultat", (TITLE, f"{SCRIPT}")),
        ("/omgangar/{round}/resultat/fritext", (ANSWER, ORGANISATION, f"Kommentar {SCRIPT}")),
        ("/omgangar/{round}/resultat/fordelning?per=organisationstyp", (TITLE,)),
        ("/omgangar/{round}/importera-svar", (TITLE,)),
        ("/omgangar/{round}/logg", (TITLE,)),
        ("/logg", (TITLE,)),
        ("/forhandsgranska/{questionnaire}", (f"Kommentar {SCRIPT}", IMAGE, f"Provenkät {JINJA}")),
    ],
)
def test_it_shows_text_from_people_as_text_on_the_process_leaders_pages(
    app: Flask, world: Hostile, leader: FlaskClient, page: str, payloads: tuple[str, ...]
) -> None:
    answered(app, world)
    url = page.format(
        round=world.round_id, recipient=world.recipient_id, questionnaire=world.questionnaire_id
    )
    response = leader.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert_shown_as_text(html, url, *payloads)
    assert "{{7*7}}" in html or JINJA not in "".join(payloads)


def test_it_shows_text_from_people_as_text_on_the_respondents_pages(
    app: Flask, world: Hostile
) -> None:
    respondent = app.test_client()
    respondent.get(f"/svara/{world.round_id}/{world.token}")
    form = respondent.get(f"/svara/{world.round_id}").get_data(as_text=True)
    assert_shown_as_text(
        form, "the form", ORGANISATION, f"Kommentar {SCRIPT}", f"Mycket nöjd {SCRIPT}",
        f"Allmänt {IMAGE}", f"Provenkät {JINJA}", f"Inledning {SCRIPT}",
    )  # fmt: skip
    # Answers that fail a check are shown again as typed, as text.
    again = respondent.post(
        f"/svara/{world.round_id}", data={"action": "submit", "beskrivning": ANSWER}
    )
    assert again.status_code == 422
    assert_shown_as_text(again.get_data(as_text=True), "the form with errors", ANSWER)
    answered(app, world)
    confirmation = respondent.get(f"/svara/{world.round_id}/klart").get_data(as_text=True)
    assert_shown_as_text(confirmation, "the confirmation", ANSWER, ORGANISATION)


def test_it_shows_a_hostile_recipients_file_as_text_in_its_problems(
    world: Hostile, leader: FlaskClient
) -> None:
    bad = (
        "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
        f"{NAME};{SCRIPT}@example.se;{ORGANISATION};{SCRIPT};Ängelholm;NV\r\n"
    ).encode()
    response = leader.post(
        f"/omgangar/{world.round_id}/mottagare/ladda-upp",
        data={"recipients_file": (io.BytesIO(bad), f"{SCRIPT}.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Rätta filen" in html
    assert_shown_as_text(html, "the upload problems", f"{SCRIPT}@example.se")


def test_it_shows_a_hostile_answers_file_as_text_in_its_problems(
    app: Flask, world: Hostile, leader: FlaskClient
) -> None:
    bad = f"e-post;sip_okning;kommentar\n{SCRIPT}@example.se;{IMAGE};{JINJA}\n".encode()
    response = leader.post(
        f"/omgangar/{world.round_id}/importera-svar",
        data={"fil": (io.BytesIO(bad), "svar.csv"), "action": "importera"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302  # the rows are checked by the import job
    with app.app_context():
        run_due_jobs("escaping-test")
    html = leader.get(response.headers["Location"]).get_data(as_text=True)
    assert "problem-table" in html
    assert_shown_as_text(html, "the import problems", f"{SCRIPT}@example.se", IMAGE)
    # A hostile header is refused at once, on the upload page: as text too.
    header = f"e-post;{SCRIPT}\nanna@example.se;ja\n".encode()
    refused = leader.post(
        f"/omgangar/{world.round_id}/importera-svar",
        data={"fil": (io.BytesIO(header), "svar.csv"), "action": "importera"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 200
    assert_shown_as_text(refused.get_data(as_text=True), "the header problems", SCRIPT)


def test_it_shows_a_hostile_name_as_text_in_the_flash_after_adding_a_recipient(
    world: Hostile, leader: FlaskClient
) -> None:
    response = leader.post(
        f"/omgangar/{world.round_id}/mottagare/ny",
        data={
            "name": f"Bo {SCRIPT}",
            "email": "bo@example.se",
            "organisation": ORGANISATION,
            "organisation_type": "kommun",
            "kommun": "Höganäs",
            "delregion": "NV",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert_shown_as_text(response.get_data(as_text=True), "the flash", f"Bo {SCRIPT}")


def test_it_sends_mail_as_plain_text_with_the_names_as_written(
    make_app: MakeApp, smtp_server: SmtpServer
) -> None:
    app = make_app(**smtp_server.settings)
    world = make_hostile_world(app)
    with app.app_context():
        report = deliver_outbox()
    assert report.sent == 1, report.describe()
    [received] = smtp_server.received
    message = received.message
    assert received.envelope_recipients == ("anna@example.se",)
    assert message.get_content_type() == "text/plain"
    assert not message.is_multipart()
    body = message.get_content()
    assert f"Hej {NAME}!" in body  # the name, literally: plain text needs no escaping
    assert ORGANISATION in body
    assert "49" not in body.split(f"/svara/{world.round_id}/")[0]  # no template evaluated
    assert str(message["Subject"]) == f"Inbjudan: {TITLE} till {NAME}"
    assert message["To"].addresses[0].display_name.strip() == NAME
    assert message["From"].addresses[0].display_name.strip() == SENDER


def test_it_exports_text_from_people_as_text(app: Flask, world: Hostile) -> None:
    answered(app, world)
    with app.app_context():
        out = io.BytesIO()
        build_workbook(world.round_id, identifying=True, out=out)
    workbook = read_workbook(out.getvalue())
    values = {}
    for cell in all_cells(workbook):
        if isinstance(cell.value, str) and ("alert(1)" in cell.value or "7*7" in cell.value):
            assert cell.data_type == "s", f"{cell.coordinate}: {cell.data_type} {cell.value!r}"
            values[cell.value] = cell.coordinate
    for expected in (NAME, ORGANISATION, ANSWER, TITLE):
        assert any(expected in value for value in values), f"{expected!r} not in the export"
