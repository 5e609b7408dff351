"""The answers import as a job: its limits, its pages' access, never done twice, a lost file.

Runs on SQLite and PostgreSQL; the worker is `run_due_jobs` in the test process, as
`survey worker` runs it.
"""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

import survey.responses.import_jobs as import_jobs
from survey.db import db, utcnow
from survey.jobs.queue import claim_job, worker_name
from survey.jobs.registry import JobContext, JobKind, JobOutput, register_job_kind
from survey.jobs.runner import run_due_jobs, run_next_job
from survey.responses.importing import import_responses
from survey.schema.audit import AuditEvent
from survey.schema.jobs import Job, JobState
from survey.schema.uploads import StagedUpload
from survey.tabular import model as table_model
from tests.factories import ClientFor, logged_in_client
from tests.import_helpers import GOOD_ROWS, ImportRound, csv_file, make_import_round, row_counts

NEW_HEADER = ["e-post", "namn", "organisation", "organisationstyp", "kommun", "sip_okning"]


def new_rows(count: int) -> list[list[object]]:
    made: list[list[object]] = [list[object](NEW_HEADER)]
    for number in range(count):
        made.append(
            [f"person{number}@example.se", f"Person {number}", f"Vårdcentral {number}",
             "regional_pv", "Bjuv", "ja"]
        )  # fmt: skip
    return made


def upload(client: FlaskClient, round_id: int, data: bytes, **fields: str) -> TestResponse:
    return post_file(client, f"/omgangar/{round_id}/importera-svar", "fil", data, **fields)


def post_file(
    client: FlaskClient, path: str, field: str, data: bytes, **fields: str
) -> TestResponse:
    # Encoded here: the test client would spool a large body to a file it never closes.
    values: dict[str, Any] = {"action": "importera", **fields}
    values[field] = FileStorage(io.BytesIO(data), filename="svar.csv")
    boundary, body = encode_multipart(values)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def the_job(app: Flask, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def job_id_of(response: TestResponse) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def imports_recorded(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "round.responses_imported")
        ) or 0  # fmt: skip


