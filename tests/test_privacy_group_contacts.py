"""A lokal samverkan's contact person in requests of access and erasure (docs/privacy.md).

The contact is a person: the register extract shows what the group stores about them, and
an erasure removes their name and address and stops the group's link while the group and
its plan stay. The process leader then names a new contact, who gets a new link.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import select

from survey.db import db, utcnow
from survey.local_collaboration.mailing import queue_link
from survey.schema.audit import AuditEvent
from survey.schema.local_collaboration import LocalGroup
from survey.schema.outbox import OutboxMessage
from tests.factories import ClientFor
from tests.local_collaboration_helpers import Group, make_group

EMAIL = "kontakt@hassleholm.se"


def cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["privacy", *args])


def group_with_mail(app: Flask) -> Group:
    group = make_group(app, email=EMAIL)
    with app.app_context():
        found = db.session.get(LocalGroup, group.id)
        assert found is not None
        queue_link(found, utcnow())
        db.session.commit()
    return group


def test_the_extract_shows_what_a_group_stores_about_its_contact(app: Flask) -> None:
    group = group_with_mail(app)
    result = cli(app, "export-person", EMAIL.upper())
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [contact] = document["local_group_contacts"]
    assert contact["group_id"] == group.id
    assert (contact["contact_name"], contact["contact_email"]) == ("Kim Kontakt", EMAIL)
    assert contact["kommun"] == "Hässleholm" and contact["has_live_link"] is True
    assert [message["to_address"] for message in document["messages"]] == [EMAIL]


def test_erasure_removes_the_contact_and_stops_the_link_but_keeps_the_group(app: Flask) -> None:
    group = group_with_mail(app)
    result = cli(app, "erase-person", EMAIL, "--yes")
    assert result.exit_code == 0, result.output
    assert f"lokal samverkan group(s) {group.id} was erased" in result.stdout
    with app.app_context():
        found = db.session.get(LocalGroup, group.id)
        assert found is not None
        assert (found.contact_name, found.contact_email, found.token_hash) == ("", "", None)
        assert found.kommun == "Hässleholm"
        addresses = db.session.scalars(select(OutboxMessage.to_address)).all()
        assert EMAIL not in addresses
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.erase_group_contact")
        ).one()
        assert EMAIL not in event.summary + json.dumps(event.details)
    # The old link no longer opens the plan.
    assert app.test_client().get(group.link_path).status_code in (403, 404)
    # Nothing more is found about the address.
    again = json.loads(cli(app, "export-person", EMAIL).stdout)
    assert again["local_group_contacts"] == [] and again["messages"] == []


def test_a_group_without_contact_asks_for_a_new_one_who_gets_a_link(
    app: Flask, client_for: ClientFor
) -> None:
    group = group_with_mail(app)
    assert cli(app, "erase-person", EMAIL, "--yes").exit_code == 0
    client = client_for("leader_no")
    page = client.get(f"/samverkan/grupper/{group.id}/plan").get_data(as_text=True)
    assert "kontaktpersonens uppgifter är raderade på begäran" in page
    assert "Skicka ny länk till" not in page
    # Sending a link without a contact is refused and queues nothing.
    with app.app_context():
        before = len(db.session.scalars(select(OutboxMessage.id)).all())
    refused = client.post(f"/samverkan/grupper/{group.id}/lank", follow_redirects=True)
    assert "Gruppen har ingen kontaktperson" in refused.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(OutboxMessage.id)).all()) == before
    # A new contact gets a new link by mail.
    changed = client.post(
        f"/samverkan/grupper/{group.id}/kontakt",
        data={"kontakt_namn": "Ny Kontakt", "kontakt_epost": "ny@hassleholm.se"},
    )
    assert changed.status_code == 303
    with app.app_context():
        found = db.session.get(LocalGroup, group.id)
        assert found is not None and found.token_hash is not None
        assert "ny@hassleholm.se" in db.session.scalars(select(OutboxMessage.to_address)).all()
