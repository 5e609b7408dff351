"""Issue 13: people read question numbers and texts and weeks in words, never raw ids.

The results and free-text pages of the shipped NV questionnaire and the Bilaga 1 support
questions, the import template of the NV questionnaire downloaded, filled in and imported,
and the header matching that lets a person's file differ a little from the template.
"""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from config import PROJECT_ROOT
from survey.db import db
from survey.jobs.queue import worker_name
from survey.jobs.runner import run_due_jobs
from survey.questionnaires.model import Questionnaire
from survey.questionnaires.parsing import read_questionnaire_file
from survey.responses.answer_headers import QuestionHeaders, question_header
from survey.schema.rounds import Round, RoundState
from tests.factories import (
    Cast,
    ClientFor,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.import_helpers import ANNA, csv_file, make_import_round, stored_answers
from tests.respondent_helpers import nv_questionnaire

BILAGA1_FILE = PROJECT_ROOT / "questionnaires" / "no-bilaga1-stodfragor.yaml"
RAW_ID = re.compile(r"\((?:q[0-9a-z_]+|deltagare|vecka|vecka_sista|omrade_[0-9a-z]+)\)")
LONG_TEXT = "Vi har infört gemensamma SIP-möten och följer upp dem varje månad. " * 3


def bilaga1() -> Questionnaire:
    return read_questionnaire_file(Path(BILAGA1_FILE))


def text_of(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return " ".join(
        BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text().split()
    )


@pytest.fixture
def nv_round(app: Flask, cast: Cast) -> int:
    with app.app_context():
        round_ = make_round(make_questionnaire_version(nv_questionnaire()), state=RoundState.CLOSED)
        for number, kind in enumerate(("kommun", "regional_pv")):
            make_submitted_response(
                round_,
                make_recipient(round_, organisation=f"Org {number}", organisation_type=kind),
                {"q1a_1b": "ja", "q1b_2b": LONG_TEXT, "q_ovrigt": f"Synpunkt {number}"},
            )
        db.session.commit()
        return round_.id


def test_it_names_questions_by_number_and_text_on_the_results_pages(
    app: Flask, client_for: ClientFor, nv_round: int
) -> None:
    client = client_for("reader_nv")
    questionnaire = nv_questionnaire()
    long_question = questionnaire.question("q1b_2b")
    summary = text_of(client, f"/omgangar/{nv_round}/resultat/fragor")
    free_text = text_of(client, f"/omgangar/{nv_round}/resultat/fritext?fraga=q1b_2b")
    assert f"10. {long_question.text}" in summary
    assert f"10. {long_question.text}" in free_text
    assert "25. Har du övriga synpunkter" in free_text  # the list of text questions
    for text in (summary, free_text, text_of(client, f"/omgangar/{nv_round}/resultat")):
        assert not RAW_ID.search(text), RAW_ID.search(text)
        assert "q1b_2b" not in text and "q_ovrigt" not in text


def test_it_names_the_questionnaire_by_title_and_version_not_id(
    app: Flask, client_for: ClientFor, nv_round: int
) -> None:
    client = client_for("leader_nv")
    questionnaire = nv_questionnaire()
    pages = (
        text_of(client, f"/omgangar/{nv_round}"),
        text_of(client, "/omgangar/ny"),
        text_of(client, f"/forhandsgranska/{questionnaire.id}?version={questionnaire.version}"),
    )
    assert f"{questionnaire.title} (version {questionnaire.version})" in pages[0]
    assert f"{questionnaire.title} (version {questionnaire.version})" in pages[1]
    for text in pages:
        assert f"{questionnaire.id}," not in text


def test_it_shows_weeks_in_words_and_no_ids_on_the_free_text_page(
    app: Flask, client_for: ClientFor, cast: Cast
) -> None:
    with app.app_context():
        questionnaire = bilaga1()
        round_ = make_round(make_questionnaire_version(questionnaire), state=RoundState.CLOSED)
        make_submitted_response(
            round_,
            make_recipient(round_, organisation="Lokal samverkan Bjuv", organisation_type="kommun"),
            {"deltagare": "Enhetschef hemsjukvård", "vecka": "2026-W12"},
        )
        db.session.commit()
        round_id = round_.id
    client = client_for("reader_nv")
    number = questionnaire.question_number("vecka")
    week = text_of(client, f"/omgangar/{round_id}/resultat/fritext?fraga=vecka")
    assert f"{number}. Tid – vilken vecka börjar inventeringen?" in week
    assert "vecka 12 år 2026" in week and "2026-W12" not in week
    participants = text_of(client, f"/omgangar/{round_id}/resultat/fritext?fraga=deltagare")
    assert "Vem är med vid inventeringen?" in participants
    for text in (week, participants, text_of(client, f"/omgangar/{round_id}/resultat")):
        assert not RAW_ID.search(text), RAW_ID.search(text)


def test_it_labels_the_ids_on_the_import_page_as_columns_of_older_files(
    app: Flask, client_for: ClientFor, nv_round: int
) -> None:
    page = client_for("leader_nv").get(f"/omgangar/{nv_round}/importera-svar")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    table = soup.select("table")[-1]
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert headers == ["Kolumnrubrik (fråga)", "Tillåtna svar", "Kolumn i äldre importfiler"]
    first = [
        cell.get_text(" ", strip=True)
        for cell in table.select("tbody tr")[0].find_all(["th", "td"])
    ]
    assert first[0].startswith("1. Hur stor andel") and first[2] == "q1a_1a"


def test_it_imports_the_downloaded_nv_template_filled_in(
    app: Flask, client_for: ClientFor, nv_round: int
) -> None:
    client = client_for("leader_nv")
    with app.app_context():
        recipient = make_recipient(
            db.session.get_one(Round, nv_round),
            email="ny.kommun@example.se",
            organisation="Bjuvs kommun",
            organisation_type="kommun",
            kommun="Bjuv",
        )
        db.session.commit()
        recipient_id = recipient.id
    template = client.get(f"/omgangar/{nv_round}/importera-svar/mall.xlsx")
    assert template.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(template.data))
    sheet = workbook["Svar"]
    headers = [cell.value for cell in sheet[1]]
    questionnaire = nv_questionnaire()
    assert headers[:6] == ["E-post", "Namn", "Organisation", "Organisationstyp", "Kommun",
                           "Delregion"]  # fmt: skip
    assert headers[6:] == [question_header(questionnaire, q) for q in questionnaire.questions]
    assert not any(re.fullmatch(r"q[0-9a-z_]+", str(header)) for header in headers)
    assert sheet.row_dimensions[1].height >= 60  # the long texts wrap in a tall header row
    fill = {
        "E-post": "ny.kommun@example.se",
        question_header(questionnaire, questionnaire.question("q1a_1a")): 75,
        question_header(questionnaire, questionnaire.question("q1a_5")): "Ja",
        question_header(questionnaire, questionnaire.question("q1b_2b")): LONG_TEXT,
        question_header(questionnaire, questionnaire.question("q_ovrigt")): "Inga",
    }
    for header, value in fill.items():
        sheet.cell(row=2, column=headers.index(header) + 1, value=value)
    output = io.BytesIO()
    workbook.save(output)
    response = client.post(
        f"/omgangar/{nv_round}/importera-svar",
        data={"fil": (io.BytesIO(output.getvalue()), "mall.xlsx"), "action": "importera"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():  # the web import is a job, run as `survey worker` does
        assert len(run_due_jobs(worker_name()).done) == 1
    answers, imported, _ = stored_answers(app, recipient_id)
    assert imported
    assert answers == {"q1a_1a": 75, "q1a_5": "ja", "q1b_2b": LONG_TEXT.strip(), "q_ovrigt": "Inga"}


@pytest.mark.parametrize(
    ("header", "question_id"),
    [
        ("q1b_2b", "q1b_2b"),  # an older file's id
        ("Q1B_2B ", "q1b_2b"),
        (
            "10. Vilka steg har tagits för att uppnå målen i Aktivitets- och tidsplan avseende god "
            "och nära vård?",
            "q1b_2b",
        ),  # the template's own header
        (
            "10.  Vilka steg har tagits\nför att uppnå målen i Aktivitets- och tidsplan avseende "
            "god och\u00a0nära vård ? ",
            "q1b_2b",
        ),  # wrapped in Excel, spaces doubled
        (
            "Vilka steg har tagits för att uppnå målen i Aktivitets- och tidsplan avseende god och "
            "nära vård?",
            "q1b_2b",
        ),  # the text alone
        ("10. Vilka steg har tagits för att uppnå målen …", "q1b_2b"),  # shortened
        (
            "10) vilka steg har tagits for att uppna malen i aktivitets och tidsplan avseende god "
            "och nara vard",
            "q1b_2b",
        ),  # no accents, no punctuation
        (
            "11. Vilka steg har tagits för att uppnå målen i Aktivitets- och tidsplan avseende god "
            "och nära vård?",
            "q1b_2b",
        ),  # another version's number: the text decides
        (
            "11. Har ”Lokal handlingsplan för samverkande sjukvård i hemmet” tillämpats av "
            "regional och kommunal hemsjukvård i lokal samverkan?",
            "q1b_2c",
        ),
        (
            '11. Har "Lokal handlingsplan för samverkande sjukvård i hemmet" tillämpats av '
            "regional och kommunal hemsjukvård i lokal samverkan?",
            "q1b_2c",
        ),  # straight quotes
    ],
)
def test_it_matches_headers_as_people_write_them(header: str, question_id: str) -> None:
    found = QuestionHeaders(nv_questionnaire()).match(header)
    assert found.problem is None
    assert found.question is not None and found.question.id == question_id


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("10. Hur många team finns?", "Rubriken börjar med nummer 10, men texten"),
        ("10. Vilka", "Rubriken börjar med nummer 10, men texten"),  # too short to be q1b_2b
        ("Är beslutsstödet ute?", None),  # no question: an unknown column
        ("Kommun", None),  # a recipient column, not the beginning of a question
        ("Vilka", None),  # too short to name a question
    ],
)
def test_it_does_not_guess_a_question(header: str, fragment: str | None) -> None:
    found = QuestionHeaders(nv_questionnaire()).match(header)
    assert found.question is None
    if fragment is None:
        assert found.problem is None
    else:
        assert found.problem is not None and fragment in found.problem


def test_it_asks_for_the_number_when_two_questions_share_a_text() -> None:
    questionnaire = nv_questionnaire()
    sections = list(questionnaire.sections)
    last = sections[-1]
    twin = dataclasses.replace(last.questions[0], id="q_ovrigt_2")
    sections[-1] = dataclasses.replace(last, questions=(*last.questions, twin))
    twins = dataclasses.replace(questionnaire, sections=tuple(sections))
    headers = QuestionHeaders(twins)
    text = twin.text
    found = headers.match(text)
    assert found.question is None and found.problem is not None
    assert "Flera frågor (25, 26)" in found.problem and "25. Har du övriga" in found.problem
    numbered = headers.match(f"26. {text}")
    assert numbered.question is not None and numbered.question.id == "q_ovrigt_2"


@pytest.mark.parametrize("written", ["2025-W09", "vecka 9 år 2025", "Vecka 9, 2025"])
def test_it_imports_a_week_in_both_forms(app: Flask, written: str) -> None:
    from survey.responses.importing import import_responses

    target = make_import_round(app)
    data = csv_file([["E-post", "10. Vilken vecka gjordes inventeringen?"], [ANNA, written]])
    with app.app_context():
        outcome = import_responses(db.session.get_one(Round, target.round_id), data, "svar.csv")
        assert outcome.imported, outcome.check.problems
        db.session.commit()
    assert stored_answers(app, target.anna)[0] == {"vecka": "2025-W09"}


def test_it_keeps_dates_whole_and_escapes_the_rest() -> None:
    from survey.datespans import keep_dates_whole

    shown = keep_dates_whole("Delmål 50 % (2023-12-31) <b> · 2025-12-15 23:59")
    assert str(shown) == (
        'Delmål 50 % (<span class="date">2023-12-31</span>) &lt;b&gt; · '
        '<span class="date">2025-12-15 23:59</span>'
    )
    css = (PROJECT_ROOT / "survey" / "static" / "style.css").read_text(encoding="utf-8")
    assert re.search(r"(^|[\s,}])\.date[\s,{][^}]*white-space: nowrap", css)


def test_it_keeps_the_dates_of_the_results_tables_on_one_line(
    app: Flask, client_for: ClientFor, nv_round: int
) -> None:
    html = client_for("reader_nv").get(f"/omgangar/{nv_round}/resultat").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    targets = [
        cell
        for cell in soup.select("td.target-cell")
        if re.search(r"\d{4}-\d\d-\d\d", cell.get_text())
    ]
    assert targets, "the NV targets have dates"
    for cell in targets:
        for text in cell.find_all(string=re.compile(r"\d{4}-\d\d-\d\d")):
            parent = text.parent
            assert parent is not None and parent.name == "span"
            assert "date" in (parent.get_attribute_list("class") or [])
