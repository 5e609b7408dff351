"""Copy a round, delete an unsent draft, and who has not answered (filter and download)."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from survey.db import db, utcnow
from survey.localtime import to_local
from survey.rounds.roster import add_recipients
from survey.schema.audit import AuditEvent
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import ClientFor, make_submitted_response
from tests.test_rounds_web import (
    SCRIPT_ORGANISATION,
    World,
    page,
    recipient_row,
    world,
)

__all__ = ["world"]


def copy_form(**changes: str) -> dict[str, str]:
    opens = to_local(utcnow() + timedelta(days=300))
    data = {
        "title": "Årlig enkät 2027",
        "reference_date": "2027-12-31",
        "opens_date": opens.date().isoformat(),
        "opens_time": "08:00",
        "closes_date": (opens + timedelta(days=30)).date().isoformat(),
        "closes_time": "23:59",
        "with_recipients": "y",
    }
    data.update(changes)
    return data


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_it_copies_a_round_with_its_texts_schedule_and_recipients(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    assert "Kopiera till en ny omgång" in page(client.get(f"/omgangar/{world.nv}"))
    assert "Kopiera omgången" in page(client.get(f"/omgangar/{world.nv}/kopiera"))
    response = client.post(f"/omgangar/{world.nv}/kopiera", data=copy_form())
    assert response.status_code == 302
    with app.app_context():
        source = db.session.get(Round, world.nv)
        copy = db.session.scalars(select(Round).where(Round.title == "Årlig enkät 2027")).one()
        assert source is not None and copy.state == RoundState.DRAFT
        assert copy.questionnaire_version_id == source.questionnaire_version_id
        assert copy.invitation_body == source.invitation_body
        assert copy.reminder_days == source.reminder_days
        emails = set(
            db.session.scalars(select(Recipient.email).where(Recipient.round_id == copy.id))
        )
        assert emails == {"mottagare1@example.se", "mottagare2@example.se"}
        assert copy.opened_at is None
    assert "round.copy" in audit_actions(app)
    bad = client.post(f"/omgangar/{world.nv}/kopiera", data=copy_form(closes_date="2000-01-01"))
    assert bad.status_code == 200 and "<title>Fel:" in page(bad)
    assert client_for("reader_nv").get(f"/omgangar/{world.nv}/kopiera").status_code == 403


def test_it_copies_a_round_from_the_command_line(
    app: Flask, world: World, runner: FlaskCliRunner
) -> None:
    opens = to_local(utcnow() + timedelta(days=300)).strftime("%Y-%m-%dT08:00")
    closes = to_local(utcnow() + timedelta(days=330)).strftime("%Y-%m-%dT23:59")
    result = runner.invoke(
        args=[
            "round", "copy", str(world.nv), "--title", "Årlig enkät 2027",
            "--reference-date", "2027-12-31", "--opens", opens, "--closes", closes,
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"copied round {world.nv} into round" in result.output
    refused = runner.invoke(
        args=[
            "round", "copy", str(world.nv), "--title", "X", "--reference-date", "2027-12-31",
            "--opens", opens, "--closes", "2000-01-01T00:00",
        ]
    )  # fmt: skip
    assert refused.exit_code != 0 and "the round was not copied" in refused.output


def test_it_deletes_a_draft_never_sent_and_nothing_else(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    with app.app_context():
        draft = db.session.get(Round, world.draft)
        assert draft is not None
        add_recipients(draft, [recipient_row(30)], now=utcnow())
        db.session.commit()
    client = client_for("leader_nv")
    assert "Ta bort utkastet" in page(client.get(f"/omgangar/{world.draft}"))
    assert "Ta bort utkastet" not in page(client.get(f"/omgangar/{world.nv}"))
    assert "Ta bort utkastet Utkast NV?" in page(client.get(f"/omgangar/{world.draft}/ta-bort"))
    assert client_for("reader_nv").post(f"/omgangar/{world.draft}/ta-bort").status_code == 403
    refused = client.post(f"/omgangar/{world.nv}/ta-bort", follow_redirects=True)
    assert "Bara ett utkast som aldrig har öppnats kan tas bort" in page(refused)
    response = client.post(f"/omgangar/{world.draft}/ta-bort")
    assert response.status_code == 302 and response.location == "/omgangar"
    with app.app_context():
        assert db.session.get(Round, world.draft) is None
        assert db.session.get(Round, world.nv) is not None
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "round.delete")
        ).one()
        assert "Utkast NV" in event.summary and event.details["recipients"] == 1  # type: ignore[index]


def test_it_filters_and_downloads_who_has_not_answered(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    with app.app_context():
        round_ = db.session.get(Round, world.nv)
        recipient = db.session.get(Recipient, world.recipient)
        assert round_ is not None and recipient is not None
        make_submitted_response(round_, recipient, {"x": 1})
        db.session.commit()
    client = client_for("leader_nv")
    html = page(client.get(f"/omgangar/{world.nv}", query_string={"status": "ej_svarat"}))
    assert "Mottagare som inte har svarat: 1–1 av 1" in html
    assert "Mottagare 1<" not in html.split("tabell-show-2")[1]
    csv_response = client.get(f"/omgangar/{world.nv}/ej-svarat.csv")
    assert csv_response.status_code == 200
    text = csv_response.data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Namn;Organisation;Organisationstyp;Kommun;E-post"
    assert "mottagare2@example.se" in text and "mottagare1@example.se" not in text
    xlsx = client.get(f"/omgangar/{world.nv}/ej-svarat.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    assert [cell.value for cell in sheet[1]] == [
        "Namn",
        "Organisation",
        "Organisationstyp",
        "Kommun",
        "E-post",
    ]
    assert sheet["B2"].value == SCRIPT_ORGANISATION and sheet["B2"].data_type == "s"
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
    assert audit_actions(app).count("export.non_respondents") == 2
    assert client_for("reader_nv").get(f"/omgangar/{world.nv}/ej-svarat.csv").status_code == 403
    assert client_for("leader_no").get(f"/omgangar/{world.nv}/ej-svarat.csv").status_code == 404
    assert client.get(f"/omgangar/{world.nv}/ej-svarat.pdf").status_code == 404
