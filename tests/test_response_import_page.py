"""The answers import page: permissions, upload, problems shown, check only, template, CSRF."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey.db import db
from tests.factories import DEFAULT_PASSWORD, ClientFor, make_cast
from tests.import_helpers import (
    ANNA,
    ANNA_ANSWERS,
    BO_ANSWERS,
    GOOD_ROWS,
    ImportRound,
    csv_file,
    make_import_round,
    row_counts,
    stored_answers,
    xlsx_file,
)


def upload(
    client: FlaskClient, round_id: int, data: bytes, filename: str, **fields: str
) -> TestResponse:
    return client.post(
        f"/omgangar/{round_id}/importera-svar",
        data={"fil": (io.BytesIO(data), filename), "action": "importera", **fields},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("leader_nv", 200),
        ("reader_nv", 403),
        ("leader_no", 404),
        ("anonymous", 302),
    ],
)
def test_it_lets_only_process_leaders_of_the_delregion_import(
    app: Flask, client_for: ClientFor, target: ImportRound, who: str, status: int
) -> None:
    client = client_for(who)
    for path in ("importera-svar", "importera-svar/mall.xlsx"):
        assert client.get(f"/omgangar/{target.round_id}/{path}").status_code == status
    before = row_counts(app)
    response = upload(client, target.round_id, csv_file(GOOD_ROWS), "svar.csv")
    assert response.status_code == (302 if status == 200 else status)
    if status != 200:
        assert row_counts(app) == before


def test_it_imports_an_upload_and_shows_the_results(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    client = client_for("leader_nv")
    response = upload(client, target.round_id, xlsx_file(GOOD_ROWS), "svar.xlsx")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/omgangar/{target.round_id}/resultat")
    assert stored_answers(app, target.anna) == (ANNA_ANSWERS, True, [(1, True)])
    assert stored_answers(app, target.bo) == (BO_ANSWERS, True, [(1, True)])
    page = client.get(f"/omgangar/{target.round_id}/resultat").get_data(as_text=True)
    assert "2 svar importerades (2 nya, 0 ändrade)." in page


def test_it_lists_every_problem_and_imports_nothing(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    rows = [
        ["e-post", "sip_okning", "utbildning"],
        [ANNA, "kanske", "150"],
        ["x@example.se", "ja", ""],
    ]
    before = row_counts(app)
    response = upload(client_for("leader_nv"), target.round_id, csv_file(rows), "svar.csv")
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.title is not None and soup.title.get_text().startswith("Fel:")
    summary = soup.select_one(".error-summary a")
    assert summary is not None and summary["href"] == "#fil"
    assert "Filen har 3 fel. Ingenting har importerats." in summary.get_text()
    problems = [
        [cell.get_text(" ", strip=True) for cell in row.select("td")]
        for row in soup.select("table.problem-table tbody tr")
    ]
    assert [problem[:2] for problem in problems] == [
        ["2", "sip_okning"], ["2", "utbildning"], ["3", "e-post"],
    ]  # fmt: skip
    assert problems[1][2] == "Ange ett tal mellan 0 och 100."
    file_input = soup.select_one("input#fil")
    assert file_input is not None and file_input["aria-invalid"] == "true"
    assert row_counts(app) == before


def test_it_asks_for_a_file(app: Flask, client_for: ClientFor, target: ImportRound) -> None:
    response = client_for("admin").post(
        f"/omgangar/{target.round_id}/importera-svar", data={"action": "importera"},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 200
    assert "Välj en fil med svar (.xlsx eller .csv)." in response.get_data(as_text=True)


def test_it_checks_a_file_without_importing(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    before = row_counts(app)
    response = upload(
        client_for("leader_nv"), target.round_id, csv_file(GOOD_ROWS), "svar.csv",
        action="kontrollera",
    )  # fmt: skip
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert "Filen är korrekt" in text
    assert "2 rader kan importeras: 2 nya svar, 0 ändrade, 0 oförändrade." in text
    assert row_counts(app) == before


def test_it_adds_recipients_when_the_box_is_ticked(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    rows = [
        ["e-post", "sip_okning", "Namn", "Organisation", "Organisationstyp", "Kommun"],
        ["ny@example.se", "ja", "Nils Ny", "Vårdcentralen Bjuv", "Regional primärvård", "Bjuv"],
    ]
    client = client_for("leader_nv")
    refused = upload(client, target.round_id, csv_file(rows), "nya.csv")
    assert refused.status_code == 200
    before = row_counts(app)
    accepted = upload(client, target.round_id, csv_file(rows), "nya.csv", lagg_till_mottagare="ja")
    assert accepted.status_code == 302
    assert row_counts(app)["recipients"] == before["recipients"] + 1


def test_it_offers_the_template_of_the_rounds_questionnaire(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    response = client_for("leader_nv").get(f"/omgangar/{target.round_id}/importera-svar/mall.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=importmall-prov-v1.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook["Svar"]["A1"].value == "E-post"


def test_it_needs_the_csrf_token(csrf_app: Flask) -> None:
    with csrf_app.app_context():
        cast = make_cast()
        db.session.commit()
    target = make_import_round(csrf_app)
    client = csrf_app.test_client()
    login_page = client.get("/logga-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert token is not None
    response = client.post(
        "/logga-in",
        data={"email": cast.leader_nv.email, "password": DEFAULT_PASSWORD,
              "csrf_token": token.group(1)},
    )  # fmt: skip
    assert response.status_code == 302
    before = row_counts(csrf_app)
    refused = upload(client, target.round_id, csv_file(GOOD_ROWS), "svar.csv")
    assert refused.status_code == 400
    assert row_counts(csrf_app) == before
    page = client.get(f"/omgangar/{target.round_id}/importera-svar").get_data(as_text=True)
    upload_form = page.split('enctype="multipart/form-data"')[1]
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', upload_form)
    assert form_token is not None
    accepted = upload(
        client, target.round_id, csv_file(GOOD_ROWS), "svar.csv", csrf_token=form_token.group(1)
    )
    assert accepted.status_code == 302
    assert row_counts(csrf_app)["responses"] == before["responses"] + 2
