"""What a logged-in user typed survives a refused CSRF token and an ended session (issue 11,
finding 8), as the respondents' answers do: the page keeps it, and one press posts it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey.db import db
from survey.schema.rounds import Recipient
from tests.factories import DEFAULT_PASSWORD
from tests.security_helpers import World, client_of, form_values, seed_world

TYPED = {
    "name": "Dagny Dahlström",
    "email": "dagny.dahlstrom@example.se",
    "organisation": "Vårdcentralen Bjuv – en lång text som tog tid att skriva",
    "organisation_type": "regional_pv",
    "kommun": "Bjuv",
    "delregion": "NV",
}


# What a browser sends with a post from one of our pages.
FROM_OUR_PAGE = {"Origin": "http://localhost"}


def new_recipient_form(client: FlaskClient, world: World) -> tuple[str, dict[str, str]]:
    url = f"/omgangar/{world.round_id}/mottagare/ny"
    page = client.get(url)
    assert page.status_code == 200
    values = form_values(page.get_data(as_text=True), url)
    values.update(TYPED)
    return url, values


def stored(app: Flask, world: World) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Recipient.name).where(
                    Recipient.round_id == world.round_id, Recipient.email == TYPED["email"]
                )
            )
        )


def test_it_keeps_the_typed_text_when_the_token_no_longer_holds(csrf_app: Flask) -> None:
    world = seed_world(csrf_app)
    leader = client_of(csrf_app, world.cast.leader_nv.email)
    url, values = new_recipient_form(leader, world)
    values["csrf_token"] = "ett-gammalt-token-från-förra-nyckeln"
    refused = leader.post(url, data=values, headers=FROM_OUR_PAGE)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Det du skrev finns kvar" in html
    assert TYPED["organisation"] in html
    assert stored(csrf_app, world) == []
    again = form_values(html, url)  # the page's own form, with a fresh token
    assert {name: again[name] for name in TYPED} == TYPED
    assert leader.post(url, data=again).status_code == 302
    assert stored(csrf_app, world) == [TYPED["name"]]


def test_it_keeps_the_typed_text_across_a_new_login_when_the_session_has_ended(
    csrf_app: Flask,
) -> None:
    world = seed_world(csrf_app)
    leader = client_of(csrf_app, world.cast.leader_nv.email)
    url, values = new_recipient_form(leader, world)
    # Twelve hours later the browser has dropped the expired cookie: no session at all.
    browser = csrf_app.test_client()
    refused = browser.post(url, data=values, headers=FROM_OUR_PAGE)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "du har blivit utloggad" in html and "Det du skrev finns kvar" in html
    assert TYPED["organisation"] in html
    login_form = form_values(html, "/logga-in")
    login_form.update(email=world.cast.leader_nv.email, password=DEFAULT_PASSWORD)
    # A wrong password first: the login page goes on carrying the text.
    wrong = browser.post(
        f"/logga-in?next={url}", data={**login_form, "password": "fel-lösenord-1234"}
    )
    assert wrong.status_code == 200
    login_form = form_values(wrong.get_data(as_text=True), "/logga-in")
    login_form["password"] = DEFAULT_PASSWORD
    logged_in = browser.post(f"/logga-in?next={url}", data=login_form)
    page = logged_in.get_data(as_text=True)
    assert logged_in.status_code == 200 and "Du är inloggad igen" in page
    assert stored(csrf_app, world) == []  # nothing is posted without the user's press
    again = form_values(page, url)
    assert {name: again[name] for name in TYPED} == TYPED
    final = browser.post(url, data=again)
    assert final.status_code == 302, final.get_data(as_text=True)
    assert stored(csrf_app, world) == [TYPED["name"]]


def test_it_never_carries_a_password_or_the_old_token(csrf_app: Flask) -> None:
    world = seed_world(csrf_app)
    leader = client_of(csrf_app, world.cast.leader_nv.email)
    data = {"csrf_token": "gammalt-token", "current_password": "hemligt-lösen-123",
            "password": "nytt-hemligt-123", "password_confirm": "nytt-hemligt-123"}  # fmt: skip
    html = leader.post("/konto/losenord", data=data, headers=FROM_OUR_PAGE).get_data(as_text=True)
    assert "hemligt" not in html and "gammalt-token" not in html


def test_it_keeps_nothing_of_a_post_forged_on_another_site(csrf_app: Flask) -> None:
    # A forged post says where it came from (Origin) and arrives without the session
    # cookie (SameSite=Lax): nothing it carried is offered to be posted, not even after a
    # login; the same holds for a post whose Referer is another site.
    world = seed_world(csrf_app)
    leader = client_of(csrf_app, world.cast.leader_nv.email)
    url, values = new_recipient_form(leader, world)
    values["csrf_token"] = "förfalskat"
    for headers in ({"Origin": "https://angripare.example"},
                    {"Referer": "https://angripare.example/sida"}):  # fmt: skip
        for client in (csrf_app.test_client(), leader):
            html = client.post(url, data=values, headers=headers).get_data(as_text=True)
            assert "Det du skrev finns kvar" not in html and TYPED["organisation"] not in html
            assert "Skicka igen" not in html and "behall__" not in html
