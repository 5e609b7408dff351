"""The recipients file of "Skapa omgång" is kept between the preview and creating the round."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from survey.db import db, utcnow
from survey.rounds.staging import (
    NEW_ROUND_RECIPIENTS,
    find_staged_upload,
    purge_expired_uploads,
    stage_upload,
)
from survey.schema.rounds import Recipient, Round
from survey.schema.uploads import StagedUpload
from survey.ticks import run_tick
from tests.factories import login, make_cast, make_questionnaire_version
from tests.test_rounds_web import form_data, page

CSV = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
    "Åsa Öberg;Asa.Oberg@Example.se;Vårdcentralen Ängelholm;Vårdcentral;"
    "ängelholms kommun;Nordväst\r\n"
    "Björn Ek;bjorn.ek@example.se;Ängelholms kommun;Kommunal PV;Ängelholm;\r\n"
).encode()


def leader(app: Flask) -> tuple[FlaskClient, int, int]:
    with app.app_context():
        cast = make_cast()
        make_questionnaire_version()
        db.session.commit()
    client = app.test_client()
    assert login(client, cast.leader_nv.email).status_code == 302
    return client, cast.leader_nv.id, cast.leader_no.id


def token_in(html: str) -> str:
    match = re.search(r'name="staged_upload" value="([^"]+)"', html)
    assert match, "the page carries no staged upload"
    return match.group(1)


def preview(app: Flask, client: FlaskClient) -> str:
    data = form_data(app, action="preview", recipients_file=(io.BytesIO(CSV), "lista.csv"))
    response = client.post("/omgangar/ny", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    return page(response)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_it_shows_count_first_rows_and_normalisations_in_the_preview(app: Flask) -> None:
    client, _, _ = leader(app)
    html = preview(app, client)

    assert "Filen ”lista.csv”: 2 mottagare" in html
    assert "Alla 2 mottagare" in html and "Åsa Öberg" in html and "asa.oberg@example.se" in html
    assert "”Vårdcentral” blir ”Regional primärvård”." in html
    assert "”Kommunal PV” blir ”Kommun”." in html
    assert "”Nordväst” blir ”NV”." in html
    assert "”ängelholms kommun” blir ”Ängelholm”." in html
    assert "”Asa.Oberg@Example.se” blir ”asa.oberg@example.se”." in html
    token = token_in(html)
    assert count(app, Round) == 0
    with app.app_context():
        [stored] = db.session.scalars(select(StagedUpload))
        assert stored.content == CSV and stored.filename == "lista.csv"
        assert token not in stored.token_hash  # only a hash of the token is stored


def test_it_creates_the_round_with_the_previewed_file_and_then_removes_it(app: Flask) -> None:
    client, _, _ = leader(app)
    token = token_in(preview(app, client))
    response = client.post(
        "/omgangar/ny", data=form_data(app, staged_upload=token), content_type="multipart/form-data"
    )

    assert response.status_code == 302
    html = page(client.get(response.location))
    assert "skapad som utkast med 2 mottagare" in html
    assert count(app, Recipient) == 2 and count(app, StagedUpload) == 0
    # Used once: the same token does not create a second round with the recipients.
    again = client.post(
        "/omgangar/ny", data=form_data(app, staged_upload=token), content_type="multipart/form-data"
    )
    assert again.status_code == 200
    assert "Filen du förhandsgranskade finns inte längre kvar" in page(again)
    assert count(app, Round) == 1


def test_it_keeps_the_file_when_the_settings_have_errors(app: Flask) -> None:
    client, _, _ = leader(app)
    token = token_in(preview(app, client))
    bad = client.post(
        "/omgangar/ny",
        data=form_data(app, staged_upload=token, title=""),
        content_type="multipart/form-data",
    )
    assert bad.status_code == 200 and token_in(page(bad)) == token
    good = client.post(
        "/omgangar/ny", data=form_data(app, staged_upload=token), content_type="multipart/form-data"
    )
    assert good.status_code == 302 and count(app, Recipient) == 2


def test_it_never_reports_success_when_the_file_is_gone(app: Flask) -> None:
    client, _, _ = leader(app)
    token = token_in(preview(app, client))
    with app.app_context():
        db.session.execute(update(StagedUpload).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = client.post(
        "/omgangar/ny", data=form_data(app, staged_upload=token), content_type="multipart/form-data"
    )
    html = page(response)
    assert response.status_code == 200 and "<title>Fel: Skapa omgång" in html
    assert "Filen du förhandsgranskade finns inte längre kvar" in html
    assert "skapad som utkast" not in html and count(app, Round) == 0


def test_it_binds_a_staged_file_to_the_user_who_uploaded_it(app: Flask) -> None:
    client, leader_nv, leader_no = leader(app)
    token = token_in(preview(app, client))
    with app.app_context():
        now = utcnow()
        assert find_staged_upload(leader_nv, NEW_ROUND_RECIPIENTS, token, now=now) is not None
        assert find_staged_upload(leader_no, NEW_ROUND_RECIPIENTS, token, now=now) is None
        assert find_staged_upload(leader_nv, "other", token, now=now) is None
        assert find_staged_upload(leader_nv, NEW_ROUND_RECIPIENTS, "x" * 500, now=now) is None


def test_it_says_plainly_when_a_round_is_created_without_recipients(app: Flask) -> None:
    client, _, _ = leader(app)
    response = client.post("/omgangar/ny", data=form_data(app))
    html = page(client.get(response.location))
    assert "skapad som utkast utan mottagare" in html and "flash-success" not in html


def test_it_replaces_the_staged_file_and_deletes_expired_ones(app: Flask) -> None:
    client, leader_nv, _ = leader(app)
    first = token_in(preview(app, client))
    second = token_in(preview(app, client))
    assert first != second and count(app, StagedUpload) == 1
    with app.app_context():
        now = utcnow()
        stage_upload(leader_nv, "other", "x.csv", b"x", now=now - timedelta(days=1))
        db.session.commit()
        assert purge_expired_uploads(now=now) == 1
        db.session.commit()
        db.session.execute(update(StagedUpload).values(expires_at=now))
        db.session.commit()
        run_tick(now=now, deliver=False)
    assert count(app, StagedUpload) == 0


def test_it_says_which_values_an_upload_to_an_open_round_wrote_otherwise(app: Flask) -> None:
    from tests.test_rounds_web import _world_in

    world = _world_in(app)  # its own cast and rounds, so not the `client_for` fixture's cast
    client = app.test_client()
    assert login(client, world.cast.leader_nv.email).status_code == 302
    html = page(
        client.post(
            f"/omgangar/{world.nv}/mottagare/ladda-upp",
            data={"recipients_file": (io.BytesIO(CSV), "lista.csv")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
    )
    assert "Värden som skrevs på det vanliga sättet:" in html
    assert "”Vårdcentral” blir ”Regional primärvård”" in html
