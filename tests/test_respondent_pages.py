"""The respondent's pages through the Flask test client: link, form, drafts, submit, amend."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey.db import db, utcnow
from survey.rounds.tokens import revoke_link
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, RoundState
from tests.respondent_helpers import Invited, invite, reissue, update_recipient, update_round

VALID = {"sip_okning": "nej", "nojdhet": "ganska_nojd", "utbildning": "45,5"}
COOKIE = "survey_session"


# -- helpers -----------------------------------------------------------------------------------


def soup_of(response: Any) -> BeautifulSoup:
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def element(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select_one(selector)
    assert found is not None, selector
    return found


def text_of(tag: Tag | BeautifulSoup) -> str:
    return " ".join(tag.get_text(" ").split())


def title_of(response: Any) -> str:
    soup = soup_of(response)
    assert soup.title is not None
    return soup.title.get_text()


def opened(client: FlaskClient, invited: Invited) -> Any:
    """Open the personal link (and do not follow the redirect)."""
    response = client.get(invited.link)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def csrf_token_of(response: Any) -> str:
    field = element(soup_of(response), 'form.questionnaire-form input[name="csrf_token"]')
    return str(field["value"])


def stored(app: Flask, invited: Invited) -> tuple[Response | None, int]:
    """The response (detached) and how many submissions it has."""
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.recipient_id == invited.recipient_id)
        )
        count = db.session.scalar(select(func.count()).select_from(ResponseSubmission)) or 0
        if response is not None:
            db.session.expunge(response)
        return response, int(count)


def recipient_row(app: Flask, invited: Invited) -> Recipient:
    with app.app_context():
        recipient = db.session.get(Recipient, invited.recipient_id)
        assert recipient is not None
        db.session.expunge(recipient)
        return recipient


@pytest.fixture
def invited(app: Flask) -> Invited:
    return invite(app)


@pytest.fixture
def respondent(client: FlaskClient, invited: Invited) -> FlaskClient:
    """A client that has opened its personal link."""
    opened(client, invited)
    return client


# -- the personal link ---------------------------------------------------------------------


def test_it_trades_the_link_for_a_session_and_drops_the_token_from_the_address(
    app: Flask, client: FlaskClient, invited: Invited
) -> None:
    before = utcnow()
    response = opened(client, invited)
    assert response.headers["Location"] == f"/svara/{invited.round_id}"
    with client.session_transaction() as session:
        assert session["respondents"] == {
            str(invited.round_id): {
                "recipient_id": invited.recipient_id,
                "round_id": invited.round_id,
                "generation": 1,
            }
        }
        assert session.permanent
    first_opened = recipient_row(app, invited).first_opened_at
    assert first_opened is not None and first_opened >= before

    page = client.get(invited.form_url)
    assert page.status_code == 200
    assert invited.token not in page.get_data(as_text=True)
    assert "Vårdcentralen Ängelholm" in text_of(element(soup_of(page), "#svarar-for"))
    # Opening the link again keeps the first time.
    opened(client, invited)
    assert recipient_row(app, invited).first_opened_at == first_opened


def other_round_token(app: Flask, invited: Invited) -> str:
    return invite(app).token


def revoked(app: Flask, invited: Invited) -> str:
    with app.app_context():
        recipient = db.session.get(Recipient, invited.recipient_id)
        assert recipient is not None
        revoke_link(recipient)
        db.session.commit()
    return invited.token


def replaced(app: Flask, invited: Invited) -> str:
    reissue(app, invited)
    return invited.token


def removed(app: Flask, invited: Invited) -> str:
    update_recipient(app, invited.recipient_id, removed_at=utcnow())
    return invited.token


BROKEN_LINKS: dict[str, Callable[[Flask, Invited], str]] = {
    "wrong-token": lambda app, invited: "A" * 43,
    "revoked": revoked,
    "replaced-by-a-new-link": replaced,
    "removed-recipient": removed,
    "token-of-another-round": other_round_token,
    "cut-short": lambda app, invited: invited.token[:20],
    "sql": lambda app, invited: "1' OR '1'='1' --",
    "sql-shaped-like-a-token": lambda app, invited: "x'%20OR%201=1--" + "a" * 28,
    "very-long": lambda app, invited: "A" * 20_000,
    "with-slashes": lambda app, invited: f"{invited.token}/extra/../..",
    "unicode": lambda app, invited: "ååå" + invited.token[3:],
}


def test_it_answers_every_link_that_does_not_work_with_the_same_page(
    make_app: Any,
) -> None:
    app = make_app(SURVEY_TOKEN_MAX_FAILURES=1000)
    baseline_invited = invite(
        app, round_fields={"reply_to": "hemlig.processledare@example.se", "title": "Hemlig omgång"}
    )
    baseline = app.test_client().get(f"/svara/{baseline_invited.round_id}/{'B' * 43}")
    assert baseline.status_code == 404
    body = baseline.get_data()
    soup = soup_of(baseline)
    assert title_of(baseline).startswith("Länken fungerar inte")
    assert "Länken fungerar inte" in text_of(element(soup, "h1"))
    assert app.config["SURVEY_CONTACT_EMAIL"] in body.decode()
    assert "ny länk" in text_of(soup)
    # Nothing about the round a guessed link points at.
    assert b"hemlig" not in body.lower() and "Hemlig omgång".encode() not in body

    for name, make_token in BROKEN_LINKS.items():
        invited = invite(app, round_id=baseline_invited.round_id)
        token = make_token(app, invited)
        client = app.test_client()
        response = client.get(f"/svara/{invited.round_id}/{token}")
        assert (name, response.status_code) == (name, 404)
        assert (name, response.get_data()) == (name, body)
        with client.session_transaction() as session:
            assert "respondents" not in session, name

    for round_part in ("abc", "0", "-1", "1.0", "99999999999", "1%20OR%201=1", str(10**30)):
        response = app.test_client().get(f"/svara/{round_part}/{baseline_invited.token}")
        assert (round_part, response.status_code) == (round_part, 404)
        assert response.get_data() == body, round_part


def test_it_slows_down_repeated_wrong_links_from_one_address(make_app: Any) -> None:
    app = make_app(SURVEY_TOKEN_MAX_FAILURES=3, SURVEY_TOKEN_WINDOW_SECONDS=600)
    invited = invite(app)
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"/svara/{invited.round_id}/{'C' * 43}").status_code == 404
    limited = client.get(f"/svara/{invited.round_id}/{'C' * 43}")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "600"
    assert title_of(limited).startswith("För många försök")
    assert "Vänta 10 minuter" in text_of(soup_of(limited))
    # Another address is not affected.
    other = app.test_client().get(f"/svara/{invited.round_id}/{'C' * 43}",
                                  environ_base={"REMOTE_ADDR": "192.0.2.7"})  # fmt: skip
    assert other.status_code == 404


def test_it_lets_a_valid_link_in_from_an_address_that_guessed_too_often(make_app: Any) -> None:
    # A whole hospital behind one address: someone's wrong guesses lock out nobody's link.
    app = make_app(SURVEY_TOKEN_MAX_FAILURES=3, SURVEY_TOKEN_WINDOW_SECONDS=600)
    invited = invite(app)
    guesser = app.test_client()
    for _ in range(5):
        guesser.get(f"/svara/{invited.round_id}/{'C' * 43}")
    assert guesser.get(f"/svara/{invited.round_id}/{'D' * 43}").status_code == 429
    colleague = app.test_client()  # the same address
    correct = colleague.get(invited.link)
    assert correct.status_code == 303
    assert colleague.get(invited.form_url).status_code == 200
    # And the guesser is still slowed down afterwards.
    assert guesser.get(f"/svara/{invited.round_id}/{'E' * 43}").status_code == 429


def test_it_says_when_the_survey_opens_in_swedish_time(app: Flask, client: FlaskClient) -> None:
    invited = invite(
        app,
        round_fields={
            "opens_at": datetime(2099, 1, 15, 7, 0, tzinfo=UTC),
            "closes_at": datetime(2099, 2, 15, 7, 0, tzinfo=UTC),
        },
    )
    opened(client, invited)
    page = client.get(invited.form_url)
    assert page.status_code == 200
    assert title_of(page).startswith("Enkäten har inte öppnat än")
    assert "öppnar 15 januari 2099 kl. 08.00" in text_of(soup_of(page))
    assert "questionnaire-form" not in page.get_data(as_text=True)
    response = client.post(invited.form_url, data={**VALID, "action": "save"})
    assert response.status_code == 409
    assert stored(app, invited) == (None, 0)


def test_it_shows_a_draft_round_as_not_yet_open(app: Flask, client: FlaskClient) -> None:
    invited = invite(app, round_fields={"state": RoundState.DRAFT})
    opened(client, invited)
    page = client.get(invited.form_url)
    assert title_of(page).startswith("Enkäten har inte öppnat än")


def test_it_shows_the_closed_page_and_stores_nothing_once_closed(
    app: Flask, client: FlaskClient, invited: Invited
) -> None:
    opened(client, invited)
    update_round(
        app,
        invited.round_id,
        state=RoundState.CLOSED,
        closed_at=datetime(2025, 12, 31, 16, 0, tzinfo=UTC),
        closes_at=datetime(2026, 1, 31, 23, 0, tzinfo=UTC),
    )
    page = client.get(invited.form_url)
    assert page.status_code == 200
    assert title_of(page).startswith("Enkäten är stängd")
    text = text_of(soup_of(page))
    assert "stängde 31 december 2025 kl. 17.00" in text
    assert "processledare@example.se" in text
    response = client.post(invited.form_url, data={**VALID, "action": "submit"})
    assert response.status_code == 409
    assert title_of(response).startswith("Enkäten är stängd")
    # What was typed is shown, so it can be sent to the process leader by other means.
    assert "Ganska nöjd" in text_of(soup_of(response))
    assert stored(app, invited) == (None, 0)
    # A link opened after closing leads to the same page.
    fresh = opened(FlaskClient(app), invited)
    assert fresh.headers["Location"] == invited.form_url


def test_it_closes_for_answers_at_the_closing_time_without_waiting_for_the_state(
    app: Flask, respondent: FlaskClient, invited: Invited
) -> None:
    update_round(app, invited.round_id, closes_at=utcnow() - timedelta(seconds=1))
    assert title_of(respondent.get(invited.form_url)).startswith("Enkäten är stängd")
    assert respondent.post(invited.form_url, data={**VALID, "action": "submit"}).status_code == 409
    assert stored(app, invited) == (None, 0)


@pytest.mark.parametrize("ending", ["reissue", "revoke", "remove"])
def test_it_ends_the_session_when_the_link_is_replaced_revoked_or_the_recipient_removed(
    app: Flask, respondent: FlaskClient, invited: Invited, ending: str
) -> None:
    assert respondent.get(invited.form_url).status_code == 200
    new_link: Invited | None = None
    if ending == "reissue":
        new_link = reissue(app, invited)
    elif ending == "revoke":
        revoked(app, invited)
    else:
        removed(app, invited)
    page = respondent.get(invited.form_url)
    assert page.status_code == 403
    assert title_of(page).startswith("Öppna enkäten via länken i ditt e-postmeddelande")
    post = respondent.post(invited.form_url, data={**VALID, "action": "submit"})
    assert post.status_code == 403
    assert stored(app, invited) == (None, 0)
    assert respondent.get(invited.link).status_code == 404
    if new_link is not None:
        assert respondent.get(new_link.link).status_code == 303
        assert respondent.get(invited.form_url).status_code == 200


@pytest.mark.parametrize("address", ["/svara/1", "/svara/abc", "/svara/1/klart"])
def test_it_asks_for_the_link_without_a_session(client: FlaskClient, address: str) -> None:
    page = client.get(address)
    assert page.status_code == 403
    assert title_of(page).startswith("Öppna enkäten via länken i ditt e-postmeddelande")


def test_it_asks_for_the_link_when_answers_are_posted_to_no_round(client: FlaskClient) -> None:
    page = client.post("/svara/abc", data={**VALID, "action": "submit"})
    assert page.status_code == 403
    assert soup_of(page).select("form.kept-answers") == []


def test_it_keeps_the_answers_when_another_window_changed_them_at_the_same_moment(
    app: Flask, respondent: FlaskClient, invited: Invited, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conflict that survives the retry (three writers at once) cannot be staged through
    the test client, so the service's report of it is stood in for here."""
    from survey.answering import respondent as views
    from survey.responses.service import CONFLICT_MESSAGE, ResponseConflict

    def conflicting(*args: Any, **kwargs: Any) -> Any:
        raise ResponseConflict()

    monkeypatch.setattr(views, "submit_response", conflicting)
    response = respondent.post(invited.form_url, data={**VALID, "action": "submit"})
    assert response.status_code == 422
    soup = soup_of(response)
    assert CONFLICT_MESSAGE in text_of(element(soup, ".error-summary"))
    assert text_of(element(soup, ".error-summary")).startswith("Svaren sparades inte")
    assert element(soup, "#utbildning")["value"] == "45,5"
    assert stored(app, invited) == (None, 0)


