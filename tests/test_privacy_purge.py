"""`survey privacy purge`: personal data of old closed rounds goes, the answers stay.

A round closed longer ago than SURVEY_RETENTION_DAYS loses its recipients' names, email
addresses and links, the outbox's addresses and texts, and the drafts; its answers,
results and export stay. A recently closed round, an old round still open and a draft
are untouched. Running it again changes nothing.
"""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask
from sqlalchemy import select

from survey.db import db
from survey.export.workbook import build_workbook
from survey.privacy.pseudonymise import PURGED_BODY, PURGED_SUBJECT
from survey.results.attainment import results_as_json
from survey.results.trends import compute_round_results
from survey.rounds.tokens import issue_link
from survey.schema.audit import AuditEvent
from survey.schema.outbox import OutboxMessage
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round, RoundState
from survey.ticks import run_tick
from tests.export_helpers import all_cells, read_workbook
from tests.factories import MakeApp, login, make_cast
from tests.privacy_helpers import People, database_text, make_round_with_people, rows_of_round
from tests.security_helpers import database_snapshot

RETENTION_DAYS = 730


@pytest.fixture
def retention_app(make_app: MakeApp) -> Flask:
    app: Flask = make_app(SURVEY_RETENTION_DAYS=RETENTION_DAYS)
    return app


@pytest.fixture
def rounds(retention_app: Flask) -> dict[str, People]:
    app = retention_app
    return {
        "old": make_round_with_people(app, "Gammal", opened_days_ago=800, closed_days_ago=740),
        "recent": make_round_with_people(app, "Ny", opened_days_ago=100, closed_days_ago=10),
        "open": make_round_with_people(
            app, "Oppen", opened_days_ago=1000, closed_days_ago=None, state=RoundState.OPEN
        ),
        "draft": make_round_with_people(
            app, "Utkast", opened_days_ago=-5, closed_days_ago=None, state=RoundState.DRAFT
        ),
    }


def purge(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["privacy", "purge", *args])
    assert result.exit_code == 0, result.output
    return result.output


def results_of(app: Flask, round_id: int) -> str:
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_ is not None
        return json.dumps(results_as_json(compute_round_results(round_)), sort_keys=True)


def answers_of(app: Flask, round_id: int) -> list[tuple[object, ...]]:
    with app.app_context():
        rows = db.session.execute(
            select(Response.recipient_id, Response.answers, Response.submitted_at)
            .where(Response.round_id == round_id)
            .order_by(Response.recipient_id)
        ).all()
        history = db.session.execute(
            select(ResponseSubmission.response_id, ResponseSubmission.number,
                   ResponseSubmission.answers)
            .join(Response, Response.id == ResponseSubmission.response_id)
            .where(Response.round_id == round_id)
            .order_by(ResponseSubmission.id)
        ).all()  # fmt: skip
        return [tuple(row) for row in rows] + [tuple(row) for row in history]


def test_it_purges_names_emails_and_links_of_a_round_closed_before_the_retention_period(
    retention_app: Flask, rounds: dict[str, People]
) -> None:
    old = rounds["old"]
    output = purge(retention_app)
    assert "purged personal data of 1 round(s)" in output
    assert "3 recipient(s), 4 message(s)" in output
    with retention_app.app_context():
        recipients = db.session.scalars(
            select(Recipient).where(Recipient.round_id == old.round_id)
        ).all()
        assert len(recipients) == 3
        for recipient in recipients:
            assert (recipient.name, recipient.email, recipient.token_hash) == (None, None, None)
            assert recipient.pseudonymised_at is not None
            # What results are broken down by stays.
            assert recipient.organisation.startswith("Vårdcentralen Gammal")
            assert (recipient.organisation_type, recipient.kommun, recipient.delregion) == (
                "regional_pv", "Lund", "NV",
            )  # fmt: skip
        messages = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.round_id == old.round_id)
        ).all()
        assert len(messages) == 4  # three invitations and one reminder
        for message in messages:
            assert (message.to_address, message.to_name, message.last_error) == (None, None, None)
            assert (message.subject, message.body_text, message.body_html) == (
                PURGED_SUBJECT, PURGED_BODY, None,
            )  # fmt: skip
        drafts = db.session.scalars(
            select(Response.draft).where(Response.round_id == old.round_id)
        ).all()
        assert drafts == [None, None]
    # Nowhere in the database: not in the audit log, the outbox, the drafts or elsewhere.
    everything = database_text(retention_app)
    for personal in (*old.names, *old.emails):
        assert personal not in everything, personal
    # The other rounds still hold theirs.
    for label in ("recent", "open", "draft"):
        assert rounds[label].names[0] in everything


