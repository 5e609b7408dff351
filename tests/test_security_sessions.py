"""Sessions held on the server: a copied cookie stops working at logout, deactivation, a new
password, and at the absolute end of the session however active its user has been."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey.accounts import sessions
from survey.db import db, utcnow
from survey.schema.sessions import UserSession
from tests.factories import DEFAULT_PASSWORD, login, make_user

COOKIE = "survey_session"


def add_user(app: Flask, role: str = "processledare") -> tuple[int, str]:
    with app.app_context():
        user = make_user(role, None if role == "admin" else "NV")
        db.session.commit()
        return user.id, user.email


def logged_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def replay(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of the first one's session cookie."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def is_logged_in(client: FlaskClient) -> bool:
    response = client.get("/omgangar")
    if response.status_code == 302:
        assert "/logga-in" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def sessions_of(app: Flask, user_id: int) -> int:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)
            )
            or 0
        )


def test_it_ends_the_session_on_the_server_at_logout(app: Flask) -> None:
    user_id, email = add_user(app)
    client = logged_in(app, email)
    copy = replay(app, client)
    assert is_logged_in(copy)
    assert client.post("/logga-ut").status_code == 302
    assert not is_logged_in(copy)
    # No refreshed cookie that could log anyone in either.
    assert copy.get("/omgangar/ny").status_code == 302
    assert sessions_of(app, user_id) == 0


def test_it_ends_every_session_of_a_user_an_administrator_deactivates(app: Flask) -> None:
    user_id, email = add_user(app)
    first, second = logged_in(app, email), logged_in(app, email)
    copy = replay(app, first)
    assert sessions_of(app, user_id) == 2
    _, admin_email = add_user(app, "admin")
    admin = logged_in(app, admin_email)
    assert admin.post(f"/admin/anvandare/{user_id}/inaktivera").status_code == 302
    assert sessions_of(app, user_id) == 0
    for client in (first, second, copy):
        assert not is_logged_in(client)


def test_it_ends_the_other_sessions_on_a_password_change_and_keeps_this_one(app: Flask) -> None:
    user_id, email = add_user(app)
    here, elsewhere = logged_in(app, email), logged_in(app, email)
    response = here.post(
        "/konto/losenord",
        data={
            "current_password": DEFAULT_PASSWORD,
            "password": "ett helt nytt lösenord 2026",
            "password_confirm": "ett helt nytt lösenord 2026",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert sessions_of(app, user_id) == 1


def test_it_ends_a_session_at_its_absolute_lifetime_however_active(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, email = add_user(app)
    client = logged_in(app, email)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    with app.app_context():
        row = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).one()
        started, ends = row.created_at, row.expires_at
    assert ends - started == lifetime
    # Busy all day: a request every hour until a minute before the end.
    clock = {"now": started}
    monkeypatch.setattr(sessions, "utcnow", lambda: clock["now"])
    for hour in range(int(lifetime / timedelta(hours=1))):
        clock["now"] = started + timedelta(hours=hour, minutes=59)
        assert is_logged_in(client), f"logged out after {hour} hours"
    with app.app_context():
        stored = db.session.get(UserSession, row.id_hash)
        assert stored is not None and stored.expires_at == ends  # never extended
    clock["now"] = ends + timedelta(seconds=1)
    assert not is_logged_in(client)


def test_it_refuses_a_cookie_whose_session_was_never_recorded(app: Flask) -> None:
    _, email = add_user(app)
    client = logged_in(app, email)
    with client.session_transaction() as cookie_session:
        cookie_session[sessions.SESSION_ID_KEY] = "made-up-session-id"
    assert not is_logged_in(client)


def test_it_keeps_only_a_hash_of_the_session_id_and_drops_ended_sessions_at_login(
    app: Flask,
) -> None:
    user_id, email = add_user(app)
    client = logged_in(app, email)
    with client.session_transaction() as cookie_session:
        session_id = cookie_session[sessions.SESSION_ID_KEY]
    with app.app_context():
        hashes = list(db.session.scalars(select(UserSession.id_hash)))
        assert session_id not in hashes
        long_ago: datetime = utcnow() - timedelta(days=2)
        db.session.add(
            UserSession(id_hash="0" * 64, user_id=user_id, created_at=long_ago,
                        expires_at=long_ago + timedelta(hours=12))
        )  # fmt: skip
        db.session.commit()
    logged_in(app, email)
    assert sessions_of(app, user_id) == 2  # the live one and the new one; the ended one is gone
