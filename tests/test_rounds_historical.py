"""A historical round: an earlier year's answers, imported; no dates asked for, no mail ever."""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import func, select

from survey.db import db, utcnow
from survey.schema.audit import AuditEvent
from survey.schema.outbox import OutboxMessage
from survey.schema.rounds import Recipient, Round, RoundState
from survey.ticks import run_tick
from tests.factories import ClientFor
from tests.test_rounds_web import GOOD_CSV, World, form_data, page, world

__all__ = ["world"]


def historical_form(app: Flask, **changes: object) -> dict[str, object]:
    data = form_data(
        app,
        kind="historisk",
        title="Årlig enkät 2024",
        reference_date="2024-12-31",
        opens_date="",
        opens_time="",
        closes_date="",
        closes_time="",
    )
    data.update(changes)
    return data


def test_it_creates_a_closed_historical_round_with_recipients_and_no_mail(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    data = historical_form(app, recipients_file=(io.BytesIO(GOOD_CSV), "mottagare.csv"))
    response = client.post("/omgangar/ny", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, page(response)
    html = page(client.get(response.location))
    assert "Den historiska omgången ”Årlig enkät 2024” är skapad med 2 mottagare" in html
    assert "historisk omgång: svaren importeras, ingen e-post skickas" in html
    assert "<dt>Öppnar</dt>" not in html and "<dt>Sista svarsdag</dt>" not in html
    assert "Förläng" not in html and "Importera svar" in html
    with app.app_context():
        run_tick(deliver=False)
        round_ = db.session.scalars(select(Round).where(Round.title == "Årlig enkät 2024")).one()
        assert round_.historical and round_.state == RoundState.CLOSED
        assert round_.opened_at is None
        count = db.session.scalar(
            select(func.count()).select_from(Recipient).where(Recipient.round_id == round_.id)
        )
        assert count == 2
        mails = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.round_id == round_.id)
        )
        assert mails == 0
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "round.create_historical")
        ).one()
        round_id = round_.id
    refused = page(
        client.post(
            f"/omgangar/{round_id}/forlang",
            data={"closes_date": "2099-01-01", "closes_time": "12:00"},
        )
    )
    assert "En historisk omgång" in refused and "kan inte förlängas" in refused
    listing = page(client.get("/omgangar"))
    assert "Historisk omgång" in listing


def test_it_refuses_a_historical_round_about_the_future(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    future = f"{utcnow().year + 1}-12-31"
    response = client.post("/omgangar/ny", data=historical_form(app, reference_date=future))
    html = page(response)
    assert response.status_code == 200 and "referensdatumet måste ha passerat" in html
    with app.app_context():
        assert not db.session.scalars(select(Round).where(Round.historical.is_(True))).all()
