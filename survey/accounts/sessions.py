"""Logged-in sessions: which user a session cookie names, and where a visitor must log in."""

from __future__ import annotations

from flask import Flask, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from survey.accounts.redirects import safe_next_path
from survey.db import db
from survey.extensions import login_manager
from survey.schema.accounts import User

LOGIN_MESSAGE = "Logga in för att se sidan."


def load_user(session_user_id: str) -> User | None:
    """Find the user of a session ("id:generation"); old generations and inactive users: None."""
    raw_id, _, raw_generation = session_user_id.partition(":")
    if not raw_id.isdigit() or not raw_generation.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or user.session_generation != int(raw_generation):
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