def test_it_keeps_the_answers_results_and_response_rate_of_a_purged_round(
    retention_app: Flask, rounds: dict[str, People]
) -> None:
    old = rounds["old"].round_id
    results, answers = results_of(retention_app, old), answers_of(retention_app, old)
    assert '"n": 2' in results or '"n":2' in results.replace(" ", "")
    purge(retention_app)
    assert results_of(retention_app, old) == results
    assert answers_of(retention_app, old) == answers
    with retention_app.app_context():
        cast = make_cast()
        db.session.commit()
    leader = retention_app.test_client()
    assert login(leader, cast.leader_nv.email).status_code == 302
    page = leader.get(f"/omgangar/{old}").get_data(as_text=True)
    assert "2 av 3 inbjudna har svarat" in page  # the pseudonymised recipients still count
    assert leader.get(f"/omgangar/{old}/resultat").status_code == 200
    for path in (f"/omgangar/{old}", f"/omgangar/{old}/utskick", f"/omgangar/{old}/logg",
                 f"/omgangar/{old}/mottagare/{rounds['old'].recipient_ids[0]}"):  # fmt: skip
        response = leader.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "None" not in html, path


def test_it_leaves_recent_open_and_draft_rounds_untouched(
    retention_app: Flask, rounds: dict[str, People]
) -> None:
    before = {label: rows_of_round(retention_app, rounds[label].round_id)
              for label in ("recent", "open", "draft")}  # fmt: skip
    purge(retention_app)
    for label, rows in before.items():
        assert rows_of_round(retention_app, rounds[label].round_id) == rows, label


def test_it_changes_nothing_when_run_again(retention_app: Flask, rounds: dict[str, People]) -> None:
    purge(retention_app)
    before = database_snapshot(retention_app)
    output = purge(retention_app)
    assert "purged personal data of 0 round(s)" in output
    assert database_snapshot(retention_app) == before


def test_it_counts_without_changing_anything_in_a_dry_run(
    retention_app: Flask, rounds: dict[str, People]
) -> None:
    before = database_snapshot(retention_app)
    output = purge(retention_app, "--dry-run")
    assert output.startswith("would purge personal data of 1 round(s)")
    assert "3 recipient(s), 4 message(s), 0 queued message(s) withdrawn, 1 draft(s)" in output
    assert f"round {rounds['old'].round_id} (NV, closed" in output
    assert database_snapshot(retention_app) == before


def test_it_takes_the_period_from_the_option_or_the_setting(
    make_app: MakeApp, retention_app: Flask, rounds: dict[str, People]
) -> None:
    assert "of 2 round(s)" in purge(retention_app, "--older-than-days", "5")
    with retention_app.app_context():
        left = db.session.scalar(
            select(Recipient.name).where(Recipient.round_id == rounds["recent"].round_id)
        )
    assert left is None
    # A shorter setting purges the same without the option.
    other = make_round_with_people(retention_app, "Kort", opened_days_ago=40, closed_days_ago=30)
    short = make_app(SURVEY_RETENTION_DAYS=20)
    assert "of 1 round(s)" in purge(short)
    with short.app_context():
        assert db.session.get_one(Recipient, other.recipient_ids[0]).email is None


def test_it_records_each_purge_in_the_audit_log(
    retention_app: Flask, rounds: dict[str, People]
) -> None:
    purge(retention_app)
    purge(retention_app)
    with retention_app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.purge")
        ).all()
    assert len(events) == 1
    [event] = events
    assert (event.round_id, event.delregion, event.actor) == (
        rounds["old"].round_id, "NV", "kommandorad",
    )  # fmt: skip
    assert event.details == {"recipients": 3, "messages": 4, "withdrawn": 0, "drafts": 1}
    assert "Svaren finns kvar för statistik." in event.summary


def test_it_exports_a_purged_round_without_names(
    retention_app: Flask, rounds: dict[str, People]
) -> None:
    old = rounds["old"]
    purge(retention_app)
    for identifying in (False, True):
        with retention_app.app_context():
            out = io.BytesIO()
            summary = build_workbook(old.round_id, identifying=identifying, out=out)
        assert summary.responses == 2 and summary.non_respondents == 1
        values = " ".join(
            str(cell.value) for cell in all_cells(read_workbook(out.getvalue()))
            if cell.value is not None
        )  # fmt: skip
        for personal in (*old.names, *old.emails):
            assert personal not in values
        assert "Bra samverkan" in values  # the answers are there
        assert "Vårdcentralen Gammal 1" in values


def test_it_stops_the_personal_links_of_a_purged_round(
    retention_app: Flask, rounds: dict[str, People]
) -> None:
    with retention_app.app_context():
        recipient = db.session.get(Recipient, rounds["old"].recipient_ids[2])
        assert recipient is not None
        token = issue_link(recipient, retention_app.config["SECRET_KEY"])
        db.session.commit()
    link = f"/svara/{rounds['old'].round_id}/{token}"
    assert retention_app.test_client().get(link).status_code == 303
    purge(retention_app)
    assert retention_app.test_client().get(link).status_code == 404


def test_it_is_run_by_survey_tick(retention_app: Flask, rounds: dict[str, People]) -> None:
    with retention_app.app_context():
        report = run_tick(deliver=False)
        assert report.purged == [rounds["old"].round_id]
        assert "purged personal data of 1 round(s)" in report.describe()
        assert run_tick(deliver=False).purged == []
