"""Logins and links are throttled, and no answer tells whether an account exists.

Cross-checks of survey.accounts and survey.answering.respondent (their own tests cover
the mechanics): every way a login can fail gives the very same page; throttling treats
unknown and known addresses alike; the password-change page is throttled as the login
is; the counters store no address in clear.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from survey.db import db
from survey.schema.ratelimit import RateLimitCounter
from tests.factories import DEFAULT_PASSWORD, MakeApp, login, make_user
from tests.respondent_helpers import invite

WRONG = "fel-lösenord-men-långt"
LOGIN_FAILED = "Fel e-postadress eller lösenord."
THROTTLED = "För många misslyckade inloggningsförsök."


@pytest.fixture
def strict_app(make_app: MakeApp) -> Flask:
    """CSRF on; three failures per email in ten minutes; three wrong links per address."""
    app: Flask = make_app(
        WTF_CSRF_ENABLED=True,
        SURVEY_LOGIN_MAX_FAILURES=3,
        SURVEY_LOGIN_WINDOW_SECONDS=600,
        SURVEY_TOKEN_MAX_FAILURES=3,
        SURVEY_TOKEN_WINDOW_SECONDS=600,
    )
    return app


def add_user(app: Flask, *, active: bool = True) -> str:
    with app.app_context():
        email = make_user("processledare", "NV", active=active).email
        db.session.commit()
        return email


def normalised(html: str, email: str) -> str:
    """The page without what differs between any two requests: tokens and the typed email."""
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    return html.replace(email, "EMAIL")


def test_it_gives_the_same_answer_for_every_kind_of_failed_login(strict_app: Flask) -> None:
    active = add_user(strict_app)
    inactive = add_user(strict_app, active=False)
    attempts = {
        "unknown address": ("ingen.alls@example.se", DEFAULT_PASSWORD),
        "wrong password": (active, WRONG),
        "deactivated, right password": (inactive, DEFAULT_PASSWORD),
        "deactivated, wrong password": (inactive, WRONG),
    }
    pages = {}
    for what, (email, password) in attempts.items():
        response = login(strict_app.test_client(), email, password)
        assert response.status_code == 200, what
        html = response.get_data(as_text=True)
        assert LOGIN_FAILED in html, what
        pages[what] = normalised(html, email)
    assert len(set(pages.values())) == 1, "a failed login tells something about the account"


def test_it_throttles_unknown_and_known_addresses_alike(strict_app: Flask) -> None:
    known = add_user(strict_app)
    unknown = "finns.inte@example.se"
    pages = {}
    for email in (known, unknown):
        client = strict_app.test_client()
        statuses = [login(client, email, WRONG).status_code for _ in range(3)]
        response = login(client, email, DEFAULT_PASSWORD)
        assert statuses == [200, 200, 200]
        assert response.status_code == 429
        html = response.get_data(as_text=True)
        assert THROTTLED in html
        pages[email] = normalised(html, email)
    assert pages[known] == pages[unknown]


def test_it_throttles_wrong_current_passwords_on_the_password_change_page(
    strict_app: Flask,
) -> None:
    email = add_user(strict_app)
    client = strict_app.test_client()
    assert login(client, email).status_code == 302

    def change(current: str) -> tuple[int, str]:
        page = client.get("/konto/losenord").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        response = client.post(
            "/konto/losenord",
            data={
                "csrf_token": token.group(1),
                "current_password": current,
                "password": "ett-nytt-lösenord-som-duger",
                "password_confirm": "ett-nytt-lösenord-som-duger",
            },
        )
        return response.status_code, response.get_data(as_text=True)

    for _ in range(3):
        status, html = change(WRONG)
        assert status == 200 and "Det nuvarande lösenordet är fel." in html
    status, html = change(DEFAULT_PASSWORD)  # even the right one, now
    assert status == 429
    assert THROTTLED in html
    # The password is unchanged: the old one still logs in once the window has passed.
    with strict_app.app_context():
        for counter in db.session.scalars(select(RateLimitCounter)):
            db.session.delete(counter)
        db.session.commit()
    assert login(strict_app.test_client(), email).status_code == 302


def test_it_throttles_link_guessing_per_address_and_says_nothing_about_the_link(
    strict_app: Flask,
) -> None:
    invited = invite(strict_app)
    guesser = {"REMOTE_ADDR": "203.0.113.9"}
    client = strict_app.test_client()
    wrong = f"/svara/{invited.round_id}/{'G' * 43}"
    assert [client.get(wrong, environ_base=guesser).status_code for _ in range(3)] == [404] * 3
    limited = client.get(wrong, environ_base=guesser)
    other_wrong = client.get(f"/svara/{invited.round_id}/{'H' * 43}", environ_base=guesser)
    assert (limited.status_code, other_wrong.status_code) == (429, 429)
    assert limited.headers["Retry-After"] == other_wrong.headers["Retry-After"] == "600"
    assert limited.get_data() == other_wrong.get_data()  # every wrong link alike
    # A valid link is always let in, from that address too (a 2⁻²⁵⁶ guess gains nothing).
    assert client.get(invited.link, environ_base=guesser).status_code == 303
    assert strict_app.test_client().get(invited.link).status_code == 303


def test_it_keeps_no_address_in_clear_in_the_throttling_counters(strict_app: Flask) -> None:
    email = add_user(strict_app)
    address = "203.0.113.77"
    login(strict_app.test_client(), email, WRONG, environ_base={"REMOTE_ADDR": address})
    strict_app.test_client().get("/svara/1/" + "H" * 43, environ_base={"REMOTE_ADDR": address})
    with strict_app.app_context():
        keys = list(db.session.scalars(select(RateLimitCounter.key)))
    # The email (its count and its last failure), the address and the pair for logins,
    # the address for links.
    assert len(keys) == 5
    for key in keys:
        assert email not in key and address not in key
        kind, _, digest = key.partition(":")
        assert kind in {"login-email", "login-email-last", "login-address", "login-pair",
                        "token-ip"}  # fmt: skip
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
