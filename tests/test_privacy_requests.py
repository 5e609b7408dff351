"""Requests of access and erasure: `survey privacy export-person` and `erase-person`.

One person (an email address) is a recipient in a closed round, where they answered
and kept a draft, and in an open round, where a reminder waits in the queue; the same
address once failed to log in. The register extract must show all of it; erasure must
remove the name, address and links everywhere while keeping the answers.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.db import db, utcnow
from survey.organisations import OrganisationType
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.reminding import remind_now
from survey.rounds.roster import add_recipients
from survey.rounds.tokens import issue_link
from survey.schema.audit import AuditEvent
from survey.schema.outbox import MailStatus, OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import login, make_user
from tests.privacy_helpers import ANSWERS, People, database_text, make_round_with_people
from tests.security_helpers import database_snapshot


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    closed: People
    open: People
    open_recipient_id: int
    token: str  # the live link in the open round


@pytest.fixture
def person(app: Flask) -> Person:
    closed = make_round_with_people(app, "Stangd", opened_days_ago=400, closed_days_ago=300)
    opened = make_round_with_people(
        app, "Oppen", opened_days_ago=5, closed_days_ago=None, state=RoundState.OPEN
    )
    email, name = closed.emails[1], closed.names[1]  # answered, amended, keeps a draft
    with app.app_context():
        round_ = db.session.get(Round, opened.round_id)
        assert round_ is not None
        now = utcnow()
        [recipient] = add_recipients(
            round_,
            [RecipientRow(name, email, "Vårdcentralen Stangd 2", OrganisationType.REGIONAL_PV,
                          "Lund", "NV")],
            now=now,
        )  # fmt: skip
        # Invited at once (the round is open); the test plays the respondent with a link
        # it knows, and a reminder waits in the queue with the invitation.
        token = issue_link(recipient, app.config["SECRET_KEY"])
        recipient.last_contacted_at = None
        remind_now(round_, [recipient.id], now=now)
        open_id = recipient.id
        db.session.commit()
    # A failed login with the address: a throttling counter keyed by its hash.
    login(app.test_client(), email, "fel-lösenord-för-test")
    return Person(email, name, closed, opened, open_id, token)


def cli(app: Flask, *args: str, input: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=["privacy", *args], input=input)


def extract(app: Flask, email: str) -> dict[str, Any]:
    result = cli(app, "export-person", email)
    assert result.exit_code == 0, result.output + result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_it_exports_everything_stored_about_an_address(app: Flask, person: Person) -> None:
    document = extract(app, person.email.upper())  # any case, as the person wrote it
    assert document["email"] == person.email
    recipients = {item["round"]["id"]: item for item in document["recipients"]}
    assert set(recipients) == {person.closed.round_id, person.open.round_id}
    closed = recipients[person.closed.round_id]
    assert (closed["name"], closed["email"]) == (person.name, person.email)
    assert closed["organisation"] == "Vårdcentralen Stangd 2"
    assert closed["round"]["title"] == "Enkät Stangd"
    assert closed["response"]["answers"] == ANSWERS[1]
    assert [item["number"] for item in closed["response"]["submissions"]] == [1, 2]
    assert closed["response"]["draft"] == {"kommentar": f"Utkast om {person.name}"}
    assert recipients[person.open.round_id]["personal_link"] == "giltig"
    kinds = sorted((item["kind"], item["status"]) for item in document["messages"])
    assert kinds == [("invitation", "failed"), ("invitation", "queued"), ("reminder", "queued")]
    assert all(item["to_address"] == person.email for item in document["messages"])
    assert any(person.name in item["body_text"] for item in document["messages"])
    counter_kinds = [item["kind"] for item in document["throttling_counters"]]
    assert counter_kinds == ["login-email", "login-email-last"]
    assert document["throttling_counters"][0]["failures"] == 1
    assert document["accounts"] == []
    assert any(event["action"] == "recipient.add" for event in document["audit_events"])
    # Nothing about other people.
    text = json.dumps(document, ensure_ascii=False)
    for other in (*person.closed.emails, *person.closed.names):
        if other not in (person.email, person.name):
            assert other not in text


def test_it_exports_an_account_without_its_password_hash(app: Flask) -> None:
    with app.app_context():
        user = make_user("processledare", "NV", email="pl@example.se", name="Per Ledare")
        password_hash = user.password_hash
        db.session.commit()
    document = extract(app, "pl@example.se")
    [account] = document["accounts"]
    assert (account["name"], account["role"], account["delregion"]) == (
        "Per Ledare", "processledare", "NV",
    )  # fmt: skip
    assert password_hash not in json.dumps(document)
    assert "Argon2-hash" in account["password"]


def test_it_writes_the_extract_to_a_file_only_its_owner_can_read(
    app: Flask, person: Person, tmp_path: Path
) -> None:
    target = tmp_path / "registerutdrag.json"
    result = cli(app, "export-person", person.email, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Register extract for" in result.stderr and "2 recipient row(s)" in result.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["email"] == person.email
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_it_records_an_extract_in_the_audit_log_without_the_address(
    app: Flask, person: Person
) -> None:
    extract(app, person.email)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.export_person")
        ).one()
    assert event.actor == "kommandorad"
    assert person.email not in event.summary + json.dumps(event.details)
    assert event.details is not None
    assert sorted(event.details["recipient_ids"]) == sorted(
        [person.closed.recipient_ids[1], person.open_recipient_id]
    )


@pytest.mark.parametrize("text", ["inte-en-adress", "a@b", "", "anna@exa mple.se", "x\n@y.se"])
def test_it_refuses_what_is_not_an_address(app: Flask, text: str) -> None:
    for command in ("export-person", "erase-person"):
        before = database_snapshot(app)
        result = (
            cli(app, command, text, "--yes")
            if command == "erase-person"
            else cli(app, command, text)
        )
        assert result.exit_code == 1
        assert "is not an email address" in result.stderr
        assert database_snapshot(app) == before


def test_it_says_when_nothing_is_stored(app: Flask) -> None:
    result = cli(app, "export-person", "okand@example.se")
    assert result.exit_code == 0
    assert "nothing is stored about this address" in result.stderr
    document = json.loads(result.stdout)
    assert document["recipients"] == document["messages"] == document["accounts"] == []
    result = cli(app, "erase-person", "okand@example.se", "--yes")
    assert result.exit_code == 0 and "Nothing to erase" in result.stdout


def test_it_erases_a_person_in_every_round_and_keeps_the_answers(
    app: Flask, person: Person
) -> None:
    with app.app_context():
        answers_before = db.session.scalar(
            select(Response.answers).where(Response.recipient_id == person.closed.recipient_ids[1])
        )
    result = cli(app, "erase-person", person.email, "--yes")
    assert result.exit_code == 0, result.output
    assert "2 recipient row(s)" in result.stdout
    assert "2 queued message(s) withdrawn" in result.stdout
    assert f"round(s) {person.open.round_id} are open" in result.stdout
    everything = database_text(app)
    assert person.email not in everything
    assert person.name not in everything
    with app.app_context():
        for recipient_id in (person.closed.recipient_ids[1], person.open_recipient_id):
            recipient = db.session.get(Recipient, recipient_id)
            assert recipient is not None
            assert (recipient.name, recipient.email, recipient.token_hash) == (None, None, None)
            assert recipient.organisation == "Vårdcentralen Stangd 2"
        response = db.session.scalars(
            select(Response).where(Response.recipient_id == person.closed.recipient_ids[1])
        ).one()
        assert response.answers == answers_before and response.draft is None
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.recipient_id == person.open_recipient_id,
                    OutboxMessage.status == MailStatus.QUEUED.value,
                )
            )
            == 0
        )
        # Everyone else keeps their data.
        other = db.session.get(Recipient, person.closed.recipient_ids[0])
        assert other is not None and other.email == person.closed.emails[0]
    # The link no longer works, and an extract finds nothing left.
    assert app.test_client().get(f"/svara/{person.open.round_id}/{person.token}").status_code == 404
    after = extract(app, person.email)
    assert after["recipients"] == after["messages"] == []


def test_it_records_an_erasure_per_round_without_the_address(app: Flask, person: Person) -> None:
    cli(app, "erase-person", person.email, "--yes")
    cli(app, "erase-person", person.email, "--yes")  # nothing left the second time
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.erase_person")
            .order_by(AuditEvent.round_id)
        ).all()  # fmt: skip
    assert [event.round_id for event in events] == [person.closed.round_id, person.open.round_id]
    for event in events:
        assert event.delregion == "NV"
        assert person.email not in event.summary + json.dumps(event.details)
        assert person.name not in event.summary


def test_it_asks_before_erasing(app: Flask, person: Person) -> None:
    before = database_snapshot(app)
    result = cli(app, "erase-person", person.email, input="n\n")
    assert result.exit_code == 1
    assert "cannot be undone" in result.stdout
    assert database_snapshot(app) == before
    result = cli(app, "erase-person", person.email, input="y\n")
    assert result.exit_code == 0
    assert person.email not in database_text(app)


def test_it_leaves_accounts_to_user_deactivate(app: Flask) -> None:
    with app.app_context():
        make_user("lasare", "NV", email="las@example.se")
        db.session.commit()
    before = database_snapshot(app)
    result = cli(app, "erase-person", "las@example.se", "--yes")
    assert result.exit_code == 1
    assert "survey user deactivate" in result.stderr
    assert database_snapshot(app) == before
