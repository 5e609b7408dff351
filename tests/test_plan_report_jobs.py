"""The plan's DST report as a job: ordered on the report page, built by a worker, downloaded.

Runs on SQLite and PostgreSQL; the worker is `run_due_jobs` in the test process.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey.db import db
from survey.jobs.queue import worker_name
from survey.jobs.runner import run_due_jobs
from survey.schema.audit import AuditEvent
from survey.schema.jobs import Job
from tests.factories import login, make_user
from tests.plan_helpers import PLAN_KEY, plans_of_two_delregions

BASE = f"/planer/{PLAN_KEY}"


def client_of(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def downloads_recorded(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "plan.report_downloaded")
        ) or 0  # fmt: skip


def order(client: FlaskClient, kind: str, datum: str = "2026-01-31") -> str:
    response = client.post(f"{BASE}/rapport/jobb", data={"datum": datum, "format": kind})
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


@pytest.mark.parametrize("kind", ["pdf", "xlsx"])
def test_the_report_is_built_by_a_worker_and_downloaded_by_its_orderer(
    app: Flask, kind: str
) -> None:
    cast = plans_of_two_delregions(app)
    reader = client_of(app, cast.reader_nv.email)
    job_url = order(reader, kind)
    waiting = reader.get(job_url).get_data(as_text=True)
    assert "Väntar" in waiting and "Uppdatera sidan" in waiting
    assert reader.get(f"{job_url}/fil").status_code == 404
    assert reader.get(f"{job_url}/status").get_json() == {"state": "queued", "percent": 0}
    with app.app_context():
        assert len(run_due_jobs(worker_name()).done) == 1
    done = reader.get(job_url).get_data(as_text=True)
    assert "Klar" in done and "Ladda ner rapporten" in done
    assert downloads_recorded(app) == 0
    download = reader.get(f"{job_url}/fil")
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    name = f"{PLAN_KEY}-rapport-2026-01-31.{kind}"
    assert f'attachment; filename="{name}"' == download.headers["Content-Disposition"]
    if kind == "pdf":
        assert download.mimetype == "application/pdf" and download.data.startswith(b"%PDF")
    else:
        book = openpyxl.load_workbook(io.BytesIO(download.data))
        assert "Indikatorer" in book.sheetnames
    assert downloads_recorded(app) == 1
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "plan.report_downloaded")
        ).one()
        assert event.actor == cast.reader_nv.email and event.delregion == "NV"
    listing = reader.get(f"{BASE}/rapport?datum=2026-01-31").get_data(as_text=True)
    assert "Dina senaste rapportfiler" in listing and job_url in listing


def test_only_the_orderer_in_the_plans_delregion_sees_the_job(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    job_url = order(client_of(app, cast.leader_nv.email), "xlsx")
    with app.app_context():
        run_due_jobs(worker_name())
        other_reader = make_user("lasare", "NV").email
        db.session.commit()
    for who in (cast.reader_nv.email, other_reader, cast.leader_no.email, cast.admin.email):
        client = client_of(app, who)
        for path in (job_url, f"{job_url}/status", f"{job_url}/fil"):
            assert client.get(path).status_code == 404, (who, path)
    # Another delregion's reader cannot order the plan's report either.
    no_reader = client_of(app, cast.leader_no.email)
    assert no_reader.post(f"{BASE}/rapport/jobb", data={"format": "pdf"}).status_code == 404
    assert app.test_client().get(job_url).status_code == 302  # to the login page
    assert downloads_recorded(app) == 0


def test_a_bad_order_queues_nothing(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    reader = client_of(app, cast.reader_nv.email)
    for data in ({"format": "doc"}, {"format": "pdf", "datum": "x"}, {}):
        response = reader.post(f"{BASE}/rapport/jobb", data=data)
        assert response.status_code == 302 and response.headers["Location"].endswith("/rapport")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    page = reader.get(f"{BASE}/rapport").get_data(as_text=True)
    assert "Välj PDF eller Excel." in page


def test_the_direct_download_stays_and_is_recorded(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    reader = client_of(app, cast.reader_nv.email)
    assert reader.get(f"{BASE}/rapport.xlsx?datum=2026-01-31").status_code == 200
    assert downloads_recorded(app) == 1
