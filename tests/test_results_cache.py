"""Results computed once and never stale: the answers version and the results cache.

Two app servers (two `create_app` on one database) each keep their own cache; an answer
submitted through one shows on the other's next page load, because every change to a
round's answers bumps its answers version in the same transaction. The free-text page
is paged and searchable, so even a round with many long answers gives small pages.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select

from survey.db import db
from survey.privacy.pseudonymise import pseudonymise
from survey.responses.service import save_draft, submit_response
from survey.results.cache import results_cache
from survey.results.frame import load_responses_frame
from survey.rounds.answers_version import answers_version, bump_answers_version
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import (
    MakeApp,
    logged_in_client,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.sample import sample_questionnaire

NOW = datetime(2025, 11, 5, 9, 0, tzinfo=UTC)
MAX_PAGE_BYTES = 200_000


def open_round_with_answers(count: int, text: str = "Svar") -> tuple[int, list[int]]:
    version = make_questionnaire_version(sample_questionnaire())
    round_ = make_round(version, state=RoundState.OPEN)
    recipients: list[int] = []
    for number in range(count):
        recipient = make_recipient(
            round_, organisation=f"Vårdcentral {number}", invited_at=NOW, kommun="Bjuv"
        )
        make_submitted_response(
            round_, recipient, {"sip_okning": "ja", "beskrivning": f"{text} {number}"}
        )
        recipients.append(recipient.id)
    waiting = make_recipient(round_, organisation="Vårdcentral väntar", invited_at=NOW)
    recipients.append(waiting.id)
    db.session.commit()
    return round_.id, recipients


def free_text_html(client: object, round_id: int, query: str = "") -> str:
    response = client.get(  # type: ignore[attr-defined]
        f"/omgangar/{round_id}/resultat/fritext?fraga=beskrivning{query}"
    )
    assert response.status_code == 200
    html: str = response.get_data(as_text=True)
    return html


def test_an_answer_submitted_on_one_server_shows_on_the_others_next_page(
    make_app: MakeApp,
) -> None:
    first: Flask = make_app()
    second: Flask = make_app()
    with first.app_context():
        round_id, recipients = open_round_with_answers(2)
    reader = logged_in_client(first, "lasare", "NV")
    assert "Svar 1" in free_text_html(reader, round_id)
    with first.test_request_context():
        cache = results_cache()
        assert cache is not None
        hits = cache.hits
    # Nothing changed: the second load is served from the cache.
    assert "Ett nytt svar" not in free_text_html(reader, round_id)
    with first.app_context():
        assert cache.hits > hits
        before = answers_version(round_id)
    with second.app_context():
        waiting = db.session.get(Recipient, recipients[-1])
        assert waiting is not None
        submit_response(
            waiting, {"sip_okning": "nej", "beskrivning": "Ett nytt svar"}, {}, datetime.now(UTC)
        )
    with first.app_context():
        assert answers_version(round_id) > before
    html = free_text_html(reader, round_id)
    assert "Ett nytt svar" in html
    assert "3 svar." in html


def test_a_draft_saved_does_not_bump_the_version_but_an_amendment_does(app: Flask) -> None:
    with app.test_request_context():  # the cache is on in requests
        round_id, recipients = open_round_with_answers(1)
        before = answers_version(round_id)
        waiting = db.session.get(Recipient, recipients[-1])
        assert waiting is not None
        save_draft(waiting, {"sip_okning": "ja"}, datetime.now(UTC))
        db.session.commit()
        assert answers_version(round_id) == before
        answered = db.session.get(Recipient, recipients[0])
        assert answered is not None
        frame = load_responses_frame(round_id)
        assert list(frame["sip_okning"].astype(str)) == ["ja"]
        submit_response(answered, {"sip_okning": "nej"}, {}, datetime.now(UTC))
        assert answers_version(round_id) == before + 1
        assert list(load_responses_frame(round_id)["sip_okning"].astype(str)) == ["nej"]


def test_removing_a_recipient_and_purging_bump_the_version(app: Flask) -> None:
    with app.test_request_context():  # the cache is on in requests
        round_id, recipients = open_round_with_answers(2)
        assert len(load_responses_frame(round_id)) == 2
        version = answers_version(round_id)
        removed = db.session.get(Recipient, recipients[0])
        assert removed is not None
        removed.removed_at = NOW
        db.session.commit()
        assert answers_version(round_id) == version + 1
        assert len(load_responses_frame(round_id)) == 1
        pseudonymise(recipient_ids=[recipients[1]], now=NOW)
        db.session.commit()
        assert answers_version(round_id) == version + 2


def test_core_writers_bump_the_version_themselves(app: Flask) -> None:
    with app.app_context():
        round_id, _ = open_round_with_answers(1)
        version = answers_version(round_id)
        bump_answers_version([round_id])
        db.session.commit()
        assert answers_version(round_id) == version + 1
        round_ = db.session.scalar(select(Round).where(Round.id == round_id))
        assert round_ is not None


def test_a_cached_frame_is_a_copy(app: Flask) -> None:
    with app.test_request_context():
        assert results_cache() is not None
        round_id, _ = open_round_with_answers(2)
        frame = load_responses_frame(round_id)
        frame["sip_okning"] = None
        assert list(load_responses_frame(round_id)["sip_okning"].astype(str)) == ["ja", "ja"]


def test_commands_and_workers_read_afresh(app: Flask) -> None:
    with app.app_context():
        assert results_cache() is None


@pytest.mark.parametrize("count", [710])
def test_free_text_is_paged_and_searchable(app: Flask, count: int) -> None:
    long_text = "Vi har arbetat med samverkan i många år och fortsätter. " * 15
    with app.app_context():
        round_id, _ = open_round_with_answers(count, long_text)
    reader = logged_in_client(app, "lasare", "NV")
    html = free_text_html(reader, round_id)
    assert len(html.encode()) < MAX_PAGE_BYTES
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select("ul.answer-list > li")) == 50
    assert soup.select_one("nav.pagination") is not None
    last = free_text_html(reader, round_id, "&sida=999")
    assert len(BeautifulSoup(last, "html.parser").select("ul.answer-list > li")) == count % 50
    found = free_text_html(reader, round_id, "&sok=Vårdcentral+123")
    items = BeautifulSoup(found, "html.parser").select("ul.answer-list > li")
    assert [item.select_one(".answer-source").get_text() for item in items] == [  # type: ignore[union-attr]
        "Vårdcentral 123 · Regional primärvård · Bjuv"
    ]
    nothing = free_text_html(reader, round_id, "&sok=finns+inte")
    assert "Inga svar innehåller ”finns inte”." in nothing
    # An unknown question shows the first question with text answers; no 500.
    unknown = reader.get(f"/omgangar/{round_id}/resultat/fritext?fraga=okand&sida=x")
    assert unknown.status_code == 200
