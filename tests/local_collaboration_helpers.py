"""Helpers for the lokal samverkan tests: a group with a live link, and a contact's client."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient

from survey.db import db
from survey.local_collaboration.groups import create_group
from survey.local_collaboration.links import issue_group_link


@dataclass(frozen=True)
class Group:
    id: int
    token: str
    link_path: str


def make_group(
    app: Flask,
    kommun: str = "Hässleholm",
    delregion: str = "NO",
    email: str = "kontakt@hassleholm.se",
) -> Group:
    with app.app_context():
        group = create_group(
            kommun=kommun, delregion=delregion, contact_name="Kim Kontakt", contact_email=email
        )
        token = issue_group_link(group)
        db.session.commit()
        return Group(group.id, token, f"/samverkan/{group.id}/{token}")


def contact_client(app: Flask, group: Group) -> FlaskClient:
    """A client that opened the group's link (its session holds the group)."""
    client = app.test_client()
    opened = client.get(group.link_path)
    assert opened.status_code == 303, opened.get_data(as_text=True)
    return client


ACTION = {
    "del": "action_new",
    "fraga": "nuvarande",
    "vad": "Gemensamma hälsosamtal för 75-åringar",
    "vem": "Enhetschef hemsjukvård och vårdcentralschef",
    "hur": "Två träffar per termin",
    "varde": "Andel som fått hälsosamtal, patientrapporterat",
    "uppfoljning": "Vid lokal samverkan i juni, av processledaren",
    "status": "planned",
    "klart": "2026-06-30",
    "uppfoljning_datum": "2026-03-01",
}
