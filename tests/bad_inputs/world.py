"""The rows a bad input meets: a cast of users, rounds in two delregions, live links."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask

from survey.db import db, utcnow
from survey.rounds.tokens import issue_link, revoke_link
from survey.schema.outbox import MailKind, OutboxMessage
from survey.schema.rounds import Recipient, RoundState
from tests.factories import Cast, make_cast, make_questionnaire_version, make_recipient, make_round
from tests.respondent_helpers import Invited

ANNA_EMAIL = "anna.andersson@example.se"


@dataclass(frozen=True)
class World:
    """Ids and links, kept as plain values (rows expire when a test commits)."""

    cast: Cast
    version_id: int
    nv_open: int  # an open NV round; Anna (regional PV) and Bo (kommun) are invited
    nv_draft: int  # a draft NV round with one recipient (Anna's address): uploads go here
    nv_closed: int  # a closed NV round
    no_open: int  # an open NO round
    anna: Invited
    bo: Invited
    revoked: Invited  # a recipient whose link was revoked
    removed: Invited  # a recipient removed from the round (link still issued)
    closed: Invited  # a recipient of the closed round (link opened before it closed)
    no_recipient: Invited
    no_message: int  # an outbox message of the NO round


def _invited(recipient: Recipient, token: str) -> Invited:
    return Invited(recipient.round_id, recipient.id, token)


def build_world(app: Flask) -> World:
    """Add the cast, four rounds, their recipients and links; commit."""
    key = app.config["SECRET_KEY"]
    now = utcnow()
    with app.app_context():
        cast = make_cast()
        version = make_questionnaire_version()
        nv_open = make_round(version, title="Årlig enkät NV")
        nv_draft = make_round(
            version,
            title="Utkast NV",
            state=RoundState.DRAFT,
            opens_at=now + timedelta(days=1),
            closes_at=now + timedelta(days=30),
        )
        nv_closed = make_round(
            version,
            title="Stängd enkät NV",
            state=RoundState.CLOSED,
            opens_at=now - timedelta(days=30),
            closes_at=now - timedelta(days=1),
            closed_at=now - timedelta(days=1),
        )
        no_open = make_round(version, title="Årlig enkät NO", delregion="NO")

        anna = make_recipient(nv_open, name="Anna Andersson", email=ANNA_EMAIL)
        bo = make_recipient(
            nv_open,
            name="Bo Ek",
            email="bo.ek@example.se",
            organisation="Ängelholms kommun",
            organisation_type="kommun",
        )
        revoked = make_recipient(nv_open, name="Rut Återkallad")
        removed = make_recipient(nv_open, name="Tage Borttagen")
        closed = make_recipient(nv_closed, name="Stina Stängd", first_opened_at=now)
        make_recipient(nv_draft, name="Anna Andersson", email=ANNA_EMAIL)
        no_recipient = make_recipient(no_open, name="Nils Nordost", delregion="NO")
        links = {
            recipient.id: issue_link(recipient, key)
            for recipient in (anna, bo, revoked, removed, closed, no_recipient)
        }
        revoke_link(revoked)
        removed.removed_at = now
        message = OutboxMessage(
            round_id=no_open.id,
            recipient_id=no_recipient.id,
            kind=MailKind.INVITATION,
            to_address=no_recipient.email,
            to_name=no_recipient.name,
            sender="Processledare NO <enkat@example.se>",
            subject="Inbjudan: Årlig enkät NO",
            body_text="Hej!",
            message_id=f"<{secrets.token_hex(8)}@example.se>",
        )
        db.session.add(message)
        db.session.commit()
        return World(
            cast=cast,
            version_id=version.id,
            nv_open=nv_open.id,
            nv_draft=nv_draft.id,
            nv_closed=nv_closed.id,
            no_open=no_open.id,
            anna=_invited(anna, links[anna.id]),
            bo=_invited(bo, links[bo.id]),
            revoked=_invited(revoked, links[revoked.id]),
            removed=_invited(removed, links[removed.id]),
            closed=_invited(closed, links[closed.id]),
            no_recipient=_invited(no_recipient, links[no_recipient.id]),
            no_message=message.id,
        )
