"""Logged-in sessions: held on the server, named by the cookie, ended by logout or deactivation.

The signed cookie (`survey_session`) carries Flask-Login's "id:generation" and a random
session id; the table `user_sessions` holds the id's hash and the session's absolute end.
A cookie only works while its row exists and has not expired, so a copied cookie stops
working the moment its user logs out, is deactivated or changes password, and at the
latest `SURVEY_SESSION_HOURS` after the login, however active the user has been.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Final

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import delete

from survey.accounts.redirects import safe_next_path
from survey.db import db, utcnow
from survey.extensions import login_manager
from survey.schema.accounts import User
from survey.schema.sessions import UserSession

LOGIN_MESSAGE = "Logga in för att se sidan."
# The key in the cookie that names the server-side session.
SESSION_ID_KEY: Final = "sid"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def session_lifetime() -> timedelta:
    lifetime: timedelta = current_app.config["PERMANENT_SESSION_LIFETIME"]
    return lifetime


def begin_server_session(user: User, *, now: datetime | None = None) -> str:
    """Record a new session of the user, ending in one session lifetime; return its id."""
    now = now or utcnow()
    # The user's ended sessions go as a new one begins: the table holds only live ones.
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
    )
    session_id = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            id_hash=_hash(session_id),
            user_id=user.id,
            created_at=now,
            expires_at=now + session_lifetime(),
        )
    )
    return session_id


def end_server_session(session_id: str | None) -> None:
    """End one session (the caller commits); an unknown id is nothing to end."""
    if session_id:
        db.session.execute(delete(UserSession).where(UserSession.id_hash == _hash(session_id)))


def end_sessions_of(user: User) -> None:
    """End every session of the user, wherever its cookie is (the caller commits)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def live_session(session_id: object, user_id: int, *, now: datetime | None = None) -> bool:
    """Tell whether the session id names a session of this user that has not ended."""
    if not isinstance(session_id, str) or not session_id:
        return False
    row = db.session.get(UserSession, _hash(session_id))
    return row is not None and row.user_id == user_id and row.expires_at > (now or utcnow())


def load_user(session_user_id: str) -> User | None:
    """Find the user of a session ("id:generation") whose server-side session is live."""
    raw_id, _, raw_generation = session_user_id.partition(":")
    if not raw_id.isdigit() or not raw_generation.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or user.session_generation != int(raw_generation):
        return None
    if not live_session(session.get(SESSION_ID_KEY), user.id):
        return None
    return user


def redirect_to_login() -> ResponseReturnValue:
    """Send an anonymous visitor to the login page, and back here afterwards."""
    flash(LOGIN_MESSAGE, "info")
    next_path = None
    if request.method in {"GET", "HEAD"}:
        next_path = safe_next_path(request.full_path if request.query_string else request.path)
    return redirect(url_for("accounts.login", next=next_path))


def init_login(app: Flask) -> None:
    """Attach Flask-Login: sessions name "id:generation", visitors go to the login page."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = LOGIN_MESSAGE
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(redirect_to_login)
