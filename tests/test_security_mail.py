"""Header injection is refused everywhere a header comes from, and every mail has one recipient.

A line break in a name, subject or address could add a header (a Bcc to anyone) to the
mail sent in the region's name. Each way such a value can come in is tried: the
recipients file (CSV and Excel), the add-recipient and correct-recipient forms, the
round's sender name, subjects and reply-to address (create and edit). Each is refused
with a Swedish message and nothing is stored or queued. Then a round's mail is delivered
to a real SMTP server and each message is checked: one envelope recipient, the To
address, no Cc or Bcc.
"""

from __future__ import annotations

import io
from email import message_from_bytes
from email.policy import default as default_policy

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey.db import db
from survey.mail.compose import UnsafeHeader
from survey.mail.outbox import queue_message
from survey.mail.worker import deliver_outbox
from survey.schema.outbox import MailKind, OutboxMessage
from survey.schema.rounds import Recipient, Round
from tests.factories import MakeApp
from tests.security_helpers import (
    FAILED_EMAIL,
    HEALTHY_EMAIL,
    World,
    client_of,
    database_snapshot,
    form_values,
    seed_world,
)
from tests.smtp_server import SmtpServer

INJECTIONS = [
    "Anna\r\nBcc: angripare@example.com",
    "Anna\nBcc: angripare@example.com",
    "Anna\rBcc: angripare@example.com",
    "Anna\x85Bcc: angripare@example.com",  # NEL, a line break to some parsers
    "Anna\x00Bcc: angripare@example.com",
]
HEADER = "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion"


@pytest.fixture
def world(app: Flask) -> World:
    return seed_world(app)


@pytest.fixture
def leader(app: Flask, world: World) -> FlaskClient:
    return client_of(app, world.cast.leader_nv.email)


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        result = (
            db.session.scalar(select(func.count()).select_from(Recipient)) or 0,
            db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
            db.session.scalar(select(func.count()).select_from(Round)) or 0,
        )
        db.session.rollback()
        return result


def csv_with(name: str = "Dan Dahl", email: str = "dan@example.se") -> bytes:
    quoted = '"' + name.replace('"', '""') + '"'
    return (
        f"{HEADER}\r\n{quoted};{email};Vårdcentralen Bjuv;Regional primärvård;Bjuv;NV\r\n"
    ).encode()