def test_it_keeps_the_sessions_of_several_rounds_apart(app: Flask, client: FlaskClient) -> None:
    first = invite(app, organisation="Vårdcentralen Norr")
    second = invite(app, organisation="Vårdcentralen Söder")
    opened(client, first)
    opened(client, second)
    assert "Vårdcentralen Norr" in client.get(first.form_url).get_data(as_text=True)
    assert "Vårdcentralen Söder" in client.get(second.form_url).get_data(as_text=True)


# -- the form ----------------------------------------------------------------------------------


def test_it_shows_the_form_status_organisation_progress_and_warnings(
    respondent: FlaskClient, invited: Invited
) -> None:
    page = respondent.get(invited.form_url)
    soup = soup_of(page)
    assert title_of(page).startswith("Provenkät")
    assert element(soup, "html")["lang"] == "sv"
    assert "Inte påbörjad" in text_of(element(soup, "#status"))
    assert text_of(element(soup, "#svarar-for")) == (
        "Vårdcentralen Ängelholm (Regional primärvård, Ängelholm)"
    )
    warning = text_of(element(soup, "#patientuppgifter"))
    assert "Skriv inte uppgifter om enskilda patienter" in warning
    assert element(soup, ".progress-overview")
    form = element(soup, "form.questionnaire-form")
    assert form["action"] == invited.form_url
    assert element(soup, "#paminnelser button").get_text().strip() == (
        "Jag vill inte få fler påminnelser"
    )