def test_the_job_takes_more_rows_than_the_web_did(
    app: Flask, client_for: ClientFor, target: ImportRound, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web's row limit (here 2) no longer applies; the import's own (here 3) does."""
    monkeypatch.setattr(table_model, "MAX_ROWS", 2)
    monkeypatch.setattr(import_jobs, "IMPORT_MAX_ROWS", 3)
    client = client_for("leader_nv")
    before = row_counts(app)
    taken = job_id_of(
        upload(client, target.round_id, csv_file(new_rows(3)), lagg_till_mottagare="ja")
    )
    refused = job_id_of(
        upload(client, target.round_id, csv_file(new_rows(4)), lagg_till_mottagare="ja")
    )
    with app.app_context():
        assert sorted(run_due_jobs(worker_name()).done) == [taken, refused]
    assert row_counts(app)["responses"] == before["responses"] + 3
    summary = the_job(app, refused).params["summary"]
    assert summary["ok"] is False
    assert "fler än 3 rader" in summary["problems"][0][2]


def test_the_import_page_takes_a_larger_file_than_other_uploads(make_app: Any) -> None:
    """MAX_CONTENT_LENGTH (1 MB here) for every upload; SURVEY_MAX_IMPORT_MB (2) for this one."""
    app: Flask = make_app(MAX_CONTENT_LENGTH=1024 * 1024, SURVEY_MAX_IMPORT_MB=2)
    target = make_import_round(app)
    client = logged_in_client(app, "processledare", "NV")
    padding = [["x" * 1000] for _ in range(1500)]  # 1.5 MB of rows below a good header
    large = csv_file([["e-post", "sip_okning"], ["anna@example.se", "ja"], *padding])
    assert 1024 * 1024 < len(large) < 2 * 1024 * 1024
    assert upload(client, target.round_id, large).status_code == 302
    too_large = csv_file([["e-post", "sip_okning"], *padding, *padding])
    assert upload(client, target.round_id, too_large).status_code == 413
    other = post_file(
        client, f"/omgangar/{target.round_id}/mottagare/ladda-upp", "recipients_file", large
    )
    assert other.status_code == 413


def test_the_job_pages_are_the_orderers_only(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    job_id = job_id_of(upload(client_for("leader_nv"), target.round_id, csv_file(GOOD_ROWS)))
    base = f"/omgangar/{target.round_id}/importera-svar/{job_id}"
    with app.app_context():
        run_due_jobs(worker_name())
    another_leader = logged_in_client(app, "processledare", "NV")
    for path in (base, f"{base}/status"):
        assert client_for("leader_nv").get(path).status_code == 200
        assert another_leader.get(path).status_code == 404
        assert client_for("reader_nv").get(path).status_code == 403
        assert client_for("leader_no").get(path).status_code == 404
    assert client_for("leader_nv").get(f"{base}/status").get_json() == {
        "state": "done",
        "percent": 100,
    }
    # Only a check that found the file correct can be imported from its page.
    assert client_for("leader_nv").post(f"{base}/importera").status_code == 404
    assert another_leader.post(f"{base}/importera").status_code == 404


def test_an_import_taken_over_meanwhile_is_stored_once(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    """The first worker's lease runs out while it imports: its rows are rolled back.

    The claim is taken over as the job starts (on SQLite the job holds the only write lock
    from its first read on, so no other worker can claim later); the first worker imports
    all the same and loses at the end (SQLite) or at its first progress report (PostgreSQL).
    """
    runs: list[int] = []

    def lose_the_claim_then_import(context: JobContext) -> JobOutput:
        if not runs:
            with db.engine.connect() as connection:
                stolen = claim_job(connection, "second", now=utcnow() + timedelta(hours=1))
                assert stolen is not None
        runs.append(1)
        return import_jobs.run_import(context)

    register_job_kind(app, JobKind(import_jobs.IMPORT_JOB, "Test", lose_the_claim_then_import))
    before = row_counts(app)
    job_id = job_id_of(upload(client_for("leader_nv"), target.round_id, csv_file(GOOD_ROWS)))
    with app.app_context():
        assert run_due_jobs("first").lost == [job_id]
        assert imports_recorded(app) == 0
        assert row_counts(app) == before
        db.session.execute(
            update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        assert run_due_jobs("third").done == [job_id]
        assert run_due_jobs("fourth").done == []
    assert runs == [1, 1]
    assert row_counts(app)["responses"] == before["responses"] + 2
    assert imports_recorded(app) == 1
    assert the_job(app, job_id).state == JobState.DONE


def test_a_job_whose_file_has_gone_says_so_and_imports_nothing(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    client = client_for("leader_nv")
    job_id = job_id_of(upload(client, target.round_id, csv_file(GOOD_ROWS)))
    before = row_counts(app)
    with app.app_context():
        db.session.execute(update(StagedUpload).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert run_due_jobs(worker_name()).failed == [job_id]
    page = client.get(f"/omgangar/{target.round_id}/importera-svar/{job_id}").get_data(as_text=True)
    assert "Misslyckades" in page and import_jobs.FILE_GONE_MESSAGE in page
    assert row_counts(app) == before


def test_a_leader_who_lost_the_right_meanwhile_imports_nothing(
    app: Flask, client_for: ClientFor, target: ImportRound, cast: Any
) -> None:
    from survey.schema.accounts import User

    job_id = job_id_of(upload(client_for("leader_nv"), target.round_id, csv_file(GOOD_ROWS)))
    before = row_counts(app)
    with app.app_context():
        db.session.execute(update(User).where(User.id == cast.leader_nv.id).values(role="lasare"))
        db.session.commit()
        assert run_due_jobs(worker_name()).failed == [job_id]
    assert "inte längre importera" in (the_job(app, job_id).error or "")
    assert row_counts(app) == before


@pytest.mark.postgres_only
def test_rows_stored_are_shown_while_the_import_is_still_uncommitted(
    app: Flask,
    client_for: ClientFor,
    target: ImportRound,
    monkeypatch: pytest.MonkeyPatch,
    is_postgres: bool,
) -> None:
    """PostgreSQL: the job's progress is stored on a connection of its own while it writes."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: on SQLite the writing job holds the only write lock")
    real_import = import_responses
    seen: list[tuple[int, int, int]] = []

    def import_and_look(*args: Any, **kwargs: Any) -> Any:
        outcome = real_import(*args, **kwargs)
        with db.engine.connect() as connection:  # another server's view: committed rows only
            done, total = connection.execute(
                select(Job.progress_done, Job.progress_total).where(
                    Job.kind == import_jobs.IMPORT_JOB
                )
            ).one()
            stored = connection.scalar(
                select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.action == "round.responses_imported")
            )  # fmt: skip
        seen.append((done, total, stored or 0))
        return outcome

    monkeypatch.setattr(import_jobs, "import_responses", import_and_look)
    client = client_for("leader_nv")
    job_id = job_id_of(
        upload(client, target.round_id, csv_file(new_rows(1200)), lagg_till_mottagare="ja")
    )
    with app.app_context():
        assert run_due_jobs(worker_name()).done == [job_id]
    assert seen == [(1200, 1200, 0)]


def test_two_workers_at_once_import_the_file_once(
    app: Flask, client_for: ClientFor, target: ImportRound
) -> None:
    before = row_counts(app)
    job_id = job_id_of(upload(client_for("leader_nv"), target.round_id, csv_file(GOOD_ROWS)))
    ran: list[bool] = []
    start = threading.Barrier(2)

    def worker() -> None:
        with app.app_context():
            start.wait()
            ran.append(run_next_job(worker_name()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ran) == [False, True]  # one claimed it; the other found nothing due
    assert the_job(app, job_id).state == JobState.DONE
    assert row_counts(app)["responses"] == before["responses"] + 2
    assert imports_recorded(app) == 1
