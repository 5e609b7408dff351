"""The answers import page: permissions, upload as a job, problems shown, check only, CSRF."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from survey.db import db
from survey.jobs.queue import worker_name
from survey.jobs.runner import run_due_jobs
from survey.schema.audit import AuditEvent
from survey.schema.jobs import Job
from survey.schema.uploads import StagedUpload
from tests.factories import DEFAULT_PASSWORD, Cast, ClientFor, make_cast
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


def run_jobs(app: Flask) -> list[int]:
    """Run the queued jobs as `survey worker` does; the ids of those done."""
    with app.app_context():
        return run_due_jobs(worker_name()).done


def page_text(response: TestResponse) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def staged_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StagedUpload)) or 0


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
    run_jobs(app)
    if status != 200:
        assert row_counts(app) == before
        assert staged_count(app) == 0


def test_it_imports_an_upload_as_a_job_and_shows_the_outcome(
    app: Flask, client_for: ClientFor, target: ImportRound, cast: Cast
) -> None:
    client = client_for("leader_nv")
    response = upload(client, target.round_id, xlsx_file(GOOD_ROWS), "svar.xlsx")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert re.search(rf"/omgangar/{target.round_id}/importera-svar/\d+$", job_url)
    waiting = page_text(client.get(job_url))
    assert "Väntar" in waiting and "Uppdatera sidan" in waiting
    assert stored_answers(app, target.anna)[0] is None  # nothing stored in the request
    assert len(run_jobs(app)) == 1
    assert stored_answers(app, target.anna) == (ANNA_ANSWERS, True, [(1, True)])
    assert stored_answers(app, target.bo) == (BO_ANSWERS, True, [(1, True)])
    done = page_text(client.get(job_url))
    assert "Svaren är importerade" in done
    assert "2 svar importerades (2 nya, 0 ändrade)." in done
    assert staged_count(app) == 0  # the kept file is removed once used
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "round.responses_imported")
        ).one()
        assert (event.user_id, event.actor) == (cast.leader_nv.id, cast.leader_nv.email)
    listing = page_text(client.get(f"/omgangar/{target.round_id}/importera-svar"))
    assert "Dina senaste importer" in listing and "svar.xlsx" in listing


def test_it_lists_every_problem_on_the_job_page_and_imports_nothing(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    rows = [
        ["e-post", "sip_okning", "utbildning"],
        [ANNA, "kanske", "150"],
        ["x@example.se", "ja", ""],
    ]
    before = row_counts(app)
    client = client_for("leader_nv")
    response = upload(client, target.round_id, csv_file(rows), "svar.csv")
    assert response.status_code == 302  # the header is right: the rows are checked by the job
    run_jobs(app)
    page = client.get(response.headers["Location"])
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert "Filen har 3 fel." in soup.get_text(" ", strip=True)
    problems = [
        [cell.get_text(" ", strip=True) for cell in row.select("td")]
        for row in soup.select("table.problem-table tbody tr")
    ]
    assert [problem[:2] for problem in problems] == [
        ["2", "sip_okning"], ["2", "utbildning"], ["3", "e-post"],
    ]  # fmt: skip
    assert problems[1][2] == "Ange ett tal mellan 0 och 100."
    assert row_counts(app) == before
    assert staged_count(app) == 0


def test_it_refuses_a_wrong_header_at_once_and_queues_nothing(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    rows = [["e-post", "sip_okning", "Hur nöjd är du?"], [ANNA, "ja", "ganska nöjd"]]
    before = row_counts(app)
    response = upload(client_for("leader_nv"), target.round_id, csv_file(rows), "svar.csv")
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.title is not None and soup.title.get_text().startswith("Fel:")
    summary = soup.select_one(".error-summary a")
    assert summary is not None and summary["href"] == "#fil"
    assert "Kolumnen känns inte igen" in summary.get_text()
    cells = [cell.get_text(" ", strip=True) for cell in soup.select("table.problem-table td")]
    assert cells[:2] == ["1", "Hur nöjd är du?"]
    file_input = soup.select_one("input#fil")
    assert file_input is not None and file_input["aria-invalid"] == "true"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert staged_count(app) == 0
    assert row_counts(app) == before


def test_it_refuses_an_unreadable_file_at_once(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    response = upload(client_for("leader_nv"), target.round_id, b"%PDF-1.4 x", "svar.xlsx")
    assert response.status_code == 200
    assert "Filen är en PDF" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_it_asks_for_a_file(app: Flask, client_for: ClientFor, target: ImportRound) -> None:
    response = client_for("admin").post(
        f"/omgangar/{target.round_id}/importera-svar", data={"action": "importera"},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 200
    assert "Välj en fil med svar (.xlsx eller .csv)." in response.get_data(as_text=True)


def test_it_checks_a_file_without_importing_and_then_imports_it(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    before = row_counts(app)
    client = client_for("leader_nv")
    response = upload(
        client, target.round_id, csv_file(GOOD_ROWS), "svar.csv", action="kontrollera",
    )  # fmt: skip
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert "Kontroll av svar" in page_text(client.get(job_url))
    run_jobs(app)
    text = page_text(client.get(job_url))
    assert "Filen är korrekt" in text
    assert "2 rader kan importeras: 2 nya svar, 0 ändrade, 0 oförändrade." in text
    assert "Importera svaren" in text
    assert row_counts(app) == before
    assert staged_count(app) == 1  # kept for "Importera svaren"
    imported = client.post(f"{job_url}/importera")
    assert imported.status_code == 302 and imported.headers["Location"] != job_url
    run_jobs(app)
    assert "2 svar importerades (2 nya, 0 ändrade)." in page_text(
        client.get(imported.headers["Location"])
    )
    assert row_counts(app)["responses"] == before["responses"] + 2
    assert staged_count(app) == 0
    # The file is used: the check's page no longer offers it, and asking again is refused.
    assert "Importera svaren" not in page_text(client.get(job_url))
    again = client.post(f"{job_url}/importera")
    assert again.status_code == 302 and again.headers["Location"].endswith("/importera-svar")
    run_jobs(app)
    assert row_counts(app)["responses"] == before["responses"] + 2


def test_it_adds_recipients_when_the_box_is_ticked(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    rows = [
        ["e-post", "sip_okning", "Namn", "Organisation", "Organisationstyp", "Kommun"],
        ["ny@example.se", "ja", "Nils Ny", "Vårdcentralen Bjuv", "Regional primärvård", "Bjuv"],
    ]
    client = client_for("leader_nv")
    refused = upload(client, target.round_id, csv_file(rows), "nya.csv")
    assert refused.status_code == 302
    run_jobs(app)
    assert "finns inte bland omgångens mottagare" in page_text(
        client.get(refused.headers["Location"])
    )
    before = row_counts(app)
    accepted = upload(client, target.round_id, csv_file(rows), "nya.csv", lagg_till_mottagare="ja")
    assert accepted.status_code == 302
    run_jobs(app)
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
    run_jobs(csrf_app)
    assert row_counts(csrf_app)["responses"] == before["responses"] + 2
