"""Logging in and out: messages, throttling, sessions, the `next` address, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.urls import iri_to_uri

from config import load_settings
from survey.accounts.passwords import Verification, verify_password
from survey.accounts.redirects import safe_next_path
from survey.db import db, utcnow
from survey.schema.accounts import User
from survey.schema.ratelimit import RateLimitCounter
from tests.factories import DEFAULT_PASSWORD, MakeApp, login, make_user

LOGIN_FAILED = "Fel e-postadress eller lösenord."
THROTTLED = "För många misslyckade inloggningsförsök."


def add_user(app: Flask, role: str = "admin", delregion: str | None = None, **fields: Any) -> str:
    with app.app_context():
        user = make_user(role, delregion, **fields)
        db.session.commit()
        return user.email


def counters(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RateLimitCounter)) or 0


def user_row(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(user)
        return user


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/konto/losenord").status_code == 200


def page_without_tokens(html: str, email: str) -> str:
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    return html.replace(email, "EMAIL")


def test_it_shows_a_login_form_with_labelled_fields(client: FlaskClient) -> None:
    response = client.get("/logga-in")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<label for="email">E-post</label>' in html
    assert '<label for="password">Lösenord</label>' in html
    assert 'autocomplete="current-password"' in html


def test_it_logs_in_and_lands_on_the_first_page_of_the_menu(
    app: Flask, client: FlaskClient
) -> None:
    email = add_user(app, "admin")
    response = login(client, email.upper())  # email case does not matter
    assert response.status_code == 302
    assert response.location == "/omgangar"
    assert user_row(app, email).last_login_at is not None
    assert is_logged_in(client)


def test_it_lands_readers_on_the_rounds_they_may_read(app: Flask, client: FlaskClient) -> None:
    email = add_user(app, "lasare", "NV")
    assert login(client, email).location == "/omgangar"


def test_it_answers_unknown_emails_and_wrong_passwords_alike(app: Flask) -> None:
    known = add_user(app, "processledare", "NV")
    unknown = "finns.inte@example.se"
    wrong_password = login(app.test_client(), known, "fel-lösenord-123456")
    unknown_email = login(app.test_client(), unknown, "fel-lösenord-123456")
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert LOGIN_FAILED in wrong_password.get_data(as_text=True)
    assert page_without_tokens(wrong_password.get_data(as_text=True), known) == page_without_tokens(
        unknown_email.get_data(as_text=True), unknown
    )


def test_it_spends_one_real_verification_on_an_unknown_email_as_on_a_wrong_password(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Equal work, not equal seconds: timings belong in benchmarks, not in tests."""
    app = make_app(SURVEY_FAST_PASSWORD_HASHING=False)  # the real parameters
    known = add_user(app, "processledare", "NV")
    verified: list[tuple[int, int, int]] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        verified.append((self.time_cost, self.memory_cost, self.parallelism))
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    login(app.test_client(), known, "fel-lösenord-123456")
    for_known = list(verified)
    verified.clear()
    login(app.test_client(), "finns.inte@example.se", "fel-lösenord-123456")
    assert for_known and verified == for_known


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({"email": "", "password": ""}, ["Ange din e-postadress.", "Ange ditt lösenord."]),
        ({"email": "a@example.se", "password": ""}, ["Ange ditt lösenord."]),
        ({"email": " ", "password": "x"}, ["Ange din e-postadress."]),
    ],
)
def test_it_asks_for_missing_fields_without_counting_a_failure(
    app: Flask, client: FlaskClient, data: dict[str, str], messages: list[str]
) -> None:
    response = client.post("/logga-in", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Fel: Logga in" in html
    for message in messages:
        assert f'">{message}</a></li>' in html
    assert counters(app) == 0


def test_it_refuses_a_deactivated_user_with_the_right_password(
    app: Flask, client: FlaskClient
) -> None:
    email = add_user(app, "processledare", "NV", active=False)
    response = login(client, email)
    assert response.status_code == 200
    assert LOGIN_FAILED in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_it_ends_the_session_of_a_user_who_is_deactivated(app: Flask, client: FlaskClient) -> None:
    email = add_user(app, "processledare", "NV")
    login(client, email)
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(active=False))
        db.session.commit()
    assert not is_logged_in(client)


@pytest.fixture
def strict_app(make_app: MakeApp) -> Flask:
    """Three failures per email (twelve per address) in a 10-minute window."""
    app: Flask = make_app(SURVEY_LOGIN_MAX_FAILURES=3, SURVEY_LOGIN_WINDOW_SECONDS=600)
    return app


