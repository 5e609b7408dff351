"""The kommuner a results page offers are cached with the round's figures, never stale."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from survey.db import db
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import (
    logged_in_client,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.sample import sample_questionnaire

NOW = datetime(2025, 11, 5, 9, 0, tzinfo=UTC)


def test_it_offers_a_new_kommun_and_drops_a_removed_one_on_the_next_load(app: Flask) -> None:
    with app.app_context():
        round_ = make_round(
            make_questionnaire_version(sample_questionnaire()), state=RoundState.OPEN
        )
        recipient = make_recipient(round_, kommun="Bjuv", invited_at=NOW)
        make_submitted_response(round_, recipient, {"sip_okning": "ja"})
        db.session.commit()
        round_id = round_.id
    reader = logged_in_client(app, "lasare", "NV")

    def offered() -> bool:
        page = reader.get(f"/omgangar/{round_id}/resultat").get_data(as_text=True)
        return ">Åstorp<" in page

    assert not offered()
    assert not offered()  # from the cache
    with app.app_context():
        added = make_recipient(db.session.get_one(Round, round_id), kommun="Åstorp")
        db.session.commit()
        added_id = added.id
    assert offered()
    with app.app_context():
        db.session.get_one(Recipient, added_id).removed_at = NOW
        db.session.commit()
    assert not offered()