def test_it_shows_each_organisation_type_its_own_questions(app: Flask, invited: Invited) -> None:
    municipal = invite(
        app, round_id=invited.round_id, organisation="Ängelholms kommun", organisation_type="kommun"
    )
    kommun_client, pv_client = app.test_client(), app.test_client()
    opened(kommun_client, municipal)
    opened(pv_client, invited)
    kommun_page = soup_of(kommun_client.get(municipal.form_url))
    pv_page = soup_of(pv_client.get(invited.form_url))
    assert kommun_page.select("#avsnitt-kommun") and kommun_page.select("#npo-0")
    assert pv_page.select("#avsnitt-kommun") == [] and pv_page.select('[name="npo"]') == []

    # A regional PV respondent posting the municipal question stores nothing for it.
    pv_client.post(invited.form_url, data={**VALID, "npo": "ja", "action": "save"})
    response, _ = stored(app, invited)
    assert response is not None and response.draft is not None
    assert "npo" not in response.draft
    pv_client.post(invited.form_url, data={**VALID, "npo": "ja", "action": "submit"})
    response, count = stored(app, invited)
    assert response is not None and response.answers is not None and count == 1
    assert "npo" not in response.answers

    kommun_client.post(municipal.form_url, data={**VALID, "action": "submit"})
    assert stored(app, municipal)[0] is None  # npo is required of a kommun
    kommun_client.post(municipal.form_url, data={**VALID, "npo": "ja", "action": "submit"})
    answers = stored(app, municipal)[0]
    assert answers is not None and answers.answers is not None
    assert answers.answers["npo"] == "ja"


