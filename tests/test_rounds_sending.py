"""Before sending: the confirmation page, the message preview and a test to oneself."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from survey.db import db, utcnow
from survey.rounds.roster import add_recipients
from survey.schema.audit import AuditEvent
from survey.schema.outbox import MailKind, OutboxMessage
from survey.schema.rounds import Round, RoundState
from tests.factories import ClientFor
from tests.test_rounds_web import World, page, recipient_row, world

__all__ = ["world"]


def draft_with_recipients(app: Flask, world: World) -> int:
    with app.app_context():
        round_ = db.session.get(Round, world.draft)
        assert round_ is not None
        add_recipients(round_, [recipient_row(10), recipient_row(11)], now=utcnow())
        db.session.commit()
        return round_.id


def test_it_asks_before_sending_and_says_how_many_to_whom_and_the_subject(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    round_id = draft_with_recipients(app, world)
    client = client_for("leader_nv")
    show = page(client.get(f"/omgangar/{round_id}"))
    assert f'href="/omgangar/{round_id}/oppna"' in show  # a link to the question, not a POST
    html = page(client.get(f"/omgangar/{round_id}/oppna"))
    assert "Öppna omgången och skicka inbjudningar?" in html
    assert "<dt>Antal inbjudningar</dt><dd>2</dd>" in html
    assert "Mottagare 10" in html and "mottagare11@example.se" in html
    assert "<dt>Ämnesrad</dt><dd>Inbjudan: Utkast NV" in html
    assert f"/omgangar/{round_id}/meddelanden" in html
    assert "Skicka 2 inbjudningar" in html
    with app.app_context():
        assert db.session.get(Round, round_id).state == RoundState.DRAFT  # type: ignore[union-attr]
        assert not db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.round_id == round_id)
        ).all()
    response = client.post(f"/omgangar/{round_id}/oppna")
    assert response.status_code == 302
    with app.app_context():
        queued = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.round_id == round_id)
        ).all()
        assert len(queued) == 2


def test_it_previews_the_invitation_and_the_reminder(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    round_id = draft_with_recipients(app, world)
    html = page(client_for("leader_nv").get(f"/omgangar/{round_id}/meddelanden"))
    assert "Förhandsgranska meddelanden" in html
    assert '<h2 id="meddelande-invitation">Inbjudan</h2>' in html
    assert '<h2 id="meddelande-reminder">Påminnelse</h2>' in html
    assert "Mottagare 10" in html and "[personlig länk]" in html


def test_it_sends_a_marked_test_without_a_real_link_to_the_leader_only(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    round_id = draft_with_recipients(app, world)
    client = client_for("leader_nv")
    response = client.post(
        f"/omgangar/{round_id}/prov", data={"kind": "reminder", "back": "preview"}
    )
    assert response.status_code == 302
    assert response.location == f"/omgangar/{round_id}/meddelanden"
    assert "Ett provutskick av påminnelse är köat till" in page(client.get(response.location))
    with app.app_context():
        [test] = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MailKind.TEST.value)
        )
        assert test.to_address == world.cast.leader_nv.email and test.recipient_id is None
        assert test.subject.startswith("[PROV] ")
        assert "PROVUTSKICK" in test.body_text and "[[PERSONLIG-LANK]]" not in test.body_text
        assert "/svara/" not in test.body_text
        round_ = db.session.get(Round, round_id)
        assert round_ is not None and round_.state == RoundState.DRAFT
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.test"))
        assert event.round_id == round_id


def test_it_lets_only_those_who_run_the_round_confirm_preview_or_test(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    round_id = draft_with_recipients(app, world)
    reader = client_for("reader_nv")
    other = client_for("leader_no")
    for path in (f"/omgangar/{round_id}/oppna", f"/omgangar/{round_id}/meddelanden"):
        assert reader.get(path).status_code == 403
        assert other.get(path).status_code == 404
    assert reader.post(f"/omgangar/{round_id}/prov", data={"kind": "invitation"}).status_code == 403
    assert (
        client_for("leader_nv")
        .post(f"/omgangar/{round_id}/prov", data={"kind": "receipt"})
        .status_code
        == 302
    )  # refused with a message: only invitations and reminders
    with app.app_context():
        assert not db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MailKind.TEST.value)
        ).all()


def test_it_tells_when_nobody_is_left_to_invite(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    html = page(client_for("leader_nv").get(f"/omgangar/{world.nv}/oppna"))
    assert "Det finns ingen mottagare att skicka inbjudan till" in html
    assert "Skicka ett prov till mig" in html
