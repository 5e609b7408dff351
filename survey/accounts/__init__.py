"""Accounts of process leaders, readers and administrators: login, roles, administration."""

from __future__ import annotations

from flask import Flask, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from survey.accounts.models import Role, User
from survey.db import db

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
    from survey.accounts.redirects import safe_next_path

    flash(LOGIN_MESSAGE, "info")
    next_path = None
    if request.method in {"GET", "HEAD"}:
        next_path = safe_next_path(request.full_path if request.query_string else request.path)
    return redirect(url_for("accounts.login", next=next_path))


def init_app(app: Flask) -> None:
    """Set up login, CSRF protection, the accounts pages, the menu and the commands."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from survey.accounts.commands import user_cli
    from survey.accounts.permissions import main_menu, register_menu_item
    from survey.accounts.views import bp
    from survey.demo import demo_cli
    from survey.extensions import csrf, login_manager

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = LOGIN_MESSAGE
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(redirect_to_login)

    proxies = int(app.config.get("SURVEY_TRUSTED_PROXIES", 0))
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    app.register_blueprint(bp)
    app.add_template_global(main_menu, "main_menu")
    register_menu_item("accounts.users", "Användare", [Role.ADMIN], order=800)
    register_menu_item(
        "accounts.change_password", "Byt lösenord", list(Role), order=900, landing=False
    )
    app.cli.add_command(user_cli)
    app.cli.add_command(demo_cli)