def xlsx_with(name: str = "Dan Dahl", email: str = "dan@example.se") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(";"))
    sheet.append([name, email, "Vårdcentralen Bjuv", "Regional primärvård", "Bjuv", "NV"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client: FlaskClient, round_id: int, data: bytes, filename: str) -> str:
    response = client.post(
        f"/omgangar/{round_id}/mottagare/ladda-upp",
        data={"recipients_file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


FILE_CASES = [
    (kind, where, injected)
    for kind in ("csv", "xlsx")
    for where in ("name", "email")
    for injected in INJECTIONS
    if not (kind == "xlsx" and "\x00" in injected)  # an Excel cell cannot hold NUL
]


@pytest.mark.parametrize(("kind", "where", "injected"), FILE_CASES, ids=repr)
def test_it_refuses_a_line_break_in_the_recipients_file(
    app: Flask, world: World, leader: FlaskClient, injected: str, where: str, kind: str
) -> None:
    values = {"name": injected} if where == "name" else {"email": "dan@example.se" + injected[4:]}
    data = csv_with(**values) if kind == "csv" else xlsx_with(**values)
    before = database_snapshot(app)
    html = upload(leader, world.round_id, data, f"mottagare.{kind}")
    assert "<title>Fel:" in html
    assert any(
        reason in html
        for reason in ("otillåtet tecken", "inte en giltig e-postadress", "binära data")
    ), html
    assert database_snapshot(app) == before


@pytest.mark.parametrize("injected", INJECTIONS, ids=repr)
def test_it_refuses_a_line_break_in_the_add_recipient_form(
    app: Flask, world: World, leader: FlaskClient, injected: str
) -> None:
    before = database_snapshot(app)
    response = leader.post(
        f"/omgangar/{world.round_id}/mottagare/ny",
        data={
            "name": injected,
            "email": "dan@example.se",
            "organisation": "Vårdcentralen Bjuv",
            "organisation_type": "regional_pv",
            "kommun": "Bjuv",
            "delregion": "NV",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Fel:" in html
    assert "Innehåller ett otillåtet tecken" in html
    assert database_snapshot(app) == before


@pytest.mark.parametrize(
    "email",
    [
        "dan@example.se\r\nBcc: angripare@example.com",
        "dan@example.se, angripare@example.com",
        "dan@example.se;angripare@example.com",
        "Dan <dan@example.se>",
        "dan@example.se\nangripare@example.com",
    ],
    ids=repr,
)
def test_it_refuses_anything_but_one_address_in_the_correct_recipient_form(
    app: Flask, world: World, leader: FlaskClient, email: str
) -> None:
    url = f"/omgangar/{world.round_id}/mottagare/{world.recipient_id}/andra"
    data = form_values(leader.get(url).get_data(as_text=True), action=url)
    data["email"] = email
    before = database_snapshot(app)
    response = leader.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Fel:" in html
    assert database_snapshot(app) == before


BCC = "Bcc: angripare@example.com"
ONE_LINE_SUBJECT = "Ämnesraden får bara vara en rad"
ROUND_FIELD_INJECTIONS = [
    ("sender_name", f"Processledare\r\n{BCC}", "Avsändarens namn ska vara en rad"),
    ("sender_name", f"Processledare\x85{BCC}", "Avsändarens namn ska vara en rad"),
    ("invitation_subject", f"Inbjudan\r\n{BCC}", f"Inbjudans ämnesrad: {ONE_LINE_SUBJECT}"),
    ("reminder_subject", f"Påminnelse\n{BCC}", f"Påminnelsens ämnesrad: {ONE_LINE_SUBJECT}"),
    ("invitation_subject", f"Inbjudan\u2028{BCC}", ONE_LINE_SUBJECT),
    ("reply_to", f"svar@example.se\r\n{BCC}", "Svarsadressen"),
    ("reply_to", "svar@example.se, angripare@example.com", "Svarsadressen"),
    ("title", f"Enkät\r\n{BCC}", "Titeln ska vara en rad"),
]


@pytest.mark.parametrize(("field", "value", "message"), ROUND_FIELD_INJECTIONS, ids=repr)
@pytest.mark.parametrize("page", ["new", "edit"])
def test_it_refuses_a_line_break_in_the_rounds_sender_subjects_and_reply_to(
    app: Flask, world: World, leader: FlaskClient, field: str, value: str, message: str, page: str
) -> None:
    url = "/omgangar/ny" if page == "new" else f"/omgangar/{world.round_id}/andra"
    data = form_values(leader.get(url).get_data(as_text=True), action=url)
    data.update(
        {field: value, "action": "create" if page == "new" else "save",
         "questionnaire_version_id": str(world.questionnaire_version_id)}
    )  # fmt: skip
    before = database_snapshot(app)
    response = leader.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "<title>Fel:" in html
    assert message in html
    assert database_snapshot(app) == before


@pytest.mark.parametrize("field", ["to_name", "sender_name", "subject", "to_address", "reply_to"])
def test_it_refuses_to_queue_a_message_with_a_line_break_in_a_header(
    app: Flask, field: str
) -> None:
    values = {
        "to_address": "dan@example.se",
        "to_name": "Dan",
        "sender_name": "Processledare",
        "reply_to": "svar@example.se",
        "subject": "Inbjudan",
    }
    values[field] = values[field] + "\r\nBcc: angripare@example.com"
    with app.app_context():
        with pytest.raises(UnsafeHeader):
            queue_message(
                kind=MailKind.INVITATION,
                sequence=1,
                body_text="Hej!",
                round_id=None,
                recipient_id=None,
                to_address=values["to_address"],
                to_name=values["to_name"],
                sender_name=values["sender_name"],
                reply_to=values["reply_to"],
                subject=values["subject"],
            )
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_it_sends_every_mail_to_exactly_one_recipient(
    make_app: MakeApp, smtp_server: SmtpServer
) -> None:
    app = make_app(**smtp_server.settings)
    world = seed_world(app)
    # Reminders by hand too: invitations and reminders both go out.
    client = client_of(app, world.cast.leader_nv.email)
    assert client.post(f"/omgangar/{world.round_id}/oppna").status_code == 302
    assert client.post(f"/omgangar/{world.round_id}/paminn").status_code == 302
    with app.app_context():
        queued = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "queued")
        )
        db.session.rollback()  # on SQLite an open transaction holds the lock the worker needs
        report = deliver_outbox()
    assert queued and report.sent == queued, report.describe()
    assert len(smtp_server.received) == queued
    addresses = set()
    for received in smtp_server.received:
        raw_headers = received.raw.split(b"\r\n\r\n", 1)[0]
        parsed = message_from_bytes(received.raw, policy=default_policy)
        to = parsed["To"].addresses
        assert len(to) == 1
        assert received.envelope_recipients == (to[0].addr_spec,)
        for header in ("Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"):
            assert parsed[header] is None, header
            assert f"\r\n{header}:".encode() not in b"\r\n" + raw_headers
        assert parsed["Reply-To"].addresses[0].addr_spec == "processledare.nv@example.se"
        assert len(parsed["Reply-To"].addresses) == 1
        addresses.add(to[0].addr_spec)
    assert {HEALTHY_EMAIL, "cilla@example.se"} <= addresses
    assert FAILED_EMAIL not in addresses  # its invitation failed: no reminder either
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "sent")
            )
            == queued + 1
        )  # and the healthy recipient's invitation, sent before
