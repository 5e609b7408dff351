"""Reminders by hand: who is left out and why, a deliberate override, nothing refused offered."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select, update

from survey.db import db, utcnow
from survey.schema.audit import AuditEvent
from survey.schema.outbox import MailKind, OutboxMessage
from survey.schema.rounds import Recipient, Round
from tests.factories import ClientFor, make_submitted_response
from tests.test_rounds_web import World, page, world

__all__ = ["world"]


def reminders(app: Flask) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == MailKind.REMINDER.value)
            )
            or 0
        )


def test_it_asks_first_and_lists_who_is_left_out_and_why(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    show = page(client.get(f"/omgangar/{world.nv}"))
    assert f'href="/omgangar/{world.nv}/paminn"' in show
    html = page(client.get(f"/omgangar/{world.nv}/paminn"))
    # Both were invited a moment ago: nobody is reminded unless the leader decides so.
    assert "<dt>Får påminnelse nu</dt><dd>0</dd>" in html
    assert "Kontaktades för mindre än ett dygn sedan (2)" in html
    assert "även till dem som kontaktades nyss" in html
    assert f"/omgangar/{world.nv}/meddelanden" in html
    assert reminders(app) == 0


def test_it_reminds_the_recently_contacted_only_when_told_to(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    response = client.post(f"/omgangar/{world.nv}/paminn", data={"override": "1"})
    assert response.status_code == 302
    assert reminders(app) == 2
    assert "2 påminnelser är köade" in page(client.get(response.location))
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "round.remind")
        ).one()
        assert event.details is not None and event.details["override_24h"] == 2
        assert "varav 2 som kontaktats för mindre än ett dygn sedan" in event.summary


def test_it_says_who_cannot_be_reminded_and_never_offers_it(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    with app.app_context():
        db.session.execute(update(Recipient).values(last_contacted_at=utcnow() - timedelta(days=3)))
        db.session.execute(
            update(Recipient).where(Recipient.id == world.scripted).values(opted_out=True)
        )
        round_ = db.session.get(Round, world.nv)
        recipient = db.session.get(Recipient, world.recipient)
        assert round_ is not None and recipient is not None
        make_submitted_response(round_, recipient, {"x": 1})
        db.session.commit()
    client = client_for("leader_nv")
    html = page(client.get(f"/omgangar/{world.nv}/paminn"))
    assert "Kan inte påminnas (1)" in html and "tackat nej till påminnelser" in html
    assert "<dt>Har redan svarat</dt><dd>1 (får ingen påminnelse)</dd>" in html
    flashed = page(client.post(f"/omgangar/{world.nv}/paminn", follow_redirects=True))
    assert "Ingen påminnelse skickades." in flashed
    assert "1 kunde inte påminnas:" in flashed and "tackat nej till påminnelser" in flashed
    submitted = page(client.get(f"/omgangar/{world.nv}/mottagare/{world.recipient}"))
    assert "Skicka påminnelse nu" not in submitted
    assert "Mottagaren har skickat in sina svar och får inga påminnelser." in submitted
    assert reminders(app) == 0


def test_it_reminds_one_recently_contacted_recipient_after_a_confirmation(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    path = f"/omgangar/{world.nv}/mottagare/{world.recipient}"
    html = page(client.get(path))
    assert "Skicka påminnelse nu" not in html and "Ja, skicka en påminnelse ändå" in html
    unconfirmed = page(client.post(f"{path}/paminn", data={"override": "1"}, follow_redirects=True))
    assert "Kryssa i rutan för att bekräfta" in unconfirmed and reminders(app) == 0
    plain = page(client.post(f"{path}/paminn", follow_redirects=True))
    assert "kontaktades för mindre än ett dygn sedan" in plain and reminders(app) == 0
    confirmed = client.post(f"{path}/paminn", data={"override": "1", "bekrafta": "ja"})
    assert confirmed.status_code == 302 and reminders(app) == 1


def test_it_lets_only_those_who_run_the_round_see_the_question(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    assert client_for("reader_nv").get(f"/omgangar/{world.nv}/paminn").status_code == 403
    assert client_for("leader_no").get(f"/omgangar/{world.nv}/paminn").status_code == 404