def test_it_throttles_an_email_after_too_many_failures(strict_app: Flask) -> None:
    email = add_user(strict_app, "processledare", "NV")
    client = strict_app.test_client()
    for _ in range(3):
        assert login(client, email, "fel-lösenord-123456").status_code == 200
    response = login(client, email)  # even the right password
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert THROTTLED in html
    assert "Vänta 10 minuter" in html
    assert response.headers["Retry-After"] in {"599", "600"}
    assert not is_logged_in(client)


def test_it_lets_the_real_user_in_from_elsewhere_while_an_attacker_is_throttled(
    strict_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wrong passwords for an email from one address must not lock its owner out.
    email = add_user(strict_app, "processledare", "NV")
    attacker = {"REMOTE_ADDR": "203.0.113.66"}
    for _ in range(3):
        assert (
            login(strict_app.test_client(), email, "fel-1234567", environ_base=attacker).status_code
            == 200
        )
    assert login(strict_app.test_client(), email, environ_base=attacker).status_code == 429
    # The account is only slowed down: a second after the last failure, the owner is in.
    later = utcnow() + timedelta(seconds=2)
    monkeypatch.setattr("survey.accounts.authentication.utcnow", lambda: later)
    owner = strict_app.test_client()
    assert login(owner, email, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302
    assert is_logged_in(owner)


def test_it_slows_down_guesses_at_one_account_from_many_addresses(
    strict_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = add_user(strict_app, "processledare", "NV")
    start = utcnow()
    clock = {"now": start}
    monkeypatch.setattr("survey.accounts.authentication.utcnow", lambda: clock["now"])
    monkeypatch.setattr("survey.ratelimit.utcnow", lambda: clock["now"])
    for number in range(3):  # three addresses, one guess each: the account's allowance
        address = {"REMOTE_ADDR": f"198.51.100.{number}"}
        assert (
            login(strict_app.test_client(), email, "fel-1234567", environ_base=address).status_code
            == 200
        )
    for waited, expected_wait in ((0, 1), (1, 2), (2, 4), (4, 8)):
        clock["now"] += timedelta(seconds=waited)
        address = {"REMOTE_ADDR": f"198.51.100.{10 + waited}"}
        response = login(strict_app.test_client(), email, "fel-1234567", environ_base=address)
        if waited == 0:
            assert response.status_code == 429  # too soon after the last failure
            html = response.get_data(as_text=True)
            assert "Vänta 1 sekund och försök sedan igen." in html
            continue
        assert response.status_code == 200  # waited long enough: the guess is checked
        too_soon = login(strict_app.test_client(), email, "fel-1234567", environ_base=address)
        assert too_soon.status_code == 429
        assert too_soon.headers["Retry-After"] == str(expected_wait)
        assert f"Vänta {expected_wait} sekunder" in too_soon.get_data(as_text=True)


def test_it_throttles_a_client_address_after_four_times_as_many_failures(strict_app: Flask) -> None:
    email = add_user(strict_app, "processledare", "NV")
    client = strict_app.test_client()
    address = {"REMOTE_ADDR": "198.51.100.4"}
    for number in range(12):
        guess = f"gissning{number}@example.se"
        response = login(client, guess, "fel-lösenord-123", environ_base=address)
        assert response.status_code == 200
    assert login(client, email, environ_base=address).status_code == 429
    elsewhere = strict_app.test_client()
    assert login(elsewhere, email, environ_base={"REMOTE_ADDR": "198.51.100.5"}).status_code == 302


def test_it_forgets_an_emails_failures_after_a_successful_login(strict_app: Flask) -> None:
    email = add_user(strict_app, "processledare", "NV")
    client = strict_app.test_client()
    for _ in range(2):
        login(client, email, "fel-lösenord-123456")
    assert login(client, email).status_code == 302
    client.post("/logga-ut")
    for _ in range(2):
        login(client, email, "fel-lösenord-123456")
    # Four failures in the window, but only two since the success.
    assert login(client, email).status_code == 302


def test_it_lets_an_email_try_again_once_the_window_has_passed(strict_app: Flask) -> None:
    email = add_user(strict_app, "processledare", "NV")
    client = strict_app.test_client()
    for _ in range(3):
        login(client, email, "fel-lösenord-123456")
    assert login(client, email).status_code == 429
    with strict_app.app_context():
        counter_rows = db.session.scalars(select(RateLimitCounter)).all()
        for counter in counter_rows:
            counter.window_started_at -= timedelta(seconds=601)
        db.session.commit()
    assert login(client, email).status_code == 302


def test_it_keeps_the_session_in_a_hardened_cookie_with_production_settings(
    make_app: MakeApp, tmp_path: Path
) -> None:
    production = load_settings(
        "production",
        tmp_path,
        {
            "SECRET_KEY": "k3y-Zq8vN2xLp5RtY7wB4mC9dF6gH1jK0sA",
            "DATABASE_URL": "postgresql://survey@db/survey",
            "SURVEY_BASE_URL": "https://enkat.example.se",
        },
    )
    cookie_settings = {key: value for key, value in production.items() if "COOKIE" in key}
    assert cookie_settings["SESSION_COOKIE_SECURE"] is True
    app = make_app(**cookie_settings)
    email = add_user(app, "admin")
    response = login(app.test_client(), email, base_url="https://localhost")
    assert response.status_code == 302
    cookie = next(
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith("survey_session=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "expires"} <= attributes
    assert "SameSite=Lax" in cookie


def test_it_starts_a_fresh_session_on_login(app: Flask, client: FlaskClient) -> None:
    email = add_user(app, "admin")
    with client.session_transaction() as session:
        session["planted_by_someone_else"] = "x"
    login(client, email)
    with client.session_transaction() as session:
        assert "planted_by_someone_else" not in session
        assert session.permanent


def test_it_logs_out(app: Flask, client: FlaskClient) -> None:
    email = add_user(app, "admin")
    login(client, email)
    response = client.post("/logga-ut", follow_redirects=True)
    assert "Du är nu utloggad." in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_it_sends_visitors_to_the_login_page_and_back(app: Flask, client: FlaskClient) -> None:
    email = add_user(app, "admin")
    response = client.get("/admin/anvandare?sida=2")
    assert response.status_code == 302
    location = urlsplit(response.location)
    assert location.path == "/logga-in"
    assert parse_qs(location.query) == {"next": ["/admin/anvandare?sida=2"]}
    page = client.get(response.location).get_data(as_text=True)
    assert "Logga in för att se sidan." in page
    assert login(client, email, query_string={"next": "/admin/anvandare?sida=2"}).location == (
        "/admin/anvandare?sida=2"
    )


def test_it_sends_a_logged_in_user_away_from_the_login_page(
    app: Flask, client: FlaskClient
) -> None:
    email = add_user(app, "admin")
    login(client, email)
    assert client.get("/logga-in").location == "/omgangar"
    assert client.get("/logga-in?next=/konto/losenord").location == "/konto/losenord"


NEXT_TARGETS = [
    ("/", "/"),
    ("/admin/anvandare", "/admin/anvandare"),
    ("/omgangar/3?flik=resultat#svar", "/omgangar/3?flik=resultat#svar"),
    ("/sök/å", "/sök/å"),
    ("//evil.example", None),
    ("///evil.example", None),
    ("https://evil.example/", None),
    ("http:evil.example", None),
    ("/\\evil.example", None),
    ("\\\\evil.example", None),
    ("/ok\\..\\evil", None),
    ("javascript:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("evil.example", None),
    ("admin/anvandare", None),
    (" //evil.example", None),
    ("/\t/evil.example", None),
    ("/ok\r\nSet-Cookie: x=1", None),
    ("", None),
    (None, None),
    ("/" + "a" * 3000, None),
]


@pytest.mark.parametrize(("target", "expected"), NEXT_TARGETS)
def test_it_accepts_only_paths_on_this_site_as_next(
    target: str | None, expected: str | None
) -> None:
    assert safe_next_path(target) == expected


@pytest.mark.parametrize(("target", "expected"), NEXT_TARGETS[:12])
def test_it_redirects_after_login_only_within_the_site(
    app: Flask, client: FlaskClient, target: str, expected: str | None
) -> None:
    email = add_user(app, "admin")
    response = login(client, email, query_string={"next": target})
    assert response.status_code == 302
    assert response.location == iri_to_uri(expected or "/omgangar")


def test_it_rehashes_a_password_hashed_with_old_parameters(app: Flask, client: FlaskClient) -> None:
    old_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(DEFAULT_PASSWORD)
    email = add_user(app, "admin")
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(password_hash=old_hash))
        db.session.commit()
    assert login(client, email).status_code == 302
    new_hash = user_row(app, email).password_hash
    assert new_hash != old_hash
    with app.app_context():  # the app's parameters, now those of the stored hash
        assert verify_password(new_hash, DEFAULT_PASSWORD) == Verification(True, False)


def test_it_ends_other_sessions_when_a_user_changes_their_password(app: Flask) -> None:
    email = add_user(app, "processledare", "NV")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, email)
    login(elsewhere, email)
    response = here.post(
        "/konto/losenord",
        data={
            "current_password": DEFAULT_PASSWORD,
            "password": "ett-nytt-långt-lösenord",
            "password_confirm": "ett-nytt-långt-lösenord",
        },
    )
    assert response.status_code == 302
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert elsewhere.get("/konto/losenord").location.startswith("/logga-in")
    assert login(elsewhere, email, "ett-nytt-långt-lösenord").status_code == 302
    assert user_row(app, email).session_generation == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "current_password": "fel-lösenord-123",
                "password": "x" * 12,
                "password_confirm": "x" * 12,
            },
            "Det nuvarande lösenordet är fel.",
        ),
        (
            {"current_password": DEFAULT_PASSWORD, "password": "kort", "password_confirm": "kort"},
            "Lösenordet måste vara minst 12 tecken långt.",
        ),
        (
            {
                "current_password": DEFAULT_PASSWORD,
                "password": "a" * 12,
                "password_confirm": "b" * 12,
            },
            "Lösenorden stämmer inte överens.",
        ),
        (
            {"current_password": DEFAULT_PASSWORD, "password": "", "password_confirm": ""},
            "Ange ett lösenord.",
        ),
    ],
)
def test_it_keeps_the_password_when_the_change_is_refused(
    app: Flask, client: FlaskClient, data: dict[str, str], message: str
) -> None:
    email = add_user(app, "processledare", "NV")
    login(client, email)
    before = user_row(app, email).password_hash
    response = client.post("/konto/losenord", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert "<title>Fel: Byt lösenord" in html
    assert user_row(app, email).password_hash == before
    assert is_logged_in(client)


def test_it_refuses_a_login_without_a_csrf_token_and_changes_nothing(csrf_app: Flask) -> None:
    email = add_user(csrf_app, "admin")
    client = csrf_app.test_client()
    response = client.post("/logga-in", data={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "Felaktig begäran" in response.get_data(as_text=True)
    assert counters(csrf_app) == 0
    assert user_row(csrf_app, email).last_login_at is None
    assert client.get("/admin/anvandare").status_code == 302
    # With the token from the form the same login works.
    assert login(client, email).status_code == 302
    assert client.get("/admin/anvandare").status_code == 200


def test_it_refuses_a_logout_without_a_csrf_token(csrf_app: Flask) -> None:
    email = add_user(csrf_app, "admin")
    client = csrf_app.test_client()
    assert login(client, email).status_code == 302
    assert client.post("/logga-ut").status_code == 400
    assert client.get("/admin/anvandare").status_code == 200


@pytest.mark.parametrize(("trusted_proxies", "other_address_limited"), [(1, False), (0, True)])
def test_it_throttles_the_forwarded_address_only_behind_trusted_proxies(
    make_app: MakeApp, trusted_proxies: int, other_address_limited: bool
) -> None:
    app = make_app(SURVEY_TRUSTED_PROXIES=trusted_proxies, SURVEY_LOGIN_MAX_FAILURES=1)
    email = add_user(app, "processledare", "NV")
    client = app.test_client()
    for number in range(4):
        forwarded = {"X-Forwarded-For": "203.0.113.10"}
        login(client, f"gissning{number}@example.se", "fel-lösenord-123", headers=forwarded)
    assert login(client, email, headers={"X-Forwarded-For": "203.0.113.10"}).status_code == 429
    response = login(client, email, headers={"X-Forwarded-For": "203.0.113.11"})
    assert (response.status_code == 429) is other_address_limited


def test_it_names_every_problem_of_a_new_password_at_once(app: Flask, client: FlaskClient) -> None:
    email = add_user(app, "processledare", "NV")
    login(client, email)
    data = {"current_password": "", "password": "kort", "password_confirm": "annat"}
    html = client.post("/konto/losenord", data=data).get_data(as_text=True)
    start = html.index('class="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    linked_fields = re.findall(r'href="#(\w+)"', summary)
    assert linked_fields == ["current_password", "password", "password_confirm"]


def test_it_answers_a_login_with_control_characters_like_any_failure(
    app: Flask, client: FlaskClient
) -> None:
    email = add_user(app, "admin")
    response = login(client, email.replace("@", "\x00@"))
    assert response.status_code == 200
    assert LOGIN_FAILED in response.get_data(as_text=True)
