"""The web form "Ny lokal samverkan": leaders and administrators create a kommun's group."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.db import db
from survey.schema.audit import AuditEvent
from survey.schema.local_collaboration import LocalGroup
from survey.schema.outbox import MailKind, OutboxMessage
from tests.factories import logged_in_client
from tests.local_collaboration_helpers import make_group

GOOD = {"kommun": "Osby", "kontakt_namn": "Kim Kontakt", "kontakt_epost": "kim@osby.se"}


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(  # type: ignore[return-value]
            int(db.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (LocalGroup, AuditEvent, OutboxMessage)
        )


def test_the_leader_creates_a_group_in_their_delregion_and_sends_the_link(app: Flask) -> None:
    leader = logged_in_client(app, "processledare", "NO")
    empty = leader.get("/samverkan").get_data(as_text=True)
    assert "/samverkan/ny" in empty and "survey group create" not in empty
    form = leader.get("/samverkan/ny")
    assert form.status_code == 200 and "Ny lokal samverkan" in form.get_data(as_text=True)
    assert 'name="delregion"' not in form.get_data(as_text=True)  # their own delregion
    response = leader.post("/samverkan/ny", data={**GOOD, "skicka_lank": "ja", "delregion": "MS"})
    assert response.status_code == 303
    with app.app_context():
        group = db.session.scalars(select(LocalGroup)).one()
        assert (group.kommun, group.delregion, group.name) == ("Osby", "NO", "Lokal samverkan Osby")
        assert (group.contact_name, group.contact_email) == ("Kim Kontakt", "kim@osby.se")
        assert group.token_hash is not None
        assert response.headers["Location"].endswith(f"/samverkan/grupper/{group.id}/plan")
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"local_group.create", "local_group.link_send"} <= actions
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert mail.kind == MailKind.GROUP_LINK.value
    page = leader.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lokal samverkan Osby är skapad." in page and "kim@osby.se" in page


def test_the_administrator_chooses_the_delregion_and_the_name_without_a_link(app: Flask) -> None:
    admin = logged_in_client(app, "admin", None)
    assert 'name="delregion"' in admin.get("/samverkan/ny").get_data(as_text=True)
    data = {**GOOD, "kommun": "Lund", "delregion": "MS", "namn": "Samverkan Lund"}
    assert admin.post("/samverkan/ny", data=data).status_code == 303
    with app.app_context():
        group = db.session.scalars(select(LocalGroup)).one()
        assert (group.delregion, group.name, group.token_hash) == ("MS", "Samverkan Lund", None)
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


BAD = [
    ({**GOOD, "kommun": "Hässleholm"}, "Hässleholm har redan en lokal samverkan."),
    ({**GOOD, "kontakt_epost": "inte-en-adress"}, "Ange en giltig e-postadress"),
    ({**GOOD, "kommun": "Göteborg"}, "Göteborg är ingen kommun i Skåne."),
    ({**GOOD, "kommun": ""}, "Välj en kommun."),
    ({**GOOD, "kontakt_namn": ""}, "kontaktpersonens namn"),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_input_is_refused_in_swedish_and_changes_nothing(
    app: Flask, data: dict[str, str], message: str
) -> None:
    make_group(app)  # Hässleholm, NO
    leader = logged_in_client(app, "processledare", "NO")
    before = counts(app)
    response = leader.post("/samverkan/ny", data={**data, "skicka_lank": "ja"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "error-summary" in html and message in html
    assert 'aria-invalid="true"' in html
    assert counts(app) == before


def test_an_administrator_must_choose_a_delregion(app: Flask) -> None:
    admin = logged_in_client(app, "admin", None)
    response = admin.post("/samverkan/ny", data=GOOD)
    assert response.status_code == 422 and "Välj en delregion." in response.get_data(as_text=True)
    unknown = admin.post("/samverkan/ny", data={**GOOD, "delregion": "XX"})
    assert unknown.status_code == 422 and "XX är ingen delregion." in unknown.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)


def test_a_reader_is_neither_offered_the_form_nor_let_in(app: Flask) -> None:
    reader = logged_in_client(app, "lasare", "NO")
    overview = reader.get("/samverkan").get_data(as_text=True)
    assert "/samverkan/ny" not in overview and "survey group create" not in overview
    assert reader.get("/samverkan/ny").status_code == 403
    assert reader.post("/samverkan/ny", data=GOOD).status_code == 403
    assert app.test_client().get("/samverkan/ny").status_code == 302
    assert counts(app)[0] == 0
