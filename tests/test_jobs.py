"""Jobs: the Excel export from the web as a job, claimed safely, never done twice.

Runs on SQLite and PostgreSQL (SKIP LOCKED); the workers are `run_due_jobs` in the test
process and `survey worker`, as in production.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.jobs.queue import claim_job, enqueue_job, worker_name
from survey.jobs.registry import JobContext, JobFailed, JobKind, JobOutput, register_job_kind
from survey.jobs.runner import run_due_jobs, run_next_job
from survey.schema.audit import AuditEvent
from survey.schema.jobs import Job, JobState
from survey.ticks import run_tick
from tests.factories import (
    logged_in_client,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.sample import sample_questionnaire


def round_with_answers() -> int:
    round_ = make_round(make_questionnaire_version(sample_questionnaire()))
    for number in range(3):
        recipient = make_recipient(round_, organisation=f"VC {number}", invited_at=utcnow())
        make_submitted_response(round_, recipient, {"sip_okning": "ja"})
    db.session.commit()
    return round_.id


def job_state(app: Flask, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def test_the_export_runs_as_a_job_and_is_downloaded_once_done(app: Flask) -> None:
    with app.app_context():
        round_id = round_with_answers()
    leader = logged_in_client(app, "processledare", "NV")
    page = leader.get(f"/omgangar/{round_id}/export")
    assert page.status_code == 200
    assert "Skapa export med namn och e-post" in page.get_data(as_text=True)
    started = leader.post(f"/omgangar/{round_id}/export", data={"identifierande": "1"})
    assert started.status_code == 302
    job_url = started.headers["Location"]
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    waiting = leader.get(job_url).get_data(as_text=True)
    assert "Väntar" in waiting and "Uppdatera sidan" in waiting
    assert leader.get(f"{job_url}/fil").status_code == 404
    assert leader.get(f"{job_url}/status").get_json() == {"state": "queued", "percent": 0}
    with app.app_context():
        report = run_due_jobs(worker_name())
        assert report.done == [job_id]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "round.exported")) == 0  # fmt: skip
    done = leader.get(job_url).get_data(as_text=True)
    assert "Klar" in done and "Ladda ner Excel-filen" in done
    download = leader.get(f"{job_url}/fil")
    assert download.status_code == 200
    assert download.data[:2] == b"PK"
    assert download.headers["Cache-Control"] == "no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "round.exported")
        ).one()
        assert "IDENTIFIERANDE" in event.summary
    # Another process leader of the delregion does not see this user's job.
    other = logged_in_client(app, "processledare", "NV")
    assert other.get(job_url).status_code == 404
    assert other.get(f"{job_url}/fil").status_code == 404


def test_a_reader_may_export_pseudonymised_only(app: Flask) -> None:
    with app.app_context():
        round_id = round_with_answers()
    reader = logged_in_client(app, "lasare", "NV")
    assert "med namn och e-post" not in reader.get(f"/omgangar/{round_id}/export").get_data(
        as_text=True
    )
    assert (
        reader.post(f"/omgangar/{round_id}/export", data={"identifierande": "1"}).status_code == 403
    )
    assert reader.post(f"/omgangar/{round_id}/export").status_code == 302
    outsider = logged_in_client(app, "lasare", "NO")
    assert outsider.get(f"/omgangar/{round_id}/export").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_each_job_is_claimed_by_one_worker_of_many(app: Flask) -> None:
    with app.app_context():
        for number in range(20):
            enqueue_job("nothing", {"n": number})
        db.session.commit()
        engine = db.engine
    claimed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        name = worker_name()
        with engine.connect() as connection:
            while (job := claim_job(connection, name)) is not None:
                with lock:
                    claimed.append(job.id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(set(claimed))
    assert len(claimed) == 20


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(app: Flask) -> None:
    with app.app_context():
        job_id = enqueue_job("nothing", {}).id
        db.session.commit()
        with db.engine.connect() as connection:
            first = claim_job(connection, "dead-worker", lease=timedelta(minutes=5))
            assert first is not None and first.id == job_id
            assert claim_job(connection, "other") is None  # the lease still holds
            later = utcnow() + timedelta(minutes=6)
            again = claim_job(connection, "other", now=later)
        assert again is not None and again.id == job_id
        assert again.generation == first.generation + 1 and again.attempts == 2


def test_a_job_taken_over_meanwhile_is_not_done_twice(app: Flask) -> None:
    """The first worker's lease runs out mid-job; its work is rolled back, the second's kept."""
    runs: list[str] = []

    def run(context: JobContext) -> JobOutput:
        if not runs:
            # Meanwhile the lease runs out and another worker takes the job over.
            with db.engine.connect() as connection:
                stolen = claim_job(connection, "second", now=utcnow() + timedelta(hours=1))
                assert stolen is not None
        record_audit("test.job_side_effect", f"run {len(runs)}", details={"job": context.job_id})
        runs.append("ran")
        return JobOutput(summary={"ok": True})

    register_job_kind(app, JobKind("side_effect", "Test", run))
    with app.app_context():
        job_id = enqueue_job("side_effect", {}).id
        db.session.commit()
        report = run_due_jobs("first")
        assert report.lost == [job_id]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "test.job_side_effect")) == 0  # fmt: skip
        # The second worker died too; once its lease is over the job runs once more, to the end.
        job = db.session.get(Job, job_id)
        assert job is not None
        job.lease_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert run_due_jobs("third").done == [job_id]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "test.job_side_effect")) == 1  # fmt: skip
        assert run_due_jobs("fourth").done == []  # done is done: never run again
    assert job_state(app, job_id).state == JobState.DONE


def test_failing_jobs_say_why_and_unexpected_errors_are_retried(app: Flask) -> None:
    attempts: list[int] = []

    def refuse(context: JobContext) -> JobOutput:
        raise JobFailed("Filen går inte att läsa.", code=ErrorCode.JOB_FAILED)

    def crash(context: JobContext) -> JobOutput:
        attempts.append(1)
        raise RuntimeError("boom")

    register_job_kind(app, JobKind("refuse", "Test", refuse))
    register_job_kind(app, JobKind("crash", "Test", crash))
    with app.app_context():
        refused = enqueue_job("refuse", {}).id
        crashed = enqueue_job("crash", {}).id
        unknown = enqueue_job("no_such_kind", {}).id
        db.session.commit()
        for _ in range(5):
            run_due_jobs("worker")
    assert job_state(app, refused).error == "Filen går inte att läsa."
    assert job_state(app, refused).state == JobState.FAILED
    assert job_state(app, crashed).state == JobState.FAILED
    assert len(attempts) == 3
    assert "oväntat fel" in (job_state(app, crashed).error or "")
    assert job_state(app, unknown).state == JobState.FAILED


def test_finished_jobs_are_removed_by_the_tick_after_their_time(app: Flask) -> None:
    register_job_kind(
        app, JobKind("file", "Test", lambda context: JobOutput(file=b"x" * 10, file_name="a.txt"))
    )
    with app.app_context():
        job_id = enqueue_job("file", {}).id
        db.session.commit()
        assert run_next_job("worker")
        job = db.session.get(Job, job_id)
        assert job is not None and job.result_size == 10
        expires_at = job.expires_at
        assert expires_at is not None
        run_tick(now=expires_at - timedelta(minutes=1), deliver=False)
        assert db.session.get(Job, job_id) is not None
        report = run_tick(now=expires_at + timedelta(minutes=1), deliver=False)
        assert report.jobs_removed == 1
        db.session.expire_all()
        assert db.session.get(Job, job_id) is None


def test_survey_worker_runs_the_jobs(app: Flask) -> None:
    with app.app_context():
        round_id = round_with_answers()
        job_id = enqueue_job("excel_export", {"round_id": round_id, "identifying": False}).id
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--no-mail"])
    assert result.exit_code == 0, result.output
    assert "1 jobs done" in result.output
    job: Any = job_state(app, job_id)
    assert job.state == JobState.DONE and job.result_size > 0


@pytest.mark.parametrize("path", ["export", "export/999"])
def test_export_pages_need_a_login(app: Flask, path: str) -> None:
    with app.app_context():
        round_id = round_with_answers()
    assert app.test_client().get(f"/omgangar/{round_id}/{path}").status_code == 302