def test_it_requires_a_conditional_question_only_when_its_condition_holds(
    app: Flask, respondent: FlaskClient, invited: Invited
) -> None:
    response = respondent.post(
        invited.form_url, data={**VALID, "sip_okning": "ja", "action": "submit"}
    )
    assert response.status_code == 422
    summary = element(soup_of(response), ".error-summary")
    assert [a["href"] for a in summary.select("a")] == ["#omraden-0"]
    assert stored(app, invited) == (None, 0)

    response = respondent.post(
        invited.form_url,
        data={**VALID, "sip_okning": "nej", "omraden": ["fallrisk"], "action": "submit"},
    )
    assert response.status_code == 303
    answers = stored(app, invited)[0]
    assert answers is not None and answers.answers is not None
    assert "omraden" not in answers.answers


def test_it_saves_a_draft_and_shows_it_again(
    app: Flask, respondent: FlaskClient, invited: Invited
) -> None:
    response = respondent.post(
        invited.form_url,
        data={
            "sip_okning": "ja",
            "omraden": ["fallrisk", "undernaring"],
            "utbildning": "45,5",
            "kommentar": "Bra <b>samarbete</b>",
            "action": "save",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == invited.form_url
    draft = stored(app, invited)[0]
    assert draft is not None
    assert draft.draft == {
        "sip_okning": "ja",
        "omraden": ["fallrisk", "undernaring"],
        "utbildning": "45,5",
        "kommentar": "Bra <b>samarbete</b>",
    }
    assert draft.answers is None

    page = respondent.get(invited.form_url)
    soup = soup_of(page)
    assert "Utkastet är sparat." in text_of(element(soup, ".flash-messages"))
    assert "Utkast sparat" in text_of(element(soup, "#status"))
    assert not title_of(page).startswith("Fel:")
    assert element(soup, "#sip_okning-0").has_attr("checked")
    assert element(soup, "#omraden-2").has_attr("checked")
    assert element(soup, "#omraden-3").has_attr("checked")
    assert element(soup, "#utbildning")["value"] == "45,5"
    assert element(soup, "#kommentar")["value"] == "Bra <b>samarbete</b>"
    assert "<b>samarbete" not in page.get_data(as_text=True)
    # The flash is shown once.
    assert not soup_of(respondent.get(invited.form_url)).select(".flash-messages")


def test_it_saves_a_draft_with_format_problems_and_points_them_out(
    app: Flask, respondent: FlaskClient, invited: Invited
) -> None:
    response = respondent.post(
        invited.form_url,
        data={"utbildning": "ungefär hälften", "startdatum": "igår", "action": "save"},
    )
    assert response.status_code == 303
    draft = stored(app, invited)[0]
    assert draft is not None
    assert draft.draft == {"utbildning": "ungefär hälften", "startdatum": "igår"}

    page = respondent.get(invited.form_url)
    soup = soup_of(page)
    assert title_of(page).startswith("Fel: ")
    assert "Några svar behöver rättas" in text_of(element(soup, ".flash-messages"))
    summary = element(soup, ".error-summary")
    assert "Utkastet är sparat, men några svar behöver rättas" in text_of(summary)
    # Only format problems: unanswered required questions are not listed for a draft.
    assert [a["href"] for a in summary.select("a")] == ["#utbildning", "#startdatum"]
    assert element(soup, "#utbildning")["value"] == "ungefär hälften"


def test_it_submits_confirms_and_amends_keeping_the_history(
    app: Flask, respondent: FlaskClient, invited: Invited
) -> None:
    response = respondent.post(invited.form_url, data={**VALID, "action": "submit"})
    assert response.status_code == 303
    assert response.headers["Location"] == invited.confirmation_url
    confirmation = respondent.get(invited.confirmation_url)
    assert confirmation.status_code == 200
    soup = soup_of(confirmation)
    assert title_of(confirmation).startswith("Tack! Dina svar är inskickade")
    answers = text_of(element(soup, ".answer-list"))
    assert "1. Kan man se en ökning av SIP? Nej" in answers
    assert "Ganska nöjd" in answers and "45,5\u00a0%" in element(soup, ".answer-list").get_text()
    assert "Du kan ändra dina svar till och med" in text_of(soup)
    assert element(soup, f'a[href="{invited.form_url}"]')

    first = stored(app, invited)[0]
    assert first is not None and first.answers == {
        "sip_okning": "nej",
        "nojdhet": "ganska_nojd",
        "utbildning": 45.5,
    }

    # The form shows the submitted answers (numbers as typed in Sweden) and the status.
    form_page = soup_of(respondent.get(invited.form_url))
    assert element(form_page, "#utbildning")["value"] == "45,5"
    status = text_of(element(form_page, "#status"))
    assert "Inskickat" in status and "du kan ändra dina svar till och med" in status

    amended = respondent.post(
        invited.form_url, data={**VALID, "nojdhet": "mycket_nojd", "action": "submit"}
    )
    assert amended.status_code == 303
    latest, count = stored(app, invited)
    assert count == 2
    assert latest is not None and latest.answers is not None
    assert latest.answers["nojdhet"] == "mycket_nojd" and latest.submission_count == 2
    assert "Mycket nöjd" in text_of(soup_of(respondent.get(invited.confirmation_url)))


def test_it_tells_a_draft_of_changes_apart_from_the_submitted_answers(
    app: Flask, respondent: FlaskClient, invited: Invited
) -> None:
    respondent.post(invited.form_url, data={**VALID, "action": "submit"})
    respondent.post(invited.form_url, data={**VALID, "nojdhet": "mycket_nojd", "action": "save"})
    soup = soup_of(respondent.get(invited.form_url))
    assert "utkast med ändringar" in text_of(element(soup, "#status"))
    assert element(soup, "#nojdhet-0").has_attr("checked")  # mycket_nojd, from the draft
    latest = stored(app, invited)[0]
    assert latest is not None and latest.answers is not None
    assert latest.answers["nojdhet"] == "ganska_nojd"


def test_it_sends_the_confirmation_back_to_the_form_before_anything_is_submitted(
    respondent: FlaskClient, invited: Invited
) -> None:
    response = respondent.get(invited.confirmation_url)
    assert response.status_code == 303
    assert response.headers["Location"] == invited.form_url


def test_it_shows_errors_next_to_the_fields_and_keeps_every_answer(
    app: Flask, respondent: FlaskClient, invited: Invited
) -> None:
    response = respondent.post(
        invited.form_url,
        data={
            "sip_okning": "nej",
            "utbildning": "101",
            "kommentar": "Kvar åäö",
            "action": "submit",
        },
    )
    assert response.status_code == 422
    soup = soup_of(response)
    assert title_of(response).startswith("Fel: Provenkät")
    summary = element(soup, "#felsammanfattning")
    assert summary["data-focus-on-load"] is not None
    assert "Det finns fel som behöver rättas innan du kan skicka in" in text_of(summary)
    assert [a["href"] for a in summary.select("a")] == ["#nojdhet-0", "#utbildning"]
    assert text_of(element(soup, "#utbildning-error")) == "Fel: Ange ett tal mellan 0 och 100."
    assert element(soup, "#utbildning")["value"] == "101"
    assert element(soup, "#kommentar")["value"] == "Kvar åäö"
    assert element(soup, "#sip_okning-1").has_attr("checked")
    assert stored(app, invited) == (None, 0)


def test_it_treats_a_post_without_a_button_as_a_submission(
    app: Flask, respondent: FlaskClient, invited: Invited
) -> None:
    assert respondent.post(invited.form_url, data=VALID).status_code == 303
    assert stored(app, invited)[1] == 1


# -- expired sessions and CSRF tokens keep what was typed ------------------------------------


def test_it_refuses_a_post_without_a_csrf_token_and_keeps_the_answers(csrf_app: Flask) -> None:
    invited = invite(csrf_app)
    client = csrf_app.test_client()
    opened(client, invited)
    response = client.post(invited.form_url, data={**VALID, "action": "submit"})
    assert response.status_code == 422
    soup = soup_of(response)
    assert title_of(response).startswith("Fel:")
    assert "Av säkerhetsskäl behöver du klicka på knappen igen – dina svar finns kvar" in text_of(
        element(soup, ".error-summary")
    )
    assert element(soup, "#utbildning")["value"] == "45,5"
    assert element(soup, "#nojdhet-1").has_attr("checked")
    assert stored(csrf_app, invited) == (None, 0)
    for action in ("save", "submit"):
        client.post(invited.form_url, data={**VALID, "action": action})
        client.post(invited.form_url, data={**VALID, "action": action, "csrf_token": "forged"})
    assert stored(csrf_app, invited) == (None, 0)

    # The page shown has a fresh token: pressing the button again stores the answers.
    again = client.post(
        invited.form_url, data={**VALID, "action": "submit", "csrf_token": csrf_token_of(response)}
    )
    assert again.status_code == 303
    assert stored(csrf_app, invited)[1] == 1


def test_it_shows_the_form_again_when_the_session_was_renewed_in_another_tab(
    csrf_app: Flask,
) -> None:
    """The session expired; the respondent opened the link anew in another tab (a new
    session, a new CSRF secret) and then pressed the button in the old tab."""
    invited = invite(csrf_app)
    client = csrf_app.test_client()
    opened(client, invited)
    old_token = csrf_token_of(client.get(invited.form_url))
    client.delete_cookie(COOKIE)
    opened(client, invited)  # the new tab
    client.get(invited.form_url)

    response = client.post(
        invited.form_url, data={**VALID, "action": "submit", "csrf_token": old_token}
    )
    assert response.status_code == 422
    assert "klicka på knappen igen" in text_of(element(soup_of(response), ".error-summary"))
    assert element(soup_of(response), "#utbildning")["value"] == "45,5"
    assert stored(csrf_app, invited) == (None, 0)
    again = client.post(
        invited.form_url, data={**VALID, "action": "submit", "csrf_token": csrf_token_of(response)}
    )
    assert again.status_code == 303
    assert stored(csrf_app, invited)[1] == 1


def test_it_keeps_the_answers_when_the_session_is_gone_until_the_link_is_opened_again(
    csrf_app: Flask,
) -> None:
    invited = invite(csrf_app)
    client = csrf_app.test_client()
    opened(client, invited)
    old_token = csrf_token_of(client.get(invited.form_url))
    client.delete_cookie(COOKIE)  # the session expired

    posted = {
        **VALID,
        "omraden": ["fallrisk", "undernaring"],
        "kommentar": 'Citat "x" & <y>',
        "action": "save",
        "csrf_token": old_token,
    }
    response = client.post(invited.form_url, data=posted)
    assert response.status_code == 403
    soup = soup_of(response)
    assert title_of(response).startswith("Öppna enkäten via länken i ditt e-postmeddelande")
    text = text_of(soup)
    assert "Dina svar är inte sparade än, men de finns kvar på den här sidan" in text
    assert "Öppna länken i ditt e-postmeddelande i en ny flik" in text
    kept_form = element(soup, "form.kept-answers")
    assert kept_form["action"] == invited.form_url
    hidden = [
        (str(field["name"]), str(field["value"]))
        for field in kept_form.select('input[type="hidden"]')
        if field["name"] != "csrf_token"
    ]
    assert sorted(hidden) == sorted(
        [
            ("sip_okning", "nej"),
            ("nojdhet", "ganska_nojd"),
            ("utbildning", "45,5"),
            ("omraden", "fallrisk"),
            ("omraden", "undernaring"),
            ("kommentar", 'Citat "x" & <y>'),
        ]
    )
    assert stored(csrf_app, invited) == (None, 0)

    # In a new tab the link is opened; back here, the button posts the kept answers.
    opened(client, invited)
    data: dict[str, Any] = {}
    for field in kept_form.select('input[type="hidden"]'):
        data.setdefault(str(field["name"]), []).append(str(field["value"]))
    result = client.post(invited.form_url, data={**data, "action": "save"})
    if result.status_code == 422:  # a new CSRF secret: the form once more, with a fresh token
        assert "klicka på knappen igen" in text_of(soup_of(result))
        result = client.post(
            invited.form_url, data={**data, "action": "save", "csrf_token": csrf_token_of(result)}
        )
    assert result.status_code == 303
    draft = stored(csrf_app, invited)[0]
    assert draft is not None and draft.draft is not None
    assert draft.draft["omraden"] == ["fallrisk", "undernaring"]
    assert draft.draft["kommentar"] == 'Citat "x" & <y>'


def test_it_does_not_let_a_post_without_a_token_change_the_reminder_choice(
    csrf_app: Flask,
) -> None:
    invited = invite(csrf_app)
    client = csrf_app.test_client()
    opened(client, invited)
    response = client.post(invited.reminders_url, data={"paminnelser": "nej"})
    assert response.status_code == 303
    assert recipient_row(csrf_app, invited).opted_out is False
    page = soup_of(client.get(invited.form_url))
    assert "klicka på knappen igen" in text_of(element(page, ".flash-messages"))
    token = element(page, '#paminnelser input[name="csrf_token"]')["value"]
    client.post(invited.reminders_url, data={"paminnelser": "nej", "csrf_token": token})
    assert recipient_row(csrf_app, invited).opted_out is True


# -- reminders, headers, escaping ---------------------------------------------------------------


def test_it_lets_the_respondent_stop_and_restart_reminders(
    app: Flask, respondent: FlaskClient, invited: Invited
) -> None:
    response = respondent.post(invited.reminders_url, data={"paminnelser": "nej"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{invited.form_url}#paminnelser"
    assert recipient_row(app, invited).opted_out is True
    soup = soup_of(respondent.get(invited.form_url))
    assert "Du får inga fler påminnelser" in text_of(element(soup, ".flash-messages"))
    assert "Du har valt att inte få fler påminnelser" in text_of(element(soup, "#paminnelser"))
    respondent.post(invited.reminders_url, data={"paminnelser": "ja"})
    assert recipient_row(app, invited).opted_out is False
    assert (
        FlaskClient(app).post(invited.reminders_url, data={"paminnelser": "nej"}).status_code == 403
    )
    assert recipient_row(app, invited).opted_out is False


def test_it_sends_no_referrer_and_no_caching_on_every_respondent_page(
    app: Flask, client: FlaskClient, invited: Invited
) -> None:
    responses = [client.get(f"/svara/{invited.round_id}/{'D' * 43}"), client.get(invited.link)]
    responses.append(client.get(invited.form_url))
    responses.append(client.post(invited.form_url, data={"action": "submit"}))
    responses.append(client.post(invited.form_url, data={**VALID, "action": "submit"}))
    responses.append(client.get(invited.confirmation_url))
    responses.append(FlaskClient(app).get(invited.form_url))
    assert [r.status_code for r in responses] == [404, 303, 200, 422, 303, 200, 403]
    for response in responses:
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        if response.status_code != 303:
            assert element(soup_of(response), "html")["lang"] == "sv"


def test_it_escapes_the_organisation_name(app: Flask, client: FlaskClient) -> None:
    invited = invite(app, organisation="<script>alert('x')</script> & Co", kommun='"Höganäs"')
    opened(client, invited)
    for address in (invited.form_url,):
        body = client.get(address).get_data(as_text=True)
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(" in body
    client.post(invited.form_url, data={**VALID, "action": "submit"})
    body = client.get(invited.confirmation_url).get_data(as_text=True)
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_it_shows_times_in_swedish_local_time_with_the_last_day_for_a_midnight_close(
    app: Flask, client: FlaskClient
) -> None:
    invited = invite(app, round_fields={"closes_at": datetime(2099, 12, 31, 23, 0, tzinfo=UTC)})
    opened(client, invited)
    soup = soup_of(client.get(invited.form_url))
    facts = text_of(element(soup, ".respondent-facts"))
    assert "Sista dag att svara 31 december 2099" in facts  # 00.00 on 1 January, Swedish time
    assert "kl." not in facts
    update_round(app, invited.round_id, closes_at=datetime(2099, 6, 30, 13, 30, tzinfo=UTC))
    facts = text_of(element(soup_of(client.get(invited.form_url)), ".respondent-facts"))
    assert "30 juni 2099 kl. 15.30" in facts  # summer time


def test_it_never_shows_the_token_anywhere_after_the_trade(
    respondent: FlaskClient, invited: Invited
) -> None:
    pages = [
        respondent.get(invited.form_url),
        respondent.post(invited.form_url, data={"action": "submit"}),
    ]
    respondent.post(invited.form_url, data={**VALID, "action": "submit"})
    pages.append(respondent.get(invited.confirmation_url))
    for page in pages:
        assert invited.token not in page.get_data(as_text=True)
        assert not re.search(r"/svara/\d+/[A-Za-z0-9_-]{43}", page.get_data(as_text=True))
